/**
 * The public API of ssmd for validation-plugin authors.
 *
 *   import { defineChecks } from 'ssmd'
 *   export default defineChecks({ plugin: 'acme', rules: { 'acme/rule': { severity: 'warning', description: '…', feed(feed, ctx) { … } } } })
 *
 * Register the default export as the plugin's `validate` hook in package.json:
 *   "oclif": { "hooks": { "validate": "./dist/hooks/validate.js" } }
 */
export { defineChecks } from './lib/validate/define.js'
export type { CheckContext, Finding, Report, RuleChecks, RuleDefinition, RuleInfo, RuleMeta, RulePack, Severity } from './lib/validate/types.js'
export type { EnvironmentData, FeedData, PolicyData, SchemaData } from './lib/spec/types.generated.js'
export type { DocumentKind, EnvironmentDocument, FeedDocument, PolicyDocument, SchemaDocument, SsmdDocument } from './lib/workspace/document.js'
export type { Workspace } from './lib/workspace/workspace.js'
export { latestVersion, resolveVersionForDate } from './lib/domain/versions.js'
