import { CACHE_URL_SCHEMES } from '../../spec/enums.js'
import { builtinRule, isObj, PASSED_ON, shareContract, urlScheme, withContract, type Obj } from './util.js'

/** max_size's form is checked by the contract (shared here); the url by this rule. */
export default builtinRule({
  meta: {
    id: 'env/cache',
    uses: ['contract'],
    severity: 'error',
    scope: 'file',
    description: 'redis caches have a redis:// or rediss:// url; max_size is well-formed.',
    messages: {
      contract: PASSED_ON,
      missingUrl: 'a redis cache needs a url (redis://… or rediss://…)',
      wrongScheme: "cache url '{{url}}' is not a redis:// or rediss:// URL",
      memoryUrl: 'a memory cache takes no url; remove it or change cache.type',
    },
  },
  environment(doc, ctx) {
    return withContract(doc, ctx, contract => {
      shareContract(contract, ctx, 'env/cache')
      const c = (doc.data as Obj).cache
      if (!isObj(c)) return
      if (c.type === 'redis') {
        if (c.url === undefined) ctx.report({ path: '/cache', at: 'key', messageId: 'missingUrl' })
        else if (typeof c.url === 'string' && !(CACHE_URL_SCHEMES as readonly string[]).includes(urlScheme(c.url) ?? '')) {
          ctx.report({ path: '/cache/url', messageId: 'wrongScheme', data: { url: c.url } })
        }
      } else if (c.type === 'memory' && c.url !== undefined) {
        ctx.report({ path: '/cache/url', messageId: 'memoryUrl' })
      }
    })
  },
})
