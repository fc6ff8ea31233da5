/**
 * Testing helpers for validation-plugin authors (import from 'ssmd/testing' in tests only).
 *
 *   import { RuleTester } from 'ssmd/testing'
 *
 *   RuleTester.run('acme/prod-s3', new URL('../hooks/validate.js', import.meta.url), {
 *     valid: [{ files: { 'environments/x-prod.yaml': '…' } }],
 *     invalid: [{ files: { … }, findings: [{ file, line, column, message }] }],
 *   })
 *
 * Each case runs through ssmd's real workspace loader and locator, and the
 * plugin's rules run sealed exactly as `ssmd validate` runs them.
 */
export { pluginAt, RuleTester, RuleTestError } from './lib/validate/tester.js'
export type { ExpectedFinding, InvalidCase, RuleTesterOptions, RuleTests, RuleUnderTest, TestFiles, ValidCase } from './lib/validate/tester.js'
// The same types as the `ssmd` package exports: a rule written against one is a rule of the other.
export type { Rule as RuleDefinition, RuleMeta, RulePack, Severity } from './lib/validate/plugin-api.js'
export type { Finding } from './lib/validate/types.js'
