/*
 * Third-party rule packs, run sealed outside ssmd's process: this file owns
 * starting each plugin's process, feeding it the documents and waiting for its
 * answer within the budget (PluginSession). What the answers may contain is
 * checked in plugin-answers.ts; what is kept of them between runs is
 * plugin-results.ts; the process's own side is plugin-host.ts.
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
import { closeSync, existsSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import type { HostArgs } from './plugin-host.js'
import { InputWriter, openSpool } from './plugin-input.js'
import type { SsmdDocument } from '../workspace/document.js'
import type { Workspace } from '../workspace/workspace.js'
import type { PolicySeverity } from './engine.js'
import { NUMERIC_ENV, numericEnv } from '../core/numbers.js'
import { cleanText, MAX_FINDINGS, MAX_REPORT_CHARS } from './report.js'
import { AnswerLines, interpret, type ChildAnswer, type PluginOutcome } from './plugin-answers.js'
import {
  cacheKeys,
  documentsDigest,
  identityOf,
  memoKey,
  resultKey,
  storedResult,
  validationDate,
  withCache,
  type CachedFindings,
  type PluginResults,
  type RuleOptionValues,
  type StoredResult,
} from './plugin-results.js'
/** A plugin as oclif lists it: package name, folder, and its `validate` hook entries. */
import type { InstalledPlugin } from './installed-plugin.js'
export type { InstalledPlugin }
export { pluginFailedFinding, type PluginOutcome, type PluginRun } from './plugin-answers.js'
export { validationDate, type PluginResults, type RuleOptionValues } from './plugin-results.js'

export const DEFAULT_PLUGIN_BUDGET_MS = NUMERIC_ENV.SSMD_PLUGIN_TIMEOUT_MS.fallback
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

export interface PluginSessionOptions {
  /** The repository root; undefined when only declarations are wanted outside a repository. */
  root?: string
  budgetMs?: number
  /** 'declare' loads each plugin's hook and returns its declarations; 'run' also runs its checks. */
  mode: 'declare' | 'run'
  /** Keep and reuse each installed plugin's whole result (see send); without it, every plugin runs. */
  results?: PluginResults
}

/** What a plugin's input holds besides the documents. */
export interface SendExtra {
  off: string[]
  installedPlugins: string[]
  now?: number
  options?: RuleOptionValues
  policy?: Record<string, PolicySeverity>
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
    // The documents go through a spool file (plugin-input.ts); only a run takes them.
    const spool = this.options.mode === 'run' ? openSpool() : undefined
    const input = new InputWriter(spool?.write)
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
      input.close()
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
    const args: HostArgs = {
      hooks,
      root: plugin.root,
      mode: this.options.mode,
      budgetMs: this.budget,
      memoryMb,
      limits: { maxFindings: MAX_FINDINGS, maxChars: MAX_REPORT_CHARS },
      spool: spool !== undefined,
    }
    try {
      child = spawn(process.execPath, [...execArgv, host, JSON.stringify(args)], {
        env: {},
        cwd: realOrSelf(plugin.root),
        stdio: ['pipe', 'pipe', 'pipe', spool?.read ?? 'ignore'],
      })
    } catch (error) {
      if (spool) closeSync(spool.read)
      finish({ failure: `could not be started: ${(error as Error).message}` })
      return { plugin, answer, write: () => {}, start: async () => {} }
    }
    // The process has its own copy of the read end.
    if (spool) closeSync(spool.read)
    input.connect(child.stdin!)
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
    /** One line of its input: the settings, then the documents in parts (see send). */
    const write = (line: string) => {
      if (!settled && child?.stdin?.writable) input.line(line)
    }
    /** The last line (the rest of the input): the plugin's checks start, and its budget with them. */
    const start = (payload: string) =>
      new Promise<void>(resolve => {
        if (settled || !child?.stdin) return resolve()
        void answer.then(() => resolve())
        input.end(payload, () => {
          sent = true
          if (declared !== undefined) arm(this.budget + ANSWER_SLACK_MS)
          resolve()
        })
      })
    return { plugin, child, answer, write, start }
  }

  /**
   * Hands every plugin a fresh copy of the documents (plain data: kind, name,
   * file, parsed YAML), serialized once, and the validation date as its clock,
   * all at once. The validation pipeline uses `open` instead, to hand each
   * document over while its data is at hand.
   */
  async send(ws: Workspace, extra: SendExtra): Promise<void> {
    const intake = this.open(ws, extra)
    for (let i = 0; i < ws.documents.length; i++) {
      intake.add(ws.documents[i])
      // Through the pipe (no spool file), a part waits for ssmd's event loop.
      if (i % DOCUMENTS_PER_PART === DOCUMENTS_PER_PART - 1) await new Promise(resolve => setImmediate(resolve))
    }
    await intake.close()
  }

  /**
   * Starts handing the documents over: the plugins take each one, in the
   * workspace's order, from `add` while ssmd still checks the others (their
   * processes read them from a spool file, see plugin-input.ts), and start
   * their checks as soon as they have the last one.
   *
   * A plugin whose result the cache holds for the same documents, options,
   * rule settings and date (and the same installation) does not run: sealed
   * code given the same inputs answers the same (see resultKey). When no
   * plugin runs, `add` reads nothing.
   */
  open(ws: Workspace, extra: SendExtra): DocumentIntake {
    const options = extra.options ?? { base: {}, byFile: {} }
    const now = extra.now ?? validationDate()
    const policy = extra.policy ?? {}
    // Sorted: oclif loads plugins concurrently, and the order it lists them in is not the plugin's input.
    const installedPlugins = [...extra.installedPlugins].sort()
    if (this.options.budgetMs === undefined) this.budget = pluginBudgetMs(ws.documents.length)
    this.sent = ws
    const results = this.options.mode === 'run' ? this.options.results : undefined
    const documentsKey = results === undefined || this.children.length === 0 ? undefined : documentsDigest(ws, results)
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
    // First the checks' budget (it grows with the number of documents), then the documents in parts.
    for (const c of live) c.write(JSON.stringify({ budgetMs: this.budget }))
    const payload = JSON.stringify({ root: ws.root, off: extra.off, installedPlugins, now, options })
    /** The rest of the input, once every document is handed over: each plugin's adds the indexes its cached findings cover. */
    const finalLines = () => {
      this.cacheKeys = this.children.map(c => (c.stored === undefined ? cacheKeys(c.plugin, ws, options, policy) : undefined))
      return this.children.map((_, i) => {
        const keys = this.cacheKeys[i]
        if (keys === undefined) return payload
        const skip: number[] = []
        ws.documents.forEach((d, j) => {
          if ((d.memo[memoKey(this.children[i].plugin)] as CachedFindings | undefined)?.key === keys[j]) skip.push(j)
        })
        return `${payload.slice(0, -1)},"skip":${JSON.stringify(skip)}}`
      })
    }
    return new DocumentIntake(ws.documents, live, () => {
      const lines = finalLines()
      return this.children.map((c, i) => (c.stored === undefined ? c.start(lines[i]) : undefined))
    })
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

/**
 * The documents on their way to the plugins that run: `add` takes them in the
 * workspace's order (any other document is left to `close`), serializes each
 * once for every plugin, and writes a part of DOCUMENTS_PER_PART. After the
 * last one the rest of the input goes out, and the plugins' checks start.
 */
export class DocumentIntake {
  private next = 0
  private part: string[] = []
  private starting?: Array<Promise<void> | undefined>

  constructor(
    private readonly documents: readonly SsmdDocument[],
    private readonly live: readonly Child[],
    private readonly finish: () => Array<Promise<void> | undefined>,
  ) {}

  add(doc: SsmdDocument): void {
    if (this.live.length === 0 || this.starting !== undefined || doc !== this.documents[this.next]) return
    this.part.push(JSON.stringify({ kind: doc.kind, name: doc.name, file: doc.file, data: doc.data }))
    this.next++
    if (this.part.length === DOCUMENTS_PER_PART || this.next === this.documents.length) this.flush()
    if (this.next === this.documents.length) this.starting = this.finish()
  }

  /** Hands over what `add` was not given and waits (at most a second) until the plugins have it all. */
  async close(): Promise<void> {
    if (this.live.length === 0) return
    while (this.next < this.documents.length) this.add(this.documents[this.next])
    // (No documents at all: the rest of the input goes out now.)
    this.starting ??= this.finish()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(this.starting), new Promise<void>(resolve => (timer = setTimeout(resolve, 1000)))])
    clearTimeout(timer)
  }

  private flush(): void {
    if (this.part.length === 0) return
    const text = `[${this.part.join(',')}]`
    this.part = []
    for (const c of this.live) c.write(text)
  }
}
