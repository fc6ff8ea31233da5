import type { RuleDefinition } from '../types.js'
import { didYouMean } from '../../core/text.js'
import { isObj, items, shareContract, str, withContract, type Obj } from './util.js'

const SCHEMA_REF = /^([a-z0-9][a-z0-9_-]{0,62}):(v[1-9][0-9]*)$/

export const refRules: Record<string, RuleDefinition> = {
  'ref/feed-exists': {
    severity: 'error',
    description: "An environment's feed names a feed file.",
    environment(doc, ctx) {
      const feed = str((doc.data as Obj).feed)
      if (feed === undefined || ctx.workspace.find('feed', feed)) return
      ctx.report({ path: '/feed', message: `feed '${feed}' does not exist${didYouMean(feed, ctx.workspace.feeds.map(f => f.name))} (ssmd feed list)` })
    },
  },
  'ref/schema-exists': {
    severity: 'error',
    description: 'schema has the form name:version and names an existing schema version.',
    environment(doc, ctx) {
      return withContract(doc, contract => {
        shareContract(contract, ctx, 'ref/schema-exists')
        const ref = str((doc.data as Obj).schema)
        const m = ref ? SCHEMA_REF.exec(ref) : null
        if (!m) return
        const schema = ctx.workspace.find('schema', m[1])
        if (!schema) {
          ctx.report({ path: '/schema', message: `schema '${m[1]}' does not exist${didYouMean(m[1], ctx.workspace.schemas.map(s => s.name))} (ssmd schema list)` })
          return
        }
        const ids = items(schema.data, 'versions').map(([v]) => String(v.version))
        if (schema.isObject && !ids.includes(m[2])) {
          ctx.report({ path: '/schema', message: `schema '${m[1]}' has no version ${m[2]} (it has ${ids.join(', ') || 'none'})` })
        }
      })
    },
  },
  'ref/schema-status': {
    severity: 'error',
    description: 'The referenced schema version is usable: error for draft, warning for deprecated.',
    environment(doc, ctx) {
      const m = SCHEMA_REF.exec(str((doc.data as Obj).schema) ?? '')
      if (!m) return
      const schema = ctx.workspace.find('schema', m[1])
      const version = items(schema?.data, 'versions').find(([v]) => v.version === m[2])?.[0]
      if (version?.status === 'draft') {
        ctx.report({ path: '/schema', message: `schema ${m[1]}:${m[2]} is a draft and may not be used by an environment; activate it (ssmd schema set-status ${m[1]}:${m[2]} active) or use an active version` })
      } else if (version?.status === 'deprecated') {
        ctx.report({ path: '/schema', severity: 'warning', message: `schema ${m[1]}:${m[2]} is deprecated; move to a newer version` })
      }
    },
  },
  'ref/feed-status': {
    severity: 'error',
    description: 'The referenced feed is usable: error for disabled, warning for deprecated.',
    environment(doc, ctx) {
      const name = str((doc.data as Obj).feed)
      const feed = name ? ctx.workspace.find('feed', name) : undefined
      const status = isObj(feed?.data) ? feed.data.status : undefined
      if (status === 'disabled') ctx.report({ path: '/feed', message: `feed '${name}' is disabled; enable it (ssmd feed update ${name} --status active) or point the environment at another feed` })
      else if (status === 'deprecated') ctx.report({ path: '/feed', severity: 'warning', message: `feed '${name}' is deprecated` })
    },
  },
  'ref/unused': {
    severity: 'info',
    description: 'A feed or schema that no environment references.',
    repository(ws, ctx) {
      const feeds = new Set<string>()
      const schemas = new Set<string>()
      for (const env of ws.environments) {
        if (!isObj(env.data)) continue
        if (typeof env.data.feed === 'string') feeds.add(env.data.feed)
        if (typeof env.data.schema === 'string') schemas.add(env.data.schema.split(':')[0])
      }
      for (const f of ws.feeds) if (!feeds.has(f.name)) ctx.reportIn(f, { path: '/name', message: `feed '${f.name}' is not used by any environment` })
      for (const s of ws.schemas) if (!schemas.has(s.name)) ctx.reportIn(s, { path: '/name', message: `schema '${s.name}' is not used by any environment` })
    },
  },
  'policy/plugin-missing': {
    severity: 'error',
    description: 'Every plugin listed in ssmd.yaml is installed.',
    repository(ws, ctx) {
      const policy = ws.policy
      if (!policy || !isObj(policy.data) || !Array.isArray(policy.data.plugins)) return
      const installed = new Set(ctx.installedPlugins ?? [])
      policy.data.plugins.forEach((p, i) => {
        if (typeof p === 'string' && !installed.has(p)) {
          ctx.reportIn(policy, { path: `/plugins/${i}`, message: `plugin '${p}' is required by ssmd.yaml but not installed; run 'ssmd plugins install ${p}'` })
        }
      })
    },
  },
}
