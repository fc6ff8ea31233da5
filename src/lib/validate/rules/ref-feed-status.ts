import { builtinRule } from './util.js'

export default builtinRule({
  meta: {
    id: 'ref/feed-status',
    uses: ['source'],
    severity: 'error',
    description: 'The referenced feed is usable: error for disabled, warning for deprecated.',
    messages: {
      disabled: "feed '{{feed}}' is disabled; enable it (ssmd feed update {{feed}} --status active) or point the environment at another feed",
      deprecated: "feed '{{feed}}' is deprecated",
    },
  },
  environment(doc, ctx) {
    const name = ctx.source(doc).facts.feed
    const feed = name ? ctx.workspace.find('feed', name) : undefined
    const status = feed === undefined ? undefined : ctx.source(feed).facts.status
    if (status === 'disabled') ctx.report({ path: '/feed', messageId: 'disabled', data: { feed: name! } })
    else if (status === 'deprecated') ctx.report({ path: '/feed', severity: 'warning', messageId: 'deprecated', data: { feed: name! } })
  },
})
