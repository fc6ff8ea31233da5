import { addDays, isValidDate, isValidTimezone } from '../../core/dates.js'
import { PROTOCOL_FOR_TYPE, SCHEMES_FOR_PROTOCOL } from '../../spec/enums.js'
import type { CheckContext, RuleDefinition } from '../types.js'
import { versionNumber } from '../../domain/versions.js'
import { isObj, items, str, type Obj } from './util.js'

interface Dated {
  index: number
  id: string
  from: string
  to?: string
}

/** Versions whose dates are usable for range checks (bad dates are other rules' findings). */
export function datedVersions(data: unknown): Dated[] {
  const out: Dated[] = []
  for (const [v, i] of items(data, 'versions')) {
    const from = v.effective_from
    const to = v.effective_to
    if (!isValidDate(from)) continue
    if (to !== undefined && !isValidDate(to)) continue
    out.push({ index: i, id: String(v.version ?? `#${i}`), from, to: to as string | undefined })
  }
  return out
}

/** Duplicate version ids and overlapping date ranges (shared by feeds and schemas). */
export function reportOverlaps(data: unknown, ctx: CheckContext, what: string): void {
  const seen = new Map<string, number>()
  for (const [v, i] of items(data, 'versions')) {
    const id = v.version
    if (typeof id !== 'string') continue
    if (seen.has(id)) ctx.report({ path: `/versions/${i}/version`, message: `version id '${id}' is used twice (also at /versions/${seen.get(id)}); give each ${what} version a unique id` })
    else seen.set(id, i)
  }
  const dated = datedVersions(data).filter(d => d.to === undefined || d.to >= d.from)
  for (let a = 0; a < dated.length; a++) {
    for (let b = a + 1; b < dated.length; b++) {
      const x = dated[a]
      const y = dated[b]
      if (x.from <= (y.to ?? '9999-12-31') && y.from <= (x.to ?? '9999-12-31')) {
        const later = versionNumber(y.id) >= versionNumber(x.id) ? y : x
        const earlier = later === y ? x : y
        const day = earlier.from > later.from ? earlier.from : later.from
        ctx.report({
          path: `/versions/${later.index}/effective_from`,
          message: `${later.id} overlaps ${earlier.id} (both cover ${day}); ${earlier.to === undefined ? `end ${earlier.id} with effective_to: ${addDays(later.from, -1)}` : `start ${later.id} after ${earlier.to}`}`,
        })
      }
    }
  }
}

export function reportOrder(data: unknown, ctx: CheckContext): void {
  for (const d of datedVersions(data)) {
    if (d.to !== undefined && d.to < d.from) {
      ctx.report({ path: `/versions/${d.index}/effective_to`, message: `${d.id} ends (${d.to}) before it starts (${d.from}); effective_to must be on or after effective_from` })
    }
  }
}

function schemeOf(url: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase()
}

export const feedRules: Record<string, RuleDefinition> = {
  'feed/version-order': {
    severity: 'error',
    description: 'effective_to is on or after effective_from in each feed version.',
    feed(doc, ctx) {
      reportOrder(doc.data, ctx)
    },
  },
  'feed/version-overlap': {
    severity: 'error',
    description: 'No two versions of a feed cover the same day; version ids are unique.',
    feed(doc, ctx) {
      reportOverlaps(doc.data, ctx, 'feed')
    },
  },
  'feed/version-gap': {
    severity: 'warning',
    description: 'Every day between the first and the last feed version is covered by a version.',
    feed(doc, ctx) {
      const dated = datedVersions(doc.data).filter(d => d.to === undefined || d.to >= d.from).sort((a, b) => (a.from < b.from ? -1 : 1))
      for (let i = 1; i < dated.length; i++) {
        const prev = dated[i - 1]
        const cur = dated[i]
        if (prev.to !== undefined && addDays(prev.to, 1) < cur.from) {
          ctx.report({ path: `/versions/${cur.index}/effective_from`, message: `no version covers ${addDays(prev.to, 1)}${addDays(prev.to, 1) === addDays(cur.from, -1) ? '' : ` to ${addDays(cur.from, -1)}`} (between ${prev.id} and ${cur.id})` })
        }
      }
    },
  },
  'feed/protocol-mismatch': {
    severity: 'error',
    description: "protocol fits the feed type, and the endpoint's URL scheme fits protocol.",
    feed(doc, ctx) {
      const data = doc.data as Obj
      const type = str(data.type)
      const expected = type ? PROTOCOL_FOR_TYPE[type as keyof typeof PROTOCOL_FOR_TYPE] : undefined
      for (const [v, i] of items(data, 'versions')) {
        const protocol = str(v.protocol)
        if (expected && protocol && protocol in SCHEMES_FOR_PROTOCOL && protocol !== expected) {
          ctx.report({ path: `/versions/${i}/protocol`, message: `protocol '${protocol}' does not fit a ${type} feed; use '${expected}'` })
        }
        const endpoint = str(v.endpoint)
        const schemes = protocol ? SCHEMES_FOR_PROTOCOL[protocol as keyof typeof SCHEMES_FOR_PROTOCOL] : undefined
        if (!endpoint || !schemes) continue
        const scheme = schemeOf(endpoint)
        if (scheme === undefined) {
          ctx.report({ path: `/versions/${i}/endpoint`, message: `endpoint '${endpoint}' is not a URL; expected ${schemes.map(s => `${s}://…`).join(' or ')}` })
        } else if (!schemes.includes(scheme)) {
          ctx.report({ path: `/versions/${i}/endpoint`, message: `endpoint scheme '${scheme}://' does not fit protocol '${protocol}'; expected ${schemes.map(s => `${s}://`).join(' or ')}` })
        }
      }
    },
  },
  'feed/timezone': {
    severity: 'error',
    description: 'calendar.timezone is a known IANA time zone.',
    feed(doc, ctx) {
      const cal = (doc.data as Obj).calendar
      if (!isObj(cal) || typeof cal.timezone !== 'string') return
      if (!isValidTimezone(cal.timezone)) ctx.report({ path: '/calendar/timezone', message: `'${cal.timezone}' is not a known IANA time zone (e.g. America/New_York, UTC)` })
    },
  },
  'feed/duplicate-location': {
    severity: 'error',
    description: 'Capture location datacenters are unique within a feed.',
    feed(doc, ctx) {
      const seen = new Map<string, number>()
      for (const [loc, i] of items(doc.data, 'capture_locations')) {
        const dc = str(loc.datacenter)
        if (dc === undefined) continue
        if (seen.has(dc)) ctx.report({ path: `/capture_locations/${i}/datacenter`, message: `datacenter '${dc}' is listed twice (also at /capture_locations/${seen.get(dc)}); remove one (ssmd feed remove-location)` })
        else seen.set(dc, i)
      }
    },
  },
}
