import { expect } from 'chai'
import { NoVersionInEffect, nextSwitch, resolveContent, resolveFeed, type FeedVersionFields, type RenderedFeed } from '../../src/lib/runtime/content.js'

const version = (v: string, from: string, to?: string, endpoint = `wss://x/${v}`): FeedVersionFields => ({
  version: v,
  effective_from: from,
  ...(to ? { effective_to: to } : {}),
  protocol: 'wss',
  endpoint,
  supports_orderbook: false,
  supports_trades: true,
  supports_historical: false,
})

/** A feed rendered with v1 in effect and the given later versions. */
const feed = (current: FeedVersionFields, upcoming: FeedVersionFields[] = []): RenderedFeed => ({
  name: 'kalshi',
  type: 'websocket',
  status: 'active',
  ...current,
  capture_locations: [{ datacenter: 'nyc1' }],
  ...(upcoming.length > 0 ? { upcoming } : {}),
})

describe('dated feed versions in a rendering', () => {
  const v1 = version('v1', '2024-06-01', '2024-12-31')
  const v2 = version('v2', '2025-01-01', '2025-03-31', 'wss://x/v2')
  const v3 = version('v3', '2025-05-01')
  const f = feed(v1, [v2, v3])

  it('resolves the version in effect on a date, keeping the later ones as upcoming', () => {
    expect(resolveFeed(f, '2024-12-31')).to.equal(f)
    const jan = resolveFeed(f, '2025-01-01')
    expect(jan).to.deep.equal(feed(v2, [v3]))
    expect(resolveFeed(f, '2025-05-01')).to.deep.equal(feed(v3))
    expect(resolveFeed(f, '2099-01-01')).to.deep.equal(feed(v3))
    // An optional field of the old version does not survive into a version without it.
    const withParser = feed({ ...v1, parser_config: { a: 1 }, auth_method: 'api_key' }, [v2])
    expect(resolveFeed(withParser, '2025-01-02')).to.not.have.any.keys('parser_config', 'auth_method')
  })

  it('keeps the deployed version before its start; a date in a gap or after the end has no version', () => {
    expect(resolveFeed(f, '2024-01-01')).to.equal(f)
    expect(() => resolveFeed(f, '2025-04-15')).to.throw(NoVersionInEffect, "feed 'kalshi' has no version in effect on 2025-04-15")
    expect(() => resolveFeed(feed(v1), '2025-01-01')).to.throw(NoVersionInEffect)
  })

  it('names the next switch day: a start, or the day after an end', () => {
    expect(nextSwitch(f, '2024-07-01')).to.equal('2025-01-01')
    expect(nextSwitch(f, '2025-01-01')).to.equal('2025-04-01')
    expect(nextSwitch(f, '2025-04-01')).to.equal('2025-05-01')
    expect(nextSwitch(f, '2025-05-01')).to.equal(undefined)
    expect(nextSwitch(feed(version('v9', '2024-01-01')), '2024-06-01')).to.equal(undefined)
  })

  it('resolveContent changes the feed only, and returns the same object when nothing changes', () => {
    const content = { feed: f, transport: { type: 'nats', url: 'nats://a:4222' } }
    expect(resolveContent(content, '2024-08-01')).to.equal(content)
    const later = resolveContent(content, '2025-02-01')
    expect(later.feed.version).to.equal('v2')
    expect(later.transport).to.equal(content.transport)
  })
})
