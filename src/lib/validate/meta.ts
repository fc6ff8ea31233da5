import { SEVERITIES as POLICY_SEVERITIES } from '../spec/enums.js'
import type { RuleDefinition } from './checks.js'
import { CAPABILITIES, type Capability, type Report, type RuleMeta, type Severity } from './types.js'

/** A finding's severities: those ssmd.yaml may set (the spec's), but 'off'. */
export const SEVERITIES: readonly Severity[] = POLICY_SEVERITIES.filter((s): s is Severity => s !== 'off')

/** A rule's declaration as the engine uses it, whichever form the rule was written in. */
export interface ResolvedMeta {
  severity: Severity
  description: string
  docs?: string
  messages: Record<string, string>
  /** JSON Schema of the options ssmd.yaml may give the rule (`rules: { id: [severity, options] }`), when it takes any. */
  options?: Record<string, unknown>
  /** The capabilities the rule's checks receive on their context (built-in rules only: see meta.uses). */
  uses: ReadonlySet<Capability>
}

/** What a rule may declare besides RuleMeta: for ssmd's own rules, the capabilities it uses. */
type Declared = Partial<Record<keyof RuleMeta | 'uses', unknown>>

/** The declared fields, unchecked: `meta` wins over the older top-level `severity`/`description`. */
function declared(rule: RuleDefinition): Declared {
  const meta = rule.meta as Declared | undefined
  if (meta !== undefined && meta !== null && typeof meta === 'object') {
    return { ...meta, severity: meta.severity ?? rule.severity, description: meta.description ?? rule.description }
  }
  return { severity: rule.severity, description: rule.description }
}

/**
 * Why a rule's declaration is unusable, or undefined when it is fine.
 * `builtin`: the rule is one of ssmd's own, which alone may declare `meta.uses`.
 */
export function metaProblem(id: string, rule: RuleDefinition, builtin = false): string | undefined {
  if (rule.meta !== undefined && (rule.meta === null || typeof rule.meta !== 'object')) return `rule '${id}' has a 'meta' that is not an object`
  const d = declared(rule)
  if (d.id !== undefined && d.id !== id) return `rule '${id}' declares meta.id '${String(d.id)}'; use the id it is registered under`
  if (!SEVERITIES.includes(d.severity as Severity)) return `rule '${id}' has severity '${String(d.severity)}'; use error, warning or info`
  if (d.description !== undefined && typeof d.description !== 'string') return `rule '${id}' has a description that is not a string`
  if (d.docs !== undefined && (typeof d.docs !== 'string' || !/^https?:\/\/\S+$/.test(d.docs))) return `rule '${id}' has docs '${String(d.docs)}'; use an http(s) URL`
  if (d.messages !== undefined) {
    if (d.messages === null || typeof d.messages !== 'object' || Array.isArray(d.messages)) return `rule '${id}' has meta.messages that is not an object of message templates`
    for (const [key, text] of Object.entries(d.messages)) {
      if (typeof text !== 'string') return `rule '${id}' has message '${key}' that is not a string`
      const broken = /\{\{(?!\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\})/.exec(text)
      if (broken) return `rule '${id}' has message '${key}' with a malformed placeholder at column ${broken.index + 1}; write {{name}}`
    }
  }
  if (d.uses !== undefined) {
    if (!builtin) return `rule '${id}' declares meta.uses, which only ssmd's built-in rules may declare; a plugin's checks read the documents as data (ctx.workspace, doc.data)`
    if (!Array.isArray(d.uses)) return `rule '${id}' has meta.uses that is not a list; list capabilities from ${CAPABILITIES.join(', ')}`
    const unknown = (d.uses as unknown[]).find(c => !CAPABILITIES.includes(c as Capability))
    if (unknown !== undefined) return `rule '${id}' declares meta.uses '${String(unknown)}'; use ${CAPABILITIES.join(', ')}`
  }
  if (d.options !== undefined) {
    if (d.options === null || typeof d.options !== 'object' || Array.isArray(d.options)) return `rule '${id}' has meta.options that is not a JSON Schema object`
    const why = optionsSchemaProblem(d.options)
    if (why) return `rule '${id}' has meta.options that ${why}`
  }
  return undefined
}

/** Largest options schema ssmd compiles, as JSON. */
const MAX_OPTIONS_SCHEMA = 16 * 1024

/**
 * ssmd compiles a plugin's options schema in its own process (ajv treats a
 * schema as code it trusts), so only a plain subset is accepted: bounded size,
 * no regular expressions (a pattern could make checking ssmd.yaml take
 * forever) and no references outside the schema itself.
 */
function optionsSchemaProblem(schema: object): string | undefined {
  let json: string
  try {
    json = JSON.stringify(schema)
  } catch {
    return 'is not plain JSON'
  }
  if (json.length > MAX_OPTIONS_SCHEMA) return `is ${json.length} characters of JSON; keep an options schema under ${MAX_OPTIONS_SCHEMA}`
  let problem: string | undefined
  const walk = (node: unknown, depth: number): void => {
    if (problem !== undefined || node === null || typeof node !== 'object') return
    if (depth > 32) {
      problem = 'is nested more than 32 levels deep'
      return
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'pattern' || key === 'patternProperties' || key === 'format') problem = `uses '${key}'; options schemas may not use regular expressions or formats`
      else if ((key === '$ref' || key === '$dynamicRef') && (typeof value !== 'string' || !value.startsWith('#'))) problem = `has a ${key} outside the schema itself`
      else walk(value, depth + 1)
      if (problem !== undefined) return
    }
  }
  walk(schema, 0)
  return problem
}

const NO_CAPABILITIES: ReadonlySet<Capability> = new Set()

/** A rule's declaration; call only after metaProblem found nothing. */
export function resolveMeta(rule: RuleDefinition): ResolvedMeta {
  const d = declared(rule)
  return {
    severity: d.severity as Severity,
    description: typeof d.description === 'string' ? d.description : '',
    docs: typeof d.docs === 'string' ? d.docs : undefined,
    messages: (d.messages as Record<string, string> | undefined) ?? {},
    ...(d.options === undefined ? {} : { options: d.options as Record<string, unknown> }),
    uses: Array.isArray(d.uses) && d.uses.length > 0 ? new Set(d.uses as Capability[]) : NO_CAPABILITIES,
  }
}

/** Fills `{{name}}` placeholders from `data`. A placeholder without data is the rule's mistake: it throws, never shows `{{name}}`. */
export function formatMessage(template: string, data: Report['data'] = {}, where = 'the message'): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_whole, key: string) => {
    if (data !== null && typeof data === 'object' && Object.prototype.hasOwnProperty.call(data, key)) return String(data[key])
    throw new Error(`${where} has a placeholder '${key}', but the report's data has no '${key}'`)
  })
}

/** The text of a report: its `message`, or its `messageId` template filled from `data`. Throws for an unknown messageId. */
export function reportText(id: string, messages: Record<string, string>, report: Report): string {
  if (report.messageId !== undefined) {
    const template = Object.prototype.hasOwnProperty.call(messages, report.messageId) ? messages[report.messageId] : undefined
    if (template === undefined) throw new Error(`rule '${id}' reported messageId '${String(report.messageId)}', which its meta.messages does not declare`)
    return formatMessage(template, report.data ?? {}, `rule '${id}' reported messageId '${report.messageId}', whose template`)
  }
  return String(report.message ?? '(no message)')
}
