import { builtinRule, OVERLAP_MESSAGES, reportOverlaps } from './util.js'

export default builtinRule({
  meta: {
    id: 'feed/version-overlap',
    severity: 'error',
    scope: 'file',
    description: 'No two versions of a feed cover the same day; version ids are unique.',
    messages: OVERLAP_MESSAGES,
  },
  feed(doc, ctx) {
    reportOverlaps(doc.data, ctx, 'feed')
  },
})
