// ssmd's own rules, registered through the same `validate` hook as any plugin.
import { defineChecks } from '../../lib/validate/define.js'
import { documentRules } from './rules/document.js'
import { envRules } from './rules/env.js'
import { feedRules } from './rules/feed.js'
import { refRules } from './rules/refs.js'
import { schemaRules } from './rules/schema.js'
import { securityRules } from './rules/security.js'

export const builtinPack = {
  plugin: 'ssmd',
  rules: { ...documentRules, ...feedRules, ...schemaRules, ...envRules, ...securityRules, ...refRules },
}

export default defineChecks(builtinPack)
