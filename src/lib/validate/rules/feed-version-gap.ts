import { addDays } from '../../core/dates.js'
import { builtinRule, datedVersions } from './util.js'

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
    const dated = datedVersions(doc.data)
      .filter(d => d.to === undefined || d.to >= d.from)
      .sort((a, b) => (a.from < b.from ? -1 : 1))
    for (let i = 1; i < dated.length; i++) {
      const prev = dated[i - 1]
      const cur = dated[i]
      if (prev.to !== undefined && addDays(prev.to, 1) < cur.from) {
        const first = addDays(prev.to, 1)
        const last = addDays(cur.from, -1)
        ctx.report({ path: `/versions/${cur.index}/effective_from`, messageId: first === last ? 'day' : 'days', data: { first, last, before: prev.id, after: cur.id } })
      }
    }
  },
})
