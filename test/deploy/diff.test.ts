import { expect } from 'chai'
import { diffContent, diffLines, fieldPath, pathsInBrief } from '../../src/lib/deploy/diff.js'

const prod = () => ({
  cache: { max_size: '2GB', type: 'memory' },
  feed: { capture_locations: [{ datacenter: 'nyc1', provider: 'aws' }], name: 'kalshi', version: 'v1' },
  keys: {
    archive: { fields: ['access_key_id', 'secret_access_key'], required: true, source: 'vault/secret/data/ssmd/archive', type: 'storage' },
    kalshi: { fields: ['api_key'], required: true, source: 'env', type: 'api_key' },
  },
  transport: { type: 'nats', url: 'tls://nats.prod.internal:4222' },
})

describe('deploy field diff', () => {
  it('names each changed leaf by its YAML path, old → new', () => {
    const after = prod()
    after.transport.url = 'tls://nats2.prod.internal:4222'
    after.keys.archive.required = false
    expect(diffContent(prod(), after)).to.deep.equal([
      { path: 'keys.archive.required', kind: 'change', from: true, to: false },
      { path: 'transport.url', kind: 'change', from: 'tls://nats.prod.internal:4222', to: 'tls://nats2.prod.internal:4222' },
    ])
  })

  it('equal content (whatever the key order) has no change', () => {
    const reordered = JSON.parse(
      JSON.stringify(prod(), [
        'transport',
        'type',
        'url',
        'keys',
        'kalshi',
        'archive',
        'fields',
        'required',
        'source',
        'feed',
        'name',
        'version',
        'capture_locations',
        'datacenter',
        'provider',
        'cache',
        'max_size',
      ]),
    )
    expect(diffContent(prod(), reordered)).to.deep.equal([])
  })

  it('a key on one side only is one add or delete of its whole value', () => {
    const after: Record<string, unknown> = prod()
    delete (after.keys as Record<string, unknown>).archive
    delete after.cache
    ;(after as { schedule?: unknown }).schedule = { auto_roll: true, timezone: 'UTC' }
    expect(diffContent(prod(), after)).to.deep.equal([
      { path: 'cache', kind: 'delete', from: { max_size: '2GB', type: 'memory' } },
      { path: 'keys.archive', kind: 'delete', from: prod().keys.archive },
      { path: 'schedule', kind: 'add', to: { auto_roll: true, timezone: 'UTC' } },
    ])
  })

  it('arrays element by element; extra elements added or deleted at the end; a type change is one change', () => {
    const after = prod()
    after.feed.capture_locations = [
      { datacenter: 'nyc1', provider: 'gcp' },
      { datacenter: 'ldn1', provider: 'aws' },
    ]
    after.keys.kalshi.fields = []
    ;(after.cache as Record<string, unknown>).max_size = 2048
    expect(diffContent(prod(), after)).to.deep.equal([
      { path: 'cache.max_size', kind: 'change', from: '2GB', to: 2048 },
      { path: 'feed.capture_locations[0].provider', kind: 'change', from: 'aws', to: 'gcp' },
      { path: 'feed.capture_locations[1]', kind: 'add', to: { datacenter: 'ldn1', provider: 'aws' } },
      { path: 'keys.kalshi.fields[0]', kind: 'delete', from: 'api_key' },
    ])
  })

  it('content that is not an object on one side (a garbled value) is one change of the whole', () => {
    expect(diffContent('not json', prod())).to.deep.equal([{ path: '', kind: 'change', from: 'not json', to: prod() }])
    expect(diffContent(null, null)).to.deep.equal([])
  })

  it('quotes keys that are not plain words, so a path is never ambiguous', () => {
    expect(fieldPath(['keys', 'a.b', 'required'])).to.equal('keys["a.b"].required')
    expect(fieldPath(['x', 0, 'y z'])).to.equal('x[0]["y z"]')
    expect(fieldPath(['parser_config', 'max-depth'])).to.equal('parser_config.max-depth')
    expect(diffContent({ keys: { 'a.b': 1 } }, { keys: { 'a.b': 2 } })[0].path).to.equal('keys["a.b"]')
  })

  it('prints one line per change, old values through the removed style and new ones through the added style', () => {
    const after: Record<string, unknown> = prod()
    ;(after.transport as Record<string, unknown>).url = 'tls://nats2.prod.internal:4222'
    delete after.cache
    ;(after as { schedule?: unknown }).schedule = { timezone: 'UTC', auto_roll: true }
    const changes = diffContent(prod(), after)
    expect(diffLines(changes)).to.deep.equal([
      '  - cache: {"max_size":"2GB","type":"memory"}',
      '  + schedule: {"auto_roll":true,"timezone":"UTC"}',
      '  ~ transport.url: "tls://nats.prod.internal:4222" → "tls://nats2.prod.internal:4222"',
    ])
    const coloured = diffLines(changes, { removed: s => `<r>${s}</r>`, added: s => `<g>${s}</g>` }, '')
    expect(coloured).to.deep.equal([
      '<r>- cache: {"max_size":"2GB","type":"memory"}</r>',
      '<g>+ schedule: {"auto_roll":true,"timezone":"UTC"}</g>',
      '~ transport.url: <r>"tls://nats.prod.internal:4222"</r> → <g>"tls://nats2.prod.internal:4222"</g>',
    ])
  })

  it('sums up paths in a few words', () => {
    const changes = ['a', 'b', 'c', 'd', 'e'].map(path => ({ path, kind: 'change' as const, from: 1, to: 2 }))
    expect(pathsInBrief(changes.slice(0, 2))).to.equal('a, b')
    expect(pathsInBrief(changes)).to.equal('a, b, c and 2 more')
  })
})
