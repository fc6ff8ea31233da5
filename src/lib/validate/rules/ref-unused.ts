import { builtinRule } from './util.js'

export default builtinRule({
  meta: {
    id: 'ref/unused',
    uses: ['source'],
    severity: 'info',
    description: 'A feed or schema that no environment references.',
    messages: { unused: "{{kind}} '{{name}}' is not used by any environment" },
  },
  repository(ws, ctx) {
    const feeds = new Set<string>()
    const schemas = new Set<string>()
    for (const env of ws.environments) {
      // Facts, not data: a large run has released the environments' data by now.
      const { feed, schema } = ctx.source(env).facts
      if (feed !== undefined) feeds.add(feed)
      if (schema !== undefined) schemas.add(schema.split(':')[0])
    }
    for (const f of ws.feeds) if (!feeds.has(f.name)) ctx.reportIn(f, { path: '/name', messageId: 'unused', data: { kind: 'feed', name: f.name } })
    for (const s of ws.schemas) if (!schemas.has(s.name)) ctx.reportIn(s, { path: '/name', messageId: 'unused', data: { kind: 'schema', name: s.name } })
  },
})
