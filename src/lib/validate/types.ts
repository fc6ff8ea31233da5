import type { DefinitionCache } from '../domain/schema/definitions.js'
import type { SchemaDocument as SsmdSchemaDocument, SsmdDocument } from '../workspace/document.js'
import type { Workspace } from '../workspace/workspace.js'
import type { ContractFinding } from './contract.js'
import type {
  CheckContext as DataCheckContext,
  EnvironmentDocument,
  FeedDocument,
  PluginDocument,
  PluginWorkspace,
  RepositoryContext as DataRepositoryContext,
  SchemaDocument,
} from './plugin-api.js'

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

/**
 * The services ssmd's own rules may use besides the documents as data: each is
 * declared by name in the rule's `meta.uses` and present on its context only
 * then (reading an undeclared one throws). Plugin rules declare none.
 */
export interface Capabilities {
  /** ssmd's reading of a document: its parse problem, facts, text and locator (`source(doc).problem`, `.facts`, `.text`, `.locate`). */
  source(doc: PluginDocument<'schema'>): SsmdSchemaDocument
  source(doc: PluginDocument): SsmdDocument
  /** The schemas' definition files, resolved, hashed and parsed once per run. */
  readonly definitions: DefinitionCache
  /** The document's violations of its JSON Schema, checked once and shared by the rules that own them (schema/contract and the more specific rules its findings are handed to). */
  contract(doc: PluginDocument): readonly ContractFinding[] | Promise<readonly ContractFinding[]>
  /** The repository beyond its documents: the files that are not documents and the validation cache. */
  readonly repository: Workspace
}

export type Capability = keyof Capabilities

/** Every capability, in the order docs/rules.md lists them. */
export const CAPABILITIES: readonly Capability[] = ['source', 'definitions', 'contract', 'repository']

/** The context of a check: the plugin API's, plus the capabilities the rule declared. */
export type CheckContext<U extends Capability = never> = DataCheckContext & Pick<Capabilities, U>

/** The context of a `repository` check. */
export type RepositoryContext<U extends Capability = never> = DataRepositoryContext & Pick<Capabilities, U>

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

type Result = void | Promise<void>

/** The checks of a rule: any of these, each called by the engine with the documents as data (the same as a plugin's). */
export interface RuleChecks<U extends Capability = never> {
  /** Called for every document of every kind, even one that could not be parsed (`doc.data` undefined). */
  document?(doc: PluginDocument, ctx: CheckContext<U>): Result
  feed?(doc: FeedDocument, ctx: CheckContext<U>): Result
  schema?(doc: SchemaDocument, ctx: CheckContext<U>): Result
  environment?(doc: EnvironmentDocument, ctx: CheckContext<U>): Result
  /** Called once per run, for checks across files. Reports need `file`. */
  repository?(workspace: PluginWorkspace, ctx: RepositoryContext<U>): Result
}

/**
 * A rule: its declaration in `meta` (or, in the older form, `severity` and
 * `description` at the top level) and its checks.
 */
export type RuleDefinition = RuleChecks & ({ meta: RuleMeta; severity?: Severity; description?: string } | { meta?: undefined; severity: Severity; description: string })

/** A rule as the engine knows it: declaration + where it came from. */
export interface RuleInfo {
  id: string
  plugin: string
  description: string
  defaultSeverity: Severity
  /** Documentation URL, when the rule declares one. */
  docs?: string
}

export interface RulePack {
  plugin: string
  rules: Record<string, RuleDefinition>
}
