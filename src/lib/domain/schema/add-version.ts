import { extname } from 'node:path'
import type { SchemaChange } from '../../core/schema-change.js'
import { ConflictError, SsmdError, UsageError } from '../../core/errors.js'
import { plural } from '../../core/text.js'
import type { SchemaData } from '../../spec/types.generated.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { editDocument } from '../../workspace/files.js'
import { latestVersion, nextVersionId, versionNumber, type ClosedVersion } from '../versions.js'
import { checkCompatibility, DefinitionCache, type Definition } from './definitions.js'
import { FORMAT_BY_EXTENSION } from './files.js'
import {
  findSchemaVersion,
  installIncoming,
  locateIncoming,
  orderedEntry,
  parseIncoming,
  planDates,
  uninstallIncoming,
  usableSchema,
  versionsUsingRef,
  type IncomingDefinition,
  type SchemaFormat,
  type SchemaStatus,
  type SchemaVersion,
} from './lifecycle.js'
import { notParsing } from './parse.js'

/** `schema add-version` as the user asked for it (flags already checked one by one). */
export interface SchemaAddVersionInput {
  name: string
  /** The definition file as given (relative to the working directory, or to schemas/). */
  file: string
  effectiveFrom: string
  status: SchemaStatus
  /** Older versions whose data the new one claims to read. */
  claims: string[]
  breakingChanges?: string
  /** Record claims that do not hold (or cannot be checked). */
  force: boolean
}

/** The outcome of one compatibility check against an older version. */
export interface VersionComparison {
  /** False when no check was possible (`problem` or `unchecked`). */
  checked: boolean
  breaking: SchemaChange[]
  /** Why the older version could not be compared (its file is missing or does not parse). */
  problem?: string
  /** Why the format allows no sound check of this change (JSON Schema definitions that differ). */
  unchecked?: string
}

export interface CompatibilityCheck {
  with: string
  checked: boolean
  compatible?: boolean
  breaking: SchemaChange[]
}

export interface SchemaAddVersionPlan {
  id: string
  format: SchemaFormat
  entry: SchemaVersion
  incoming: IncomingDefinition
  closed?: ClosedVersion
  compatibility: CompatibilityCheck[]
  /** Claims that could not be checked, with the reason (recorded only because of --force). */
  unchecked: Array<{ with: string; problem: string }>
  /** Claims that do not hold (recorded only because of --force). */
  refused: string[]
  /** The compare with the latest existing version, for the breaking_changes hint. */
  previous?: { version: string; checked: boolean; breaking: SchemaChange[] }
}

/** `  file:line:col  message` */
export const changeLine = (c: SchemaChange) => `  ${c.file}:${c.line}:${c.column}  ${c.message}`

/** The head line of a claim that does not hold. */
export const refusedClaimText = (id: string, claim: string, breaking: readonly SchemaChange[]) =>
  `${id} is not compatible with ${claim}: ${plural(breaking.length, 'breaking change')}`

/**
 * Everything `schema add-version` will write, checked before anything is: the next
 * id, where its dates fit (an open-ended version is ended the day before), the
 * definition file (must parse, must not be another version's), and each
 * compatibility claim by the shared check (compareWithVersion). A false or uncheckable claim is
 * refused unless `force`.
 */
export async function planSchemaAddVersion(root: string, doc: SchemaDocument, input: SchemaAddVersionInput): Promise<SchemaAddVersionPlan> {
  const { name, claims } = input
  const schema = usableSchema(doc.file, doc.data, doc.problem)
  const format = schema.format
  const extFormat = FORMAT_BY_EXTENSION[extname(input.file).toLowerCase()]
  if (extFormat !== undefined && extFormat !== format) throw new UsageError(`--file ${input.file} looks like ${extFormat}, but schema '${name}' is ${format}`)

  const id = nextVersionId(schema.versions)
  checkClaimTargets(name, schema, id, claims)
  const { closed } = planDates(name, schema.versions, { version: id, effective_from: input.effectiveFrom })

  const incoming = locateIncoming(root, input.file)
  const users = versionsUsingRef(schema, incoming.ref)
  if (users.length > 0) {
    throw new ConflictError(
      `${incoming.display} is already the definition of ${users.join(', ')}; give ${id} its own file (e.g. schemas/${name}-${id}${extname(incoming.ref)}) so older versions keep theirs`,
    )
  }
  const def = await parseIncoming(root, incoming, format)
  if (!def.parsed?.ok) throw notParsing(incoming.shown, def.parsed?.problems ?? [], 'nothing written', format)

  // Each claim must hold; the previous version is compared too, for the breaking_changes hint.
  const cache = new DefinitionCache(root)
  const { compatibility, unchecked, refused } = await checkClaims(doc, schema, id, claims, def, cache, input.force)

  let previous: SchemaAddVersionPlan['previous']
  const prev = latestVersion(schema.versions.filter(v => v && typeof v.version === 'string'))
  if (prev) {
    const check = await compareWithVersion(doc, schema, prev.version, def, cache)
    previous = { version: prev.version, checked: check.checked, breaking: check.breaking }
  }

  const entry = orderedEntry({
    version: id,
    effective_from: input.effectiveFrom,
    status: input.status,
    schema_file: incoming.ref,
    hash: incoming.hash,
    compatible_with: claims.length > 0 ? claims : undefined,
    breaking_changes: input.breakingChanges,
  })
  return { id, format, entry, incoming, closed, compatibility, unchecked, refused, previous }
}

/** The outcome of checking compatibility claims (see checkClaims). */
export interface ClaimChecks {
  compatibility: CompatibilityCheck[]
  /** Claims that could not be checked, with the reason (recorded only because of force). */
  unchecked: Array<{ with: string; problem: string }>
  /** Claims that do not hold (recorded only because of force). */
  refused: string[]
}

/** Each claim names an existing version older than `id`. */
export function checkClaimTargets(name: string, schema: SchemaData, id: string, claims: readonly string[]): void {
  for (const claim of claims) {
    if (!schema.versions.some(v => v?.version === claim)) findSchemaVersion(name, schema, claim)
    if (!(versionNumber(claim) < versionNumber(id))) throw new SsmdError(`--compatible-with ${claim} is not older than ${id}`)
  }
}

/**
 * Checks that version `id`, whose definition is `def`, really can read the data
 * of each claimed older version (compareWithVersion). A claim that does not
 * hold, or cannot be checked, is refused — listing each breaking change —
 * unless `force`, which records it with the outcome.
 */
export async function checkClaims(
  doc: SchemaDocument,
  schema: SchemaData,
  id: string,
  claims: readonly string[],
  def: Definition,
  cache: DefinitionCache,
  force: boolean,
): Promise<ClaimChecks> {
  const compatibility: CompatibilityCheck[] = []
  const unchecked: ClaimChecks['unchecked'] = []
  const refused: string[] = []
  for (const claim of claims) {
    const check = await compareWithVersion(doc, schema, claim, def, cache)
    if (check.problem || check.unchecked) {
      if (!force && check.problem) throw new SsmdError(`cannot check --compatible-with ${claim}: ${check.problem}; fix it, drop the claim, or pass --force`)
      if (!force)
        throw new SsmdError(
          `cannot check --compatible-with ${claim}: ${check.unchecked}; drop the claim (describe what breaks with --breaking-changes), or pass --force to record it unchecked; nothing written`,
        )
      unchecked.push({ with: claim, problem: (check.problem ?? check.unchecked)! })
      compatibility.push({ with: claim, checked: false, breaking: [] })
      continue
    }
    compatibility.push({ with: claim, checked: check.checked, ...(check.checked ? { compatible: check.breaking.length === 0 } : {}), breaking: check.breaking })
    if (check.breaking.length > 0) refused.push(claim)
  }
  if (refused.length > 0 && !force) {
    const details = refused.flatMap(claim => {
      const { breaking } = compatibility.find(c => c.with === claim)!
      return [`${refusedClaimText(id, claim, breaking)}:`, ...breaking.map(changeLine)]
    })
    throw new SsmdError(`${id} is not compatible with ${refused.join(', ')} (breaking changes above); fix the definition, drop the claim, or pass --force; nothing written`, {
      details,
    })
  }
  return { compatibility, unchecked, refused }
}

/**
 * The notes for the user about checked claims: those that could not be
 * checked and those recorded although false (both only with --force), each
 * breaking change on its line.
 */
export function claimNotes(id: string, checks: ClaimChecks): string[] {
  const notes: string[] = []
  for (const u of checks.unchecked) notes.push(`warning: --compatible-with ${u.with} not checked: ${u.problem}`)
  for (const claim of checks.refused) {
    const { breaking } = checks.compatibility.find(c => c.with === claim)!
    notes.push(`warning: ${refusedClaimText(id, claim, breaking)}; recorded anyway because of --force`)
    for (const c of breaking) notes.push(changeLine(c))
  }
  return notes
}

/**
 * Writes a planned version: copies the definition into schemas/ when needed, then
 * appends the entry (and ends the open-ended version) under the file's lock. The
 * dates are planned again on the locked data; if another process added a version
 * meanwhile, nothing is written. Returns true when the definition was copied.
 */
export function writeSchemaAddVersion(doc: SchemaDocument, name: string, plan: SchemaAddVersionPlan): boolean {
  const { id, entry } = plan
  const created = installIncoming(plan.incoming)
  try {
    editDocument<SchemaData>(doc.absPath, doc.file, data => {
      const now = usableSchema(doc.file, data)
      if (nextVersionId(now.versions) !== id)
        throw new ConflictError(`${doc.file} changed while ${id} was being added (it now has ${now.versions.map(v => v.version).join(', ')}); run the command again`)
      const { closed } = planDates(name, now.versions, { version: id, effective_from: entry.effective_from })
      return [
        ...(closed ? [{ op: 'set' as const, path: ['versions', closed.index, 'effective_to'], value: closed.effective_to }] : []),
        { op: 'append' as const, path: ['versions'], value: entry },
      ]
    })
  } catch (error) {
    uninstallIncoming(plan.incoming, created)
    throw error
  }
  return created
}

/**
 * The shared claim check: breaking changes from version `older` to the new
 * definition, by checkCompatibility (structural for capnp and protobuf; JSON
 * Schema only when unchanged, else `unchecked`).
 */
export async function compareWithVersion(doc: SchemaDocument, schema: SchemaData, older: string, newer: Definition, cache: DefinitionCache): Promise<VersionComparison> {
  const { index } = findSchemaVersion(schema.name ?? doc.name, schema, older)
  const old = await cache.forVersion(doc, index)
  if (!old) return { checked: false, breaking: [], problem: `${older} names no definition file` }
  if (old.problem) return { checked: false, breaking: [], problem: old.problem.message }
  const result = old.parsed?.ok ? await checkCompatibility(old, newer) : undefined
  if (!result) return { checked: false, breaking: [], problem: `${old.display} (${older}) does not parse (ssmd validate)` }
  if (result.unchecked !== undefined) return { checked: false, breaking: [], unchecked: result.unchecked }
  return { checked: true, breaking: result.changes.filter(c => c.severity === 'breaking') }
}
