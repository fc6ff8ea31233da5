import { builtinRule, OVERLAP_MESSAGES, reportOverlaps } from './util.js'

export default builtinRule({
  meta: {
    id: 'schema/version-overlap',
    severity: 'error',
    scope: 'file',
    description: 'No two versions of a schema cover the same day; version ids are unique.',
    messages: OVERLAP_MESSAGES,
  },
  schema(doc, ctx) {
    reportOverlaps(doc.data, ctx, 'schema')
  },
})
