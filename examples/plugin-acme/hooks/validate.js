// Acme's team rules. The default export is the plugin's `validate` hook: it
// returns a rule pack; ssmd runs the checks in a sandboxed process, then checks,
// locates and reports the findings. No runtime import of ssmd: the types come
// from `import('ssmd')` in JSDoc comments only (TypeScript: `import type`).

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isRecord = v => typeof v === 'object' && v !== null && !Array.isArray(v)

/** @type {import('ssmd').RulePack} */
const pack = {
  plugin: 'acme',
  rules: {
    'acme/websocket-rate-limit': {
      severity: 'warning',
      description: 'Websocket feed versions declare rate_limit_per_second.',
      feed(feed, ctx) {
        // The data is unchecked: a broken file is the contract check's finding, not a crash here.
        const { type, versions } = feed.data
        if (type !== 'websocket' || !Array.isArray(versions)) return
        versions.forEach((v, i) => {
          if (isRecord(v) && v.rate_limit_per_second === undefined) {
            const name = typeof v.version === 'string' ? v.version : `#${i + 1}`
            ctx.report({ path: `/versions/${i}`, message: `websocket version ${name} declares no rate_limit_per_second` })
          }
        })
      },
    },
    'acme/prod-s3': {
      severity: 'error',
      description: 'Production environments (*-prod) store data in s3.',
      environment(env, ctx) {
        if (!env.name.endsWith('-prod')) return
        const type = isRecord(env.data.storage) ? env.data.storage.type : undefined
        if (type !== 's3') {
          ctx.report({ path: '/storage/type', message: `production environment ${env.name} must use s3 storage, not ${String(type)}` })
        }
      },
    },
  },
}

export default async function validate() {
  return pack
}
