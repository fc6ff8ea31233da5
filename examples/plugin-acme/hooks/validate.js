// Acme's team rules. The default export is the plugin's `validate` hook: it
// returns a rule pack; ssmd calls each check, locates and isolates the findings.
// (In TypeScript, wrap the pack in `defineChecks` from 'ssmd' for typed checks.)

/** @type {import('ssmd').RulePack} */
const pack = {
  plugin: 'acme',
  rules: {
    'acme/websocket-rate-limit': {
      severity: 'warning',
      description: 'Websocket feed versions declare rate_limit_per_second.',
      feed(feed, ctx) {
        if (feed.data.type !== 'websocket') return
        feed.data.versions.forEach((v, i) => {
          if (v.rate_limit_per_second === undefined) {
            ctx.report({ path: `/versions/${i}`, message: `websocket version ${v.version} declares no rate_limit_per_second` })
          }
        })
      },
    },
    'acme/prod-s3': {
      severity: 'error',
      description: 'Production environments (*-prod) store data in s3.',
      environment(env, ctx) {
        if (env.name.endsWith('-prod') && env.data.storage?.type !== 's3') {
          ctx.report({ path: '/storage/type', message: `production environment ${env.name} must use s3 storage, not ${env.data.storage?.type}` })
        }
      },
    },
  },
}

export default async function validate() {
  return pack
}
