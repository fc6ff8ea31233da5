import { TRANSPORT_URL_SCHEMES } from '../../spec/enums.js'
import { builtinRule, isObj, str, urlScheme, type Obj } from './util.js'

export default builtinRule({
  meta: {
    id: 'env/transport',
    severity: 'error',
    scope: 'file',
    description: 'transport.url is present with the right scheme for nats/mqtt, and absent for memory.',
    messages: {
      memoryUrl: 'a memory transport takes no url; remove it or change transport.type',
      missingUrl: 'a {{type}} transport needs a url ({{schemes}})',
      wrongScheme: "transport url '{{url}}' does not fit {{type}}; expected {{schemes}}",
    },
  },
  environment(doc, ctx) {
    const t = (doc.data as Obj).transport
    if (!isObj(t)) return
    const type = str(t.type)
    const url = t.url
    if (type === 'memory') {
      if (url !== undefined) ctx.report({ path: '/transport/url', messageId: 'memoryUrl' })
      return
    }
    const schemes = type ? TRANSPORT_URL_SCHEMES[type] : undefined
    if (!schemes) return
    const expected = schemes.map(s => `${s}://…`).join(' or ')
    if (url === undefined) {
      ctx.report({ path: '/transport', at: 'key', messageId: 'missingUrl', data: { type: type!, schemes: expected } })
    } else if (typeof url === 'string' && !schemes.includes(urlScheme(url) ?? '')) {
      ctx.report({ path: '/transport/url', messageId: 'wrongScheme', data: { url, type: type!, schemes: expected } })
    }
  },
})
