// ssmd's own rules, registered through the same `validate` hook as any plugin.
// Each rule is one module in src/lib/validate/rules/ (meta + checks); this list
// is the pack, in the order the rules run.
import { defineChecks } from '../../lib/validate/define.js'
import type { BuiltinRule } from '../../lib/validate/rules/util.js'
import type { RulePack } from '../../lib/validate/checks.js'
import yamlSyntax from '../../lib/validate/rules/yaml-syntax.js'
import yamlUnsafe from '../../lib/validate/rules/yaml-unsafe.js'
import yamlUnsafeInteger from '../../lib/validate/rules/yaml-unsafe-integer.js'
import schemaContract from '../../lib/validate/rules/schema-contract.js'
import nameMatchesFile from '../../lib/validate/rules/name-matches-file.js'
import dateValid from '../../lib/validate/rules/date-valid.js'
import feedVersionOrder from '../../lib/validate/rules/feed-version-order.js'
import feedVersionOverlap from '../../lib/validate/rules/feed-version-overlap.js'
import feedVersionGap from '../../lib/validate/rules/feed-version-gap.js'
import feedProtocolMismatch from '../../lib/validate/rules/feed-protocol-mismatch.js'
import feedInsecureEndpoint from '../../lib/validate/rules/feed-insecure-endpoint.js'
import feedTimezone from '../../lib/validate/rules/feed-timezone.js'
import feedDuplicateLocation from '../../lib/validate/rules/feed-duplicate-location.js'
import feedNoCurrentVersion from '../../lib/validate/rules/feed-no-current-version.js'
import schemaVersionOverlap from '../../lib/validate/rules/schema-version-overlap.js'
import schemaPathEscape from '../../lib/validate/rules/schema-path-escape.js'
import schemaFileMissing from '../../lib/validate/rules/schema-file-missing.js'
import schemaHashMismatch from '../../lib/validate/rules/schema-hash-mismatch.js'
import schemaParse from '../../lib/validate/rules/schema-parse.js'
import schemaCompatClaim from '../../lib/validate/rules/schema-compat-claim.js'
import schemaUndocumentedBreak from '../../lib/validate/rules/schema-undocumented-break.js'
import schemaNoCurrentVersion from '../../lib/validate/rules/schema-no-current-version.js'
import envScheduleTimezone from '../../lib/validate/rules/env-schedule-timezone.js'
import envTransport from '../../lib/validate/rules/env-transport.js'
import envStorage from '../../lib/validate/rules/env-storage.js'
import envCache from '../../lib/validate/rules/env-cache.js'
import envKeySource from '../../lib/validate/rules/env-key-source.js'
import securityCredentialsInUrl from '../../lib/validate/rules/security-credentials-in-url.js'
import securitySecretLiteral from '../../lib/validate/rules/security-secret-literal.js'
import refFeedExists from '../../lib/validate/rules/ref-feed-exists.js'
import refSchemaExists from '../../lib/validate/rules/ref-schema-exists.js'
import refSchemaStatus from '../../lib/validate/rules/ref-schema-status.js'
import refFeedStatus from '../../lib/validate/rules/ref-feed-status.js'
import refUnused from '../../lib/validate/rules/ref-unused.js'
import policyPluginMissing from '../../lib/validate/rules/policy-plugin-missing.js'
import repoUnrecognisedFile from '../../lib/validate/rules/repo-unrecognised-file.js'

export const BUILTIN_RULES: readonly BuiltinRule[] = [
  yamlSyntax,
  yamlUnsafe,
  yamlUnsafeInteger,
  schemaContract,
  nameMatchesFile,
  dateValid,
  feedVersionOrder,
  feedVersionOverlap,
  feedVersionGap,
  feedProtocolMismatch,
  feedInsecureEndpoint,
  feedTimezone,
  feedDuplicateLocation,
  feedNoCurrentVersion,
  schemaVersionOverlap,
  schemaPathEscape,
  schemaFileMissing,
  schemaHashMismatch,
  schemaParse,
  schemaCompatClaim,
  schemaUndocumentedBreak,
  schemaNoCurrentVersion,
  envScheduleTimezone,
  envTransport,
  envStorage,
  envCache,
  envKeySource,
  securityCredentialsInUrl,
  securitySecretLiteral,
  refFeedExists,
  refSchemaExists,
  refSchemaStatus,
  refFeedStatus,
  refUnused,
  policyPluginMissing,
  repoUnrecognisedFile,
]

export const builtinPack: RulePack = {
  plugin: 'ssmd',
  rules: Object.fromEntries(BUILTIN_RULES.map(rule => [rule.meta.id, rule])),
}

export default defineChecks(builtinPack)
