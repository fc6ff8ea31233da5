import { INSECURE_SCHEMES } from '../../spec/enums.js'
import { builtinRule, items, str, urlScheme } from './util.js'

/**
 * `ws://` and `http://` endpoints are accepted (local simulators, test
 * exchanges) but say so: a team raises this rule to `error` in ssmd.yaml to
 * keep unencrypted endpoints out of the repository altogether.
 */
export default builtinRule({
  meta: {
    id: 'feed/insecure-endpoint',
    severity: 'warning',
    scope: 'file',
    description: 'A feed endpoint uses an unencrypted scheme (ws:// or http://).',
    messages: {
      insecure: "endpoint '{{endpoint}}' is not encrypted ({{scheme}}://); use {{secure}}:// outside local simulators (ssmd.yaml can raise this rule to error)",
    },
  },
  feed(doc, ctx) {
    for (const [v, i] of items(doc.data, 'versions')) {
      const endpoint = str(v.endpoint)
      const scheme = endpoint === undefined ? undefined : urlScheme(endpoint)
      const secure = scheme !== undefined && Object.hasOwn(INSECURE_SCHEMES, scheme) ? INSECURE_SCHEMES[scheme] : undefined
      if (secure !== undefined) ctx.report({ path: `/versions/${i}/endpoint`, messageId: 'insecure', data: { endpoint: endpoint!, scheme: scheme!, secure } })
    }
  },
})
