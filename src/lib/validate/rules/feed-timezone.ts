import { isValidTimezone } from '../../core/dates.js'
import { builtinRule, isObj, type Obj } from './util.js'

export default builtinRule({
  meta: {
    id: 'feed/timezone',
    severity: 'error',
    scope: 'file',
    description: 'calendar.timezone is a known IANA time zone.',
    messages: { unknownZone: "'{{zone}}' is not a known IANA time zone (e.g. America/New_York, UTC)" },
  },
  feed(doc, ctx) {
    const cal = (doc.data as Obj).calendar
    if (!isObj(cal) || typeof cal.timezone !== 'string') return
    if (!isValidTimezone(cal.timezone)) ctx.report({ path: '/calendar/timezone', messageId: 'unknownZone', data: { zone: cal.timezone } })
  },
})
