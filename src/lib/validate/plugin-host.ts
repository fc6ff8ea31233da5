/*
 * The child process that runs ONE third-party validation plugin.
 *
 * ssmd starts it with Node's permission model (read-only file access to the
 * plugin, ssmd and the repository; no writes, no child processes, no workers)
 * and an IPC channel. It imports the plugin's `validate` hook, sends back the
 * rule declarations, receives the repository's documents as data, runs the
 * checks and sends back the raw reports. Nothing here is trusted by ssmd: the
 * parent validates every message, and the plugin can patch anything in this
 * process. This file imports only Node built-ins (it must run without the rest
 * of ssmd, and without TypeScript tooling).
 */
import { pathToFileURL } from 'node:url'
import { deserialize } from 'node:v8'

// Taken before any plugin code runs; a plugin that patches globals can still
// garble its own results, which the parent then refuses.
const send = process.send?.bind(process)
const exit = process.exit.bind(process)
const isArray = Array.isArray
const ownKeys = Object.keys
const hasOwn = Object.prototype.hasOwnProperty
const decode = deserialize

type Dict = Record<string, unknown>

/*
 * A validation plugin has no business changing the runtime it shares with
 * other code: patched built-ins (Array.prototype.filter), a replaced
 * process.stdout.write or process.exit, an exit handler or a forced exit code
 * are reported as a failure of the plugin, even though they cannot reach ssmd.
 */
const WATCHED: Array<[string, () => object]> = [
  ['Array.prototype', () => Array.prototype],
  ['Array', () => Array],
  ['Object', () => Object],
  ['Object.prototype', () => Object.prototype],
  ['Function.prototype', () => Function.prototype],
  ['String.prototype', () => String.prototype],
  ['Number.prototype', () => Number.prototype],
  ['Promise', () => Promise],
  ['Promise.prototype', () => Promise.prototype],
  ['JSON', () => JSON],
  ['Math', () => Math],
  ['Reflect', () => Reflect],
  ['RegExp.prototype', () => RegExp.prototype],
  ['Map.prototype', () => Map.prototype],
  ['Set.prototype', () => Set.prototype],
  ['process', () => process],
  ['process.stdout', () => process.stdout],
  ['process.stderr', () => process.stderr],
  ['console', () => console],
]
/** Functions looked up through the prototype chain (a plugin patches them on the instance). */
const RESOLVED: Array<[string, () => unknown]> = [
  ['process.stdout.write', () => process.stdout.write],
  ['process.stderr.write', () => process.stderr.write],
  ['process.exit', () => process.exit],
  ['process.reallyExit', () => (process as unknown as Dict).reallyExit],
  ['process.send', () => process.send],
  ['process.emit', () => process.emit],
  ['process.on', () => process.on],
  ['console.log', () => console.log],
]
const EVENTS = ['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'message', 'disconnect']

interface Snapshot {
  values: Map<string, unknown>
  listeners: Map<string, Set<unknown>>
}

function snapshot(): Snapshot {
  const values = new Map<string, unknown>()
  for (const [name, get] of WATCHED) {
    const target = get()
    for (const key of Object.getOwnPropertyNames(target)) {
      const d = Object.getOwnPropertyDescriptor(target, key)
      if (d && typeof d.value === 'function') values.set(`${name}.${key}`, d.value)
    }
  }
  for (const [name, get] of RESOLVED) values.set(`resolved:${name}`, get())
  const listeners = new Map<string, Set<unknown>>()
  for (const e of EVENTS) listeners.set(e, new Set(process.listeners(e as 'exit')))
  return { values, listeners }
}

/** What the plugin changed since `before`, in words, or undefined. */
function tampering(before: Snapshot): string | undefined {
  const changed: string[] = []
  for (const [name, get] of WATCHED) {
    let target: object
    try {
      target = get()
    } catch {
      changed.push(name)
      continue
    }
    for (const key of Object.getOwnPropertyNames(target)) {
      const was = before.values.get(`${name}.${key}`)
      if (was === undefined) continue
      const d = Object.getOwnPropertyDescriptor(target, key)
      if (!d || d.value !== was) changed.push(`${name}.${key}`)
    }
  }
  for (const [name, get] of RESOLVED) if (get() !== before.values.get(`resolved:${name}`)) changed.push(name)
  for (const e of EVENTS) {
    const known = before.listeners.get(e)
    if (process.listeners(e as 'exit').some(l => !known?.has(l))) changed.push(`a process.on('${e}') handler`)
  }
  if (process.exitCode !== undefined) changed.push('process.exitCode')
  if (changed.length === 0) return undefined
  const shown = changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '')
  return `it changed the JavaScript runtime (${shown}); a validation plugin must not patch built-ins, output, exit handling or the exit code`
}
interface HookRef {
  file: string
  identifier: string
}
interface Args {
  hooks: HookRef[]
  mode: 'declare' | 'run'
}
interface Payload {
  root: string
  documents: Array<{ kind: string; name: string; file: string; data: unknown }>
  off: string[]
  installedPlugins: string[]
}

const REPORT_FIELDS = ['message', 'messageId', 'path', 'at', 'file', 'line', 'column', 'severity'] as const
const CHECKS = ['document', 'feed', 'schema', 'environment', 'repository'] as const

function post(message: Dict): void {
  if (!send) exit(70)
  send!(message)
}

function describe(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
    return String(error)
  } catch {
    return 'an error that cannot be described'
  }
}

/** A rule's declaration without its functions: severity, description and any other meta, passed through untouched. */
function declaration(rule: Dict): Dict {
  const out: Dict = {}
  for (const key of ownKeys(rule)) {
    const value = rule[key]
    if (typeof value === 'function') continue
    out[key] = value
  }
  return out
}

async function loadPacks(hooks: HookRef[]): Promise<Dict[]> {
  const packs: Dict[] = []
  for (let i = 0; i < hooks.length; i++) {
    const hook = hooks[i]
    const mod = (await import(pathToFileURL(hook.file).href)) as Dict
    let fn = mod[hook.identifier]
    if (typeof fn !== 'function' && hook.identifier === 'default') {
      const d = mod.default as Dict | undefined
      fn = d && typeof d === 'object' && typeof d.default === 'function' ? d.default : Object.values(mod).find(v => typeof v === 'function')
    }
    if (typeof fn !== 'function') throw new HostError(`${hook.file} exports no hook function`)
    const context = {
      debug() {},
      log() {},
      warn() {},
      error(m: unknown) {
        throw new Error(String(m))
      },
      exit() {
        throw new Error('called this.exit()')
      },
    }
    const pack = await (fn as (this: unknown, o: Dict) => unknown).call(context, { config: undefined, context })
    if (pack === null || typeof pack !== 'object')
      throw new HostError(`its validate hook returned ${pack === undefined ? 'nothing' : pack === null ? 'null' : typeof pack} instead of a rule pack`)
    packs.push(pack as Dict)
  }
  return packs
}

class HostError extends Error {}

function declare(packs: Dict[]): Array<{ plugin: unknown; rules: Array<[string, Dict | string]> }> {
  const out: Array<{ plugin: unknown; rules: Array<[string, Dict | string]> }> = []
  for (const pack of packs) {
    const rules = pack.rules
    const entries: Array<[string, Dict | string]> = []
    if (rules !== null && typeof rules === 'object') {
      for (const id of ownKeys(rules)) {
        const rule = (rules as Dict)[id]
        entries.push([id, rule !== null && typeof rule === 'object' ? declaration(rule as Dict) : typeof rule])
      }
    }
    out.push({ plugin: pack.plugin, rules: rules !== null && typeof rules === 'object' ? entries : [] })
  }
  return out
}

/** Copies the fields ssmd reads from a report; anything that is not a plain value is flagged for the parent to refuse. */
function copyReport(report: unknown): Dict | string {
  if (report === null || typeof report !== 'object') return `reported ${report === null ? 'null' : typeof report} instead of { message, path }`
  const out: Dict = {}
  for (const key of REPORT_FIELDS) {
    const value = (report as Dict)[key]
    if (value === undefined) continue
    if (value !== null && (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint'))
      return `reported a '${key}' that is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`
    out[key] = value
  }
  // Template values for a messageId: a flat object of plain values.
  const data = (report as Dict).data
  if (data !== undefined) {
    if (data === null || typeof data !== 'object' || isArray(data)) return 'reported data that is not an object of strings, numbers and booleans'
    const copy: Dict = {}
    for (const key of ownKeys(data)) {
      const value = (data as Dict)[key]
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return `reported data.${key} that is not a string, number or boolean`
      copy[key] = value
    }
    out.data = copy
  }
  return out
}

async function run(packs: Dict[], payload: Payload, changed: () => string | undefined, timing: () => { load: number; run: number }): Promise<void> {
  const indexOf = new Map<object, number>()
  const byKind: Record<string, Dict[]> = { feed: [], schema: [], environment: [], policy: [] }
  const documents: Dict[] = []
  for (let i = 0; i < payload.documents.length; i++) {
    const d = payload.documents[i]
    const doc = { kind: d.kind, name: d.name, file: d.file, data: d.data }
    indexOf.set(doc, i)
    documents.push(doc)
    byKind[d.kind]?.push(doc)
  }
  // Environments look feeds and schemas up by the thousand: one index per kind, built on first use.
  const indexes = new Map<string, Map<string, Dict>>()
  const workspace = {
    root: payload.root,
    feeds: byKind.feed,
    schemas: byKind.schema,
    environments: byKind.environment,
    policy: byKind.policy[0],
    documents,
    find(kind: string, name: string) {
      let index = indexes.get(kind)
      if (index === undefined) {
        index = new Map()
        const list = byKind[kind] ?? []
        for (let i = 0; i < list.length; i++) if (!index.has(list[i].name as string)) index.set(list[i].name as string, list[i])
        indexes.set(kind, index)
      }
      return index.get(name)
    },
  }
  const off = new Set(payload.off)
  const reports: Array<{ rule: string; doc: number; report: Dict | string }> = []
  const errors: Array<{ rule: string; file?: string; message: string }> = []

  for (const pack of packs) {
    const rules = pack.rules as Dict
    for (const id of ownKeys(rules)) {
      if (off.has(id)) continue
      const rule = rules[id] as Dict
      post({ t: 'rule', id })
      const reportIn = (doc: unknown, report: unknown) => {
        const index = doc !== null && typeof doc === 'object' ? indexOf.get(doc) : undefined
        if (doc !== undefined && index === undefined) {
          reports.push({ rule: id, doc: -1, report: 'reported in a document that is not one of the repository documents it was given' })
          return
        }
        reports.push({ rule: id, doc: index ?? -1, report: copyReport(report) })
      }
      const invoke = async (fn: unknown, target: unknown, doc: Dict | undefined) => {
        const ctx = { workspace, installedPlugins: payload.installedPlugins, report: (r: unknown) => reportIn(doc, r), reportIn }
        try {
          await (fn as (this: unknown, t: unknown, c: unknown) => unknown).call(rule, target, ctx)
        } catch (error) {
          errors.push({ rule: id, file: doc ? String(doc.file) : undefined, message: describe(error) })
        }
      }
      for (const kind of CHECKS) {
        const fn = rule[kind]
        if (fn === undefined) continue
        if (typeof fn !== 'function') {
          errors.push({ rule: id, message: `its '${kind}' check is a ${typeof fn}, not a function` })
          continue
        }
        if (kind === 'repository') {
          await invoke(fn, workspace, undefined)
          continue
        }
        const list = kind === 'document' ? documents : byKind[kind]
        for (let i = 0; i < list.length; i++) {
          const doc = list[i]
          // Kind checks see only documents that parsed to a mapping; `document` sees every file.
          if (kind !== 'document' && (doc.data === null || typeof doc.data !== 'object' || isArray(doc.data))) continue
          await invoke(fn, doc, doc)
        }
      }
    }
  }
  const tampered = changed()
  if (tampered) {
    post({ t: 'failed', stage: 'checks', message: `while running its checks ${tampered}` })
    return
  }
  post({ t: 'done', reports, errors, timing: timing() })
}

async function main(): Promise<void> {
  const started = performance.now()
  const args = JSON.parse(process.argv[2] ?? '{}') as Args
  let packs: Dict[]
  // The channel to ssmd is open from the start: an exit handler registered by ssmd's own host would count as the plugin's.
  let payload: Promise<Payload> | undefined
  if (args.mode === 'run') payload = new Promise<Payload>(resolve => process.once('message', m => resolve(m as Payload)))
  const afterListen = snapshot()
  try {
    packs = await loadPacks(args.hooks)
  } catch (error) {
    post({ t: 'failed', stage: 'hook', message: error instanceof HostError ? error.message : `its validate hook threw: ${describe(error)}` })
    return
  }
  const changedOnLoad = tampering(afterListen)
  if (changedOnLoad) {
    post({ t: 'failed', stage: 'hook', message: `while loading its validate hook ${changedOnLoad}` })
    return
  }
  const loadMs = performance.now() - started
  try {
    post({ t: 'declared', packs: declare(packs) })
  } catch (error) {
    post({ t: 'failed', stage: 'hook', message: `its rule pack could not be read: ${describe(error)}` })
    return
  }
  if (args.mode === 'declare' || !payload) return
  const bytes = await payload
  const runStarted = performance.now()
  const data = (bytes instanceof Uint8Array ? decode(bytes) : bytes) as Payload
  if (data === null || typeof data !== 'object' || !hasOwn.call(data, 'documents')) return
  const baseline = snapshot()
  try {
    await run(
      packs,
      data,
      () => tampering(baseline),
      () => ({ load: loadMs, run: performance.now() - runStarted }),
    )
  } catch (error) {
    post({ t: 'failed', stage: 'checks', message: `its rules could not be run: ${describe(error)}` })
  }
}

main().catch(error => post({ t: 'failed', stage: 'host', message: describe(error) }))
