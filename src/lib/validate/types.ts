export type Severity = 'error' | 'warning' | 'info'

/** One problem found by a rule, located in the source. */
export interface Finding {
  rule: string
  severity: Severity
  message: string
  /** Path relative to the ssmd root. */
  file: string
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  /** JSON Pointer into the document ('' for the whole file). */
  path: string
  /** The plugin that declared the rule ('ssmd' for built-in rules). */
  plugin: string
}

/** What a check passes to `ctx.report`: a `message`, or a `messageId` from the rule's `meta.messages` with its `data`. */
export interface Report {
  message?: string
  /** Key of a template in the rule's `meta.messages`; `{{name}}` in it is replaced by `data.name`. */
  messageId?: string
  data?: Record<string, string | number | boolean>
  /** JSON Pointer into the document being checked; line:col is filled in from the source. */
  path?: string
  /** Point at the key instead of the value (e.g. for an unknown key). */
  at?: 'key' | 'value'
  /** Another file (relative to the root) with an explicit position, e.g. a .capnp definition. */
  file?: string
  line?: number
  column?: number
  /** Override the rule's severity for this finding (e.g. warning for deprecated, error for draft). */
  severity?: Severity
}

/** What a rule declares about itself: shown by `ssmd rules list`, in SARIF rule descriptors and in the docs. */
export interface RuleMeta {
  /** The rule id (for a pack rule, the key it is registered under; given here, it must be the same). */
  id?: string
  /** Default severity. */
  severity: Severity
  /** One sentence: what the rule checks. */
  description: string
  /** Where the rule is documented (an https URL): SARIF `helpUri`, `ssmd rules list`. */
  docs?: string
  /** Message templates by id, for `ctx.report({ messageId, data })`; `{{name}}` is replaced by `data.name`. */
  messages?: Record<string, string>
  /**
   * JSON Schema (draft 2020-12) of the options the rule takes: ssmd.yaml gives
   * them as `rules: { <id>: [<severity>, <options>] }` and ssmd checks them
   * against this schema before the rule's findings count; the rule reads them
   * as `ctx.options`.
   */
  options?: Record<string, unknown>
}

/** A rule as the engine knows it: declaration + where it came from. */
export interface RuleInfo {
  id: string
  plugin: string
  description: string
  defaultSeverity: Severity
  /** Documentation URL, when the rule declares one. */
  docs?: string
}

/** The services ssmd's own rules may declare in `meta.uses` (see Capabilities in checks.ts). */
export type Capability = 'source' | 'definitions' | 'contract' | 'repository'

/** Every capability, in the order docs/rules.md lists them. */
export const CAPABILITIES: readonly Capability[] = ['source', 'definitions', 'contract', 'repository']
