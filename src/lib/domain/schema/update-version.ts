import { ConflictError, SsmdError, UsageError } from '../../core/errors.js'
import { deepEqual } from '../../core/deep-equal.js'
import type { SchemaData } from '../../spec/types.generated.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { editDocument } from '../../workspace/files.js'
import { mapEdits, type Change } from '../../yaml/changes.js'
import type { EditOp } from '../../yaml/edit.js'
import { planDateChange, type DateChange, type VersionGap } from '../versions.js'
import { checkClaims, checkClaimTargets, type ClaimChecks } from './add-version.js'
import { DefinitionCache } from './definitions.js'
import { findSchemaVersion, usableSchema, type SchemaFormat } from './lifecycle.js'

/** `schema update-version` as the user asked for it (flags already checked one by one). */
export interface SchemaUpdateInput {
  /** Replace the claims with these. */
  compatibleWith?: string[]
  /** Add these claims. */
  addCompatibleWith?: string[]
  /** Drop these claims. */
  removeCompatibleWith?: string[]
  /** Drop every claim. */
  noCompatibleWith?: boolean
  breakingChanges?: string
  noBreakingChanges?: boolean
  dates: DateChange
  /** Record claims that do not hold (or cannot be checked). */
  force: boolean
}

export interface SchemaUpdatePlan {
  index: number
  id: string
  format: SchemaFormat
  /** The schema's versions the plan was made on: the write refuses if they changed meanwhile. */
  versions: SchemaData['versions']
  ops: EditOp[]
  changes: Change[]
  /** Claims the change adds, each checked (`checks`). */
  added: string[]
  checks: ClaimChecks
  /** Gaps between versions a date change opens (a warning). */
  gaps: VersionGap[]
}

const claimsOf = (v: { compatible_with?: unknown }): string[] => (Array.isArray(v.compatible_with) ? v.compatible_with.map(String) : [])

/**
 * Everything `schema update-version` will write, checked before anything is:
 * the new compatible_with list (each claim it adds must name an older version
 * and hold, as for `schema add-version`), breaking_changes, and the dates
 * (no shared day with another version; gaps are reported).
 */
export async function planSchemaUpdateVersion(root: string, doc: SchemaDocument, name: string, id: string, input: SchemaUpdateInput): Promise<SchemaUpdatePlan> {
  const schema = usableSchema(doc.file, doc.data, doc.problem)
  const { index, version } = findSchemaVersion(name, schema, id)
  const ref = `${name}:${id}`

  const before = claimsOf(version)
  let claims = input.noCompatibleWith ? [] : (input.compatibleWith ?? [...before])
  for (const c of input.addCompatibleWith ?? []) if (!claims.includes(c)) claims.push(c)
  for (const c of input.removeCompatibleWith ?? []) {
    if (!claims.includes(c))
      throw new UsageError(`--remove-compatible-with ${c}: ${ref} claims no compatibility with ${c} (compatible_with: ${before.length > 0 ? before.join(', ') : 'none'})`)
    claims = claims.filter(x => x !== c)
  }
  const added = claims.filter(c => !before.includes(c))
  checkClaimTargets(name, schema, id, added)

  let checks: ClaimChecks = { compatibility: [], unchecked: [], refused: [] }
  if (added.length > 0) {
    const cache = new DefinitionCache(root)
    const def = await cache.forVersion(doc, index)
    const problem = !def
      ? `${ref} names no definition file`
      : def.problem
        ? def.problem.message
        : def.parsed?.ok
          ? undefined
          : `${def.display} (${id}) does not parse (ssmd validate)`
    if (problem === undefined) checks = await checkClaims(doc, schema, id, added, def!, cache, input.force)
    else if (!input.force) throw new SsmdError(`cannot check --compatible-with ${added.join(', ')}: ${problem}; fix it, drop the claim, or pass --force`)
    else checks = { compatibility: added.map(c => ({ with: c, checked: false, breaking: [] })), unchecked: added.map(c => ({ with: c, problem })), refused: [] }
  }

  const after: Record<string, unknown> = { ...version }
  if (!deepEqual(claims, before)) after.compatible_with = claims.length > 0 ? claims : undefined
  if (input.breakingChanges !== undefined) after.breaking_changes = input.breakingChanges
  if (input.noBreakingChanges) after.breaking_changes = undefined

  let gaps: VersionGap[] = []
  const { dates } = input
  if (dates.effective_from !== undefined || dates.effective_to !== undefined || dates.clearEffectiveTo) {
    const planned = planDateChange(schema.versions, index, dates, 'a schema')
    after.effective_from = planned.range.effective_from
    after.effective_to = planned.range.effective_to
    gaps = planned.gaps
  }

  const ops: EditOp[] = []
  const changes: Change[] = []
  // New keys take their place in file-format order when written (editDocument).
  mapEdits(['versions', index], version as Record<string, unknown>, after, ops, changes)
  return {
    index,
    id,
    format: schema.format,
    versions: schema.versions,
    ops,
    changes,
    added,
    checks,
    gaps,
  }
}

/** Writes a planned update under the file's lock; refuses if the versions changed since the plan was made. */
export function writeSchemaUpdateVersion(doc: SchemaDocument, plan: SchemaUpdatePlan): boolean {
  return editDocument<SchemaData>(doc.absPath, doc.file, data => {
    const now = usableSchema(doc.file, data)
    if (!deepEqual(now.versions, plan.versions)) throw new ConflictError(`${doc.file} changed while ${plan.id} was being updated; run the command again`)
    return plan.ops
  }).changed
}
