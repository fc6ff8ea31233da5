/*
 * The part of ssmd that runs INSIDE the sealed JavaScript engine, next to a
 * plugin's code (see plugin-host.ts). Its source text is handed to the engine
 * with Function.prototype.toString, so `sealedRunner` must stay
 * self-contained: no imports, no reference to anything outside its own body.
 *
 * It runs before any plugin code: it fixes the clock, freezes every built-in
 * object (a plugin cannot patch Array.prototype.filter or JSON for the
 * runner or for itself), loads the rule packs, runs their checks over the
 * documents (deep-frozen plain data) and answers with one JSON string. The
 * host and ssmd still check every field of that answer: nothing here is
 * trusted, it only keeps honest answers small and well-formed.
 */

/** What the host grants the runner (and only the runner: plugin code never sees it). */
export interface SealedHost {
  /** The rule now running, for time-budget messages. */
  stage(id: string): void
  /** A CommonJS `require` from a file of the plugin: [resolved path, kind, source], or throws why not. */
  require(from: string, specifier: string): [string, 'cjs' | 'json' | 'esm', string]
}

export interface SealedLimits {
  /** The most findings one plugin may report. */
  maxFindings: number
  /** The longest string a report may carry (message, data values). */
  maxChars: number
}

export interface SealedRunner {
  declare(modules: unknown[], identifiers: string[]): Promise<string>
  /** Takes one part of the documents (a JSON array), parsed and frozen now: ssmd sends them while it still reads the rest. */
  add(part: string): void
  /** Runs the checks over the documents added so far; `payload` (JSON) holds the rest of the input. */
  run(payload: string): Promise<string>
}

/* eslint-disable @typescript-eslint/no-explicit-any -- this code sees only untrusted values */
export function sealedRunner(host: SealedHost, limits: SealedLimits): SealedRunner {
  const g = globalThis as any
  const O = Object
  const freeze = O.freeze
  const ownKeys = O.keys
  const reflectKeys = Reflect.ownKeys
  const describeProp = O.getOwnPropertyDescriptor
  const defineProp = O.defineProperty
  const protoOf = O.getPrototypeOf
  const isArray = Array.isArray
  const parse = JSON.parse
  const stringify = JSON.stringify
  const apply = Reflect.apply
  const RealDate = Date
  const RealError = Error
  const indirectEval = g.eval

  // The clock: the moment validation started, the same for every rule and every call.
  let now = 0
  const SealedDate = function (this: unknown, ...args: unknown[]) {
    if (new.target === undefined) return new RealDate(now).toString()
    return args.length === 0 ? new RealDate(now) : new (RealDate as any)(...args)
  } as any
  SealedDate.prototype = RealDate.prototype
  SealedDate.now = () => now
  SealedDate.parse = RealDate.parse
  SealedDate.UTC = RealDate.UTC
  defineProp(RealDate.prototype, 'constructor', { value: SealedDate, writable: true, configurable: true })
  g.Date = SealedDate

  // CommonJS modules of the plugin, loaded from source through the host.
  const cjsCache = new Map<string, { exports: unknown }>()
  function loadCommonJs(path: string, kind: string, source: string): unknown {
    const cached = cjsCache.get(path)
    if (cached) return cached.exports
    if (kind === 'esm') throw new RealError(`require() of the ES module ${path}; use import`)
    const module = { exports: {} as unknown }
    cjsCache.set(path, module)
    if (kind === 'json') {
      module.exports = parse(source)
      return module.exports
    }
    const dir = path.slice(0, path.lastIndexOf('/')) || '/'
    const require = (specifier: string) => {
      const [resolved, k, text] = host.require(path, String(specifier))
      return loadCommonJs(resolved, k, text)
    }
    const fn = indirectEval(`(function (exports, require, module, __filename, __dirname) {${source}\n})`)
    apply(fn, module.exports, [module.exports, require, module, path, dir])
    return module.exports
  }
  // How ES module wrappers of CommonJS files reach the loader (see plugin-host.ts); loads only the plugin's own files.
  defineProp(g, '__ssmdCommonJs', {
    value: freeze((path: string) => {
      const [resolved, kind, text] = host.require(path, path)
      return loadCommonJs(resolved, kind, text)
    }),
  })

  // "Override mistake" taming (as SES does): with frozen prototypes, `C.prototype.toString = …` would throw;
  // these stay assignable on objects that inherit them, never on the prototype itself.
  const tame = (proto: any, name: string) => {
    const d = describeProp(proto, name)
    if (!d || !('value' in d)) return
    const value = d.value
    defineProp(proto, name, {
      get: () => value,
      set(this: unknown, v: unknown) {
        if (this === proto) throw new TypeError(`Cannot assign to read only property '${name}'`)
        defineProp(this, name, { value: v, writable: true, enumerable: true, configurable: true })
      },
      enumerable: d.enumerable,
      configurable: false,
    })
  }
  for (const name of ['constructor', 'toString', 'valueOf', 'toLocaleString', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable']) tame(O.prototype, name)
  for (const name of ['constructor', 'name', 'message', 'toString']) tame(RealError.prototype, name)
  for (const name of ['constructor', 'toString']) tame(Function.prototype, name)

  // Freeze every built-in reachable from the global object; globals stay, non-writable.
  const deepFreeze = (root: unknown) => {
    const stack: unknown[] = [root]
    while (stack.length > 0) {
      const o = stack.pop()
      if (o === null || (typeof o !== 'object' && typeof o !== 'function') || O.isFrozen(o)) continue
      freeze(o)
      const keys = reflectKeys(o as object)
      for (let i = 0; i < keys.length; i++) {
        const d = describeProp(o, keys[i])
        if (!d) continue
        if ('value' in d) stack.push(d.value)
        else stack.push(d.get, d.set)
      }
      stack.push(protoOf(o))
    }
  }
  for (const key of reflectKeys(g)) {
    const d = describeProp(g, key)!
    if (key === 'globalThis') continue
    if ('value' in d) deepFreeze(d.value)
    if (d.configurable) defineProp(g, key, { ...d, ...('value' in d ? { writable: false } : {}), configurable: false })
  }
  deepFreeze(protoOf(g))

  /**
   * Freezes data made by JSON.parse (the documents, the options): only plain
   * objects and arrays whose prototypes are frozen already, only own
   * enumerable data properties. Walking it by keys is many times cheaper than
   * reading every property's descriptor as deepFreeze must for built-ins.
   * A '__proto__' key is an own property there, read by its descriptor (a
   * plain `o[key]` would return the prototype). Iterative: deep data cannot
   * overflow the stack.
   */
  const freezeData = (root: unknown) => {
    const stack: unknown[] = [root]
    while (stack.length > 0) {
      // A tree (JSON has no shared or cyclic values): every object is met once.
      const o = stack.pop() as any
      if (o === null || typeof o !== 'object') continue
      freeze(o)
      if (isArray(o)) {
        for (let i = 0; i < o.length; i++) {
          const v = o[i]
          if (v !== null && typeof v === 'object') stack.push(v)
        }
        continue
      }
      const keys = ownKeys(o)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]
        const v = k === '__proto__' ? describeProp(o, k)?.value : o[k]
        if (v !== null && typeof v === 'object') stack.push(v)
      }
    }
  }

  /**
   * The documents, parsed and frozen in one pass: the engine's JSON.parse
   * calls this for every value, children before their parent, from its own C
   * walk of the data it just made. Cheaper than walking the parsed data again
   * (freezeData) in interpreted code: a third of the time freezing took at
   * N = 5,000. Every object and array is frozen; the root last.
   */
  const frozenValue = (_key: string, value: unknown) => (value !== null && typeof value === 'object' ? freeze(value) : value)

  const describe = (error: unknown): string => {
    try {
      if (error !== null && typeof error === 'object' && typeof (error as any).message === 'string') {
        const name = String((error as any).name ?? 'Error')
        return `${name === 'Error' ? '' : `${name}: `}${(error as any).message}`
      }
      return String(error)
    } catch {
      return 'an error that cannot be described'
    }
  }
  /** The engine's own stops (memory limit, time budget): they end the run, whatever a check does with them. */
  const fatal = (error: unknown) => {
    try {
      return error !== null && typeof error === 'object' && (error as any).name === 'InternalError' && ['out of memory', 'interrupted'].includes((error as any).message)
    } catch {
      return false
    }
  }
  class Abort extends RealError {}

  let packs: any[] = []

  /** Calls a hook and returns its rule packs; the host's promise settles, or stays pending for ever. */
  async function declare(modules: unknown[], identifiers: string[]): Promise<string> {
    try {
      packs = []
      for (let i = 0; i < modules.length; i++) {
        const mod = modules[i] as any
        let fn = mod[identifiers[i]]
        if (typeof fn !== 'function' && identifiers[i] === 'default') {
          const d = mod.default
          fn = d && typeof d === 'object' && typeof d.default === 'function' ? d.default : O.values(mod).find(v => typeof v === 'function')
        }
        if (typeof fn !== 'function') return stringify({ failed: `its hook file exports no '${identifiers[i]}' function` })
        const context = freeze({
          debug() {},
          log() {},
          warn() {},
          error(m: unknown) {
            throw new RealError(String(m))
          },
          exit() {
            throw new RealError('called this.exit()')
          },
        })
        let pack: unknown
        try {
          pack = await apply(fn, context, [freeze({ config: undefined, context })])
        } catch (error) {
          return stringify({ failed: `its validate hook threw: ${describe(error)}` })
        }
        if (pack === null || typeof pack !== 'object')
          return stringify({ failed: `its validate hook returned ${pack === undefined ? 'nothing' : pack === null ? 'null' : typeof pack} instead of a rule pack` })
        packs.push(pack)
      }
      const out: unknown[] = []
      for (const pack of packs) {
        const rules = pack.rules
        const entries: unknown[] = []
        if (rules !== null && typeof rules === 'object') {
          for (const id of ownKeys(rules)) {
            const rule = rules[id]
            if (rule === null || typeof rule !== 'object') {
              entries.push([id, typeof rule])
              continue
            }
            const decl: Record<string, unknown> = {}
            for (const key of ownKeys(rule)) if (typeof rule[key] !== 'function') decl[key] = rule[key]
            entries.push([id, decl])
          }
        }
        out.push({ plugin: pack.plugin, rules: entries })
      }
      return stringify({ packs: out })
    } catch (error) {
      return stringify({ failed: `its rule pack could not be read: ${describe(error)}` })
    }
  }

  const REPORT_FIELDS = ['message', 'messageId', 'path', 'at', 'file', 'line', 'column', 'severity']
  const CHECKS = ['document', 'feed', 'schema', 'environment', 'repository']

  /** The fields ssmd reads from a report, as plain values; or why the report is refused (before any work on its strings). */
  function copyReport(report: any): Record<string, unknown> | string {
    if (report === null || typeof report !== 'object') return `reported ${report === null ? 'null' : typeof report} instead of { message, path }`
    const out: Record<string, unknown> = {}
    for (const key of REPORT_FIELDS) {
      const value = report[key]
      if (value === undefined) continue
      if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        return `reported a '${key}' that is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`
      if (typeof value === 'string' && value.length > limits.maxChars) return `reported a '${key}' of ${value.length} characters; the limit is ${limits.maxChars}`
      out[key] = value
    }
    const data = report.data
    if (data !== undefined) {
      if (data === null || typeof data !== 'object' || isArray(data)) return 'reported data that is not an object of strings, numbers and booleans'
      const copy: Record<string, unknown> = {}
      const keys = ownKeys(data)
      if (keys.length > 100) return `reported data with ${keys.length} values; the limit is 100`
      for (const key of keys) {
        const value = data[key]
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return `reported data.${key.slice(0, 60)} that is not a string, number or boolean`
        if (typeof value === 'string' && value.length > limits.maxChars) return `reported data.${key.slice(0, 60)} of ${value.length} characters; the limit is ${limits.maxChars}`
        copy[key] = value
      }
      out.data = copy
    }
    return out
  }

  const documents: any[] = []
  function add(part: string): void {
    const list = parse(part, frozenValue)
    if (!isArray(list)) throw new RealError('malformed documents')
    for (let i = 0; i < list.length; i++) documents.push(list[i])
  }

  async function run(payload: string): Promise<string> {
    const input = parse(payload)
    now = input.now
    freeze(documents)
    const indexOf = new Map<unknown, number>()
    const byKind: Record<string, any[]> = { feed: [], schema: [], environment: [], policy: [] }
    for (let i = 0; i < documents.length; i++) {
      indexOf.set(documents[i], i)
      byKind[documents[i].kind]?.push(documents[i])
    }
    const indexes = new Map<string, Map<string, unknown>>()
    const workspace = freeze({
      root: input.root,
      feeds: freeze(byKind.feed),
      schemas: freeze(byKind.schema),
      environments: freeze(byKind.environment),
      policy: byKind.policy[0],
      documents: freeze(documents),
      find(kind: string, name: string) {
        let index = indexes.get(kind)
        if (index === undefined) {
          index = new Map()
          const list = byKind[kind] ?? []
          for (let i = 0; i < list.length; i++) if (!index.has(list[i].name)) index.set(list[i].name, list[i])
          indexes.set(kind, index)
        }
        return index.get(name)
      },
    })
    const installedPlugins = freeze([...input.installedPlugins])
    const off = new Set(input.off)
    // Indexes of the documents whose findings of file-scoped rules ssmd has cached: those rules skip them.
    const skip = new Set(isArray(input.skip) ? input.skip : [])
    // Each rule's options from ssmd.yaml: the base value, and by file where an override gives another.
    const options = input.options ?? { base: {}, byFile: {} }
    freezeData(options)
    const has = (o: unknown, key: string) => o !== null && typeof o === 'object' && describeProp(o, key) !== undefined
    const optionsFor = (id: string, doc: any): unknown => {
      const byFile = has(options.byFile, id) ? options.byFile[id] : undefined
      if (doc && has(byFile, doc.file)) return byFile[doc.file]
      return has(options.base, id) ? options.base[id] : undefined
    }
    const reports: unknown[] = []
    const errors: unknown[] = []
    let count = 0
    let failed: string | undefined

    for (const pack of packs) {
      const rules = pack.rules
      for (const id of ownKeys(rules)) {
        if (off.has(id) || failed !== undefined) continue
        const rule = rules[id]
        host.stage(id)
        // meta.scope 'file': the rule reads only the document it is given, so ssmd may cache its findings per file.
        const meta = rule !== null && typeof rule === 'object' ? rule.meta : undefined
        const fileScoped = meta !== null && typeof meta === 'object' && meta.scope === 'file'
        const reportIn = (doc: unknown, report: unknown) => {
          if (failed !== undefined) throw new Abort(failed)
          const index = doc !== null && typeof doc === 'object' ? indexOf.get(doc) : undefined
          if (doc !== undefined && index === undefined) {
            reports.push({ rule: id, doc: -1, report: 'reported in a document that is not one of the repository documents it was given' })
            return
          }
          if (++count > limits.maxFindings) {
            failed = `reported more than ${limits.maxFindings} findings (in rule '${id}'); it was stopped`
            throw new Abort(failed)
          }
          reports.push({ rule: id, doc: index ?? -1, report: copyReport(report) })
        }
        // One context per rule, as the built-in engine has: `report` and `options` are the current document's.
        let current: any
        const report = (r: unknown) => reportIn(current, r)
        const scopeError = () => {
          throw new RealError('it is declared to read one file at a time (meta.scope: file) but reached for the workspace')
        }
        const wide = freeze({
          workspace,
          installedPlugins,
          get options() {
            return optionsFor(id, current)
          },
          report,
          reportIn,
        })
        const narrow = fileScoped
          ? freeze({
              get workspace(): never {
                return scopeError()
              },
              installedPlugins,
              get options() {
                return optionsFor(id, current)
              },
              report,
              get reportIn(): never {
                return scopeError()
              },
            })
          : wide
        const caught = (error: unknown) => {
          if (fatal(error)) throw error
          if (failed === undefined) errors.push({ rule: id, file: current ? String(current.file) : undefined, message: describe(error).slice(0, 2000) })
        }
        /** Runs one check; only a check that returns a promise is awaited (an await per document and rule would be most of the cost). */
        const invoke = (fn: unknown, target: unknown, doc: any): Promise<void> | undefined => {
          current = doc
          try {
            const out = apply(fn as any, rule, [target, doc === undefined ? wide : narrow])
            if (out !== null && (typeof out === 'object' || typeof out === 'function') && typeof (out as any).then === 'function')
              return Promise.resolve(out).then(() => undefined, caught)
          } catch (error) {
            caught(error)
          }
          return undefined
        }
        for (const kind of CHECKS) {
          if (failed !== undefined) break
          const fn = rule[kind]
          if (fn === undefined) continue
          if (typeof fn !== 'function') {
            errors.push({ rule: id, message: `its '${kind}' check is a ${typeof fn}, not a function` })
            continue
          }
          if (kind === 'repository') {
            const pending = invoke(fn, workspace, undefined)
            if (pending) await pending
            continue
          }
          const list = kind === 'document' ? documents : byKind[kind]
          for (let i = 0; i < list.length && failed === undefined; i++) {
            const doc = list[i]
            // Kind checks see only documents that parsed to a mapping; `document` sees every file.
            if (kind !== 'document' && (doc.data === null || typeof doc.data !== 'object' || isArray(doc.data))) continue
            if (fileScoped && skip.has(indexOf.get(doc))) continue
            const pending = invoke(fn, doc, doc)
            if (pending) await pending
          }
        }
      }
    }
    return stringify({ reports, errors, failed })
  }

  return freeze({ declare, add, run })
}
