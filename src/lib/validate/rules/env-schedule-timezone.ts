import { isValidTimezone } from '../../core/dates.js'
import { builtinRule, isObj, type Obj } from './util.js'

export default builtinRule({
  meta: {
    id: 'env/schedule-timezone',
    severity: 'error',
    scope: 'file',
    description: 'schedule.timezone is a known IANA time zone.',
    messages: { unknownZone: "'{{zone}}' is not a known IANA time zone (e.g. UTC, America/New_York)" },
  },
  environment(doc, ctx) {
    const s = (doc.data as Obj).schedule
    if (isObj(s) && typeof s.timezone === 'string' && !isValidTimezone(s.timezone)) {
      ctx.report({ path: '/schedule/timezone', messageId: 'unknownZone', data: { zone: s.timezone } })
    }
  },
})
