/*
 * The types a validation plugin is written against (exported by the `ssmd`
 * package for `import type`). A plugin runs in its own process and gets the
 * repository as plain data, so these describe data, not ssmd's classes. The
 * data has NOT been checked against the file format when a check sees it:
 * every field is `unknown` until the check narrows it.
 */
import type { EnvironmentData, FeedData, PolicyData, SchemaData } from '../spec/types.generated.js'
import type { Report, RuleMeta, Severity } from './types.js'

export type PluginDocumentKind = 'feed' | 'schema' | 'environment' | 'policy'

interface DataOf {
  feed: FeedData
  schema: SchemaData
  environment: EnvironmentData
  policy: PolicyData
}

/**
 * A mapping parsed from a file that may break the format: the documented keys
 * are listed (for completion and typo checks) but each may hold anything.
 */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown } & { readonly [key: string]: unknown }

/** One YAML file of the repository, as data. */
export interface PluginDocument<K extends PluginDocumentKind = PluginDocumentKind> {
  readonly kind: K
  /** From the file name, without .yaml. */
  readonly name: string
  /** Relative to the ssmd root, with '/'. */
  readonly file: string
  /** The parsed YAML: anything at all when the file breaks the format, undefined when it could not be parsed. */
  readonly data: unknown
}

/** A document that parsed to a mapping (what `feed`, `schema` and `environment` checks receive). */
export interface MappingDocument<K extends PluginDocumentKind = PluginDocumentKind> extends PluginDocument<K> {
  readonly data: Unchecked<DataOf[K]>
}

export type FeedDocument = MappingDocument<'feed'>
export type SchemaDocument = MappingDocument<'schema'>
export type EnvironmentDocument = MappingDocument<'environment'>
export type PolicyDocument = MappingDocument<'policy'>

/** The whole repository, as data (a private copy: changing it changes nothing elsewhere). */
export interface PluginWorkspace {
  /** Absolute path of the ssmd root (readable, not writable). */
  readonly root: string
  readonly feeds: ReadonlyArray<PluginDocument<'feed'>>
  readonly schemas: ReadonlyArray<PluginDocument<'schema'>>
  readonly environments: ReadonlyArray<PluginDocument<'environment'>>
  readonly policy?: PluginDocument<'policy'>
  /** Every document, feeds first. */
  readonly documents: ReadonlyArray<PluginDocument>
  /** The first document of that kind with that name. */
  find<K extends 'feed' | 'schema' | 'environment'>(kind: K, name: string): PluginDocument<K> | undefined
}

export interface CheckContext {
  readonly workspace: PluginWorkspace
  /** npm package names of the installed ssmd plugins. */
  readonly installedPlugins: readonly string[]
  /**
   * The rule's options from ssmd.yaml (`rules: { <id>: [<severity>, <options>] }`,
   * a preset or an override matching the file being checked), or undefined.
   * ssmd checks them against the rule's `meta.options` schema.
   */
  readonly options: unknown
  /** Reports a finding in the document being checked. */
  report(report: Report): void
}

export interface RepositoryContext extends CheckContext {
  /** Reports a finding in one of the workspace's documents. */
  reportIn(doc: PluginDocument, report: Report): void
}

type Result = void | Promise<void>

/** The checks of a rule: any of these, each called by ssmd with the documents as data. */
export interface RuleChecks {
  /** Every file of every kind, also unparsable ones (`data` undefined). */
  document?(doc: PluginDocument, ctx: CheckContext): Result
  feed?(doc: FeedDocument, ctx: CheckContext): Result
  schema?(doc: SchemaDocument, ctx: CheckContext): Result
  environment?(doc: EnvironmentDocument, ctx: CheckContext): Result
  /** Once per run, for checks across files; report with `ctx.reportIn(doc, …)`. */
  repository?(workspace: PluginWorkspace, ctx: RepositoryContext): Result
}

/**
 * One rule: its declaration — in `meta` (severity, description, docs URL,
 * message templates), or in short form as top-level `severity` and
 * `description` (one line, shown by `ssmd rules list`) — and its checks.
 */
export type Rule = RuleChecks & ({ meta: RuleMeta; severity?: Severity; description?: string } | { meta?: undefined; severity: Severity; description: string })

/** What a plugin's `validate` hook returns (or resolves to). */
export interface RulePack {
  /** The namespace: every rule id starts with `<plugin>/`. 'ssmd' and ssmd's own prefixes (feed, schema, env, ref, …) are reserved. */
  plugin: string
  rules: Record<string, Rule>
}

export type { Report, RuleMeta, Severity }
