import { addDays, isValidDate } from '../../core/dates.js'
import { rangesOverlap, resolveVersionForDate, versionNumber } from '../../domain/versions.js'
import type { PluginDocument, SchemaDocument } from '../plugin-api.js'
import type { CheckContext, RuleChecks } from '../checks.js'
import type { Capability, Report, RuleMeta } from '../types.js'
import type { ContractFinding } from '../contract.js'
import { isObj, type Obj } from '../../core/objects.js'

/**
 * What every built-in rule declares. Its documentation is its `### <id>`
 * section of docs/rules.md, installed with ssmd and printed by
 * `ssmd rules show <id>`; no URL is declared.
 */
export type BuiltinMeta<U extends Capability = Capability> = Required<Pick<RuleMeta, 'id' | 'severity' | 'description' | 'messages'>> & {
  /**
   * 'file': the checks read only the document they are given (its data, and
   * what the `source` and `contract` capabilities tell of it; never
   * `ctx.workspace`, `ctx.installedPlugins`, `definitions` nor `repository`,
   * which then throw). The engine runs such rules file by file and their
   * findings are kept by the validation cache while the file is unchanged.
   * Its `repository` check, if any, runs with the rules across files and
   * does see the workspace.
   */
  scope?: 'file'
  /**
   * The services beyond the documents as data that the checks use (see
   * Capabilities): each is on the context only when listed here.
   */
  uses?: readonly U[]
}

/** A built-in rule module's default export: meta plus the checks. */
export type BuiltinRule = RuleChecks<Capability> & { meta: BuiltinMeta }

/** Declares a built-in rule (documented in docs/rules.md under `### <id>`); its checks' context has the capabilities `meta.uses` lists. */
export function builtinRule<const U extends Capability = never>(rule: RuleChecks<U> & { meta: BuiltinMeta<U> }): BuiltinRule {
  return rule as BuiltinRule
}

/**
 * Message template of a finding that passes on another component's text (the
 * JSON Schema contract, the YAML reader, a definition parser) unchanged.
 */
export const PASSED_ON = '{{message}}'

export { isObj, type Obj }
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The list at `key` with each item's index, skipping items that are not mappings. */
export function items(data: unknown, key: string): Array<[Obj, number]> {
  const list = isObj(data) ? data[key] : undefined
  if (!Array.isArray(list)) return []
  const out: Array<[Obj, number]> = []
  list.forEach((v, i) => {
    if (isObj(v)) out.push([v, i])
  })
  return out
}

/** Runs `fn` with the document's contract violations (the `contract` capability): synchronously when they are at hand. */
export function withContract(doc: PluginDocument, ctx: CheckContext<'contract'>, fn: (contract: readonly ContractFinding[]) => void): void | Promise<void> {
  const c = ctx.contract(doc)
  return isContractList(c) ? fn(c) : c.then(fn)
}

const isContractList = (c: readonly ContractFinding[] | Promise<readonly ContractFinding[]>): c is readonly ContractFinding[] => Array.isArray(c)

/** Reports the contract violations that belong to `rule` (message id `contract`, declared as PASSED_ON). */
export function shareContract(contract: readonly ContractFinding[], ctx: CheckContext, rule: string): void {
  for (const f of contract) if (f.rule === rule) ctx.report({ messageId: 'contract', data: { message: String(f.message) }, path: f.path, at: f.at })
}

/** Reports the contract violations of a document that belong to `rule`. */
export function reportContractShare(doc: PluginDocument, ctx: CheckContext<'contract'>, rule: string): void | Promise<void> {
  return withContract(doc, ctx, contract => shareContract(contract, ctx, rule))
}

const escapeSegment = (s: string) => (s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s)

/** The JSON Pointer of a value from its keys and array positions (`''` for the document itself). */
export function jsonPointer(segments: ReadonlyArray<string | number>): string {
  let out = ''
  for (const s of segments) out += `/${typeof s === 'number' ? s : escapeSegment(s)}`
  return out
}

/**
 * Calls `fn` for every string value of a document, depth first in key order,
 * with the key it sits under; `path()` builds its JSON Pointer, which only a
 * finding needs (building it for every string of every document is most of the cost).
 */
export function eachString(data: unknown, fn: (value: string, key: string, path: () => string) => void): void {
  // Array positions stay numbers until a path is asked for.
  const segments: Array<string | number> = []
  const path = () => jsonPointer(segments)
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') fn(node, key, path)
    else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        segments.push(i)
        walk(node[i], key)
        segments.pop()
      }
    } else if (isObj(node)) {
      for (const k of Object.keys(node)) {
        segments.push(k)
        walk(node[k], k)
        segments.pop()
      }
    }
  }
  walk(data, '')
}

/** An environment's schema reference: name:version. */
export const SCHEMA_REF = /^([a-z0-9][a-z0-9_-]{0,62}):(v[1-9][0-9]*)$/

/** The lower-case scheme of a URL with something after `://`: the one URL vocabulary, shared with input checks and the redactor. */
export { urlScheme } from '../../domain/secrets.js'

/** Definition-path problems that are schema/path-escape's; the others are schema/file-missing's. */
export const PATH_PROBLEMS = new Set(['absolute', 'escape', 'symlink'])

/** JSON Pointer of the key naming a version's definition file. */
export function definitionRefPath(version: Obj, index: number): string {
  return typeof version.schema_file === 'string' ? `/versions/${index}/schema_file` : '/schema_file'
}

/**
 * Calls `fn` once per key naming a definition file whose resolution failed with
 * a problem `wanted` accepts (versions sharing the schema-level file report once).
 */
export async function eachDefinitionProblem(
  doc: SchemaDocument,
  ctx: CheckContext<'definitions' | 'source'>,
  wanted: (kind: string) => boolean,
  fn: (problem: { kind: string; message: string }, version: Obj, path: string) => void,
): Promise<void> {
  const cache = ctx.definitions
  const source = ctx.source(doc)
  const reported = new Set<string>()
  for (const [v, i] of items(doc.data, 'versions')) {
    const def = await cache.forVersion(source, i)
    const path = definitionRefPath(v, i)
    if (def?.problem && wanted(def.problem.kind) && !reported.has(path)) {
      reported.add(path)
      fn(def.problem, v, path)
    }
  }
}

interface Dated {
  index: number
  id: string
  from: string
  to?: string
}

/** Versions whose dates are usable for range checks (bad dates are other rules' findings). */
export function datedVersions(data: unknown): Dated[] {
  const out: Dated[] = []
  for (const [v, i] of items(data, 'versions')) {
    const from = v.effective_from
    const to = v.effective_to
    if (!isValidDate(from)) continue
    if (to !== undefined && !isValidDate(to)) continue
    out.push({ index: i, id: String(v.version ?? `#${i}`), from, to: to as string | undefined })
  }
  return out
}

/** Message templates of reportOverlaps. */
export const OVERLAP_MESSAGES = {
  duplicateId: "version id '{{id}}' is used twice (also at /versions/{{other}}); give each {{what}} version a unique id",
  overlapOpen: '{{later}} overlaps {{earlier}} (both cover {{day}}); end {{earlier}} with effective_to: {{endOn}}',
  overlapClosed: '{{later}} overlaps {{earlier}} (both cover {{day}}); start {{later}} after {{earlierEnd}}',
}

/** Duplicate version ids and overlapping date ranges (feeds and schemas alike); messages from OVERLAP_MESSAGES. */
export function reportOverlaps(data: unknown, ctx: CheckContext, what: string): void {
  const seen = new Map<string, number>()
  for (const [v, i] of items(data, 'versions')) {
    const id = v.version
    if (typeof id !== 'string') continue
    if (seen.has(id)) ctx.report({ path: `/versions/${i}/version`, messageId: 'duplicateId', data: { id, other: seen.get(id)!, what } })
    else seen.set(id, i)
  }
  const dated = datedVersions(data).filter(d => d.to === undefined || d.to >= d.from)
  for (let a = 0; a < dated.length; a++) {
    for (let b = a + 1; b < dated.length; b++) {
      const x = dated[a]
      const y = dated[b]
      if (rangesOverlap({ effective_from: x.from, effective_to: x.to }, { effective_from: y.from, effective_to: y.to })) {
        const later = versionNumber(y.id) >= versionNumber(x.id) ? y : x
        const earlier = later === y ? x : y
        const day = earlier.from > later.from ? earlier.from : later.from
        const path = `/versions/${later.index}/effective_from`
        if (earlier.to === undefined) ctx.report({ path, messageId: 'overlapOpen', data: { later: later.id, earlier: earlier.id, day, endOn: addDays(later.from, -1) } })
        else ctx.report({ path, messageId: 'overlapClosed', data: { later: later.id, earlier: earlier.id, day, earlierEnd: earlier.to } })
      }
    }
  }
}

/** Why no version is in effect on a day: the version that ended last before it, and the one starting first after it. */
export interface NoCurrentVersion {
  ended?: { index: number; version: string; on: string }
  next?: { index: number; version: string; on: string }
}

/**
 * Undefined when a version is in effect on `date` (or none has usable dates:
 * other rules' findings); otherwise the versions either side of the day.
 */
export function noCurrentVersion(
  versions: ReadonlyArray<{ index: number; version: string; effective_from: string; effective_to?: string }>,
  date: string,
): NoCurrentVersion | undefined {
  if (versions.length === 0 || resolveVersionForDate(versions, date)) return undefined
  const out: NoCurrentVersion = {}
  for (const v of versions) {
    if (v.effective_to !== undefined && v.effective_to < date && (!out.ended || v.effective_to > out.ended.on))
      out.ended = { index: v.index, version: v.version, on: v.effective_to }
    if (v.effective_from > date && (!out.next || v.effective_from < out.next.on)) out.next = { index: v.index, version: v.version, on: v.effective_from }
  }
  return out
}

/** Message ids of the no-current-version rules, and the finding's path and data, from `noCurrentVersion`. */
export function noCurrentVersionReport(gap: NoCurrentVersion, data: Record<string, string>): Report {
  const { ended, next } = gap
  const messageId = ended && next ? 'between' : ended ? 'ended' : 'starts'
  const path = next ? `/versions/${next.index}/effective_from` : `/versions/${ended!.index}/effective_to`
  return {
    path,
    messageId,
    data: {
      ...data,
      ...(ended ? { ended: ended.version, endedOn: ended.on, dayAfter: addDays(ended.on, 1) } : {}),
      ...(next ? { next: next.version, startsOn: next.on } : {}),
    },
  }
}
