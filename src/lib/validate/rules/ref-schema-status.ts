import { builtinRule, items, SCHEMA_REF } from './util.js'

export default builtinRule({
  meta: {
    id: 'ref/schema-status',
    uses: ['source'],
    severity: 'error',
    description: 'The referenced schema version is usable: error for draft, warning for deprecated.',
    messages: {
      draft:
        'schema {{schema}}:{{version}} is a draft and may not be used by an environment; activate it (ssmd schema set-status {{schema}}:{{version}} active) or use an active version',
      deprecated: 'schema {{schema}}:{{version}} is deprecated; move to a newer version',
    },
  },
  environment(doc, ctx) {
    const m = SCHEMA_REF.exec(ctx.source(doc).facts.schema ?? '')
    if (!m) return
    const schema = ctx.workspace.find('schema', m[1])
    const version = items(schema?.data, 'versions').find(([v]) => v.version === m[2])?.[0]
    if (version?.status === 'draft') ctx.report({ path: '/schema', messageId: 'draft', data: { schema: m[1], version: m[2] } })
    else if (version?.status === 'deprecated') ctx.report({ path: '/schema', severity: 'warning', messageId: 'deprecated', data: { schema: m[1], version: m[2] } })
  },
})
