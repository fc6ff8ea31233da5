import { builtinRule, datedVersions } from './util.js'

export default builtinRule({
  meta: {
    id: 'feed/version-order',
    severity: 'error',
    scope: 'file',
    description: 'effective_to is on or after effective_from in each feed version.',
    messages: { endsBeforeStart: '{{version}} ends ({{to}}) before it starts ({{from}}); effective_to must be on or after effective_from' },
  },
  feed(doc, ctx) {
    for (const d of datedVersions(doc.data)) {
      if (d.to !== undefined && d.to < d.from) {
        ctx.report({ path: `/versions/${d.index}/effective_to`, messageId: 'endsBeforeStart', data: { version: d.id, to: d.to, from: d.from } })
      }
    }
  },
})
