/*
 * Removing feeds, environments, schemas and schema versions: who still refers
 * to the target (each referrer with file:line), and which definition files go
 * with a schema. Deletions take the same per-file lock as edits; each file
 * disappears atomically (unlink), the YAML document first, so an interrupted
 * removal can leave an unused definition file but never a schema pointing at
 * a deleted one.
 */
import { existsSync, rmSync } from 'node:fs'
import { posix, resolve } from 'node:path'
import { definitionImports } from './schema/imports.js'
import { ConflictError, SsmdError } from '../core/errors.js'
import { plural } from '../core/text.js'
import { checkWriteTarget } from '../io/atomic.js'
import { withFileLock } from '../io/lock.js'
import type { Workspace } from '../workspace/workspace.js'
import type { SsmdDocument } from '../workspace/document.js'
import { definitionRef, resolveDefinition } from './schema/files.js'
import type { SchemaData } from '../spec/types.generated.js'

/** One place that refers to what is being removed. */
export interface Referrer {
  file: string
  line: number
  column: number
  /** The referring text, e.g. `feed: kalshi`. */
  text: string
}

const at = (doc: SsmdDocument, pointer: string, text: string): Referrer => {
  const pos = doc.locate(pointer)
  return { file: doc.file, line: pos.line, column: pos.column, text }
}

const obj = (d: unknown): Record<string, unknown> | undefined => (typeof d === 'object' && d !== null && !Array.isArray(d) ? (d as Record<string, unknown>) : undefined)

/** Environments whose `feed` is `name`. */
export function feedReferrers(ws: Workspace, name: string): Referrer[] {
  return ws.environments.filter(e => obj(e.data)?.feed === name).map(e => at(e, '/feed', `feed: ${name}`))
}

/**
 * Environments using schema `name` (any version, or exactly `version`), and,
 * for a version, the other versions of the schema that claim compatibility with it.
 */
export function schemaReferrers(ws: Workspace, name: string, version?: string): Referrer[] {
  const out: Referrer[] = []
  for (const e of ws.environments) {
    const ref = obj(e.data)?.schema
    if (typeof ref !== 'string') continue
    if (version === undefined ? ref.split(':')[0] === name : ref === `${name}:${version}`) out.push(at(e, '/schema', `schema: ${ref}`))
  }
  if (version !== undefined) {
    const doc = ws.find('schema', name)
    const versions = obj(doc?.data)?.versions
    if (doc && Array.isArray(versions)) {
      versions.forEach((v, i) => {
        const claims = obj(v)?.compatible_with
        if (!Array.isArray(claims)) return
        claims.forEach((c, k) => {
          if (c === version) out.push(at(doc, `/versions/${i}/compatible_with/${k}`, `${String(obj(v)?.version)} compatible_with: ${version}`))
        })
      })
    }
  }
  return out
}

/** `a.yaml:2 (feed: x), b.yaml:3 (feed: x)` */
export function referrerList(list: Referrer[]): string {
  return list.map(r => `${r.file}:${r.line} (${r.text})`).join(', ')
}

/** Refuses unless forced: `what` is used by the referrers. */
export function refuseIfReferred(what: string, list: Referrer[], force: boolean, fix: string): void {
  if (list.length === 0 || force) return
  throw new ConflictError(`${what} is still referred to by ${plural(list.length, 'place')}: ${referrerList(list)}; ${fix}, or pass --force to remove it anyway`)
}

/** Deletes one file under its lock; a file already gone is an error (someone else removed it). */
export function removeFileLocked(absPath: string, display: string): void {
  // `display` is root-relative: the root is that many folders up (the lock lives under its .ssmd/).
  const root = resolve(absPath, ...display.split('/').map(() => '..'))
  // A deletion is a write: never through a folder or link leading outside the root.
  checkWriteTarget(root, absPath)
  withFileLock(root, absPath, () => {
    if (!existsSync(absPath)) throw new SsmdError(`${display} no longer exists (removed by someone else?); nothing was removed`)
    rmSync(absPath)
  })
}

const norm = (ref: string) => posix.normalize(ref.split('\\').join('/'))

/** Every definition reference in the repository, except those of `skip` (schema name, optionally one version id). */
function definitionRefsInUse(ws: Workspace, skip: { schema: string; version?: string }): Map<string, string[]> {
  const inUse = new Map<string, string[]>()
  const add = (ref: unknown, by: string) => {
    if (typeof ref !== 'string' || ref === '') return
    const key = norm(ref)
    inUse.set(key, [...(inUse.get(key) ?? []), by])
  }
  for (const s of ws.schemas) {
    const data = obj(s.data)
    if (!data) continue
    const whole = s.name === skip.schema && skip.version === undefined
    if (whole) continue
    add(data.schema_file, s.name)
    if (!Array.isArray(data.versions)) continue
    for (const v of data.versions) {
      const version = obj(v)
      if (!version) continue
      if (s.name === skip.schema && version.version === skip.version) continue
      add(definitionRef(data as { schema_file?: unknown }, version), `${s.name}:${String(version.version)}`)
    }
  }
  return inUse
}

export interface DefinitionPlan {
  /** Definition files to delete (root-relative, e.g. schemas/trade.capnp). */
  remove: Array<{ file: string; abs: string }>
  /** Definition files kept because something else uses them. */
  kept: Array<{ file: string; used_by: string[] }>
  /** Imports, in definition files that stay, of a file to delete (`imports`: that file). */
  importers: Array<Referrer & { imports: string }>
}

/** The definition files that go with a schema (or one of its versions) and are used by nothing else. */
export function planDefinitionRemoval(ws: Workspace, name: string, schema: SchemaData, version?: string): DefinitionPlan {
  const candidates = new Set<string>()
  if (version === undefined) {
    if (typeof schema.schema_file === 'string' && schema.schema_file !== '') candidates.add(norm(schema.schema_file))
    for (const v of schema.versions ?? []) if (typeof obj(v)?.schema_file === 'string') candidates.add(norm(String(obj(v)!.schema_file)))
  } else {
    // A version's own file only: the schema-level file stays with the schema.
    const own = obj(schema.versions.find(v => obj(v)?.version === version))?.schema_file
    if (typeof own === 'string' && own !== '' && norm(own) !== norm(String(schema.schema_file ?? ''))) candidates.add(norm(own))
  }
  const inUse = definitionRefsInUse(ws, { schema: name, version })
  const plan: DefinitionPlan = { remove: [], kept: [], importers: [] }
  for (const ref of [...candidates].sort()) {
    const users = inUse.get(ref)
    const resolved = resolveDefinition(ws.root, ref)
    if (users) plan.kept.push({ file: resolved.display, used_by: users })
    else if (resolved.abs) plan.remove.push({ file: resolved.display, abs: resolved.abs })
  }
  if (plan.remove.length > 0) plan.importers = importersOf(ws, plan.remove, [...inUse.keys()])
  return plan
}

/**
 * The imports of `removed` files in the definition files that stay: those
 * the remaining schemas name (`staying`, references relative to schemas/)
 * and, transitively, every file they import. Deleting an imported file
 * would break a valid repository.
 */
function importersOf(ws: Workspace, removed: DefinitionPlan['remove'], staying: string[]): DefinitionPlan['importers'] {
  const gone = new Map(removed.map(r => [resolve(r.abs), r.file]))
  const seen = new Set<string>()
  const queue: string[] = []
  const visit = (abs: string) => {
    const key = resolve(abs)
    if (seen.has(key) || gone.has(key)) return
    seen.add(key)
    queue.push(key)
  }
  for (const ref of staying) {
    const abs = resolveDefinition(ws.root, ref).abs
    if (abs) visit(abs)
  }
  const out: DefinitionPlan['importers'] = []
  while (queue.length > 0) {
    for (const imp of definitionImports(ws.root, queue.shift()!)) {
      const hit = imp.targets.map(t => gone.get(resolve(t))).find(f => f !== undefined)
      if (hit !== undefined) out.push({ file: imp.file, line: imp.line, column: imp.column, text: imp.text, imports: hit })
      for (const t of imp.targets) if (existsSync(t)) visit(t)
    }
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line))
}

/** Refuses unless forced: definition files to delete are imported by files that stay. */
export function refuseIfImported(what: string, importers: DefinitionPlan['importers'], force: boolean): void {
  if (importers.length === 0 || force) return
  const byFile = new Map<string, string[]>()
  for (const i of importers) byFile.set(i.imports, [...(byFile.get(i.imports) ?? []), `${i.file}:${i.line} (${i.text})`])
  const list = [...byFile].map(([file, where]) => `${file} is imported by ${where.join(', ')}`).join('; ')
  throw new ConflictError(`cannot remove ${what}: ${list}; remove those imports first, or pass --force to remove it anyway`)
}

/** `schemas/a.capnp:3 (import "b.capnp")`, for a warning after a forced removal. */
export function importerList(importers: DefinitionPlan['importers']): string {
  return importers.map(i => `${i.file}:${i.line} (${i.text})`).join(', ')
}
