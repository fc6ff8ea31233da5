/**
 * The public API of ssmd for validation-plugin authors: types only, for
 * `import type { RulePack } from 'ssmd'` (a plugin needs no runtime import of
 * ssmd; see docs/plugins.md). Rule tests use `ssmd/testing`.
 *
 *   import type { RulePack } from 'ssmd'
 *   const defineChecks = (pack: RulePack) => async () => pack
 *   export default defineChecks({ plugin: 'acme', rules: { 'acme/rule': { severity: 'warning', description: '…', feed(feed, ctx) { … } } } })
 *
 * Register the default export as the plugin's `validate` hook in package.json:
 *   "oclif": { "hooks": { "validate": "./dist/hooks/validate.js" } }
 */
export { defineChecks } from './lib/validate/define.js'
export type {
  CheckContext,
  EnvironmentDocument,
  FeedDocument,
  MappingDocument,
  PluginDocument,
  PluginDocumentKind as DocumentKind,
  PluginWorkspace as Workspace,
  PolicyDocument,
  RepositoryContext,
  Report,
  Rule,
  Rule as RuleDefinition,
  RuleChecks,
  RuleMeta,
  RulePack,
  SchemaDocument,
  Severity,
  Unchecked,
} from './lib/validate/plugin-api.js'
export type { Finding, RuleInfo } from './lib/validate/types.js'
export type { EnvironmentData, FeedData, PolicyData, SchemaData } from './lib/spec/types.generated.js'
export { latestVersion, resolveVersionForDate } from './lib/domain/versions.js'
