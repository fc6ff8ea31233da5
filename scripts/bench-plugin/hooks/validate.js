// A plugin that does a typical plugin's work on every document (narrowing,
// cross-file lookups) and finds nothing on the repositories scripts/gen-repo.js
// writes, so that the benchmark measures what running a plugin costs, not
// what locating and printing its findings costs.
const isRecord = v => typeof v === 'object' && v !== null && !Array.isArray(v)

/** @type {import('ssmd').RulePack} */
const pack = {
  plugin: 'bench',
  rules: {
    'bench/feed-versions': {
      severity: 'warning',
      description: 'Every feed has at least one version with an endpoint.',
      feed(feed, ctx) {
        const { versions } = feed.data
        if (!Array.isArray(versions) || !versions.some(v => isRecord(v) && typeof v.endpoint === 'string')) ctx.report({ path: '/versions', message: 'no version has an endpoint' })
      },
    },
    'bench/env-feed': {
      severity: 'error',
      description: 'Every environment names a feed that exists.',
      environment(env, ctx) {
        const name = env.data.feed
        if (typeof name === 'string' && !ctx.workspace.find('feed', name)) ctx.report({ path: '/feed', message: `no feed '${name}'` })
      },
    },
  },
}

export default async function validate() {
  return pack
}
