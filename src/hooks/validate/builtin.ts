// ssmd's own rules, registered through the same `validate` hook as any plugin.
import { defineChecks } from '../../lib/validate/define.js'
import type { RulePack } from '../../lib/validate/types.js'
import { documentRules } from '../../lib/validate/rules/document.js'
import { envRules } from '../../lib/validate/rules/env.js'
import { feedRules } from '../../lib/validate/rules/feed.js'
import { refRules } from '../../lib/validate/rules/refs.js'
import { schemaRules } from '../../lib/validate/rules/schema.js'
import { securityRules } from '../../lib/validate/rules/security.js'

export const builtinPack: RulePack = {
  plugin: 'ssmd',
  rules: { ...documentRules, ...feedRules, ...schemaRules, ...envRules, ...securityRules, ...refRules },
}

export default defineChecks(builtinPack)
