import type { Stats } from 'node:fs'
import type { SchemaChange } from '../../core/schema-change.js'
import { deepEqual } from '../../core/deep-equal.js'
import { definitionRef, readDefinitionBytes, resolveDefinition, sha256Hex, type ResolvedDefinition } from './files.js'
import { parseDefinition, type ParsedDefinition } from './parse.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { absolutePath, contentDigest, fileStamp, portablePath, sameStamp, settled, stampOf, type FactTable, type Stamp } from '../../workspace/cache.js'
import { RealPaths } from '../../io/real-paths.js'

export interface Definition extends ResolvedDefinition {
  ref: string
  hash?: string
  parsed?: ParsedDefinition
  /** Other files its parse read (absolute paths: Cap'n Proto imports and embeds, transitively). */
  reads?: string[]
}

/**
 * What the validation cache keeps of one definition file: valid while it and
 * every file its parse read keep their stat data or, where those differ (a
 * fresh checkout) or are not trusted (strategy `content`), their content.
 */
interface StoredDefinition {
  /** Unique per stored parse, so a compare result names exactly the parses it came from. */
  id: string
  stamp: Stamp
  hash: string
  ok: boolean
  problems: ParsedDefinition['problems']
  /** Files the parse read or looked for (root-relative when inside the root), with their stat data and content digest then (null: absent). */
  deps: Array<[string, Stamp | null, string | null]>
  /** Structural compares with older definitions, by the older one's stored id. */
  compares: Map<string, SchemaChange[]>
  /** The git blob id (hex) of the content parsed, when git's index proved it as the file was read (see FactTable.blobId). */
  blob?: string
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
   * Lets go of the models (Cap'n Proto, protobuf, JSON) of a schema document's
   * definitions once the rules are done with it: a large repository then never
   * holds them all. A model asked for again is parsed again (see withModel).
   */
  release(doc: SchemaDocument): void {
    const count = Array.isArray(doc.data?.versions) ? doc.data.versions.length : 0
    for (let index = 0; index < count; index++) {
      const named = versionDefinition(doc, index)
      const parsed = named && this.settled.get(definitionKey(named.ref, named.format))?.parsed
      if (parsed) {
        parsed.capnp = undefined
        parsed.protobuf = undefined
        parsed.json = undefined
      }
    }
  }

  private async load(ref: string, format: string): Promise<Definition> {
    const { stat, symlink, ...resolved } = resolveDefinition(this.root, ref, this.realPaths)
    if (!resolved.abs) return { ...resolved, ref }
    // Root-relative: a cache restored into another checkout of the repository finds its entries.
    const key = `${format}\u0000${resolved.display}`
    const before = stat ? stampOf(stat) : fileStamp(resolved.abs)
    const stored = this.store?.get(key) as StoredDefinition | undefined
    let got: ReturnType<typeof readDefinitionBytes> | undefined
    let hash: string | undefined
    // The id (hex) git's index proves for the file's content, asked only where stat data prove nothing (lstat
    // data: never through a symlink); `blob`, that id once a read of the file saw those same stat data after it.
    let proven: string | null | undefined
    const indexId = (): string | undefined => {
      if (proven === undefined) {
        proven = (symlink || !stat ? undefined : this.store?.blobId(resolved.display, stat)) ?? null
      }
      return proven ?? undefined
    }
    let blob: string | undefined
    const readBytes = (abs: string) => {
      const id = indexId()
      const statAfter = (after: Stats) => {
        if (before && sameStamp(stampOf(after), before)) blob = id
      }
      return readDefinitionBytes(this.root, abs, resolved.display, { realPaths: this.realPaths, statAfter: id === undefined ? undefined : statAfter })
    }
    if (stored && before) {
      const trust = this.store!.trustStat
      let same = trust && sameStamp(stored.stamp, before)
      // A fresh checkout: git's index names the content, and nothing is read.
      const indexed = !same && stored.blob !== undefined && indexId() === stored.blob
      same ||= indexed
      if (!same) {
        // Stat data differ (or are not trusted): the content decides; the bytes serve the parse if it differs.
        got = readBytes(resolved.abs)
        if (!got.refusal) hash = `sha256:${sha256Hex(got.bytes)}`
        same = hash === stored.hash
      }
      let fresh = stored
      const deps = stored.deps.map(([p, s, digest]) => {
        const abs = absolutePath(this.root, p)
        const now = fileStamp(abs)
        if (trust && sameStamp(s, now)) return [p, s, digest] as [string, Stamp | null, string | null]
        if (now === null || s === null) return now === s ? ([p, s, digest] as [string, Stamp | null, string | null]) : undefined
        return contentDigest(abs) === digest && digest !== null ? ([p, settled(now) ? now : s, digest] as [string, Stamp | null, string | null]) : undefined
      })
      if (same && deps.every(d => d !== undefined)) {
        // Content matched where stat data differed: keep the new stat data (once settled), so the next run need not read.
        const stamp = !sameStamp(stored.stamp, before) && settled(before) ? before : stored.stamp
        // The content's blob id, learnt by this read (an entry kept before the file was committed has none).
        const learnt = stored.blob === undefined && blob !== undefined ? { blob } : {}
        const depsChanged = deps.some((d, i) => d![1] !== stored.deps[i][1])
        const changed = stamp !== stored.stamp || depsChanged || learnt.blob !== undefined
        if (changed) fresh = { ...stored, stamp, deps: deps as Array<[string, Stamp | null, string | null]>, ...learnt }
        // New stat data of a file the index proved (and of nothing else) do not make the cache be written (see DocumentCache.save).
        if (indexed && !depsChanged) this.store!.restamp(key, fresh)
        else this.store!.set(key, fresh)
        this.reused++
        const reads = fresh.deps.flatMap(([p, s]) => (s === null ? [] : [absolutePath(this.root, p)]))
        const def: Definition = { ...resolved, ref, hash: fresh.hash, parsed: { ok: fresh.ok, problems: fresh.problems }, reads }
        origins.set(def, { cache: this, format, stored: fresh, storeKey: key })
        return def
      }
    }
    // Only a parse that may be kept (settled) asks git's index for the blob id.
    got ??= this.store && before && settled(before) ? readBytes(resolved.abs) : readDefinitionBytes(this.root, resolved.abs, resolved.display, { realPaths: this.realPaths })
    if (got.refusal) return { ...resolved, ref, problem: { kind: got.refusal.kind === 'outside-root' ? 'symlink' : 'not-file', message: got.refusal.message } }
    const bytes = got.bytes
    // One read serves both the hash and the parser.
    hash ??= `sha256:${sha256Hex(bytes)}`
    const read: string[] = []
    const found = new Set<string>()
    const parsed = await parseDefinition(this.root, resolved.abs, resolved.display, format, bytes.toString('utf8'), (p, ok) => {
      read.push(p)
      if (ok) found.add(p)
    })
    const def: Definition = { ...resolved, ref, hash, parsed, reads: [...found] }
    const origin: Origin = { cache: this, format }
    if (this.store && before && settled(before)) {
      const deps = [...new Set(read)].map(p => [portablePath(this.root, p), fileStamp(p), contentDigest(p)] as [string, Stamp | null, string | null])
      if (deps.every(([, st]) => st === null || settled(st))) {
        origin.stored = {
          id: `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`,
          stamp: before,
          hash,
          ok: parsed.ok,
          problems: parsed.problems,
          deps,
          compares: new Map(),
          ...(blob === undefined ? {} : { blob }),
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

  /** The parse of a definition with its model (of `format`), parsing the file again if it came from the validation cache or was released. */
  async withModel(def: Definition, format: string): Promise<ParsedDefinition | undefined> {
    const parsed = def.parsed
    if (!parsed?.ok || !def.abs || modelOf(parsed, format) !== undefined) return parsed
    const again = await parseDefinition(this.root, def.abs, def.display, format)
    parsed.capnp = again.capnp
    parsed.protobuf = again.protobuf
    parsed.json = again.json
    return parsed
  }
}

/** The model a compare of `format` needs from a parse (undefined when absent). */
function modelOf(parsed: ParsedDefinition, format: string): unknown {
  return format === 'capnp' ? parsed.capnp : format === 'protobuf' ? parsed.protobuf : format === 'json_schema' ? parsed.json : undefined
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
let protobufModule: Promise<typeof import('../../protobuf/index.js')> | undefined

/**
 * The outcome of comparing two versions' definitions: the structural changes
 * (each breaking, compatible or info), or why the format allows no sound check.
 */
export type Comparison = { changes: SchemaChange[]; unchecked?: undefined } | { changes?: undefined; unchecked: string }

/** Formats with a structural compare (`schema diff`); a claim on any other format holds only between identical definitions. */
export const STRUCTURAL_FORMATS: readonly string[] = ['capnp', 'protobuf']

/** The format a definition was parsed as. */
function formatOf(def: Definition, origin?: Origin): string | undefined {
  if (origin) return origin.format
  const p = def.parsed
  return p?.capnp ? 'capnp' : p?.protobuf ? 'protobuf' : p?.json ? 'json_schema' : undefined
}

/**
 * The one compatibility check behind every claim (`schema add-version
 * --compatible-with`, validate's schema/compat-claim and schema/undocumented-break,
 * `schema diff`): Cap'n Proto and protobuf definitions are compared structurally;
 * JSON Schema definitions only compare equal or not (whether one JSON Schema
 * accepts every document another accepts cannot be decided in general, so any
 * other change is `unchecked`). Undefined when either definition does not parse.
 */
export async function checkCompatibility(older: Definition, newer: Definition): Promise<Comparison | undefined> {
  const a = origins.get(older)
  const b = origins.get(newer)
  const format = formatOf(older, a)
  if (older.parsed?.ok !== true || newer.parsed?.ok !== true || format === undefined || formatOf(newer, b) !== format) return undefined
  if (older.hash !== undefined && older.hash === newer.hash) return { changes: [] }
  if (format === 'json_schema') {
    const [x, y] = [await cacheOf(a).withModel(older, format), await cacheOf(b).withModel(newer, format)]
    if (!x?.json || !y?.json) return undefined
    if (deepEqual(x.json.value, y.json.value)) return { changes: [] }
    return { unchecked: `${older.display} and ${newer.display} differ, and a change to a JSON Schema cannot be checked for compatibility` }
  }
  const known = a?.stored && b?.stored ? b.stored.compares.get(a.stored.id) : undefined
  if (known) return { changes: known }
  const x = await cacheOf(a).withModel(older, format)
  const y = await cacheOf(b).withModel(newer, format)
  let changes: SchemaChange[]
  if (format === 'capnp' && x?.capnp && y?.capnp) {
    const { compareCapnp } = await (capnpModule ??= import('../../capnp/index.js'))
    changes = compareCapnp(x.capnp, y.capnp)
  } else if (format === 'protobuf' && x?.protobuf && y?.protobuf) {
    const { compareProtobuf } = await (protobufModule ??= import('../../protobuf/index.js'))
    changes = compareProtobuf(x.protobuf, y.protobuf)
  } else return undefined
  if (a?.stored && b?.stored && b.storeKey) {
    b.stored.compares.set(a.stored.id, changes)
    b.cache.touch(b.storeKey)
  }
  return { changes }
}

/** A definition's own cache, or one that can only re-read files given by absolute path (definitions loaded outside a cache keep their model). */
function cacheOf(origin: Origin | undefined): Pick<DefinitionCache, 'withModel'> {
  return origin?.cache ?? { withModel: async (def: Definition) => def.parsed }
}

/** Structural changes from `older` to `newer`; undefined when either does not parse or the format has no structural compare that applies. */
export async function compareDefinitions(older: Definition, newer: Definition): Promise<SchemaChange[] | undefined> {
  return (await checkCompatibility(older, newer))?.changes
}
