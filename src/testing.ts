/**
 * Testing helpers for validation-plugin authors (import from 'ssmd/testing' in tests only).
 *
 *   import { RuleTester } from 'ssmd/testing'
 *   import validate from '../hooks/validate.js'
 *
 *   RuleTester.run('acme/prod-s3', validate, {
 *     valid: [{ files: { 'environments/x-prod.yaml': '…' } }],
 *     invalid: [{ files: { … }, findings: [{ file, line, column, message }] }],
 *   })
 *
 * Each case runs through ssmd's real workspace loader, rule engine and locator.
 */
export { RuleTester, RuleTestError } from './lib/validate/tester.js'
export type { ExpectedFinding, InvalidCase, RuleTesterOptions, RuleTests, RuleUnderTest, TestFiles, ValidCase } from './lib/validate/tester.js'
export type { Finding, RuleDefinition, RuleMeta, RulePack, Severity } from './lib/validate/types.js'
