import { builtinRule, items, str } from './util.js'

export default builtinRule({
  meta: {
    id: 'feed/duplicate-location',
    severity: 'error',
    scope: 'file',
    description: 'Capture location datacenters are unique within a feed.',
    messages: { duplicate: "datacenter '{{datacenter}}' is listed twice (also at /capture_locations/{{other}}); remove one (ssmd feed remove-location)" },
  },
  feed(doc, ctx) {
    const seen = new Map<string, number>()
    for (const [loc, i] of items(doc.data, 'capture_locations')) {
      const dc = str(loc.datacenter)
      if (dc === undefined) continue
      if (seen.has(dc)) ctx.report({ path: `/capture_locations/${i}/datacenter`, messageId: 'duplicate', data: { datacenter: dc, other: seen.get(dc)! } })
      else seen.set(dc, i)
    }
  },
})
