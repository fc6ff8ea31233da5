/*
 * Third-party rule packs, run outside ssmd's process.
 *
 * Each plugin gets its own child process (plugin-host.js) under Node's
 * permission model: it may read the plugin's own files, ssmd's and the
 * repository's, and nothing else; it may not write, start processes or
 * workers. It receives the documents as data (a fresh copy per plugin, so no
 * plugin sees another's changes) and answers with data, which is checked here
 * field by field. The time budget is enforced by SIGKILL, so a synchronous
 * infinite loop ends like any other failure: one `plugin/failed` finding
 * naming the package. ssmd's verdict, exit code and output are computed only
 * in ssmd's own process.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serialize } from 'node:v8'
import { hasControlChar } from '../core/text.js'
import type { SsmdDocument } from '../workspace/document.js'
import type { Workspace } from '../workspace/workspace.js'
import type { PackSource, PolicySeverity } from './engine.js'
import { redact as redactSecrets } from '../domain/secrets.js'
import { NUMERIC_ENV, numericEnv } from '../core/numbers.js'
import { metaProblem, reportText, resolveMeta, type ResolvedMeta } from './meta.js'
import type { Finding, Report, RuleDefinition, RuleInfo, Severity } from './types.js'

/** A plugin as oclif lists it: package name, folder, and its `validate` hook entries. */
export interface InstalledPlugin {
  name: string
  root: string
  hooks: Array<{ target: string; identifier: string }>
}

export interface PluginRun {
  /** npm package name. */
  name: string
  /** The rule pack's name (rule id prefix), when it declared one. */
  pack?: string
  rules: number
  /** Time the plugin took, in ms: loading its hook and running its checks, as measured in its process; for a plugin that failed, ssmd's wall-clock time from starting it to the verdict. */
  ms: number
  status: 'ok' | 'failed'
}

export interface PluginOutcome {
  run: PluginRun
  /** The pack as declared (rule declarations without functions), for rule listings. */
  declared?: PackSource
  findings: Finding[]
  /** Why the plugin failed; one `plugin/failed` finding says so. */
  failure?: string
}

export const DEFAULT_PLUGIN_BUDGET_MS = NUMERIC_ENV.SSMD_PLUGIN_TIMEOUT_MS.fallback
const SEVERITIES = new Set(['error', 'warning', 'info'])
const PACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const MAX_MESSAGE = 1000

/**
 * Per-plugin time budget: SSMD_PLUGIN_TIMEOUT_MS exactly when set (a malformed
 * value is a usage error, as for every numeric setting), else 10 s plus 1 ms
 * per document (a large repository on a busy CI machine must not fail for time).
 */
export function pluginBudgetMs(documents = 0): number {
  const raw = process.env.SSMD_PLUGIN_TIMEOUT_MS
  return raw === undefined || raw === '' ? DEFAULT_PLUGIN_BUDGET_MS + documents : numericEnv('SSMD_PLUGIN_TIMEOUT_MS')
}

/** The compiled child entry point (dist/), also when ssmd itself runs from its TypeScript sources. */
export function hostPath(): string {
  const here = fileURLToPath(new URL('./plugin-host.js', import.meta.url))
  if (existsSync(here)) return here
  const built = here.replace(`${sep}src${sep}lib${sep}`, `${sep}dist${sep}lib${sep}`)
  if (existsSync(built)) return built
  throw new Error('the plugin host is not built (run npm run build)')
}

function permissionFlag(): string | undefined {
  const flags = process.allowedNodeEnvironmentFlags
  if (flags.has('--permission')) return '--permission'
  if (flags.has('--experimental-permission')) return '--experimental-permission'
  return undefined
}

/** Folders the child may read: ssmd's package, the repository, the plugin and the node_modules it was installed into. */
function readablePaths(host: string, root: string | undefined, plugin: InstalledPlugin): string[] {
  const paths = new Set<string>([resolve(dirname(host), '..', '..', '..')])
  const add = (p: string) => {
    paths.add(p)
    try {
      paths.add(realpathSync(p))
    } catch {
      /* missing: nothing to read there anyway */
    }
  }
  if (root) add(root)
  add(plugin.root)
  // Its dependencies: every node_modules folder Node's resolution would look in (hoisted installs, workspaces).
  for (const start of new Set([plugin.root, realOrSelf(plugin.root)])) {
    for (let dir = dirname(start); ; dir = dirname(dir)) {
      const nm = basename(dir) === 'node_modules' ? dir : join(dir, 'node_modules')
      if (existsSync(nm)) add(nm)
      if (dirname(dir) === dir) break
    }
  }
  return [...paths]
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

function hookFile(plugin: InstalledPlugin, target: string): string {
  const base = resolve(plugin.root, target)
  for (const candidate of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, join(base, 'index.js')]) if (isFile(candidate)) return candidate
  return base
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** Rule-id prefixes only ssmd may use: its own name and every built-in namespace. */
export function reservedNamespaces(builtinRules: readonly RuleInfo[]): Set<string> {
  const out = new Set(['ssmd', 'plugin', 'policy', 'yaml', 'contract'])
  for (const r of builtinRules) if (r.id.includes('/')) out.add(r.id.slice(0, r.id.indexOf('/')).toLowerCase())
  return out
}

/** Control characters (newlines, escape sequences) would let a plugin forge output lines: each run becomes one space. */
export function cleanText(text: string, max = MAX_MESSAGE): string {
  const redacted = redactSecrets(text)
  let flat = ''
  let gap = false
  for (let i = 0; i < redacted.length; i++) {
    const c = redacted.charCodeAt(i)
    const control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029
    if (control) gap = true
    else {
      if (gap) flat += ' '
      gap = false
      flat += redacted[i]
    }
  }
  flat = flat.trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export function pluginFailedFinding(plugin: string, message: string): Finding {
  return {
    rule: 'plugin/failed',
    severity: 'error',
    message: `plugin '${plugin}' failed: ${cleanText(message)}; its findings are incomplete`,
    file: '',
    line: 1,
    column: 1,
    path: '',
    plugin: 'ssmd',
  }
}

interface ChildAnswer {
  declared?: unknown
  done?: { reports: unknown; errors: unknown }
  failure?: string
  /** Loading the hook plus running the checks, as the plugin's process measured it; else ssmd's wall-clock from start to answer. */
  ms: number
}

export interface PluginSessionOptions {
  /** The repository root; undefined when only declarations are wanted outside a repository. */
  root?: string
  budgetMs?: number
  /** 'declare' loads each plugin's hook and returns its declarations; 'run' also runs its checks. */
  mode: 'declare' | 'run'
}

/**
 * Starts one child per plugin at once (their start-up overlaps ssmd's own work);
 * `send` hands them the documents, `finish` collects and checks their answers.
 */
export class PluginSession {
  private readonly children: Array<{ plugin: InstalledPlugin; child?: ChildProcess; answer: Promise<ChildAnswer>; start: (payload: unknown) => Promise<void> }> = []
  private budget: number

  constructor(
    readonly plugins: readonly InstalledPlugin[],
    private readonly options: PluginSessionOptions,
  ) {
    this.budget = options.budgetMs ?? pluginBudgetMs()
    let host: string | undefined
    let hostError: string | undefined
    try {
      host = plugins.length > 0 ? hostPath() : undefined
    } catch (error) {
      hostError = (error as Error).message
    }
    for (const plugin of plugins) {
      if (host === undefined) {
        this.children.push({ plugin, answer: Promise.resolve({ failure: hostError ?? 'cannot start', ms: 0 }), start: async () => {} })
        continue
      }
      this.children.push(this.spawn(host, plugin))
    }
  }

  private spawn(host: string, plugin: InstalledPlugin) {
    const started = performance.now()
    const flag = permissionFlag()
    const execArgv = ['--no-warnings']
    if (flag) {
      execArgv.push(flag)
      for (const p of readablePaths(host, this.options.root, plugin)) execArgv.push(`--allow-fs-read=${p}`)
    }
    const hooks = plugin.hooks.map(h => ({ file: hookFile(plugin, h.target), identifier: h.identifier || 'default' }))
    const args = JSON.stringify({ hooks, mode: this.options.mode })
    let child: ChildProcess | undefined
    let settle!: (a: ChildAnswer) => void
    const answer = new Promise<ChildAnswer>(r => (settle = r))
    let settled = false
    let stage = 'while loading its validate hook'
    let stderr = ''
    let timer: NodeJS.Timeout | undefined
    let declared: unknown
    const finish = (a: Omit<ChildAnswer, 'ms'> & { ms?: number }) => {
      if (settled) return
      if (a.declared === undefined && declared !== undefined) a = { ...a, declared }
      settled = true
      if (timer) clearTimeout(timer)
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      settle({ ms: Math.round(performance.now() - started), ...a })
    }
    const arm = () => {
      const due = performance.now() + this.budget
      let graced = false
      const fire = () => {
        if (settled) return
        // ssmd's own checks run synchronously: a timer that fires late may have an answer queued behind it. Read it first.
        if (!graced && performance.now() - due > 50) {
          graced = true
          timer = setTimeout(fire, 500)
          return
        }
        finish({ failure: `exceeded its time budget of ${this.budget} ms (${stage}); it was stopped` })
      }
      timer = setTimeout(fire, this.budget)
    }
    try {
      child = fork(host, [args], {
        execArgv,
        env: {},
        cwd: this.options.root ?? plugin.root,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      })
    } catch (error) {
      finish({ failure: `could not be started: ${(error as Error).message}` })
      return { plugin, answer, start: async () => {} }
    }
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096)
    })
    child.on('error', error => finish({ failure: `could not be run: ${error.message}` }))
    child.on('message', (m: unknown) => {
      const msg = m as { t?: unknown; id?: unknown; packs?: unknown; reports?: unknown; errors?: unknown; message?: unknown; timing?: unknown }
      if (msg === null || typeof msg !== 'object') return finish({ failure: 'sent a message ssmd does not understand' })
      switch (msg.t) {
        case 'declared':
          declared = msg.packs
          stage = 'before its first rule'
          if (this.options.mode === 'declare') finish({ declared })
          return
        case 'rule':
          stage = typeof msg.id === 'string' ? `in rule '${cleanText(msg.id, 100)}'` : stage
          return
        case 'done': {
          const t = msg.timing as { load?: unknown; run?: unknown } | undefined
          const own = t && typeof t.load === 'number' && typeof t.run === 'number' ? t.load + t.run : NaN
          return finish({ declared, done: { reports: msg.reports, errors: msg.errors }, ...(Number.isFinite(own) && own >= 0 && own < 1e8 ? { ms: Math.round(own) } : {}) })
        }
        case 'failed':
          return finish({ failure: typeof msg.message === 'string' ? msg.message : 'failed' })
        default:
          return finish({ failure: 'sent a message ssmd does not understand' })
      }
    })
    child.on('exit', (code, signal) => {
      const last = stderr
        .split('\n')
        .map(l => l.trim())
        .filter(l => l && !/^at |^Node\.js v|^\^+$/.test(l))
        .pop()
      const why = signal ? `was killed by ${signal}` : code === 0 ? 'ended with work pending' : `exited with code ${code}`
      const hint = code === 0 || code === 13 ? 'a hook or check that never settles, or a call to process.exit()' : 'a crash or a call to process.exit()'
      finish({ failure: `${why} ${stage} (${last ? `${last}; ` : ''}${hint})` })
    })
    if (this.options.mode === 'declare') arm()
    const start = (payload: unknown) =>
      new Promise<void>(resolve => {
        if (settled || !child) return resolve()
        arm()
        void answer.then(() => resolve())
        try {
          child.send(payload as never, error => {
            if (error) finish({ failure: `could not be given the documents: ${error.message}` })
            resolve()
          })
        } catch (error) {
          finish({ failure: `could not be given the documents: ${(error as Error).message}` })
          resolve()
        }
      })
    return { plugin, child, answer, start }
  }

  /**
   * Hands every plugin a fresh copy of the documents (plain data: kind, name,
   * file, parsed YAML), serialized once. Resolves when the children have the
   * data (at most a second): ssmd's own checks then run synchronously, and a
   * transfer still queued behind them would eat the plugins' time budget.
   */
  async send(ws: Workspace, extra: { off: string[]; installedPlugins: string[] }): Promise<void> {
    if (this.children.length === 0) return
    const documents = ws.documents.map(d => ({ kind: d.kind, name: d.name, file: d.file, data: d.data }))
    const payload = serialize({ root: ws.root, documents, off: extra.off, installedPlugins: extra.installedPlugins })
    if (this.options.budgetMs === undefined) this.budget = pluginBudgetMs(documents.length)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(this.children.map(c => c.start(payload))), new Promise<void>(resolve => (timer = setTimeout(resolve, 1000)))])
    clearTimeout(timer)
  }

  /** Waits for every plugin and turns its answer into checked findings (or one failure each). */
  async finish(context: { ws?: Workspace; reserved: ReadonlySet<string>; policy?: Record<string, PolicySeverity> }): Promise<PluginOutcome[]> {
    const answers = await Promise.all(this.children.map(c => c.answer))
    const outcomes: PluginOutcome[] = []
    const taken = new Map<string, string>()
    answers.forEach((answer, i) => {
      outcomes.push(interpret(this.children[i].plugin, answer, { ...context, taken, mode: this.options.mode }))
    })
    return outcomes
  }
}

interface DeclaredPack {
  plugin: string
  rules: Record<string, Record<string, unknown>>
}

function interpret(
  plugin: InstalledPlugin,
  answer: ChildAnswer,
  context: { ws?: Workspace; reserved: ReadonlySet<string>; policy?: Record<string, PolicySeverity>; taken: Map<string, string>; mode: 'declare' | 'run' },
): PluginOutcome {
  const run: PluginRun = { name: plugin.name, rules: 0, ms: answer.ms, status: 'failed' }
  const fail = (failure: string, findings: Finding[] = [], declared?: PackSource): PluginOutcome => ({ run, failure, findings, declared })
  if (answer.declared === undefined) return fail(answer.failure ?? 'sent no rule declarations')
  const packs = checkDeclaration(answer.declared, context.reserved)
  if (typeof packs === 'string') return fail(packs)
  for (const p of packs) {
    const owner = context.taken.get(p.plugin)
    if (owner !== undefined) return fail(`its rule pack '${p.plugin}' is already declared by plugin '${owner}'`)
  }
  for (const p of packs) context.taken.set(p.plugin, plugin.name)
  run.pack = packs.map(p => p.plugin).join(', ') || undefined
  run.rules = packs.reduce((n, p) => n + Object.keys(p.rules).length, 0)
  // One pack per plugin is the norm; several hook entries are merged into one declaration per pack.
  const declared: PackSource | undefined =
    packs.length === 0
      ? undefined
      : { plugin: plugin.name, result: packs.length === 1 ? packs[0] : { plugin: packs[0].plugin, rules: Object.assign({}, ...packs.map(p => p.rules)) } }
  // Declared, then failed while running (budget, exit): its rules are known, its findings are not.
  if (answer.failure !== undefined) return fail(answer.failure, [], declared)
  if (context.mode === 'declare') {
    run.status = 'ok'
    return { run, declared, findings: [] }
  }
  const ws = context.ws
  if (!answer.done || !ws) return fail('did not run its checks', [], declared)
  const owners = new Map<string, Owner>()
  for (const p of packs) for (const [id, d] of Object.entries(p.rules)) owners.set(id, { pack: p.plugin, meta: resolveMeta(d as unknown as RuleDefinition) })
  const { findings, problem } = checkReports(answer.done.reports, ws, owners, context.policy ?? {})
  const thrown = checkErrors(answer.done.errors, owners)
  const failure = problem ?? thrown
  if (failure !== undefined) return fail(failure, findings, declared)
  run.status = 'ok'
  return { run, declared, findings }
}

/** The hook's answer as packs, or why it is refused. */
function checkDeclaration(value: unknown, reserved: ReadonlySet<string>): DeclaredPack[] | string {
  if (!Array.isArray(value)) return 'sent no rule declarations'
  const packs: DeclaredPack[] = []
  for (const p of value as Array<{ plugin?: unknown; rules?: unknown }>) {
    if (p === null || typeof p !== 'object') return 'sent a malformed rule declaration'
    if (typeof p.plugin !== 'string' || p.plugin === '') return "its rule pack has no 'plugin' name (export default defineChecks({ plugin: 'acme', rules: {...} }))"
    if (!PACK_NAME.test(p.plugin)) return `its rule pack name '${cleanText(p.plugin, 60)}' is not a plain name (letters, digits, '.', '_', '-')`
    if (reserved.has(p.plugin.toLowerCase())) return `its rule pack is named '${p.plugin}', which is reserved for ssmd's built-in rules; choose the plugin's own name`
    if (!Array.isArray(p.rules)) return "its rule pack has no 'rules'"
    const rules: Record<string, Record<string, unknown>> = {}
    for (const entry of p.rules as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return 'sent a malformed rule declaration'
      const [id, decl] = entry as [string, unknown]
      const shown = cleanText(id, 100)
      if (decl === null || typeof decl !== 'object') return `rule '${shown}' is not an object`
      if (!id.startsWith(`${p.plugin}/`) || id.length === p.plugin.length + 1) return `rule '${shown}' is outside its namespace; its rule ids must start with '${p.plugin}/'`
      const problem = metaProblem(id, decl as RuleDefinition)
      if (problem) return cleanText(problem, 300)
      rules[id] = decl as Record<string, unknown>
    }
    packs.push({ plugin: p.plugin, rules })
  }
  return packs
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1

/** A repository-relative path that stays inside the repository, or undefined. */
function insideRepo(file: string): string | undefined {
  if (file === '' || file.length > 1024) return undefined
  if (file.startsWith('/') || file.includes('\\') || /^[A-Za-z]:/.test(file) || hasControlChar(file)) return undefined
  const parts = file.split('/')
  if (parts.some(p => p === '..' || p === '.' || p === '')) return undefined
  return file
}

interface Owner {
  pack: string
  meta: ResolvedMeta
}

function checkReports(value: unknown, ws: Workspace, owners: Map<string, Owner>, policy: Record<string, PolicySeverity>): { findings: Finding[]; problem?: string } {
  const findings: Finding[] = []
  if (!Array.isArray(value)) return { findings, problem: 'sent malformed results' }
  const docs = ws.documents
  let problem: string | undefined
  let bad = 0
  const refuse = (why: string) => {
    bad++
    problem ??= why
  }
  for (const item of value as Array<{ rule?: unknown; doc?: unknown; report?: unknown }>) {
    if (item === null || typeof item !== 'object' || typeof item.rule !== 'string') {
      refuse('sent malformed results')
      continue
    }
    const owner = owners.get(item.rule)
    const rule = cleanText(item.rule, 100)
    if (!owner) {
      refuse(`reported for rule '${rule}', which it did not declare`)
      continue
    }
    if (typeof item.report === 'string') {
      refuse(`rule '${rule}' ${cleanText(item.report, 200)}`)
      continue
    }
    const index = item.doc
    const doc: SsmdDocument | undefined = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < docs.length ? docs[index] : undefined
    if (index !== -1 && doc === undefined) {
      refuse('sent malformed results')
      continue
    }
    const r = item.report as Record<string, unknown> | null
    if (r === null || typeof r !== 'object') {
      refuse(`rule '${rule}' reported ${r === null ? 'null' : typeof r} instead of { message, path }`)
      continue
    }
    const why = reportProblem(r, owner.meta)
    if (why) {
      refuse(`rule '${rule}' ${why}`)
      continue
    }
    const setting = policy[item.rule]
    if (setting === 'off') continue
    const text = reportText(item.rule, owner.meta.messages, r as Report)
    findings.push(toFinding(item.rule, owner.pack, (setting ?? r.severity ?? owner.meta.severity) as Severity, doc, r, text))
  }
  if (problem && bad > 1) problem += ` (and ${bad - 1} more invalid report${bad === 2 ? '' : 's'})`
  return { findings, problem }
}

/** Why a report cannot become a finding, or undefined. */
function reportProblem(r: Record<string, unknown>, meta: ResolvedMeta): string | undefined {
  if (r.messageId !== undefined) {
    if (typeof r.messageId !== 'string' || !Object.prototype.hasOwnProperty.call(meta.messages, r.messageId))
      return `reported messageId '${cleanText(String(r.messageId), 60)}', which its meta.messages does not declare`
    const data = r.data
    if (
      data !== undefined &&
      (data === null || typeof data !== 'object' || Array.isArray(data) || Object.values(data).some(v => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean'))
    )
      return 'reported data that is not an object of strings, numbers and booleans'
  } else if (typeof r.message !== 'string' || r.message.trim() === '') {
    return `reported ${r.message === undefined ? 'no message' : `a message that is ${typeof r.message === 'string' ? 'empty' : `a ${typeof r.message}`}`}`
  }
  if (r.severity !== undefined && (typeof r.severity !== 'string' || !SEVERITIES.has(r.severity)))
    return `reported severity '${cleanText(String(r.severity), 40)}'; use error, warning or info`
  if (r.path !== undefined && (typeof r.path !== 'string' || (r.path !== '' && !r.path.startsWith('/'))))
    return `reported path '${cleanText(String(r.path), 80)}', which is not a JSON Pointer (like '/versions/0/endpoint')`
  if (r.at !== undefined && r.at !== 'key' && r.at !== 'value') return `reported at: '${cleanText(String(r.at), 40)}'; use 'key' or 'value'`
  if (r.file !== undefined && (typeof r.file !== 'string' || insideRepo(r.file) === undefined))
    return `reported file '${cleanText(String(r.file), 120)}', which is not a path inside the repository (relative, no '..')`
  for (const key of ['line', 'column'] as const) {
    if (r[key] !== undefined && !positive(r[key])) return `reported ${key} ${cleanText(String(r[key]), 40)}; lines and columns are whole numbers from 1`
  }
  return undefined
}

function toFinding(rule: string, pack: string, severity: Severity, doc: SsmdDocument | undefined, r: Record<string, unknown>, text: string): Finding {
  const path = typeof r.path === 'string' ? r.path : ''
  const file = typeof r.file === 'string' ? r.file : (doc?.file ?? '')
  let line = positive(r.line) ? r.line : undefined
  let column = positive(r.column) ? r.column : undefined
  if ((line === undefined || column === undefined) && doc && file === doc.file) {
    const pos = doc.locate(path, r.at === 'key' ? 'key' : 'value')
    line ??= pos.line
    column ??= pos.column
  }
  return { rule, severity, message: cleanText(text), file, line: line ?? 1, column: column ?? 1, path, plugin: pack }
}

function checkErrors(value: unknown, owners: Map<string, unknown>): string | undefined {
  if (!Array.isArray(value)) return 'sent malformed results'
  if (value.length === 0) return undefined
  const first = value[0] as { rule?: unknown; file?: unknown; message?: unknown }
  if (first === null || typeof first !== 'object' || typeof first.rule !== 'string' || !owners.has(first.rule)) return 'sent malformed results'
  const where = typeof first.file === 'string' ? ` on ${cleanText(first.file, 200)}` : ''
  const more = value.length > 1 ? ` (and ${value.length - 1} more failed check${value.length === 2 ? '' : 's'})` : ''
  return `rule '${cleanText(first.rule, 100)}' threw${where}: ${cleanText(String(first.message ?? ''), 300)}${more}`
}
