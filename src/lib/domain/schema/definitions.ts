import type { CapnpChange } from '../../capnp/index.js'
import { readFileSync } from 'node:fs'
import { definitionRef, resolveDefinition, sha256Hex, type ResolvedDefinition } from './files.js'
import { parseDefinition, type ParsedDefinition } from './parse.js'
import type { SchemaDocument } from '../../workspace/document.js'

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
  constructor(private readonly root: string) {}

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
    let bytes: Buffer
    try {
      bytes = readFileSync(resolved.abs)
    } catch (error) {
      return { ...resolved, ref, problem: { kind: 'not-file', message: `cannot read ${resolved.display}: ${(error as Error).message}` } }
    }
    // One read serves both the hash and the parser.
    const hash = `sha256:${sha256Hex(bytes)}`
    return { ...resolved, ref, hash, parsed: await parseDefinition(this.root, resolved.abs, resolved.display, format, bytes.toString('utf8')) }
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

const caches = new WeakMap<object, DefinitionCache>()
export function definitionCache(ws: { root: string }): DefinitionCache {
  let c = caches.get(ws)
  if (!c) {
    c = new DefinitionCache(ws.root)
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

