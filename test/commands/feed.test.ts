import { expect } from 'chai'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8')
const today = () => new Date().toISOString().slice(0, 10)

/** A hand-written feed: comments, blank lines, quoting the tools must keep. */
const HAND_WRITTEN = `# Hand-written; keep my comments.
name: handy
display_name: 'Handy Feed'   # single-quoted on purpose
type: websocket

status: active
capture_locations:
  - datacenter: nyc1  # primary
    provider: onprem
versions:
  # the first one
  - version: v1
    effective_from: 2024-01-01
    protocol: wss
    endpoint: wss://a.example.com/v1   # old
    rate_limit_per_second: 5
calendar:
  timezone: UTC
  open_time: "00:00"
`

function repoWithHandy(): string {
  const dir = exampleRepo()
  writeFileSync(join(dir, 'feeds', 'handy.yaml'), HAND_WRITTEN)
  return dir
}

describe('ssmd feed create', () => {
  it('writes a new feed with keys in spec order and the protocol derived from the type', async () => {
    const dir = exampleRepo()
    const r = await ssmd(
      [
        'feed',
        'create',
        'bitstamp',
        '--type',
        'websocket',
        '--endpoint',
        'wss://ws.bitstamp.net',
        '--display-name',
        'Bitstamp WS',
        '--auth-method',
        'none',
        '--rate-limit',
        '10',
        '--max-symbols',
        '50',
        '--supports-orderbook',
        '--no-supports-trades',
        '--effective-from',
        '2025-05-01',
        '--timezone',
        'UTC',
        '--holiday-calendar',
        'crypto_247',
        '--open-time',
        '00:00',
        '--close-time',
        '23:59',
      ],
      { cwd: dir },
    )
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('wrote feeds/bitstamp.yaml\n')
    expect(read(dir, 'feeds/bitstamp.yaml')).to.equal(`name: bitstamp
display_name: Bitstamp WS
type: websocket
status: active
versions:
  - version: v1
    effective_from: 2025-05-01
    protocol: wss
    endpoint: wss://ws.bitstamp.net
    auth_method: none
    rate_limit_per_second: 10
    max_symbols_per_connection: 50
    supports_orderbook: true
    supports_trades: false
calendar:
  timezone: UTC
  holiday_calendar: crypto_247
  open_time: "00:00"
  close_time: "23:59"
`)
  })

  it('defaults the effective date to today (UTC) and maps rest→https, multicast→multicast', async () => {
    const dir = exampleRepo()
    expect((await ssmd(['feed', 'create', 'rest1', '--type', 'rest', '--endpoint', 'https://api.example.com'], { cwd: dir })).code).to.equal(0)
    expect(read(dir, 'feeds/rest1.yaml')).to.equal(
      `name: rest1\ntype: rest\nstatus: active\nversions:\n  - version: v1\n    effective_from: ${today()}\n    protocol: https\n    endpoint: https://api.example.com\n`,
    )
    const m = await ssmd(['feed', 'create', 'mc', '--type', 'multicast', '--endpoint', 'udp://239.1.2.3:5000', '--json'], { cwd: dir })
    expect(m.code, m.stderr).to.equal(0)
    const json = JSON.parse(m.stdout)
    expect(json.file).to.equal('feeds/mc.yaml')
    expect(json.feed.versions[0].protocol).to.equal('multicast')
  })

  it('prints the path relative to the working directory, or to the root with -C from elsewhere', async () => {
    const dir = exampleRepo()
    const a = await ssmd(['feed', 'create', 'x1', '--type', 'rest', '--endpoint', 'https://x.example.com'], { cwd: join(dir, 'feeds') })
    expect(a.stdout).to.equal('wrote x1.yaml\n')
    const b = await ssmd(['feed', 'create', 'x2', '--type', 'rest', '--endpoint', 'https://x.example.com', '-C', dir])
    expect(b.stdout).to.equal('wrote feeds/x2.yaml\n')
  })

  it('refuses to overwrite an existing feed (exit 1) and leaves it untouched', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const r = await ssmd(['feed', 'create', 'kalshi', '--type', 'rest', '--endpoint', 'https://x.example.com'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/feed 'kalshi' already exists/)
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before)
  })

  const bad: Array<[string, string[], RegExp]> = [
    ['a path name', ['../x'], /not a valid feed name/],
    ['a slash', ['a/b'], /not a valid feed name/],
    ['a dot', ['a.b'], /not a valid feed name/],
    ['upper case', ['Kalshi2'], /not a valid feed name/],
    ['unicode', ['kälshi'], /not a valid feed name/],
    ['a too long name', ['a'.repeat(64)], /not a valid feed name/],
    ['a scheme that does not fit the protocol', ['ok', '--endpoint', 'https://x.example.com'], /uses https:\/\/; expected wss:\/\//],
    ['credentials in the endpoint', ['ok', '--endpoint', 'wss://user:pw@x.example.com'], /must not carry credentials/],
    ['not a URL', ['ok', '--endpoint', 'x.example.com'], /is not a URL/],
    ['a bad date', ['ok', '--effective-from', '2025-02-30'], /not a valid date/],
    ['a bad time', ['ok', '--open-time', '24:00'], /not a valid time/],
    ['a bad zone', ['ok', '--timezone', 'Mars/Base'], /IANA time zone/],
    ['a bad enum', ['ok', '--auth-method', 'password'], /--auth-method expects one of .*, got 'password'/],
    ['a zero rate limit', ['ok', '--rate-limit', '0'], /rate-limit/],
    ['an end before the start', ['ok', '--effective-from', '2025-02-01', '--effective-to', '2025-01-01'], /before/],
  ]
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with exit 2 and writes nothing`, async () => {
      const dir = exampleRepo()
      const withEndpoint = args.includes('--endpoint') ? args : [...args, '--endpoint', 'wss://x.example.com']
      const r = await ssmd(['feed', 'create', ...withEndpoint, '--type', 'websocket'], { cwd: dir })
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(message)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
      expect(existsSync(join(dir, 'feeds', 'ok.yaml'))).to.equal(false)
      expect(existsSync(join(dir, '..', 'x.yaml'))).to.equal(false)
    })
  }

  it('requires --endpoint and a multicast group address for multicast', async () => {
    const dir = exampleRepo()
    const a = await ssmd(['feed', 'create', 'ok', '--type', 'rest'], { cwd: dir })
    expect(a.code).to.equal(2)
    expect(a.stderr).to.match(/endpoint/)
    const b = await ssmd(['feed', 'create', 'ok', '--type', 'multicast', '--endpoint', 'udp://10.0.0.1:5000'], { cwd: dir })
    expect(b.code).to.equal(2)
    expect(b.stderr).to.match(/multicast group address/)
    expect(existsSync(join(dir, 'feeds', 'ok.yaml'))).to.equal(false)
  })
})

describe('ssmd feed show', () => {
  it('shows the feed and the version in effect today', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'show', 'kalshi'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('display name: Kalshi Exchange')
    expect(r.stdout).to.contain('locations:    nyc1 (onprem), aws-use1 (aws us-east-1)')
    expect(r.stdout).to.contain('version v2 (in effect today)')
    expect(r.stdout).to.contain('endpoint:      wss://api.kalshi.com/trade-api/ws/v2')
    expect(r.stdout).to.contain('parser config: message_format=json, timestamp_field=ts')
  })

  it('picks a version by id or by date, with a stable JSON shape', async () => {
    const dir = exampleRepo()
    const byId = JSON.parse((await ssmd(['feed', 'show', 'kalshi', '--version', 'v1', '--json'], { cwd: dir })).stdout)
    expect(byId.selected).to.deep.equal({ by: 'version' })
    expect(byId.version.endpoint).to.equal('wss://api.kalshi.com/trade-api/ws/v1')
    expect(byId.versions).to.deep.equal([
      { version: 'v1', effective_from: '2024-06-01', effective_to: '2024-12-31', in_effect_today: false },
      { version: 'v2', effective_from: '2025-01-01', in_effect_today: true },
    ])
    expect(Object.keys(byId)).to.deep.equal(['name', 'file', 'display_name', 'type', 'status', 'calendar', 'capture_locations', 'versions', 'selected', 'version'])
    const byDate = JSON.parse((await ssmd(['feed', 'show', 'kalshi', '--as-of', '2024-07-04', '--json'], { cwd: dir })).stdout)
    expect(byDate.selected).to.deep.equal({ by: 'date', date: '2024-07-04' })
    expect(byDate.version.version).to.equal('v1')
  })

  it('says so and shows the latest when no version is in effect today', async () => {
    const dir = exampleRepo()
    writeFileSync(
      join(dir, 'feeds', 'future.yaml'),
      'name: future\ntype: rest\nversions:\n  - version: v1\n    effective_from: 2999-01-01\n    protocol: https\n    endpoint: https://f.example.com\n',
    )
    const r = await ssmd(['feed', 'show', 'future'], { cwd: dir })
    expect(r.code).to.equal(0)
    expect(r.stderr).to.match(/no version of 'future' is in effect today .*showing the latest, v1/)
    expect(r.stdout).to.contain('version v1 (latest; none in effect today)')
  })

  it('fails with did-you-mean for unknown feeds and versions, and with no version on a date', async () => {
    const dir = exampleRepo()
    const a = await ssmd(['feed', 'show', 'kalshy'], { cwd: dir })
    expect(a.code).to.equal(1)
    expect(a.stderr).to.equal("Error: feed 'kalshy' not found; did you mean 'kalshi'? (ssmd feed list)\n")
    const b = await ssmd(['feed', 'show', 'kalshi', '--version', 'v3'], { cwd: dir })
    expect(b.code).to.equal(1)
    expect(b.stderr).to.match(/version 'v3' of feed 'kalshi' not found/)
    const c = await ssmd(['feed', 'show', 'kalshi', '--as-of', '2020-01-01'], { cwd: dir })
    expect(c.code).to.equal(1)
    expect(c.stderr).to.match(/no version of feed 'kalshi' is in effect on 2020-01-01/)
    const d = await ssmd(['feed', 'show', 'kalshi', '--as-of', 'yesterday'], { cwd: dir })
    expect(d.code).to.equal(2)
    const e = await ssmd(['feed', 'show', 'kalshi', '--version', 'v1', '--as-of', '2024-07-04'], { cwd: dir })
    expect(e.code).to.equal(2)
  })
})

describe('ssmd feed update', () => {
  it('changes only the given fields, keeping comments, quoting and blank lines', async () => {
    const dir = repoWithHandy()
    const r = await ssmd(
      ['feed', 'update', 'handy', '--display-name', 'Handier', '--rate-limit', '7', '--endpoint', 'wss://b.example.com/v1', '--close-time', '23:00', '--status', 'deprecated'],
      { cwd: dir },
    )
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('wrote feeds/handy.yaml\n')
    expect(read(dir, 'feeds/handy.yaml')).to.equal(
      HAND_WRITTEN.replace("'Handy Feed'", "'Handier'")
        .replace('status: active', 'status: deprecated')
        .replace('wss://a.example.com/v1   # old', 'wss://b.example.com/v1   # old')
        .replace('rate_limit_per_second: 5', 'rate_limit_per_second: 7')
        .replace('open_time: "00:00"\n', 'open_time: "00:00"\n  close_time: "23:00"\n'),
    )
  })

  it('targets --version and reports the changes in JSON', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const r = await ssmd(['feed', 'update', 'kalshi', '--version', 'v1', '--auth-method', 'oauth', '--json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'feeds/kalshi.yaml',
      name: 'kalshi',
      version: 'v1',
      changed: true,
      changes: [{ path: '/versions/0/auth_method', from: 'api_key', to: 'oauth' }],
      gaps: [],
    })
    const lines = before.split('\n')
    lines[17] = '    auth_method: oauth'
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(lines.join('\n'))
  })

  it('changing the type changes every protocol, and is refused when an endpoint would not fit', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'update', 'kraken', '--type', 'websocket', '--endpoint', 'wss://ws.kraken.com'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(dir, 'feeds/kraken.yaml')).to.contain('type: websocket\n').and.contain('    protocol: wss\n    endpoint: wss://ws.kraken.com\n')
    const before = read(dir, 'feeds/kalshi.yaml')
    const k = await ssmd(['feed', 'update', 'kalshi', '--type', 'rest', '--endpoint', 'https://x.example.com'], { cwd: dir })
    expect(k.code).to.equal(1)
    expect(k.stderr).to.match(/v1's endpoint .* does not fit protocol https/)
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before)
  })

  it('refuses overlapping dates, unknown versions, bad values and empty updates without writing', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const cases: Array<[string[], number, RegExp]> = [
      [['--version', 'v1', '--effective-to', '2025-01-05'], 1, /would overlap v2/],
      [['--version', 'v9', '--rate-limit', '1'], 1, /version 'v9' of feed 'kalshi' not found/],
      [['--version', 'latest', '--rate-limit', '1'], 2, /not a version id/],
      [['--endpoint', 'https://x.example.com'], 2, /expected wss:\/\//],
      [['--status', 'retired'], 2, /--status/],
      [[], 2, /nothing to change/],
    ]
    for (const [args, code, message] of cases) {
      const r = await ssmd(['feed', 'update', 'kalshi', ...args], { cwd: dir })
      expect(r.code, args.join(' ')).to.equal(code)
      expect(r.stderr, args.join(' ')).to.match(message)
    }
    const missing = await ssmd(['feed', 'update', 'kalsh', '--rate-limit', '3'], { cwd: dir })
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.match(/did you mean 'kalshi'/)
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before)
  })

  it('says so when the values are already there', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'update', 'kalshi', '--rate-limit', '10'], { cwd: dir })
    expect(r.code).to.equal(0)
    expect(r.stdout).to.match(/already has these values; nothing written/)
  })
})

describe('ssmd feed add-version', () => {
  it('copies the latest version, ends the open-ended one the day before, and says so', async () => {
    const dir = repoWithHandy()
    const r = await ssmd(['feed', 'add-version', 'handy', '--effective-from', '2025-03-01', '--endpoint', 'wss://a.example.com/v2'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('ended v1 on 2025-02-28, the day before v2 starts\nadded v2 (from 2025-03-01, copied from v1)\nwrote feeds/handy.yaml\n')
    // The closing date lands next to effective_from (spec order); nothing else moves.
    expect(read(dir, 'feeds/handy.yaml')).to.equal(
      HAND_WRITTEN.replace('    effective_from: 2024-01-01\n', '    effective_from: 2024-01-01\n    effective_to: 2025-02-28\n').replace(
        '    rate_limit_per_second: 5\n',
        `    rate_limit_per_second: 5
  - version: v2
    effective_from: 2025-03-01
    protocol: wss
    endpoint: wss://a.example.com/v2
    rate_limit_per_second: 5
`,
      ),
    )
  })

  it('copies --copy-from, applies overrides and answers in JSON', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'add-version', 'kalshi', '--effective-from', '2025-09-01', '--effective-to', '2025-12-31', '--copy-from', 'v1', '--rate-limit', '3', '--json'], {
      cwd: dir,
    })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'feeds/kalshi.yaml',
      name: 'kalshi',
      version: 'v3',
      copied_from: 'v1',
      entry: {
        version: 'v3',
        effective_from: '2025-09-01',
        effective_to: '2025-12-31',
        protocol: 'wss',
        endpoint: 'wss://api.kalshi.com/trade-api/ws/v1',
        auth_method: 'api_key',
        rate_limit_per_second: 3,
      },
      closed: { version: 'v2', effective_to: '2025-08-31' },
    })
    expect(read(dir, 'feeds/kalshi.yaml')).to.contain(`    effective_from: 2025-01-01
    effective_to: 2025-08-31
    protocol: wss`)
    expect(read(dir, 'feeds/kalshi.yaml')).to.contain(`      timestamp_field: ts
  - version: v3
    effective_from: 2025-09-01
    effective_to: 2025-12-31
    protocol: wss
    endpoint: wss://api.kalshi.com/trade-api/ws/v1
    auth_method: api_key
    rate_limit_per_second: 3
calendar:`)
  })

  it('refuses overlaps with any version (exit 1) and bad flags (exit 2) without writing', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const cases: Array<[string[], number, RegExp]> = [
      [['--effective-from', '2024-12-01'], 1, /v3 \(2024-12-01 → open\) would overlap v1 \(2024-06-01 → 2024-12-31\)/],
      [['--effective-from', '2025-01-01'], 1, /would overlap v2/],
      [['--effective-from', '2024-01-01', '--effective-to', '2024-06-01'], 1, /would overlap v1/],
      [['--effective-from', '2025-09-01', '--copy-from', 'v5'], 1, /version 'v5' of feed 'kalshi' not found/],
      [['--effective-from', '2025-13-01'], 2, /not a valid date/],
      [['--effective-from', '2025-09-01', '--endpoint', 'https://x.example.com'], 2, /expected wss:\/\//],
      [[], 2, /effective-from/],
    ]
    for (const [args, code, message] of cases) {
      const r = await ssmd(['feed', 'add-version', 'kalshi', ...args], { cwd: dir })
      expect(r.code, args.join(' ')).to.equal(code)
      expect(r.stderr, args.join(' ')).to.match(message)
    }
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before)
  })

  it('adds a closed version before the history without touching the others', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'add-version', 'kalshi', '--effective-from', '2024-01-01', '--effective-to', '2024-05-31'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).not.to.match(/ended/)
  })
})

describe('ssmd feed add-location / remove-location', () => {
  it('appends a location and keeps the rest of the file', async () => {
    const dir = repoWithHandy()
    const r = await ssmd(['feed', 'add-location', 'handy', '--datacenter', 'aws-use1', '--provider', 'aws', '--region', 'us-east-1'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('wrote feeds/handy.yaml\n')
    expect(read(dir, 'feeds/handy.yaml')).to.equal(
      HAND_WRITTEN.replace('    provider: onprem\n', '    provider: onprem\n  - datacenter: aws-use1\n    provider: aws\n    region: us-east-1\n'),
    )
  })

  it('creates capture_locations when the feed has none, and answers in JSON', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'add-location', 'kraken', '--datacenter', 'ld4', '--json'], { cwd: dir })
    expect(JSON.parse(r.stdout)).to.deep.equal({ file: 'feeds/kraken.yaml', name: 'kraken', location: { datacenter: 'ld4' } })
    expect(read(dir, 'feeds/kraken.yaml')).to.match(/\ncapture_locations:\n {2}- datacenter: ld4\n$/)
  })

  it('refuses a duplicate datacenter (1), a bad name (2) and a missing --datacenter (2)', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const dup = await ssmd(['feed', 'add-location', 'kalshi', '--datacenter', 'nyc1'], { cwd: dir })
    expect(dup.code).to.equal(1)
    expect(dup.stderr).to.match(/already has a capture location 'nyc1'/)
    expect((await ssmd(['feed', 'add-location', 'kalshi', '--datacenter', 'NYC 2'], { cwd: dir })).code).to.equal(2)
    expect((await ssmd(['feed', 'add-location', 'kalshi'], { cwd: dir })).code).to.equal(2)
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before)
  })

  it('removes one location, and the key with the last one', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const a = await ssmd(['feed', 'remove-location', 'kalshi', '--datacenter', 'nyc1'], { cwd: dir })
    expect(a.code, a.stderr).to.equal(0)
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before.replace('  - datacenter: nyc1\n    provider: onprem\n', ''))
    const b = await ssmd(['feed', 'remove-location', 'kalshi', '--datacenter', 'aws-use1', '--json'], { cwd: dir })
    expect(JSON.parse(b.stdout)).to.deep.equal({
      file: 'feeds/kalshi.yaml',
      name: 'kalshi',
      removed: { datacenter: 'aws-use1', provider: 'aws', region: 'us-east-1' },
      remaining: 0,
    })
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before.replace(/capture_locations:\n(?: {2}- .*\n(?: {4}.*\n)*)+/, ''))
  })

  it('fails with did-you-mean for an unknown datacenter, writing nothing', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'feeds/kalshi.yaml')
    const r = await ssmd(['feed', 'remove-location', 'kalshi', '--datacenter', 'nyc2'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal("Error: feed 'kalshi' has no capture location 'nyc2'; did you mean 'nyc1'? (locations: nyc1, aws-use1)\n")
    expect(read(dir, 'feeds/kalshi.yaml')).to.equal(before)
  })
})

describe('unencrypted endpoints (ws://, http://)', () => {
  const WARNING = /^warning: --endpoint '(ws|http):\/\/[^']+' is not encrypted \((ws|http):\/\/\); use (wss|https):\/\/ outside local simulators \(feed\/insecure-endpoint\)$/

  it('feed create accepts ws:// for a websocket feed and http:// for a rest feed, with a warning', async () => {
    const dir = exampleRepo()
    const sim = await ssmd(['feed', 'create', 'sim', '--type', 'websocket', '--endpoint', 'ws://localhost:8080/ws', '--effective-from', '2025-01-01'], { cwd: dir })
    expect(sim.code, sim.stderr).to.equal(0)
    expect(sim.stderr.trim()).to.match(WARNING)
    expect(read(dir, 'feeds/sim.yaml')).to.contain('    protocol: wss\n    endpoint: ws://localhost:8080/ws\n')
    const rest = await ssmd(['feed', 'create', 'restsim', '--type', 'rest', '--endpoint', 'http://localhost:8081/api', '--effective-from', '2025-01-01'], { cwd: dir })
    expect(rest.code, rest.stderr).to.equal(0)
    expect(rest.stderr.trim()).to.match(WARNING)
    expect(read(dir, 'feeds/restsim.yaml')).to.contain('    protocol: https\n    endpoint: http://localhost:8081/api\n')
    const quiet = await ssmd(['feed', 'create', 'secure', '--type', 'websocket', '--endpoint', 'wss://x.example.com'], { cwd: dir })
    expect(quiet.stderr).to.equal('')
  })

  it('still refuses a plain scheme of the other family (http:// on a websocket feed)', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['feed', 'create', 'sim', '--type', 'websocket', '--endpoint', 'http://localhost:8080/ws'], { cwd: dir })
    expect(r.code).to.equal(2)
    expect(r.stderr.trim()).to.equal("Error: --endpoint 'http://localhost:8080/ws' uses http://; expected wss:// or ws:// for protocol wss")
    expect(existsSync(join(dir, 'feeds', 'sim.yaml'))).to.equal(false)
  })

  it('feed update and feed add-version accept ws:// with the same warning', async () => {
    const dir = exampleRepo()
    const u = await ssmd(['feed', 'update', 'kalshi', '--endpoint', 'ws://localhost:9000/ws'], { cwd: dir })
    expect(u.code, u.stderr).to.equal(0)
    expect(u.stderr.trim()).to.match(WARNING)
    expect(read(dir, 'feeds/kalshi.yaml')).to.contain('endpoint: ws://localhost:9000/ws\n')
    const a = await ssmd(['feed', 'add-version', 'kraken', '--effective-from', '2026-01-01', '--endpoint', 'http://localhost:9001/api'], { cwd: dir })
    expect(a.code, a.stderr).to.equal(0)
    expect(a.stderr.trim()).to.match(WARNING)
    expect(read(dir, 'feeds/kraken.yaml')).to.contain('endpoint: http://localhost:9001/api\n')
  })

  it('validate warns (exit 0), and fails once ssmd.yaml raises feed/insecure-endpoint to error', async () => {
    const dir = exampleRepo()
    const created = await ssmd(['feed', 'create', 'sim', '--type', 'websocket', '--endpoint', 'ws://localhost:8080/ws', '--effective-from', '2025-01-01'], { cwd: dir })
    expect(created.code, created.stderr).to.equal(0)
    const warned = await ssmd(['validate', '--json'], { cwd: dir })
    expect(warned.code, warned.stdout).to.equal(0)
    const findings = (JSON.parse(warned.stdout) as { findings: Array<{ rule: string; severity: string; file: string; line: number }> }).findings
    expect(findings.map(f => `${f.rule} ${f.severity} ${f.file}:${f.line}`)).to.deep.equal(['feed/insecure-endpoint warning feeds/sim.yaml:8'])
    writeFileSync(join(dir, 'ssmd.yaml'), 'rules:\n  ref/unused: off\n  feed/insecure-endpoint: error\n')
    const failed = await ssmd(['validate', '--json'], { cwd: dir })
    expect(failed.code).to.equal(1)
    const raised = (JSON.parse(failed.stdout) as { findings: Array<{ rule: string; severity: string }> }).findings
    expect(raised.map(f => `${f.rule} ${f.severity}`)).to.deep.equal(['feed/insecure-endpoint error'])
  })
})
