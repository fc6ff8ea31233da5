import { ConflictError, SsmdError } from '../../core/errors.js'
import type { SchemaData } from '../../spec/types.generated.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { editDocument } from '../../workspace/files.js'
import { definitionRef, hashFile, resolveDefinition } from './files.js'
import { orderedVersions, usableSchema } from './lifecycle.js'

/** A stored hash that differs from the SHA-256 of its definition file now. */
export interface HashChange {
  schema: string
  version: string
  file: string
  stored: string
  actual: string
}

export interface HashScan {
  /** Versions whose definition file was hashed. */
  checked: number
  /** Per document, the hashes to rewrite (with each version's position in the file and its status). */
  changes: Map<SchemaDocument, Array<HashChange & { index: number; status: unknown }>>
}

/**
 * Hashes the definition file of every version of `docs` and compares it with the
 * stored hash. Any document or version that cannot be hashed (invalid document,
 * no schema_file, unreadable or escaping path) fails the whole scan, listing each.
 */
export function scanHashes(root: string, docs: readonly SchemaDocument[]): HashScan {
  const problems: string[] = []
  const changes: HashScan['changes'] = new Map()
  let checked = 0
  for (const doc of docs) {
    let schema: SchemaData
    try {
      schema = usableSchema(doc.file, doc.data, doc.problem)
    } catch (error) {
      problems.push((error as Error).message)
      continue
    }
    for (const { index, version: v } of orderedVersions(schema)) {
      const ref = definitionRef(schema, v)
      const where = `${doc.name}:${String(v.version)}`
      if (ref === undefined) {
        problems.push(`${where}: no schema_file`)
        continue
      }
      const resolved = resolveDefinition(root, ref)
      if (!resolved.abs) {
        problems.push(`${where}: ${resolved.problem?.message ?? `cannot read ${resolved.display}`}`)
        continue
      }
      let actual: string
      try {
        actual = hashFile(resolved.abs, root, resolved.display)
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`)
        continue
      }
      checked++
      if (actual !== v.hash) {
        const list = changes.get(doc) ?? []
        list.push({ schema: doc.name, version: String(v.version), file: resolved.display, stored: String(v.hash ?? ''), actual, index, status: v.status })
        changes.set(doc, list)
      }
    }
  }
  if (problems.length > 0 && problems.length <= 3) throw new SsmdError(`${problems.join('; ')}; nothing written`)
  if (problems.length > 3) {
    throw new SsmdError(`${problems.length} problems (listed above) keep the hashes from being checked; fix them first (ssmd validate); nothing written`, {
      details: problems.map(p => `  ${p}`),
    })
  }
  return { checked, changes }
}

/** Rewrites the hashes of one document under its lock; refuses if its versions moved meanwhile. */
export function writeHashes(doc: SchemaDocument, list: ReadonlyArray<HashChange & { index: number }>): void {
  editDocument<SchemaData>(doc.absPath, doc.file, data => {
    const now = usableSchema(doc.file, data)
    return list.map(c => {
      if (now.versions[c.index]?.version !== c.version) throw new ConflictError(`${doc.file} changed while hashing; run the command again`)
      return { op: 'set' as const, path: ['versions', c.index, 'hash'], value: c.actual }
    })
  })
}

/**
 * The changed hashes that may not be rewritten without --force: those of
 * versions past draft (active or deprecated), whose definition consumers may
 * have been deployed with. A draft, or a version with no hash recorded yet,
 * is hashed freely.
 */
export function guardedChanges<C extends HashChange & { status: unknown }>(changes: readonly C[]): C[] {
  return changes.filter(c => c.status !== 'draft' && c.stored !== '')
}
