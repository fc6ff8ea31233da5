/*
 * The check API of ssmd's own rules: the plugins' (plugin-api.ts: documents
 * and workspace as data) plus the capabilities a rule declares in meta.uses.
 * Kept apart from types.ts, whose types the public API re-exports, so that
 * those stay free of ssmd's internal modules.
 */
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
import type { Capability, RuleMeta, Severity } from './types.js'

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

/** The context of a check: the plugin API's, plus the capabilities the rule declared. */
export type CheckContext<U extends Capability = never> = DataCheckContext & Pick<Capabilities, U>

/** The context of a `repository` check. */
export type RepositoryContext<U extends Capability = never> = DataRepositoryContext & Pick<Capabilities, U>

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

export interface RulePack {
  plugin: string
  rules: Record<string, RuleDefinition>
}
