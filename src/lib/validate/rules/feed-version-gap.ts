import { versionGaps } from '../../domain/versions.js'
import { builtinRule, isObj } from './util.js'

export default builtinRule({
  meta: {
    id: 'feed/version-gap',
    severity: 'warning',
    scope: 'file',
    description: 'Every day between the first and the last feed version is covered by a version.',
    messages: {
      day: 'no version covers {{first}} (between {{before}} and {{after}})',
      days: 'no version covers {{first}} to {{last}} (between {{before}} and {{after}})',
    },
  },
  feed(doc, ctx) {
    const versions = isObj(doc.data) ? doc.data.versions : undefined
    if (!Array.isArray(versions)) return
    for (const { first, last, before, after, index } of versionGaps(versions)) {
      ctx.report({ path: `/versions/${index}/effective_from`, messageId: first === last ? 'day' : 'days', data: { first, last, before, after } })
    }
  },
})
