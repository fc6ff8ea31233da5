import { didYouMean } from '../../core/text.js'
import { builtinRule, items, PASSED_ON, SCHEMA_REF, shareContract, withContract } from './util.js'

/** The name:version form is checked by the contract (shared here); existence by this rule. */
export default builtinRule({
  meta: {
    id: 'ref/schema-exists',
    uses: ['source', 'contract'],
    severity: 'error',
    description: 'schema has the form name:version and names an existing schema version.',
    messages: {
      contract: PASSED_ON,
      missingSchema: "schema '{{schema}}' does not exist{{suggestion}} (ssmd schema list)",
      missingVersion: "schema '{{schema}}' has no version {{version}} (it has {{versions}})",
    },
  },
  environment(doc, ctx) {
    return withContract(doc, ctx, contract => {
      shareContract(contract, ctx, 'ref/schema-exists')
      const ref = ctx.source(doc).facts.schema
      const m = ref ? SCHEMA_REF.exec(ref) : null
      if (!m) return
      const schema = ctx.workspace.find('schema', m[1])
      if (!schema) {
        ctx.report({
          path: '/schema',
          messageId: 'missingSchema',
          data: {
            schema: m[1],
            suggestion: didYouMean(
              m[1],
              ctx.workspace.schemas.map(s => s.name),
            ),
          },
        })
        return
      }
      const ids = items(schema.data, 'versions').map(([v]) => String(v.version))
      if (ctx.source(schema).isObject && !ids.includes(m[2])) {
        ctx.report({ path: '/schema', messageId: 'missingVersion', data: { schema: m[1], version: m[2], versions: ids.join(', ') || 'none' } })
      }
    })
  },
})
