/*
 * Third-party rule packs, run sealed outside ssmd's process.
 *
 * Each plugin gets its own child process (plugin-host.js) in which its code
 * runs inside a WebAssembly JavaScript engine (QuickJS) that holds nothing but
 * the plugin's own module files, the documents as frozen data and the
 * validation date as its clock: no process, file system, network, timers,
 * environment or Node.js modules. The engine has a memory and a stack limit
 * and stops the plugin's code at its time budget; the child process itself runs
 * under Node's permission model (read-only access to ssmd, the engine and the
 * plugin's package; no writes, processes or workers) with an empty
 * environment, and is SIGKILLed when it does not answer in time. It answers
 * with one JSON message per line on its stdout, checked here field by field,
 * with caps on the number of findings and the length of every string before
 * any other work. ssmd's verdict, exit code and output are computed only in
 * ssmd's own process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import type { HostArgs } from './plugin-host.js'
import type { SsmdDocument } from '../workspace/document.js'
import type { Workspace } from '../workspace/workspace.js'
import type { PackSource, PolicySeverity } from './engine.js'
import { NUMERIC_ENV, numericEnv } from '../core/numbers.js'
import { metaProblem, resolveMeta, type ResolvedMeta } from './meta.js'
import { cleanText, MAX_FINDINGS, MAX_REPORT_CHARS, namespaceProblem, packNameProblem, reportFinding } from './report.js'
import type { RuleDefinition } from './checks.js'
import type { Finding } from './types.js'

/** A plugin as oclif lists it: package name, folder, and its `validate` hook entries. */
import type { InstalledPlugin } from './installed-plugin.js'
export type { InstalledPlugin }

export interface PluginRun {
  /** npm package name. */
  name: string
  /** The installed version that ran. */
  version: string
  /** The rule pack's name (rule id prefix), when it declared one. */
  pack?: string
  rules: number
  /** Time the plugin took, in ms: loading its hook and running its checks, as measured in its process; for a plugin that failed, ssmd's wall-clock time from starting it to the verdict. */
  ms: number
  status: 'ok' | 'failed'
  /** The plugin did not run: its findings are those of an earlier run on the same documents, options and date (see PluginResults). */
  cached?: true
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
/** The most bytes of answers ssmd reads from one plugin's process. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024
/** How long past its budget ssmd waits for a plugin process that does not stop itself: to start and load its hook, to answer. */
const START_SLACK_MS = 5000
/** Documents per message to a plugin's process: large enough to cost little per message, small enough to overlap. */
const DOCUMENTS_PER_PART = 500
const ANSWER_SLACK_MS = 2000

/** Memory limit of each plugin's JavaScript engine, in MB: SSMD_PLUGIN_MEMORY_MB, else 512. */
export function pluginMemoryMb(): number {
  return numericEnv('SSMD_PLUGIN_MEMORY_MB')
}

/**
 * The plugin process's answers: one JSON message per line. Anything else (a
 * line that is not JSON, more than MAX_ANSWER_BYTES in all) is the plugin's
 * failure, returned as a sentence, never an exception in ssmd.
 */
export class AnswerLines {
  private pending: Uint8Array[] = []
  private bytes = 0
  private failed = false

  constructor(private readonly maxBytes = MAX_ANSWER_BYTES) {}

  push(chunk: Uint8Array): unknown[] | string {
    if (this.failed) return []
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes)
      return this.fail(`sent more than ${this.maxBytes >= 1048576 ? `${Math.round(this.maxBytes / 1048576)} MB` : `${this.maxBytes} bytes`} of answers`)
    const out: unknown[] = []
    let from = 0
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
      this.pending.push(chunk.subarray(from, nl))
      const line = Buffer.concat(this.pending).toString('utf8')
      this.pending = []
      from = nl + 1
      try {
        out.push(JSON.parse(line))
      } catch {
        return this.fail('sent a malformed answer (not one JSON message per line)')
      }
    }
    if (from < chunk.length) this.pending.push(chunk.subarray(from))
    return out
  }

  /** At the end of the stream: a trailing partial line is malformed too. */
  end(): string | undefined {
    if (this.failed || this.pending.every(b => b.length === 0)) return undefined
    return this.fail('sent a malformed answer (a message cut off)')
  }

  private fail(why: string): string {
    this.failed = true
    this.pending = []
    return why
  }
}

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

/**
 * Folders the child may read: ssmd's package (the host), the JavaScript
 * engine's packages, and the plugin's installation (its package and the
 * node_modules folder it was installed into). Not the repository: the plugin
 * receives the documents as data.
 */
function readablePaths(host: string, plugin: InstalledPlugin): string[] {
  const paths = new Set<string>()
  const add = (p: string) => {
    paths.add(p)
    paths.add(realOrSelf(p))
  }
  add(resolve(dirname(host), '..', '..', '..'))
  // The engine's packages (its core, the one WebAssembly build it loads and that build's types), found as Node.js would find them.
  const fromHost = createRequire(host)
  const core = packageDir(fromHost, 'quickjs-emscripten-core')
  if (core) add(core)
  const build = packageDir(fromHost, '@jitl/quickjs-wasmfile-release-sync')
  if (build) {
    add(build)
    const types = packageDir(createRequire(join(realOrSelf(build), 'package.json')), '@jitl/quickjs-ffi-types')
    if (types) add(types)
  }
  if (core) {
    const types = packageDir(createRequire(join(realOrSelf(core), 'package.json')), '@jitl/quickjs-ffi-types')
    if (types) add(types)
  }
  for (const root of new Set([plugin.root, realOrSelf(plugin.root)])) {
    add(root)
    const parts = root.split(sep)
    const nm = parts.lastIndexOf('node_modules')
    if (nm > 0) add(parts.slice(0, nm + 1).join(sep))
  }
  return [...paths]
}

function packageDir(require: NodeJS.Require, name: string): string | undefined {
  const dir = (require.resolve.paths(name) ?? []).find(d => existsSync(join(d, name, 'package.json')))
  return dir === undefined ? undefined : join(dir, name)
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

/**
 * Where a plugin's whole result is kept between runs (the validation cache):
 * one entry per plugin name, and each document's content digest, which the
 * key of a result is made of.
 */
export interface PluginResults {
  get(plugin: string): unknown
  set(plugin: string, value: unknown): void
  /** SHA-256 of the content a document was read from; undefined when it was not read through the cache. */
  contentDigest(file: string): Uint8Array | undefined
}

/** A plugin's whole result as the validation cache keeps it. */
interface StoredResult {
  /** Which plugin made it (name, version, integrity): the result of another installation is not looked at. */
  identity: string
  /** Everything else the plugin's run depended on (see resultKey). */
  key: string
  /** Its declarations as it sent them, for the check that no two packages claim one namespace. */
  declared: unknown
  outcome: { run: PluginRun; declared?: PackSource; findings: Finding[] }
}

export interface PluginSessionOptions {
  /** The repository root; undefined when only declarations are wanted outside a repository. */
  root?: string
  budgetMs?: number
  /** 'declare' loads each plugin's hook and returns its declarations; 'run' also runs its checks. */
  mode: 'declare' | 'run'
  /** Keep and reuse each installed plugin's whole result (see send); without it, every plugin runs. */
  results?: PluginResults
}

/** The plugin's clock: the start (00:00 UTC) of the day validation runs on, the same for every rule and every call. */
export function validationDate(at = Date.now()): number {
  return at - (((at % 86400000) + 86400000) % 86400000)
}

interface Child {
  plugin: InstalledPlugin
  child?: ChildProcess
  answer: Promise<ChildAnswer>
  write: (line: string) => void
  start: (payload: string) => Promise<void>
  /** Not started yet: its result is probably in the cache, and send decides. */
  deferred?: { settle: (a: ChildAnswer) => void }
  /** This run's result is the stored one. */
  stored?: StoredResult
  /** The key this run's result is kept under, when it may be. */
  key?: string
}

/**
 * Starts one child per plugin at once (their start-up overlaps ssmd's own work);
 * `send` hands them the documents, `finish` collects and checks their answers.
 */
export class PluginSession {
  private readonly children: Child[] = []
  private budget: number
  private host?: string
  /** Per plugin (by index): the cache key of each document's file-scoped findings, when the plugin's findings may be cached. */
  private cacheKeys: Array<string[] | undefined> = []
  private sent?: Workspace

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
    this.host = host
    for (const plugin of plugins) {
      if (host === undefined) {
        this.children.push({ plugin, answer: Promise.resolve({ failure: hostError ?? 'cannot start', ms: 0 }), write: () => {}, start: async () => {} })
        continue
      }
      // A result of this very installation is in the cache: the process is started only if send finds the documents changed.
      const stored = storedResult(options.results, plugin)
      if (options.mode === 'run' && stored !== undefined) {
        let settle!: (a: ChildAnswer) => void
        const answer = new Promise<ChildAnswer>(r => (settle = r))
        this.children.push({ plugin, answer, write: () => {}, start: async () => {}, deferred: { settle } })
        continue
      }
      this.children.push(this.spawn(host, plugin))
    }
  }

  private spawn(host: string, plugin: InstalledPlugin) {
    const started = performance.now()
    const flag = permissionFlag()
    const memoryMb = pluginMemoryMb()
    // The host's own heap holds the payload and the answer; the engine's memory is limited inside it.
    const execArgv = ['--no-warnings', `--max-old-space-size=${memoryMb + 256}`]
    if (flag) {
      execArgv.push(flag)
      for (const p of readablePaths(host, plugin)) execArgv.push(`--allow-fs-read=${p}`)
    }
    const hooks = plugin.hooks.map(h => ({ file: hookFile(plugin, h.target), identifier: h.identifier || 'default' }))
    let child: ChildProcess | undefined
    let settle!: (a: ChildAnswer) => void
    const answer = new Promise<ChildAnswer>(r => (settle = r))
    let settled = false
    let stage = 'while loading its validate hook'
    let stderr = ''
    let timer: NodeJS.Timeout | undefined
    let declared: unknown
    /** The documents are in the pipe to the process. */
    let sent = false
    const finish = (a: Omit<ChildAnswer, 'ms'> & { ms?: number }) => {
      if (settled) return
      if (a.declared === undefined && declared !== undefined) a = { ...a, declared }
      settled = true
      if (timer) clearTimeout(timer)
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      settle({ ms: Math.round(performance.now() - started), ...a })
    }
    // The plugin's process stops its own code at the budget (an interrupt in its engine); this timer is
    // the second wall, for a process that does not answer at all: the budget plus the time to start and to answer.
    const arm = (ms: number) => {
      if (timer) clearTimeout(timer)
      const due = performance.now() + ms
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
      timer = setTimeout(fire, ms)
    }
    const args: HostArgs = { hooks, root: plugin.root, mode: this.options.mode, budgetMs: this.budget, memoryMb, limits: { maxFindings: MAX_FINDINGS, maxChars: MAX_REPORT_CHARS } }
    try {
      child = spawn(process.execPath, [...execArgv, host, JSON.stringify(args)], { env: {}, cwd: realOrSelf(plugin.root), stdio: ['pipe', 'pipe', 'pipe'] })
    } catch (error) {
      finish({ failure: `could not be started: ${(error as Error).message}` })
      return { plugin, answer, write: () => {}, start: async () => {} }
    }
    child.stdin?.on('error', () => {})
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096)
    })
    const lines = new AnswerLines()
    child.stdout?.on('data', (chunk: Buffer) => {
      const got = lines.push(chunk)
      if (typeof got === 'string') return finish({ failure: got })
      for (const m of got) onMessage(m)
    })
    child.on('error', error => finish({ failure: `could not be run: ${error.message}` }))
    const onMessage = (m: unknown) => {
      if (settled) return
      const msg = m as { t?: unknown; id?: unknown; packs?: unknown; reports?: unknown; errors?: unknown; message?: unknown; timing?: unknown }
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return finish({ failure: 'sent an answer ssmd does not understand' })
      switch (msg.t) {
        case 'declared':
          declared = msg.packs
          stage = 'before its first rule'
          if (this.options.mode === 'declare') finish({ declared })
          // Its checks get the whole budget, counted from now or from when it has the documents.
          else if (sent) arm(this.budget + ANSWER_SLACK_MS)
          // Until then it waits for ssmd, which may still be reading a large repository: that time is not the plugin's.
          else if (timer) clearTimeout(timer)
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
          return finish({ failure: 'sent an answer ssmd does not understand' })
      }
    }
    child.on('close', (code, signal) => {
      // Every complete line has been read by now.
      const rest = lines.end()
      if (typeof rest === 'string') return finish({ failure: rest })
      const last = stderr
        .split('\n')
        .map(l => l.trim())
        .filter(l => l && !/^at |^Node\.js v|^\^+$/.test(l))
        .pop()
      const why = signal ? `was killed by ${signal}` : `exited with code ${code}`
      finish({ failure: `${why} ${stage}${last ? ` (${cleanText(last, 300)})` : ''}` })
    })
    arm(this.budget + START_SLACK_MS)
    /** One line to the process's stdin: the settings, then the documents in parts (see send). */
    const write = (line: string) => {
      if (!settled && child?.stdin?.writable) child.stdin.write(`${line}\n`)
    }
    /** The last line (the rest of the input): the plugin's checks start, and its budget with them. */
    const start = (payload: string) =>
      new Promise<void>(resolve => {
        if (settled || !child?.stdin) return resolve()
        void answer.then(() => resolve())
        child.stdin.end(`${payload}\n`, () => {
          sent = true
          if (declared !== undefined) arm(this.budget + ANSWER_SLACK_MS)
          resolve()
        })
      })
    return { plugin, child, answer, write, start }
  }

  /**
   * Hands every plugin a fresh copy of the documents (plain data: kind, name,
   * file, parsed YAML), serialized once, and the validation date as its clock.
   * Resolves when the children have the data (at most a second): ssmd's own
   * checks then run synchronously, and a transfer still queued behind them
   * would eat the plugins' time budget.
   *
   * A plugin whose result the cache holds for the same documents, options,
   * rule settings and date (and the same installation) does not run: sealed
   * code given the same inputs answers the same (see resultKey).
   */
  async send(
    ws: Workspace,
    extra: { off: string[]; installedPlugins: string[]; now?: number; options?: RuleOptionValues; policy?: Record<string, PolicySeverity> },
  ): Promise<void> {
    if (this.children.length === 0) return
    const options = extra.options ?? { base: {}, byFile: {} }
    const now = extra.now ?? validationDate()
    const policy = extra.policy ?? {}
    // Sorted: oclif loads plugins concurrently, and the order it lists them in is not the plugin's input.
    const installedPlugins = [...extra.installedPlugins].sort()
    if (this.options.budgetMs === undefined) this.budget = pluginBudgetMs(ws.documents.length)
    this.sent = ws
    const results = this.options.mode === 'run' ? this.options.results : undefined
    const documentsKey = results === undefined ? undefined : documentsDigest(ws, results)
    for (const c of this.children) {
      c.key =
        documentsKey === undefined || c.plugin.integrity === undefined
          ? undefined
          : resultKey(c.plugin, { root: ws.root, now, options, policy, off: extra.off, installedPlugins, documents: documentsKey })
      const stored = c.key === undefined ? undefined : storedResult(results, c.plugin)
      if (stored !== undefined && stored.key === c.key) {
        c.stored = stored
        if (c.child && c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
      } else if (c.deferred !== undefined && this.host !== undefined) {
        // The cache held a result of this plugin, for other documents: it runs after all.
        const live = this.spawn(this.host, c.plugin)
        c.child = live.child
        c.write = live.write
        c.start = live.start
        void live.answer.then(c.deferred.settle)
        c.deferred = undefined
      }
    }
    const live = this.children.filter(c => c.stored === undefined)
    if (live.length === 0) return
    // First the checks' budget (it grows with the number of documents), then the documents in parts: each part
    // is read (on a cold cache: parsed) here, and taken in by the plugins while ssmd reads the next one.
    for (const c of live) c.write(JSON.stringify({ budgetMs: this.budget }))
    const all = ws.documents
    for (let i = 0; i < all.length; i += DOCUMENTS_PER_PART) {
      const part = JSON.stringify(all.slice(i, i + DOCUMENTS_PER_PART).map(d => ({ kind: d.kind, name: d.name, file: d.file, data: d.data })))
      for (const c of live) c.write(part)
      if (i + DOCUMENTS_PER_PART < all.length) await new Promise(resolve => setImmediate(resolve))
    }
    const payload = JSON.stringify({ root: ws.root, off: extra.off, installedPlugins, now, options })
    this.cacheKeys = this.children.map(c => (c.stored === undefined ? cacheKeys(c.plugin, ws, options, policy) : undefined))
    const payloads = this.children.map((_, i) => {
      const keys = this.cacheKeys[i]
      if (keys === undefined) return payload
      const skip: number[] = []
      ws.documents.forEach((d, j) => {
        if ((d.memo[memoKey(this.children[i].plugin)] as CachedFindings | undefined)?.key === keys[j]) skip.push(j)
      })
      // The documents are serialized once; each plugin's payload only adds the indexes its cached findings cover.
      return `${payload.slice(0, -1)},"skip":${JSON.stringify(skip)}}`
    })
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(this.children.map((c, i) => (c.stored === undefined ? c.start(payloads[i]) : undefined))),
      new Promise<void>(resolve => (timer = setTimeout(resolve, 1000))),
    ])
    clearTimeout(timer)
  }

  /** Waits for every plugin and turns its answer into checked findings (or one failure each). */
  async finish(context: { ws?: Workspace; reserved: ReadonlySet<string>; policy?: Record<string, PolicySeverity> }): Promise<PluginOutcome[]> {
    const answers = await Promise.all(this.children.map(c => (c.stored !== undefined ? { declared: c.stored.declared, ms: 0 } : c.answer)))
    // A namespace belongs to one package: when two claim it, neither is trusted with it, and both are named.
    const claims = new Map<string, string[]>()
    answers.forEach((answer, i) => {
      for (const pack of Array.isArray(answer.declared) ? (answer.declared as Array<{ plugin?: unknown }>) : []) {
        if (pack === null || typeof pack !== 'object' || typeof pack.plugin !== 'string') continue
        const owners = claims.get(pack.plugin) ?? []
        if (!owners.includes(this.children[i].plugin.name)) owners.push(this.children[i].plugin.name)
        claims.set(pack.plugin, owners)
      }
    })
    const results = this.options.results
    return answers.map((answer, i) => {
      const c = this.children[i]
      const name = c.plugin.name
      for (const [pack, owners] of claims) {
        if (owners.length < 2 || !owners.includes(name)) continue
        const others = owners.filter(o => o !== name).map(o => `'${o}'`)
        const failure = `its rule pack '${cleanText(pack, 60)}' is also declared by ${others.join(' and ')}; a namespace belongs to one package: uninstall the one that is not yours (ssmd plugins uninstall <package>)`
        return { run: { name, version: c.plugin.version, rules: 0, ms: answer.ms, status: 'failed' as const }, findings: [], failure }
      }
      if (c.stored !== undefined) {
        // Kept for the next run too (the cache keeps the entries a run uses).
        results?.set(name, c.stored)
        const { run, declared, findings } = c.stored.outcome
        return { run: { ...run, ms: 0, cached: true }, declared, findings: findings.map(f => ({ ...f })) }
      }
      const outcome = interpret(c.plugin, answer, { ...context, mode: this.options.mode })
      const keys = this.cacheKeys[i]
      const same = this.sent !== undefined && context.ws === this.sent
      if (keys !== undefined && same && outcome.declared !== undefined) withCache(c.plugin, outcome, this.sent!, keys)
      // Only a complete result is kept: a failed run's findings are incomplete.
      if (results !== undefined && c.key !== undefined && same && outcome.failure === undefined && outcome.run.status === 'ok') {
        const value: StoredResult = {
          identity: identityOf(c.plugin),
          key: c.key,
          declared: answer.declared,
          outcome: { run: outcome.run, declared: outcome.declared, findings: outcome.findings.map(f => ({ ...f })) },
        }
        results.set(name, value)
      }
      return outcome
    })
  }
}

/** Which installation of a plugin: its name, version and the integrity npm recorded (none for a linked folder). */
function identityOf(plugin: InstalledPlugin): string {
  return createHash('sha256')
    .update(JSON.stringify([plugin.name, plugin.version, plugin.integrity ?? null]))
    .digest('base64url')
}

/** The cache's result of this very installation of the plugin, when it holds one (never for a linked folder, whose code may change under the same version). */
function storedResult(results: PluginResults | undefined, plugin: InstalledPlugin): StoredResult | undefined {
  if (results === undefined || plugin.integrity === undefined) return undefined
  const v = results.get(plugin.name) as Partial<StoredResult> | undefined
  if (v === null || typeof v !== 'object' || v.identity !== identityOf(plugin) || typeof v.key !== 'string') return undefined
  const o = v.outcome
  if (o === null || typeof o !== 'object' || !Array.isArray(o.findings) || o.run === null || typeof o.run !== 'object') return undefined
  return v as StoredResult
}

/**
 * One digest of every document the plugins are given: its kind, name, path
 * and content digest, in order. Undefined when a document was not read
 * through the cache (it has no content digest): then nothing is kept.
 */
function documentsDigest(ws: Workspace, results: PluginResults): string | undefined {
  const hash = createHash('sha256')
  for (const d of ws.documents) {
    // Asking reads a deferred document (through the cache); a refused one (not read at all) has no digest.
    if (d.refused) return undefined
    const digest = results.contentDigest(d.file)
    if (digest === undefined) return undefined
    hash.update(`${d.kind}\0${d.name}\0${d.file}\0`).update(digest)
  }
  return hash.digest('base64url')
}

/**
 * The key of a plugin's whole result: everything its sealed run depends on
 * besides its own code (identityOf) — the documents (documentsDigest), the
 * repository's root (it is given to the plugin), the validation date (its
 * clock), the options ssmd.yaml gives its rules, the rule settings (they set
 * the findings' severities and the rules that are off) and the installed
 * plugins' names (it is given them).
 */
function resultKey(
  plugin: InstalledPlugin,
  inputs: { root: string; now: number; options: RuleOptionValues; policy: Record<string, PolicySeverity>; off: string[]; installedPlugins: string[]; documents: string },
): string {
  const policy = Object.entries(inputs.policy).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256')
    .update(JSON.stringify([identityOf(plugin), inputs.root, inputs.now, inputs.options, policy, [...inputs.off].sort(), inputs.installedPlugins, inputs.documents]))
    .digest('base64url')
}

/** The options ssmd.yaml gives plugin rules: the base value by rule, and by rule and file where an override gives another. */
export interface RuleOptionValues {
  base: Record<string, unknown>
  byFile: Record<string, Record<string, unknown>>
}

/** What the validation cache keeps of one plugin's file-scoped rules for one document. */
interface CachedFindings {
  key: string
  findings: Finding[]
}

const memoKey = (plugin: InstalledPlugin) => `plugin:${plugin.name}`

/**
 * The cache key of each document's findings by the plugin's file-scoped rules
 * (meta.scope: 'file'): the plugin's name, version and integrity, the options
 * its rules get for that file and the rule settings. The document's memo lives
 * as long as its content is unchanged (see DocumentCache), so the key needs no
 * hash of the content. A plugin without a recorded integrity (a linked folder)
 * is never cached: its code may have changed under the same version.
 */
function cacheKeys(plugin: InstalledPlugin, ws: Workspace, options: RuleOptionValues, policy: Record<string, PolicySeverity>): string[] | undefined {
  if (plugin.integrity === undefined) return undefined
  const base = createHash('sha256').update(JSON.stringify([plugin.name, plugin.version, plugin.integrity, options.base, Object.entries(policy).sort()]))
  const perFile = Object.entries(options.byFile)
  const shared = base.copy().digest('base64url')
  return ws.documents.map(d => {
    const own = perFile.filter(([, files]) => Object.prototype.hasOwnProperty.call(files, d.file)).map(([id, files]) => [id, files[d.file]])
    return own.length === 0 ? shared : base.copy().update(JSON.stringify(own)).digest('base64url')
  })
}

/**
 * Adds the cached findings of the documents the plugin's file-scoped rules
 * skipped, and remembers the findings of the ones they checked (only when the
 * plugin ran without failing: a failed run's findings are incomplete).
 */
function withCache(plugin: InstalledPlugin, outcome: PluginOutcome, ws: Workspace, keys: string[]): void {
  const pack = outcome.declared?.result as { rules?: Record<string, { meta?: { scope?: unknown } }> } | undefined
  const fileScoped = new Set(Object.entries(pack?.rules ?? {}).flatMap(([id, r]) => (r?.meta?.scope === 'file' ? [id] : [])))
  if (fileScoped.size === 0) return
  const byFile = new Map<string, Finding[]>()
  for (const f of outcome.findings) if (fileScoped.has(f.rule)) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f])
  const key = memoKey(plugin)
  ws.documents.forEach((doc, i) => {
    const cached = doc.memo[key] as CachedFindings | undefined
    if (cached?.key === keys[i]) outcome.findings.push(...cached.findings)
    else if (outcome.failure === undefined) doc.remember(key, { key: keys[i], findings: byFile.get(doc.file) ?? [] } satisfies CachedFindings)
  })
}

interface DeclaredPack {
  plugin: string
  rules: Record<string, Record<string, unknown>>
}

function interpret(
  plugin: InstalledPlugin,
  answer: ChildAnswer,
  context: { ws?: Workspace; reserved: ReadonlySet<string>; policy?: Record<string, PolicySeverity>; mode: 'declare' | 'run' },
): PluginOutcome {
  const run: PluginRun = { name: plugin.name, version: plugin.version, rules: 0, ms: answer.ms, status: 'failed' }
  const fail = (failure: string, findings: Finding[] = [], declared?: PackSource): PluginOutcome => ({ run, failure, findings, declared })
  if (answer.declared === undefined) return fail(answer.failure ?? 'sent no rule declarations')
  const packs = checkDeclaration(answer.declared, context.reserved)
  if (typeof packs === 'string') return fail(packs)
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
    const nameProblem = packNameProblem(p.plugin, reserved)
    if (nameProblem !== undefined) return nameProblem
    const pack = p.plugin as string
    if (!Array.isArray(p.rules)) return "its rule pack has no 'rules'"
    const rules: Record<string, Record<string, unknown>> = {}
    for (const entry of p.rules as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return 'sent a malformed rule declaration'
      const [id, decl] = entry as [string, unknown]
      const shown = cleanText(id, 100)
      if (decl === null || typeof decl !== 'object') return `rule '${shown}' is not an object`
      const outside = namespaceProblem(pack, id)
      if (outside !== undefined) return outside
      const problem = metaProblem(id, decl as RuleDefinition)
      if (problem) return cleanText(problem, 300)
      rules[id] = decl as Record<string, unknown>
    }
    packs.push({ plugin: pack, rules })
  }
  return packs
}

interface Owner {
  pack: string
  meta: ResolvedMeta
}

function checkReports(value: unknown, ws: Workspace, owners: Map<string, Owner>, policy: Record<string, PolicySeverity>): { findings: Finding[]; problem?: string } {
  const findings: Finding[] = []
  if (!Array.isArray(value)) return { findings, problem: 'sent malformed results' }
  if (value.length > MAX_FINDINGS) return { findings, problem: `reported more than ${MAX_FINDINGS} findings` }
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
    const setting = policy[item.rule]
    const made = reportFinding({ id: item.rule, pack: owner.pack, meta: owner.meta, setting: setting === 'off' ? undefined : setting }, doc, item.report)
    if (typeof made === 'string') {
      refuse(`rule '${rule}' ${made}`)
      continue
    }
    if (setting !== 'off') findings.push(made)
  }
  if (problem && bad > 1) problem += ` (and ${bad - 1} more invalid report${bad === 2 ? '' : 's'})`
  return { findings, problem }
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
