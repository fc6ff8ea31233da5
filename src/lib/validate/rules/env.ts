import { isValidTimezone } from '../../core/dates.js'
import { CACHE_URL_SCHEMES, TRANSPORT_URL_SCHEMES } from '../../spec/enums.js'
import type { RuleDefinition } from '../types.js'
import { isObj, reportContractShare, shareContract, str, withContract, type Obj } from './util.js'

function scheme(url: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/./.exec(url)?.[1]?.toLowerCase()
}

export const envRules: Record<string, RuleDefinition> = {
  'env/schedule-timezone': {
    severity: 'error',
    description: 'schedule.timezone is a known IANA time zone.',
    environment(doc, ctx) {
      const s = (doc.data as Obj).schedule
      if (isObj(s) && typeof s.timezone === 'string' && !isValidTimezone(s.timezone)) {
        ctx.report({ path: '/schedule/timezone', message: `'${s.timezone}' is not a known IANA time zone (e.g. UTC, America/New_York)` })
      }
    },
  },
  'env/transport': {
    severity: 'error',
    description: 'transport.url is present with the right scheme for nats/mqtt, and absent for memory.',
    environment(doc, ctx) {
      const t = (doc.data as Obj).transport
      if (!isObj(t)) return
      const type = str(t.type)
      const url = t.url
      if (type === 'memory') {
        if (url !== undefined) ctx.report({ path: '/transport/url', message: 'a memory transport takes no url; remove it or change transport.type' })
        return
      }
      const schemes = type ? TRANSPORT_URL_SCHEMES[type] : undefined
      if (!schemes) return
      if (url === undefined) {
        ctx.report({ path: '/transport', at: 'key', message: `a ${type} transport needs a url (${schemes.map(s => `${s}://…`).join(' or ')})` })
      } else if (typeof url === 'string' && !schemes.includes(scheme(url) ?? '')) {
        ctx.report({ path: '/transport/url', message: `transport url '${url}' does not fit ${type}; expected ${schemes.map(s => `${s}://…`).join(' or ')}` })
      }
    },
  },
  'env/storage': {
    severity: 'error',
    description: 'local storage has an absolute path; s3 storage has a bucket and a region.',
    environment(doc, ctx) {
      const s = (doc.data as Obj).storage
      if (!isObj(s)) return
      if (s.type === 'local') {
        if (s.path === undefined) ctx.report({ path: '/storage', at: 'key', message: 'local storage needs a path (an absolute folder, e.g. /var/lib/ssmd/data)' })
        else if (typeof s.path === 'string' && !s.path.startsWith('/')) ctx.report({ path: '/storage/path', message: `storage path '${s.path}' is not absolute; start it with /` })
      } else if (s.type === 's3') {
        for (const k of ['bucket', 'region']) if (s[k] === undefined) ctx.report({ path: '/storage', at: 'key', message: `s3 storage needs a ${k}` })
      }
    },
  },
  'env/cache': {
    severity: 'error',
    description: 'redis caches have a redis:// or rediss:// url; max_size is well-formed.',
    environment(doc, ctx) {
      return withContract(doc, contract => {
        shareContract(contract, ctx, 'env/cache')
        const c = (doc.data as Obj).cache
        if (!isObj(c)) return
        if (c.type === 'redis') {
          if (c.url === undefined) ctx.report({ path: '/cache', at: 'key', message: 'a redis cache needs a url (redis://… or rediss://…)' })
          else if (typeof c.url === 'string' && !(CACHE_URL_SCHEMES as readonly string[]).includes(scheme(c.url) ?? '')) {
            ctx.report({ path: '/cache/url', message: `cache url '${c.url}' is not a redis:// or rediss:// URL` })
          }
        } else if (c.type === 'memory' && c.url !== undefined) {
          ctx.report({ path: '/cache/url', message: 'a memory cache takes no url; remove it or change cache.type' })
        }
      })
    },
  },
  'env/key-source': {
    severity: 'error',
    description: 'Key sources are env, sealed-secret/<name> or vault/<path>.',
    environment(doc, ctx) {
      return reportContractShare(doc, ctx, 'env/key-source')
    },
  },
}
