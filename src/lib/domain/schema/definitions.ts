import type { CapnpChange, CapnpModel } from '../../capnp/index.js'
import { definitionRef, readDefinitionBytes, resolveDefinition, sha256Hex, type ResolvedDefinition } from './files.js'
import { parseDefinition, type ParsedDefinition } from './parse.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { fileStamp, sameStamp, settled, stampOf, type FactTable, type Stamp } from '../../workspace/cache.js'
import { RealPaths } from '../../io/real-paths.js'

export interface Definition extends ResolvedDefinition {
  ref: string
  hash?: string
  parsed?: ParsedDefinition
}

/** What the validation cache keeps of one definition file: valid while it and every file its parse read keep their stat data. */
interface StoredDefinition {
  /** Unique per stored parse, so a compare result names exactly the parses it came from. */
  id: string
  stamp: Stamp
  hash: string
  ok: boolean
  problems: ParsedDefinition['problems']
  /** Files the parse read or looked for, with their stat data then (null: absent). */
  deps: Array<[string, Stamp | null]>
  /** Structural compares with older definitions, by the older one's stored id. */
  compares: Map<string, CapnpChange[]>
}

interface Origin {
  cache: DefinitionCache
  format: string
  /** Set when this definition's parse is (now) in the validation cache. */
  stored?: StoredDefinition
  storeKey?: string
}

const origins = new WeakMap<Definition, Origin>()

/**
 * Resolves, hashes and parses each definition file at most once per run, however
 * many versions, rules and plugins ask for it. With the validation cache, an
 * unchanged file's hash and problems come from the cache, its Cap'n Proto model
 * is rebuilt only if a compare needs it, and compares between unchanged files
 * are reused too.
 */
export class DefinitionCache {
  private readonly byKey = new Map<string, Promise<Definition>>()
  /** Real paths of the folders definition files lie in, resolved once per run. */
  private readonly realPaths = new RealPaths()
  /** Definitions taken from the validation cache in this run. */
  reused = 0

  /** `store` keeps results between runs (the validation cache); entries are checked against stat data before use. */
  constructor(
    private readonly root: string,
    private readonly store?: FactTable,
  ) {}

  get(ref: string, format: string): Promise<Definition> {
    const key = definitionKey(ref, format)
    let p = this.byKey.get(key)
    if (!p) {
      p = this.load(ref, format)
      this.byKey.set(key, p)
      void p.then(
        def => this.settled.set(key, def),
        () => undefined,
      )
    }
    return p
  }

  /** Definitions loaded so far, by the key of `get`. */
  private readonly settled = new Map<string, Definition>()

  /**
   * Lets go of the Cap'n Proto models of a schema document's definitions once
   * the rules are done with it: a large repository then never holds them all.
   * A model asked for again is parsed again (see capnpModel).
   */
  release(doc: SchemaDocument): void {
    const count = Array.isArray(doc.data?.versions) ? doc.data.versions.length : 0
    for (let index = 0; index < count; index++) {
      const named = versionDefinition(doc, index)
      const parsed = named && this.settled.get(definitionKey(named.ref, named.format))?.parsed
      if (parsed) parsed.capnp = undefined
    }
  }

  private async load(ref: string, format: string): Promise<Definition> {
    const { stat, ...resolved } = resolveDefinition(this.root, ref, this.realPaths)
    if (!resolved.abs) return { ...resolved, ref }
    const key = `${format}\u0000${resolved.abs}\u0000${resolved.display}`
    const before = stat ? stampOf(stat) : fileStamp(resolved.abs)
    const stored = this.store?.get(key) as StoredDefinition | undefined
    if (stored && before && sameStamp(stored.stamp, before) && stored.deps.every(([p, s]) => sameStamp(s, fileStamp(p)))) {
      this.store!.set(key, stored)
      this.reused++
      const def: Definition = { ...resolved, ref, hash: stored.hash, parsed: { ok: stored.ok, problems: stored.problems } }
      origins.set(def, { cache: this, format, stored, storeKey: key })
      return def
    }
    const got = readDefinitionBytes(this.root, resolved.abs, resolved.display)
    if (got.refusal) return { ...resolved, ref, problem: { kind: got.refusal.kind === 'outside-root' ? 'symlink' : 'not-file', message: got.refusal.message } }
    const bytes = got.bytes
    // One read serves both the hash and the parser.
    const hash = `sha256:${sha256Hex(bytes)}`
    const read: string[] = []
    const parsed = await parseDefinition(this.root, resolved.abs, resolved.display, format, bytes.toString('utf8'), p => read.push(p))
    const def: Definition = { ...resolved, ref, hash, parsed }
    const origin: Origin = { cache: this, format }
    if (this.store && before && settled(before)) {
      const deps = [...new Set(read)].map(p => [p, fileStamp(p)] as [string, Stamp | null])
      if (deps.every(([, st]) => st === null || settled(st))) {
        origin.stored = {
          id: `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`,
          stamp: before,
          hash,
          ok: parsed.ok,
          problems: parsed.problems,
          deps,
          compares: new Map(),
        }
        origin.storeKey = key
        this.store.set(key, origin.stored)
      }
    }
    origins.set(def, origin)
    return def
  }

  /** Records a change to a stored entry, so the cache is written. */
  touch(key: string): void {
    this.store?.changed(key)
  }

  /** The definition of one version of a schema document (undefined when it names no file). */
  async forVersion(doc: SchemaDocument, index: number): Promise<Definition | undefined> {
    const named = versionDefinition(doc, index)
    return named ? this.get(named.ref, named.format) : undefined
  }

  /** The Cap'n Proto model of a definition, parsing the file again if it came from the validation cache. */
  async capnpModel(def: Definition, format: string): Promise<CapnpModel | undefined> {
    if (def.parsed?.capnp || !def.parsed?.ok || format !== 'capnp' || !def.abs) return def.parsed?.capnp
    const again = await parseDefinition(this.root, def.abs, def.display, format)
    def.parsed.capnp = again.capnp
    return again.capnp
  }
}

/** The definition file a schema version names (its own, else the schema's) and its format; undefined when none. */
function versionDefinition(doc: SchemaDocument, index: number): { ref: string; format: string } | undefined {
  const data = doc.data as { schema_file?: unknown; format?: unknown; versions?: unknown[] }
  const version = (Array.isArray(data.versions) ? data.versions[index] : undefined) as { schema_file?: unknown } | undefined
  if (!version || typeof version !== 'object') return undefined
  const ref = definitionRef(data, version)
  return ref ? { ref, format: typeof data.format === 'string' ? data.format : 'capnp' } : undefined
}

const definitionKey = (ref: string, format: string) => `${format}\u0000${ref}`

const caches = new WeakMap<object, DefinitionCache>()
export function definitionCache(ws: { root: string; cache?: { table(name: string): FactTable } }): DefinitionCache {
  let c = caches.get(ws)
  if (!c) {
    c = new DefinitionCache(ws.root, ws.cache?.table('definitions'))
    caches.set(ws, c)
  }
  return c
}

let capnpModule: Promise<typeof import('../../capnp/index.js')> | undefined

/** Structural changes from `older` to `newer` (Cap'n Proto only); undefined when either does not parse. */
export async function compareDefinitions(older: Definition, newer: Definition): Promise<CapnpChange[] | undefined> {
  const a = origins.get(older)
  const b = origins.get(newer)
  const isCapnp = (d: Definition, o?: Origin) => d.parsed?.ok === true && (o ? o.format === 'capnp' : d.parsed.capnp !== undefined)
  if (!isCapnp(older, a) || !isCapnp(newer, b)) return undefined
  if (older.hash !== undefined && older.hash === newer.hash) return []
  const known = a?.stored && b?.stored ? b.stored.compares.get(a.stored.id) : undefined
  if (known) return known
  const olderModel = a ? await a.cache.capnpModel(older, a.format) : older.parsed?.capnp
  const newerModel = b ? await b.cache.capnpModel(newer, b.format) : newer.parsed?.capnp
  if (!olderModel || !newerModel) return undefined
  const { compareCapnp } = await (capnpModule ??= import('../../capnp/index.js'))
  const changes = compareCapnp(olderModel, newerModel)
  if (a?.stored && b?.stored && b.storeKey) {
    b.stored.compares.set(a.stored.id, changes)
    b.cache.touch(b.storeKey)
  }
  return changes
}
