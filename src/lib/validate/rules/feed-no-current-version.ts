import { todayUtc } from '../../core/dates.js'
import { feedVersionDates } from '../../workspace/document.js'
import { builtinRule, noCurrentVersion, noCurrentVersionReport } from './util.js'

const NONE = "no version of feed '{{name}}' is in effect today ({{today}}){{used}}"

export default builtinRule({
  meta: {
    id: 'feed/no-current-version',
    uses: ['source'],
    severity: 'error',
    description:
      'A feed has a version in effect on the day of validation: an error while environments use it (deploy has no version to render), a warning otherwise; disabled feeds are not checked.',
    messages: {
      ended: `${NONE}: {{ended}} ended {{endedOn}}; add a version (ssmd feed add-version {{name}} --effective-from {{today}}) or reopen {{ended}} (ssmd feed update {{name}} --version {{ended}} --no-effective-to)`,
      starts: `${NONE}: {{next}} starts {{startsOn}}; start it earlier (ssmd feed update {{name}} --version {{next}} --effective-from {{today}})`,
      between: `${NONE}: {{ended}} ended {{endedOn}} and {{next}} starts {{startsOn}}; close the gap (ssmd feed update {{name}} --version {{next}} --effective-from {{dayAfter}})`,
    },
  },
  repository(ws, ctx) {
    const today = todayUtc()
    const users = new Map<string, string[]>()
    for (const env of ws.environments) {
      // Facts, not data: a large run has released the feeds' and environments' data by now.
      const feed = ctx.source(env).facts.feed
      if (feed !== undefined) users.set(feed, [...(users.get(feed) ?? []), env.name])
    }
    for (const feed of ws.feeds) {
      const facts = ctx.source(feed).facts
      if (facts.status === 'disabled') continue
      const gap = noCurrentVersion(feedVersionDates(facts), today)
      if (!gap) continue
      const used = users.get(feed.name) ?? []
      const report = noCurrentVersionReport(gap, {
        name: feed.name,
        today,
        used: used.length === 0 ? '' : ` and ${used.length === 1 ? 'environment' : 'environments'} ${used.join(', ')} cannot be deployed`,
      })
      ctx.reportIn(feed, used.length === 0 ? { ...report, severity: 'warning' } : report)
    }
  },
})
