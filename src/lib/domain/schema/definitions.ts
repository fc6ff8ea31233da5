import type { CapnpChange } from '../../capnp/index.js'
import { readFileSync } from 'node:fs'
import { definitionRef, resolveDefinition, sha256Hex, type ResolvedDefinition } from './files.js'
import { parseDefinition, type ParsedDefinition } from './parse.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { fileStamp, sameStamp, settled, type FactTable, type Stamp } from '../../workspace/cache.js'

export interface Definition extends ResolvedDefinition {
  ref: string
  hash?: string
  parsed?: ParsedDefinition
}

/**
 * Resolves, hashes and parses each definition file at most once per run, however
 * many versions, rules and plugins ask for it.
 */
export class DefinitionCache {
  private readonly byKey = new Map<string, Promise<Definition>>()
  /** Definitions taken from the validation cache in this run. */
  reused = 0
  /** `store` keeps results between runs (the validation cache); entries are checked against stat data before use. */
  constructor(private readonly root: string, private readonly store?: FactTable) {}

  get(ref: string, format: string): Promise<Definition> {
    const key = `${format}\u0000${ref}`
    let p = this.byKey.get(key)
    if (!p) {
      p = this.load(ref, format)
      this.byKey.set(key, p)
    }
    return p
  }

  private async load(ref: string, format: string): Promise<Definition> {
    const resolved = resolveDefinition(this.root, ref)
    if (!resolved.abs) return { ...resolved, ref }
    const key = `${format}\u0000${resolved.abs}\u0000${resolved.display}`
    const before = fileStamp(resolved.abs)
    const stored = this.store?.get(key) as StoredDefinition | undefined
    if (stored && before && sameStamp(stored.stamp, before) && stored.deps.every(([p, s]) => sameStamp(s, fileStamp(p)))) {
      this.store!.set(key, stored)
      this.reused++
      return { ...resolved, ref, hash: stored.hash, parsed: stored.parsed }
    }
    let bytes: Buffer
    try {
      bytes = readFileSync(resolved.abs)
    } catch (error) {
      return { ...resolved, ref, problem: { kind: 'not-file', message: `cannot read ${resolved.display}: ${(error as Error).message}` } }
    }
    // One read serves both the hash and the parser.
    const hash = `sha256:${sha256Hex(bytes)}`
    const read: string[] = []
    const parsed = await parseDefinition(this.root, resolved.abs, resolved.display, format, bytes.toString('utf8'), p => read.push(p))
    if (this.store && before && settled(before)) {
      const deps = [...new Set(read)].map(p => [p, fileStamp(p)] as [string, Stamp | null])
      if (deps.every(([, s]) => s === null || settled(s))) this.store.set(key, { stamp: before, hash, parsed, deps } satisfies StoredDefinition)
    }
    return { ...resolved, ref, hash, parsed }
  }

  /** The definition of one version of a schema document (undefined when it names no file). */
  async forVersion(doc: SchemaDocument, index: number): Promise<Definition | undefined> {
    const data = doc.data as { schema_file?: unknown; format?: unknown; versions?: unknown[] }
    const version = (Array.isArray(data.versions) ? data.versions[index] : undefined) as { schema_file?: unknown } | undefined
    if (!version || typeof version !== 'object') return undefined
    const ref = definitionRef(data, version)
    if (!ref) return undefined
    return this.get(ref, typeof data.format === 'string' ? data.format : 'capnp')
  }
}

/** What the validation cache keeps of one definition file: valid while it and every file its parse read keep their stat data. */
interface StoredDefinition {
  stamp: Stamp
  hash: string
  parsed: ParsedDefinition
  /** Files the parse read or looked for, with their stat data then (null: absent). */
  deps: Array<[string, Stamp | null]>
}

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
  if (!older.parsed?.capnp || !newer.parsed?.capnp) return undefined
  if (older.hash !== undefined && older.hash === newer.hash) return []
  const { compareCapnp } = await (capnpModule ??= import('../../capnp/index.js'))
  return compareCapnp(older.parsed.capnp, newer.parsed.capnp)
}

