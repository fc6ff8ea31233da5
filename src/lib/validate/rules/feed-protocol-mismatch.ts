import { PROTOCOL_FOR_TYPE, SCHEMES_FOR_PROTOCOL } from '../../spec/enums.js'
import { builtinRule, items, str, type Obj } from './util.js'

function schemeOf(url: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase()
}

export default builtinRule({
  meta: {
    id: 'feed/protocol-mismatch',
    severity: 'error',
    scope: 'file',
    description: "protocol fits the feed type, and the endpoint's URL scheme fits protocol.",
    messages: {
      protocol: "protocol '{{protocol}}' does not fit a {{type}} feed; use '{{expected}}'",
      notAUrl: "endpoint '{{endpoint}}' is not a URL; expected {{schemes}}",
      scheme: "endpoint scheme '{{scheme}}://' does not fit protocol '{{protocol}}'; expected {{schemes}}",
    },
  },
  feed(doc, ctx) {
    const data = doc.data as Obj
    const type = str(data.type)
    const expected = type ? PROTOCOL_FOR_TYPE[type as keyof typeof PROTOCOL_FOR_TYPE] : undefined
    for (const [v, i] of items(data, 'versions')) {
      const protocol = str(v.protocol)
      if (expected && protocol && protocol in SCHEMES_FOR_PROTOCOL && protocol !== expected) {
        ctx.report({ path: `/versions/${i}/protocol`, messageId: 'protocol', data: { protocol, type: type!, expected } })
      }
      const endpoint = str(v.endpoint)
      const schemes = protocol ? SCHEMES_FOR_PROTOCOL[protocol as keyof typeof SCHEMES_FOR_PROTOCOL] : undefined
      if (!endpoint || !schemes) continue
      const scheme = schemeOf(endpoint)
      if (scheme === undefined) {
        ctx.report({ path: `/versions/${i}/endpoint`, messageId: 'notAUrl', data: { endpoint, schemes: schemes.map(s => `${s}://…`).join(' or ') } })
      } else if (!schemes.includes(scheme)) {
        ctx.report({ path: `/versions/${i}/endpoint`, messageId: 'scheme', data: { scheme, protocol: protocol!, schemes: schemes.map(s => `${s}://`).join(' or ') } })
      }
    }
  },
})
