/*
 * The child process that runs ONE third-party validation plugin, sealed.
 *
 * The plugin's code never runs in this Node.js process's JavaScript world: it
 * runs in QuickJS compiled to WebAssembly (quickjs-emscripten), a separate
 * JavaScript engine whose only contact with the outside is what this file
 * hands it: the plugin's own module files as source text, the documents as
 * frozen data, the validation date as its clock. There is no `process`,
 * `require` of Node.js modules, file system, network, timer, worker,
 * inspector or environment in there. The engine has a memory limit, a stack
 * limit and an interrupt at the time budget.
 *
 * This process itself runs under Node's permission model (it may read ssmd,
 * the engine and the plugin's package; nothing else, no writes, no child
 * processes, no workers), with an empty environment: a second wall.
 *
 * Protocol: argv[2] is a JSON description of the plugin and its limits; in
 * run mode the input is one JSON line of settings (the checks' budget), the
 * documents as JSON arrays one line each, and one last line with the rest of
 * the input, read through a spool file or stdin (plugin-input.ts); stdout
 * carries one JSON message per line: declared, rule (progress), done or failed. ssmd checks every line (plugins.ts).
 */
import { readFileSync, realpathSync, statSync, writeSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, resolve, sep } from 'node:path'
import * as releaseSync from '@jitl/quickjs-wasmfile-release-sync'
import { newQuickJSWASMModuleFromVariant, newVariant } from 'quickjs-emscripten-core'
import { inputLines, SPOOL_FD } from './plugin-input.js'
import { sealedRunner, type SealedLimits } from './sealed-runner.js'

/** The engine's one build: its package is CommonJS with ESM entry points, so TypeScript's view of the default export is the module itself; at run time, imported as ESM, `default` is the build. */
const RELEASE_SYNC = (releaseSync as unknown as { default: Extract<Parameters<typeof newVariant>[0], { type: 'sync' }> }).default

interface HookRef {
  file: string
  identifier: string
}
export interface HostArgs {
  hooks: HookRef[]
  /** The plugin's package folder. */
  root: string
  mode: 'declare' | 'run'
  budgetMs: number
  memoryMb: number
  limits: SealedLimits
  /** The input's lines are in the file open as SPOOL_FD (see plugin-input.ts). */
  spool?: boolean
}

/** A reason the plugin's code cannot be loaded, worded for the user. */
class SealError extends Error {}

const BUILTINS = new Set(builtinModules)
const isBuiltin = (spec: string) => spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])
const BOOT = 'ssmd:boot'
/** The engine's memory, once made: a failure while it is (nearly) full is the memory limit, whatever the engine says (see memoryFull). */
let engineMemory: { memory: { buffer: ArrayBuffer }; maximum: number } | undefined
const REFUSED = 'ssmd-refused:'

function post(message: Record<string, unknown>): void {
  const line = Buffer.from(JSON.stringify(message) + '\n')
  for (let off = 0; off < line.length;) off += writeSync(1, line, off)
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8'))
    return v !== null && typeof v === 'object' ? v : undefined
  } catch {
    return undefined
  }
}

const inside = (file: string, dir: string) => file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep)

/**
 * Finds the plugin's module files the way Node.js would (relative paths with
 * or without extension, folders, dependencies in node_modules with their
 * `exports`/`main`), but only inside the plugin's installation: its own
 * package and the node_modules folder it was installed into. A link that
 * leads anywhere else, an absolute path or URL, and every Node.js built-in
 * module is refused with a sentence that says so.
 */
export class PluginFiles {
  /** Real folders of the packages loaded so far: a relative import stays in its package. */
  private readonly packages: string[]
  /** Where dependencies are looked up, at most: the folder holding the plugin's node_modules, or the plugin itself. */
  private readonly base: string
  private readonly root: string

  constructor(root: string) {
    this.root = realpathSync(root)
    this.packages = [this.root]
    const parts = this.root.split(sep)
    const nm = parts.lastIndexOf('node_modules')
    this.base = nm > 0 ? parts.slice(0, nm).join(sep) || sep : this.root
  }

  /** How a file is shown in messages: relative to the plugin's package. */
  shown(file: string): string {
    return inside(file, this.root) ? file.slice(this.root.length + 1) : file
  }

  private packageOf(file: string): string {
    let best = ''
    for (const p of this.packages) if (inside(file, p) && p.length > best.length) best = p
    return best
  }

  /** A hook file named by the plugin's package.json. */
  entry(file: string): string {
    const real = this.real(file, this.root, `its hook file ${this.shown(file)}`)
    if (!isFile(real)) throw new SealError(`its hook file ${this.shown(file)} does not exist`)
    return real
  }

  private real(file: string, pkg: string, what: string): string {
    let real: string
    try {
      real = realpathSync(file)
    } catch {
      throw new SealError(`${what}, which does not exist`)
    }
    if (!inside(real, pkg)) throw new SealError(`${what}, which leads outside its package (through a link); a plugin may load only its own files and its dependencies`)
    return real
  }

  resolve(from: string, spec: string, conditions: readonly string[]): string {
    const what = `${this.shown(from)} imports '${spec}'`
    if (isBuiltin(spec))
      throw new SealError(
        `${what}, a Node.js built-in module; validation plugins run sealed, without file system, network, processes, workers, inspector or environment: check the data ssmd hands over instead`,
      )
    if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
      const pkg = this.packageOf(from)
      const found = withExtensions(resolve(dirname(from), spec))
      if (!found) throw new SealError(`${what}, which does not exist`)
      return this.real(found, pkg, what)
    }
    if (spec === '' || spec.startsWith('/') || spec.startsWith('\\') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(spec))
      throw new SealError(`${what}; a plugin imports its own files by relative path ('./rules.js') and its dependencies by package name`)
    const segments = spec.split('/')
    const name = spec.startsWith('@') ? segments.slice(0, 2).join('/') : segments[0]
    const sub = spec.slice(name.length)
    for (let dir = dirname(from); inside(dir, this.base); dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name)
      if (!isFile(join(candidate, 'package.json'))) {
        if (dir === this.base || dirname(dir) === dir) break
        continue
      }
      const pkg = this.real(candidate, this.base, what)
      if (!this.packages.includes(pkg)) this.packages.push(pkg)
      const target = packageTarget(pkg, sub, conditions)
      if (!target) throw new SealError(`${what}, which its package does not provide`)
      return this.real(target, pkg, what)
    }
    throw new SealError(`${what}, which is not installed with the plugin (a dependency must be in the plugin's package.json)`)
  }

  kind(file: string): 'esm' | 'cjs' | 'json' {
    if (file.endsWith('.mjs')) return 'esm'
    if (file.endsWith('.cjs')) return 'cjs'
    if (file.endsWith('.json')) return 'json'
    const pkg = this.packageOf(file) || this.root
    for (let dir = dirname(file); inside(dir, pkg); dir = dirname(dir)) {
      const json = readJson(join(dir, 'package.json'))
      if (json) return json.type === 'module' ? 'esm' : 'cjs'
      if (dir === pkg) break
    }
    return 'cjs'
  }
}

function withExtensions(base: string): string | undefined {
  for (const c of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, `${base}.json`]) if (isFile(c)) return c
  const pkg = readJson(join(base, 'package.json'))
  if (pkg && typeof pkg.main === 'string') {
    const main = withExtensions(resolve(base, pkg.main))
    if (main) return main
  }
  for (const c of ['index.js', 'index.mjs', 'index.cjs', 'index.json']) if (isFile(join(base, c))) return join(base, c)
  return undefined
}

/** A package's file for `sub` ('' or '/x'): its `exports` map when it has one, else the file or `main`. */
function packageTarget(pkg: string, sub: string, conditions: readonly string[]): string | undefined {
  const json = readJson(join(pkg, 'package.json')) ?? {}
  const exportsField = json.exports
  if (exportsField !== undefined && exportsField !== null) {
    const key = `.${sub}`
    let entry: unknown
    if (typeof exportsField === 'string' || Array.isArray(exportsField)) entry = key === '.' ? exportsField : undefined
    else if (Object.keys(exportsField).some(k => k.startsWith('.'))) entry = (exportsField as Record<string, unknown>)[key]
    else entry = key === '.' ? exportsField : undefined
    const target = pick(entry, conditions)
    return target && target.startsWith('./') ? withExtensions(resolve(pkg, target)) : undefined
  }
  if (sub) return withExtensions(join(pkg, sub))
  return withExtensions(pkg)
}

function pick(entry: unknown, conditions: readonly string[]): string | undefined {
  if (typeof entry === 'string') return entry
  if (Array.isArray(entry)) {
    for (const e of entry) {
      const t = pick(e, conditions)
      if (t) return t
    }
    return undefined
  }
  if (entry === null || typeof entry !== 'object') return undefined
  for (const [condition, value] of Object.entries(entry)) {
    if (conditions.includes(condition)) {
      const t = pick(value, conditions)
      if (t) return t
    }
  }
  return undefined
}

const ESM_CONDITIONS = ['import', 'module', 'default']
const CJS_CONDITIONS = ['require', 'default']

async function main(): Promise<void> {
  const started = performance.now()
  const args = JSON.parse(process.argv[2] ?? '{}') as HostArgs
  // The budget counts the plugin's own code: loading its hook, then (afresh) running its checks.
  let deadline = Infinity
  let stage = 'while loading its validate hook'
  let budgetMs = args.budgetMs
  const fail = (message: string) => post({ t: 'failed', message })

  const files = new PluginFiles(args.root)
  const hookFiles: string[] = []
  try {
    for (const h of args.hooks) hookFiles.push(files.entry(h.file))
  } catch (error) {
    return fail(error instanceof SealError ? error.message : String(error))
  }

  // The engine: loaded from ssmd's own dependency, the same build for every plugin.
  // Its memory is one WebAssembly memory that cannot grow past the limit (64 KiB pages): an allocation
  // beyond it is the engine's "out of memory" error. (The engine's own malloc limit cannot measure
  // allocations in this build, so it is not relied on.)
  const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => object } }).WebAssembly
  const pages = Math.max(256, args.memoryMb * 16)
  const wasmMemory = new Memory({ initial: 256, maximum: pages }) as { buffer: ArrayBuffer }
  engineMemory = { memory: wasmMemory, maximum: pages * 65536 }
  const engine = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: wasmMemory as Parameters<typeof newVariant>[1]['wasmMemory'] }))
  const rt = engine.newRuntime()
  // Deep recursion ends as the engine's "stack overflow" error, well before this process's own stack.
  rt.setMaxStackSize(256 * 1024)
  let interrupted = false
  rt.setInterruptHandler(() => (interrupted ||= performance.now() > deadline))

  const refused: string[] = []
  const commonJs = new Set<string>()
  rt.setModuleLoader(
    name => {
      if (name.startsWith(REFUSED)) return { error: new Error(refused[Number(name.slice(REFUSED.length))] ?? 'refused') }
      try {
        const kind = files.kind(name)
        const text = readFileSync(name, 'utf8')
        if (kind === 'esm') return text
        if (kind === 'json') return `export default ${JSON.stringify(JSON.parse(text))}`
        commonJs.add(name)
        return `export default globalThis.__ssmdCommonJs(${JSON.stringify(name)})`
      } catch (error) {
        return { error: new Error(`${files.shown(name)} could not be read: ${(error as Error).message}`) }
      }
    },
    (base, requested) => {
      try {
        if (base === BOOT || base === '') {
          if (!hookFiles.includes(requested)) throw new SealError(`'${requested}' is not one of its hook files`)
          return requested
        }
        return files.resolve(base, requested, ESM_CONDITIONS)
      } catch (error) {
        refused.push(error instanceof SealError ? error.message : String(error))
        return `${REFUSED}${refused.length - 1}`
      }
    },
  )

  const vm = rt.newContext()
  type Handle = ReturnType<typeof vm.newObject>
  const hostObject = vm.newObject()
  const stageFn = vm.newFunction('stage', h => {
    const id = vm.getString(h).slice(0, 200)
    stage = `in rule '${id}'`
    post({ t: 'rule', id })
  })
  const requireFn = vm.newFunction('require', (fromH, specH) => {
    const from = vm.getString(fromH)
    const spec = vm.getString(specH)
    try {
      const path = from === spec && commonJs.has(spec) ? spec : files.resolve(from, spec, CJS_CONDITIONS)
      const kind = files.kind(path)
      const out = vm.newArray()
      for (const [i, v] of [path, kind, readFileSync(path, 'utf8')].entries()) vm.setProp(out, i, vm.newString(v))
      return out
    } catch (error) {
      return { error: vm.newError(error instanceof SealError ? error.message : String(error)) }
    }
  })
  vm.setProp(hostObject, 'stage', stageFn)
  vm.setProp(hostObject, 'require', requireFn)

  /** The engine's error as one line. */
  const describe = (h: Handle): string => {
    const e = vm.dump(h) as { name?: unknown; message?: unknown; stack?: unknown } | unknown
    h.dispose()
    if (e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      const { name, message, stack } = e as { name?: unknown; message: string; stack?: unknown }
      const where = typeof stack === 'string' ? /\(([^)]*:\d+:\d+)\)/.exec(stack)?.[1] : undefined
      const at = where && !where.startsWith('<') ? ` (${files.shown(where)})` : ''
      return `${name === 'Error' || typeof name !== 'string' ? '' : `${name}: `}${message}${at}`
    }
    return String(e)
  }
  /** Why the engine stopped, when it was one of its limits. */
  const limitHit = (text: string): string | undefined => {
    if (interrupted || /^InternalError: interrupted/.test(text)) return `exceeded its time budget of ${budgetMs} ms (${stage}); it was stopped`
    if (/^InternalError: out of memory/.test(text) || memoryFull()) return memoryMessage(args.memoryMb, stage)
    return undefined
  }
  /** Runs the engine's jobs until the promise settles: its string value, or why not. */
  const settle = (promise: Handle): { value: string } | { error: string } => {
    for (;;) {
      const jobs = rt.executePendingJobs(-1)
      if (jobs.error) {
        const text = describe(jobs.error)
        const limit = limitHit(text)
        if (limit) return { error: limit }
      }
      const state = vm.getPromiseState(promise)
      if (state.type === 'pending') {
        if (rt.hasPendingJob()) continue
        return { error: `${stage === 'while loading its validate hook' ? 'its validate hook' : `a check ${stage}`} never settles (it awaits a promise nothing can resolve)` }
      }
      if (state.type === 'rejected') {
        const text = describe(state.error)
        return { error: limitHit(text) ?? `its rules could not be run: ${text}` }
      }
      const value = state.value
      if (vm.typeof(value) !== 'string') {
        value.dispose()
        return { error: 'its rules could not be run' }
      }
      const length = vm.getNumber(vm.getProp(value, 'length'))
      if (length > 256 * 1024 * 1024) return { error: `its answer has ${length} characters` }
      const text = vm.getString(value)
      value.dispose()
      return { value: text }
    }
  }

  // ssmd's runner first: it fixes the clock and freezes the built-ins before any plugin code runs.
  const limits = vm.unwrapResult(vm.evalCode(`(${JSON.stringify(args.limits)})`))
  const factory = vm.unwrapResult(vm.evalCode(`(${sealedRunner.toString()})`, 'ssmd:runner'))
  const runner = vm.unwrapResult(vm.callFunction(factory, vm.undefined, hostObject, limits))

  const boot = hookFiles.map((f, i) => `import * as m${i} from ${JSON.stringify(f)}`).join('\n') + `\nexport const modules = [${hookFiles.map((_, i) => `m${i}`).join(', ')}]`
  deadline = performance.now() + budgetMs
  const loaded = vm.evalCode(boot, BOOT, { type: 'module' })
  if (loaded.error) {
    const text = describe(loaded.error)
    return fail(limitHit(text) ?? `its code could not be loaded: ${text}`)
  }
  // A module with top-level await evaluates to a promise of its namespace.
  let namespace = loaded.value
  if (vm.typeof(namespace) === 'object' && vm.getPromiseState(namespace).type !== 'fulfilled') {
    rt.executePendingJobs(-1)
    const state = vm.getPromiseState(namespace)
    if (state.type === 'rejected') return fail(limitHit(describe(state.error)) ?? 'its code could not be loaded')
    if (state.type === 'fulfilled') namespace = state.value
  }
  const modules = vm.getProp(namespace, 'modules')
  const identifiers = vm.unwrapResult(vm.evalCode(`(${JSON.stringify(args.hooks.map(h => h.identifier || 'default'))})`))
  const declareFn = vm.getProp(runner, 'declare')
  const declaredCall = vm.callFunction(declareFn, runner, modules, identifiers)
  if (declaredCall.error) return fail(describe(declaredCall.error))
  const declared = settle(declaredCall.value)
  if ('error' in declared) return fail(declared.error)
  const answer = JSON.parse(declared.value) as { packs?: unknown; failed?: string }
  if (typeof answer.failed === 'string') return fail(answer.failed)
  const loadMs = performance.now() - started
  post({ t: 'declared', packs: answer.packs })
  if (args.mode === 'declare') return

  stage = 'before its first rule'
  deadline = Infinity
  // The input: one line of settings, then the documents in parts (JSON arrays, taken in while ssmd still reads the
  // repository), then one line with the rest of the input. Taking documents in runs no plugin code (the runner's
  // JSON.parse and freeze were captured, and the built-ins frozen, before the plugin was loaded).
  const addFn = vm.getProp(runner, 'add')
  let header: { budgetMs?: unknown } | undefined
  let payload = ''
  for await (const line of inputLines(process.stdin, args.spool ? SPOOL_FD : undefined)) {
    if (header === undefined) {
      header = JSON.parse(line) as { budgetMs?: unknown }
      continue
    }
    if (!line.startsWith('[')) {
      payload = line
      continue
    }
    stage = 'while reading the documents'
    let added: ReturnType<typeof vm.callFunction>
    try {
      const part = vm.newString(line)
      added = vm.callFunction(addFn, runner, part)
      part.dispose()
    } catch (error) {
      // The engine's allocator failed outside its own code (copying the part in): at the limit, that is the limit.
      if (memoryFull()) return fail(memoryMessage(args.memoryMb, stage))
      throw error
    }
    if (added.error) {
      const text = describe(added.error)
      return fail(limitHit(text) ?? `its documents could not be read: ${text}`)
    }
    added.value.dispose()
  }
  // ssmd sets the budget of the checks once it knows the number of documents.
  if (typeof header?.budgetMs === 'number' && header.budgetMs > 0) budgetMs = header.budgetMs
  stage = 'before its first rule'
  const runStarted = performance.now()
  deadline = runStarted + budgetMs
  const runFn = vm.getProp(runner, 'run')
  const runCall = vm.callFunction(runFn, runner, vm.newString(payload))
  if (runCall.error) {
    const text = describe(runCall.error)
    return fail(limitHit(text) ?? `its rules could not be run: ${text}`)
  }
  const result = settle(runCall.value)
  if ('error' in result) return fail(result.error)
  const done = JSON.parse(result.value) as { reports?: unknown; errors?: unknown; failed?: unknown }
  if (typeof done.failed === 'string') return fail(done.failed)
  // A second wall for memory: the engine's limit plus this process's own share.
  const rssMb = process.memoryUsage.rss() / (1024 * 1024)
  if (rssMb > 2 * args.memoryMb + 512) return fail(`used ${Math.round(rssMb)} MB of memory; the limit is ${args.memoryMb} MB`)
  post({ t: 'done', reports: done.reports, errors: done.errors, timing: { load: loadMs, run: performance.now() - runStarted } })
}

/**
 * True when the engine's memory has grown to (nearly) its maximum: an
 * allocation the limit refused can then surface as anything (the engine's
 * "out of memory", a `null` exception when even that error could not be made,
 * or a WebAssembly memory fault in the glue code copying data in).
 */
function memoryFull(): boolean {
  return engineMemory !== undefined && engineMemory.memory.buffer.byteLength >= engineMemory.maximum * 0.875
}

const memoryMessage = (mb: number, stage: string) => `exceeded its memory limit of ${mb} MB (${stage}); it was stopped`

main()
  .catch(error => {
    const memoryMb = engineMemory === undefined ? 0 : Math.round(engineMemory.maximum / 1048576)
    if (memoryFull()) return post({ t: 'failed', message: memoryMessage(memoryMb, 'while the engine held its data') })
    post({ t: 'failed', message: `ssmd's plugin host failed: ${error instanceof Error ? error.message : String(error)}` })
  })
  .finally(() => process.exit(0))
