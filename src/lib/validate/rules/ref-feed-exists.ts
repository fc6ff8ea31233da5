import { didYouMean } from '../../core/text.js'
import { builtinRule } from './util.js'

export default builtinRule({
  meta: {
    id: 'ref/feed-exists',
    uses: ['source'],
    severity: 'error',
    description: "An environment's feed names a feed file.",
    messages: { missing: "feed '{{feed}}' does not exist{{suggestion}} (ssmd feed list)" },
  },
  environment(doc, ctx) {
    const feed = ctx.source(doc).facts.feed
    if (feed === undefined || ctx.workspace.find('feed', feed)) return
    ctx.report({
      path: '/feed',
      messageId: 'missing',
      data: {
        feed,
        suggestion: didYouMean(
          feed,
          ctx.workspace.feeds.map(f => f.name),
        ),
      },
    })
  },
})
