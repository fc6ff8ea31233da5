/*
 * What a rule may report, checked once for every rule: ssmd's built-in rules
 * (run in ssmd's process by engine.ts) and plugin rules (run sealed, their
 * reports checked by plugins.ts) pass through the same functions here, so a
 * report is refused, shown or shortened the same way whoever made it.
 *
 * - the rule's id: inside its pack's namespace, the pack's name plain and not
 *   one of ssmd's own (namespaceProblem, packNameProblem);
 * - the report: an object; `message` a non-empty string or `messageId` one of
 *   the rule's `meta.messages` with `data` of strings, numbers and booleans
 *   filling every placeholder; `severity` error, warning or info; `path` a
 *   JSON Pointer; `at` key or value; `file` a path inside the repository;
 *   `line` and `column` whole numbers from 1; no string longer than
 *   MAX_REPORT_CHARS (reportProblem, reportFinding) — a built-in rule's
 *   strings, which quote the checked files, are cut to it instead (fitted);
 * - the finding's text: secrets redacted, control characters flattened to one
 *   space, at most MAX_MESSAGE characters (cleanText).
 *
 * The sealed runner (sealed-runner.ts) copies a report out of the plugin's
 * engine before any of this, with the same length limit, only to keep the
 * answer small: the verdict is this module's.
 */
import { redact as redactSecrets } from '../domain/secrets.js'
import type { SsmdDocument } from '../workspace/document.js'
import { reportText, type ResolvedMeta } from './meta.js'
import type { Finding, Report, RuleInfo, Severity } from './types.js'

/** The longest message a finding shows; longer ones end in '…'. */
export const MAX_MESSAGE = 1000
/** The most findings one plugin may report in a run; more is a failure of the plugin. */
export const MAX_FINDINGS = 10000
/** The longest string a report may carry (message, file, path, a template value); refused beyond, before any other work on it. */
export const MAX_REPORT_CHARS = 4000

/** The most template values a report may carry. */
export const MAX_DATA_VALUES = 100
/** The fields of a report a finding is made of, besides `data`. */
export const REPORT_FIELDS = ['message', 'messageId', 'path', 'at', 'file', 'line', 'column', 'severity'] as const

const SEVERITIES = new Set(['error', 'warning', 'info'])
const PACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** The namespaces of ssmd's built-in rules (a test keeps this list equal to the rules' ids). */
export const BUILTIN_NAMESPACES: readonly string[] = ['date', 'env', 'feed', 'name', 'policy', 'ref', 'repo', 'schema', 'security', 'yaml']

/** Rule-id prefixes only ssmd may use: its own name and every built-in namespace. */
export function reservedNamespaces(builtinRules: ReadonlyArray<Pick<RuleInfo, 'id'>> = []): Set<string> {
  const out = new Set(['ssmd', 'plugin', 'policy', 'yaml', 'contract', ...BUILTIN_NAMESPACES])
  for (const r of builtinRules) if (r.id.includes('/')) out.add(r.id.slice(0, r.id.indexOf('/')).toLowerCase())
  return out
}

/** Why a plugin's pack name is refused, or undefined. */
export function packNameProblem(name: unknown, reserved: ReadonlySet<string>): string | undefined {
  if (typeof name !== 'string' || name === '') return "its rule pack has no 'plugin' name (export default defineChecks({ plugin: 'acme', rules: {...} }))"
  if (!PACK_NAME.test(name)) return `its rule pack name '${cleanText(name, 60)}' is not a plain name (letters, digits, '.', '_', '-')`
  if (reserved.has(name.toLowerCase())) return `its rule pack is named '${name}', which is reserved for ssmd's built-in rules; choose the plugin's own name`
  return undefined
}

/** Why a rule id is outside its pack's namespace, or undefined. ssmd's own pack ('ssmd') spans the built-in namespaces. */
export function namespaceProblem(pack: string, id: string): string | undefined {
  if (pack === 'ssmd') return id.includes('/') && !id.startsWith('/') ? undefined : `rule '${cleanText(id, 100)}' has no namespace; built-in rule ids are <namespace>/<name>`
  if (!id.startsWith(`${pack}/`) || id.length === pack.length + 1) return `rule '${cleanText(id, 100)}' is outside its namespace; its rule ids must start with '${pack}/'`
  return undefined
}

/** Control characters (newlines, escape sequences) would let a rule forge output lines: each run becomes one space. Secrets are redacted, the length capped. */
export function cleanText(text: string, max = MAX_MESSAGE): string {
  // Bounded first: no character-by-character work on more than a few times what can be shown.
  const redacted = redactSecrets(text.length > max * 8 ? text.slice(0, max * 8) : text)
  let flat = ''
  let gap = false
  for (let i = 0; i < redacted.length; i++) {
    const c = redacted.charCodeAt(i)
    const control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029
    if (control) gap = true
    else {
      if (gap) flat += ' '
      gap = false
      flat += redacted[i]
    }
  }
  flat = flat.trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1

/**
 * A repository-relative path that stays inside the repository, or undefined.
 * Control characters are allowed: a repository can hold such a file (git
 * quotes its name; repo/unrecognised-file reports it), and every output
 * escapes them in text and keeps them exact in JSON.
 */
function insideRepo(file: string): string | undefined {
  if (file === '' || file.length > 1024) return undefined
  if (file.startsWith('/') || file.includes('\\') || /^[A-Za-z]:/.test(file)) return undefined
  const parts = file.split('/')
  if (parts.some(p => p === '..' || p === '.' || p === '')) return undefined
  return file
}

/** Why a report cannot become a finding (a phrase after "rule '<id>'"), or undefined. */
export function reportProblem(report: unknown, meta: ResolvedMeta): string | undefined {
  if (report === null || typeof report !== 'object') return `reported ${report === null ? 'null' : typeof report} instead of { message, path }`
  const r = report as Record<string, unknown>
  // The fields a finding is made of (others are ignored), then the template values: what the sealed runner copies, checked the same way.
  for (const key of REPORT_FIELDS) {
    const value = r[key]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      return `reported a '${key}' that is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`
    if (typeof value === 'string' && value.length > MAX_REPORT_CHARS) return `reported a '${key}' of ${value.length} characters; the limit is ${MAX_REPORT_CHARS}`
  }
  const data = r.data
  if (data !== undefined) {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'reported data that is not an object of strings, numbers and booleans'
    const keys = Object.keys(data)
    if (keys.length > MAX_DATA_VALUES) return `reported data with ${keys.length} values; the limit is ${MAX_DATA_VALUES}`
    for (const key of keys) {
      const value = (data as Record<string, unknown>)[key]
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return `reported data.${key.slice(0, 60)} that is not a string, number or boolean`
      if (typeof value === 'string' && value.length > MAX_REPORT_CHARS) return `reported data.${key.slice(0, 60)} of ${value.length} characters; the limit is ${MAX_REPORT_CHARS}`
    }
  }
  if (r.messageId !== undefined) {
    if (typeof r.messageId !== 'string' || !Object.prototype.hasOwnProperty.call(meta.messages, r.messageId))
      return `reported messageId '${cleanText(String(r.messageId), 60)}', which its meta.messages does not declare`
  } else if (typeof r.message !== 'string' || r.message.trim() === '') {
    return `reported ${r.message === undefined ? 'no message' : `a message that is ${typeof r.message === 'string' ? 'empty' : r.message === null ? 'null' : `a ${typeof r.message}`}`}`
  }
  if (r.severity !== undefined && (typeof r.severity !== 'string' || !SEVERITIES.has(r.severity)))
    return `reported severity '${cleanText(String(r.severity), 40)}'; use error, warning or info`
  if (r.path !== undefined && (typeof r.path !== 'string' || (r.path !== '' && !r.path.startsWith('/'))))
    return `reported path '${cleanText(String(r.path), 80)}', which is not a JSON Pointer (like '/versions/0/endpoint')`
  if (r.at !== undefined && r.at !== 'key' && r.at !== 'value') return `reported at: '${cleanText(String(r.at), 40)}'; use 'key' or 'value'`
  if (r.file !== undefined && (typeof r.file !== 'string' || insideRepo(r.file) === undefined))
    return `reported file '${cleanText(String(r.file), 120)}', which is not a path inside the repository (relative, no '..')`
  for (const key of ['line', 'column'] as const) {
    if (r[key] !== undefined && !positive(r[key])) return `reported ${key} ${cleanText(String(r[key]), 40)}; lines and columns are whole numbers from 1`
  }
  return undefined
}

/** Where a finding made from a report points: its own file and position, else the document's, located from the JSON Pointer. */
function toFinding(rule: string, pack: string, severity: Severity, doc: SsmdDocument | undefined, r: Report, text: string): Finding {
  const path = typeof r.path === 'string' ? r.path : ''
  const file = typeof r.file === 'string' ? r.file : (doc?.file ?? '')
  let line = positive(r.line) ? r.line : undefined
  let column = positive(r.column) ? r.column : undefined
  if ((line === undefined || column === undefined) && doc && file === doc.file) {
    const pos = doc.locate(path, r.at === 'key' ? 'key' : 'value')
    line ??= pos.line
    column ??= pos.column
  }
  return { rule, severity, message: cleanText(text), file, line: line ?? 1, column: column ?? 1, path, plugin: pack }
}

/** The pack name of ssmd's built-in rules. */
const BUILTIN_PACK = 'ssmd'

/**
 * A built-in rule's report with every string cut to MAX_REPORT_CHARS: ssmd's
 * own rules quote what the checked files hold (a 50,000-character key is a
 * finding, not a failure of the rule), where a plugin's over-long string is
 * refused. A path is cut back to the longest ancestor pointer that fits, so
 * the finding still points into the document; other strings end in '…'.
 */
function fitted(report: unknown): unknown {
  if (report === null || typeof report !== 'object') return report
  const r = report as Record<string, unknown>
  const long = (v: unknown): v is string => typeof v === 'string' && v.length > MAX_REPORT_CHARS
  const data = r.data !== null && typeof r.data === 'object' && !Array.isArray(r.data) ? (r.data as Record<string, unknown>) : undefined
  if (!REPORT_FIELDS.some(k => long(r[k])) && !(data && Object.values(data).some(long))) return report
  const cut = (v: string) => v.slice(0, MAX_REPORT_CHARS - 1) + '…'
  const out: Record<string, unknown> = { ...r }
  for (const k of REPORT_FIELDS) {
    const v = r[k]
    if (!long(v)) continue
    out[k] = k === 'path' ? v.slice(0, Math.max(0, v.lastIndexOf('/', MAX_REPORT_CHARS))) : cut(v)
  }
  if (data) out.data = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, long(v) ? cut(v) : v]))
  return out
}

/** The rule a report comes from: its id, pack, declaration and the severity ssmd.yaml sets for it (if any). */
export interface Reporter {
  id: string
  pack: string
  meta: ResolvedMeta
  setting?: Severity
}

/**
 * A report as a finding in `doc` (undefined: a report across files, which
 * names its `file`), or why it is refused: a phrase after "rule '<id>'".
 */
export function reportFinding(from: Reporter, doc: SsmdDocument | undefined, report: unknown): Finding | string {
  if (from.pack === BUILTIN_PACK) report = fitted(report)
  const why = reportProblem(report, from.meta)
  if (why !== undefined) return why
  const r = report as Report
  let text: string
  try {
    text = reportText(from.id, from.meta.messages, r)
  } catch (error) {
    return (error as Error).message.replace(`rule '${from.id}' `, '')
  }
  return toFinding(from.id, from.pack, from.setting ?? r.severity ?? from.meta.severity, doc, r, text)
}
