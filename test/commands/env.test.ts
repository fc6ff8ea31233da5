import { expect } from 'chai'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8')
const envFiles = (dir: string) => readdirSync(join(dir, 'environments')).sort()

const HAND_WRITTEN = `# Staging: hand-written, comments must survive.
name: staging
feed: kalshi   # the main feed
schema: trade:v1

transport:
  type: nats
  url: "nats://nats.staging:4222"  # quoted on purpose
storage:
  type: local
  path: /data/staging
cache: {type: memory, max_size: 100MB}
`

function repoWithStaging(): string {
  const dir = exampleRepo()
  writeFileSync(join(dir, 'environments', 'staging.yaml'), HAND_WRITTEN)
  return dir
}

describe('ssmd env list / show', () => {
  it('lists environments as an aligned table and as JSON', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['env', 'list'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(`NAME            FEED        SCHEMA        TRANSPORT
kalshi-dev      kalshi      trade:v1      nats
kalshi-prod     kalshi      trade:v1      nats
polymarket-dev  polymarket  orderbook:v1  memory
`)
    const json = JSON.parse((await ssmd(['env', 'list', '--json'], { cwd: dir })).stdout)
    expect(json[0]).to.deep.equal({ name: 'kalshi-dev', file: 'environments/kalshi-dev.yaml', feed: 'kalshi', schema: 'trade:v1', transport: 'nats' })
  })

  it('shows details including the SSMD_ variable names of env-sourced keys', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['env', 'show', 'kalshi-dev'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('transport: nats nats://localhost:4222')
    expect(r.stdout).to.contain('storage:   local /var/lib/ssmd/data')
    expect(r.stdout).to.contain('variables: SSMD_KALSHI_API_KEY, SSMD_KALSHI_API_SECRET')
    const json = JSON.parse((await ssmd(['env', 'show', 'kalshi-prod', '--json'], { cwd: dir })).stdout)
    expect(Object.keys(json)).to.deep.equal(['name', 'file', 'feed', 'schema', 'schedule', 'transport', 'storage', 'cache', 'keys'])
    expect(json.keys[0]).to.deep.equal({
      name: 'kalshi',
      type: 'api_key',
      required: true,
      fields: ['api_key', 'api_secret'],
      source: 'sealed-secret/kalshi-prod-credentials',
      rotation_days: 90,
      description: 'Kalshi trading API credentials',
      variables: [],
    })
  })

  it('turns every character outside A-Z0-9 into _ in variable names', async () => {
    const dir = exampleRepo()
    const add = await ssmd(['env', 'add-key', 'polymarket-dev', 'poly-mkt', '--type', 'api_key', '--fields', 'api_key,v2_secret', '--source', 'env'], { cwd: dir })
    expect(add.code, add.stderr).to.equal(0)
    const json = JSON.parse((await ssmd(['env', 'show', 'polymarket-dev', '--json'], { cwd: dir })).stdout)
    expect(json.keys[0].variables).to.deep.equal(['SSMD_POLY_MKT_API_KEY', 'SSMD_POLY_MKT_V2_SECRET'])
  })

  it('fails with did-you-mean for an unknown environment', async () => {
    const r = await ssmd(['env', 'show', 'kalshi-dv'], { cwd: exampleRepo() })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal("Error: environment 'kalshi-dv' not found; did you mean 'kalshi-dev'? (ssmd env list)\n")
  })
})

describe('ssmd env create', () => {
  it('writes the defaults: memory transport, local storage under /var/lib/ssmd/<name>', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['env', 'create', 'kalshi-test', '--feed', 'kalshi', '--schema', 'trade:v1'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('wrote environments/kalshi-test.yaml\n')
    expect(read(dir, 'environments/kalshi-test.yaml')).to.equal(`name: kalshi-test
feed: kalshi
schema: trade:v1
transport:
  type: memory
storage:
  type: local
  path: /var/lib/ssmd/kalshi-test
`)
  })

  it('writes every section in spec order', async () => {
    const dir = exampleRepo()
    const r = await ssmd(
      [
        'env',
        'create',
        'full',
        '--feed',
        'kalshi',
        '--schema',
        'trade:v1',
        '--cache.url',
        'rediss://cache.internal:6379',
        '--cache.type',
        'redis',
        '--cache.max-size',
        '2GB',
        '--storage.region',
        'us-east-1',
        '--storage.bucket',
        'ssmd-prod',
        '--storage.type',
        's3',
        '--transport.url',
        'tls://nats.internal:4222',
        '--transport.type',
        'nats',
        '--schedule.auto-roll',
        '--schedule.day-end',
        '00:00',
        '--schedule.day-start',
        '04:00',
        '--schedule.timezone',
        'America/New_York',
        '--json',
      ],
      { cwd: dir },
    )
    expect(r.code, r.stderr).to.equal(0)
    const json = JSON.parse(r.stdout)
    expect(json.file).to.equal('environments/full.yaml')
    expect(json.warnings).to.deep.equal([])
    expect(read(dir, 'environments/full.yaml')).to.equal(`name: full
feed: kalshi
schema: trade:v1
schedule:
  timezone: America/New_York
  day_start: "04:00"
  day_end: "00:00"
  auto_roll: true
transport:
  type: nats
  url: tls://nats.internal:4222
storage:
  type: s3
  bucket: ssmd-prod
  region: us-east-1
cache:
  type: redis
  max_size: 2GB
  url: rediss://cache.internal:6379
`)
  })

  it('accepts a deprecated schema version with a warning', async () => {
    const dir = exampleRepo()
    writeFileSync(join(dir, 'schemas', 'trade.yaml'), read(dir, 'schemas/trade.yaml').replace('status: active', 'status: deprecated'))
    const r = await ssmd(['env', 'create', 'old', '--feed', 'kalshi', '--schema', 'trade:v1'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.equal('warning: schema trade:v1 is deprecated; plan a move to a newer version\n')
  })

  it('keeps warnings out of --quiet and --json runs (stdout is the JSON result alone)', async () => {
    const dir = exampleRepo()
    writeFileSync(join(dir, 'schemas', 'trade.yaml'), read(dir, 'schemas/trade.yaml').replace('status: active', 'status: deprecated'))
    const quiet = await ssmd(['env', 'create', 'old', '--feed', 'kalshi', '--schema', 'trade:v1', '-q'], { cwd: dir })
    expect([quiet.code, quiet.stdout, quiet.stderr]).to.deep.equal([0, '', ''])
    const json = await ssmd(['env', 'create', 'older', '--feed', 'kalshi', '--schema', 'trade:v1', '--json'], { cwd: dir })
    expect([json.code, json.stderr]).to.deep.equal([0, ''])
    expect(JSON.parse(json.stdout).file).to.equal('environments/older.yaml')
  })

  const refused: Array<[string, string[], number, RegExp]> = [
    ['an unknown feed', ['--feed', 'kalshy'], 1, /feed 'kalshy' not found; did you mean 'kalshi'\?/],
    ['an unknown schema', ['--schema', 'trad:v1'], 1, /schema 'trad' not found; did you mean 'trade'\?/],
    ['an unknown schema version', ['--schema', 'trade:v7'], 1, /schema 'trade' has no version 'v7'/],
    ['a draft schema version', ['--schema', 'trade:v2'], 1, /schema trade:v2 is a draft/],
    ['a malformed schema reference', ['--schema', 'trade'], 2, /--schema 'trade' names no version; use <schema>:<version>, e.g. trade:v1/],
    ['a nats transport without url', ['--transport.type', 'nats'], 2, /a nats transport needs --transport.url/],
    ['a url on a memory transport', ['--transport.url', 'nats://h:4222'], 2, /memory transport takes no --transport.url/],
    ['a url scheme that does not fit', ['--transport.type', 'mqtt', '--transport.url', 'nats://h:4222'], 2, /expected mqtt:\/\/ or mqtts:\/\//],
    ['credentials in the transport url', ['--transport.type', 'nats', '--transport.url', 'nats://user:s3cret@h:4222'], 2, /must not carry credentials/],
    ['credentials in the cache url', ['--cache.type', 'redis', '--cache.url', 'redis://:s3cret@h:6379'], 2, /must not carry credentials/],
    ['s3 without region', ['--storage.type', 's3', '--storage.bucket', 'b-1'], 2, /s3 storage needs --storage.region/],
    ['a path on s3', ['--storage.type', 's3', '--storage.bucket', 'b-1', '--storage.region', 'x', '--storage.path', '/d'], 2, /only for local storage/],
    ['a bucket on local', ['--storage.bucket', 'b-1'], 2, /only for s3 storage/],
    ['a relative path', ['--storage.path', 'data'], 2, /must be an absolute path/],
    ['a bad size', ['--cache.max-size', '100mb'], 2, /not a size/],
    ['a redis cache without url', ['--cache.type', 'redis'], 2, /redis cache needs --cache.url/],
    ['a bad time', ['--schedule.day-start', '4:00'], 2, /not a valid time/],
    ['a bad zone', ['--schedule.timezone', 'New_York'], 2, /IANA/],
    ['a bad transport type', ['--transport.type', 'kafka'], 2, /transport\.type/],
  ]
  for (const [what, args, code, message] of refused) {
    it(`refuses ${what} (exit ${code}) and writes nothing`, async () => {
      const dir = exampleRepo()
      const before = envFiles(dir)
      const base = { '--feed': 'kalshi', '--schema': 'trade:v1' } as Record<string, string>
      for (let i = 0; i < args.length; i += 2) if (args[i] in base) base[args[i]] = args[i + 1]
      const rest = args.filter((a, i) => !(a in { '--feed': 1, '--schema': 1 }) && !(i > 0 && args[i - 1] in { '--feed': 1, '--schema': 1 }))
      const r = await ssmd(['env', 'create', 'newenv', ...Object.entries(base).flat(), ...rest], { cwd: dir })
      expect(r.code, r.stderr).to.equal(code)
      expect(r.stderr).to.match(message)
      expect(r.stderr).not.to.contain('s3cret')
      expect(envFiles(dir)).to.deep.equal(before)
    })
  }

  it('refuses bad names (exit 2), an existing environment (exit 1) and missing --feed/--schema (exit 2)', async () => {
    const dir = exampleRepo()
    const files = envFiles(dir)
    const before = read(dir, 'environments/kalshi-dev.yaml')
    for (const name of ['../evil', 'a/b', 'Dev', 'dev.yaml', 'ünï']) {
      const r = await ssmd(['env', 'create', name, '--feed', 'kalshi', '--schema', 'trade:v1'], { cwd: dir })
      expect(r.code, name).to.equal(2)
      expect(r.stderr, name).to.match(/not a valid environment name/)
    }
    const dup = await ssmd(['env', 'create', 'kalshi-dev', '--feed', 'kalshi', '--schema', 'trade:v1'], { cwd: dir })
    expect(dup.code).to.equal(1)
    expect(dup.stderr).to.match(/environment 'kalshi-dev' already exists/)
    expect((await ssmd(['env', 'create', 'x', '--schema', 'trade:v1'], { cwd: dir })).code).to.equal(2)
    expect((await ssmd(['env', 'create', 'x', '--feed', 'kalshi'], { cwd: dir })).code).to.equal(2)
    expect(read(dir, 'environments/kalshi-dev.yaml')).to.equal(before)
    expect(existsSync(join(dir, 'evil.yaml'))).to.equal(false)
    expect(envFiles(dir)).to.deep.equal(files)
  })
})

describe('ssmd env update', () => {
  it('changes only the given fields of a hand-written file', async () => {
    const dir = repoWithStaging()
    const r = await ssmd(['env', 'update', 'staging', '--transport.url', 'tls://nats.staging:4222', '--storage.path', '/data/staging2', '--schema', 'orderbook:v1'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('wrote environments/staging.yaml\n')
    expect(read(dir, 'environments/staging.yaml')).to.equal(
      HAND_WRITTEN.replace('schema: trade:v1', 'schema: orderbook:v1')
        .replace('"nats://nats.staging:4222"', '"tls://nats.staging:4222"')
        .replace('/data/staging\n', '/data/staging2\n'),
    )
  })

  it('switching the transport to memory removes the url; switching storage to s3 drops the path', async () => {
    const dir = repoWithStaging()
    const r = await ssmd(
      ['env', 'update', 'staging', '--transport.type', 'memory', '--storage.type', 's3', '--storage.bucket', 'stage-data', '--storage.region', 'eu-west-1', '--json'],
      { cwd: dir },
    )
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'environments/staging.yaml',
      name: 'staging',
      changed: true,
      warnings: [],
      changes: [
        { path: '/transport/type', from: 'nats', to: 'memory' },
        { path: '/transport/url', from: 'nats://nats.staging:4222' },
        { path: '/storage/type', from: 'local', to: 's3' },
        { path: '/storage/bucket', to: 'stage-data' },
        { path: '/storage/region', to: 'eu-west-1' },
        { path: '/storage/path', from: '/data/staging' },
      ],
    })
    expect(read(dir, 'environments/staging.yaml')).to.equal(
      HAND_WRITTEN.replace('  type: nats\n  url: "nats://nats.staging:4222"  # quoted on purpose\n', '  type: memory\n').replace(
        '  type: local\n  path: /data/staging\n',
        '  type: s3\n  bucket: stage-data\n  region: eu-west-1\n',
      ),
    )
  })

  it('adds a missing section and back to local storage with the default path', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['env', 'update', 'kalshi-prod', '--storage.type', 'local', '--no-schedule.auto-roll'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const text = read(dir, 'environments/kalshi-prod.yaml')
    expect(text).to.contain('storage:\n  type: local\n  path: /var/lib/ssmd/kalshi-prod\n')
    expect(text).to.contain('  auto_roll: false\n')
    const p = await ssmd(['env', 'update', 'polymarket-dev', '--cache.max-size', '512KB'], { cwd: dir })
    expect(p.code, p.stderr).to.equal(0)
    expect(read(dir, 'environments/polymarket-dev.yaml')).to.match(/\ncache:\n {2}type: memory\n {2}max_size: 512KB\n$/)
  })

  it('edits flow-style sections in place, keeping the rest of the file', async () => {
    const dir = exampleRepo()
    const text =
      'name: flowy\nfeed: kalshi   # the main feed\nschema: trade:v1\ntransport: {type: nats, url: "nats://n:4222"}\nstorage: {type: local, path: /d}\ncache: {type: memory, max_size: 100MB}\n'
    writeFileSync(join(dir, 'environments', 'flowy.yaml'), text)
    const r = await ssmd(['env', 'update', 'flowy', '--transport.type', 'memory', '--cache.type', 'redis', '--cache.url', 'redis://c:6379'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(dir, 'environments/flowy.yaml')).to.equal(
      text.replace('{type: nats, url: "nats://n:4222"}', '{type: memory}').replace('{type: memory, max_size: 100MB}', '{type: redis, max_size: 100MB, url: redis://c:6379}'),
    )
  })

  it('checks new references and consistency, writing nothing on failure', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'environments/kalshi-dev.yaml')
    const cases: Array<[string[], number, RegExp]> = [
      [['--schema', 'trade:v2'], 1, /is a draft/],
      [['--feed', 'nope'], 1, /feed 'nope' not found/],
      [['--transport.type', 'mqtt'], 2, /the current url; pass a new --transport.url/],
      [['--storage.type', 's3'], 2, /s3 storage needs --storage.bucket and --storage.region/],
      [['--cache.type', 'redis'], 2, /redis cache needs --cache.url/],
      [['--transport.url', 'nats://admin:hunter2@h:4222'], 2, /must not carry credentials/],
      [[], 2, /nothing to change/],
    ]
    for (const [args, code, message] of cases) {
      const r = await ssmd(['env', 'update', 'kalshi-dev', ...args], { cwd: dir })
      expect(r.code, args.join(' ')).to.equal(code)
      expect(r.stderr, args.join(' ')).to.match(message)
    }
    const missing = await ssmd(['env', 'update', 'kalshi-dv', '--cache.max-size', '1GB'], { cwd: dir })
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.match(/did you mean 'kalshi-dev'/)
    expect(read(dir, 'environments/kalshi-dev.yaml')).to.equal(before)
  })
})

describe('ssmd env add-key / remove-key', () => {
  it('adds a key reference in spec order and names its variables', async () => {
    const dir = repoWithStaging()
    const r = await ssmd(
      ['env', 'add-key', 'staging', 'kalshi', '--type', 'api_key', '--fields', 'api_key, api_secret', '--source', 'env', '--rotation-days', '30', '--description', 'Kalshi API'],
      { cwd: dir },
    )
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('wrote environments/staging.yaml\nvalues are read from SSMD_KALSHI_API_KEY, SSMD_KALSHI_API_SECRET\n')
    // The new section goes where the spec puts it (after schema); every other byte stays.
    expect(read(dir, 'environments/staging.yaml')).to.equal(
      HAND_WRITTEN.replace(
        'schema: trade:v1\n',
        `schema: trade:v1
keys:
  kalshi:
    type: api_key
    required: true
    fields: [api_key, api_secret]
    source: env
    rotation_days: 30
    description: Kalshi API
`,
      ),
    )
  })

  it('appends to existing keys and answers in JSON', async () => {
    const dir = exampleRepo()
    const before = read(dir, 'environments/kalshi-dev.yaml')
    const r = await ssmd(
      ['env', 'add-key', 'kalshi-dev', 'archive', '--type', 'storage', '--fields', 'access_key_id', '--source', 'sealed-secret/archive-creds', '--no-required', '--json'],
      { cwd: dir },
    )
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'environments/kalshi-dev.yaml',
      environment: 'kalshi-dev',
      key: 'archive',
      entry: { type: 'storage', required: false, fields: ['access_key_id'], source: 'sealed-secret/archive-creds' },
      variables: [],
    })
    expect(read(dir, 'environments/kalshi-dev.yaml')).to.equal(
      before.replace(
        '    source: env\n',
        `    source: env
  archive:
    type: storage
    required: false
    fields: [access_key_id]
    source: sealed-secret/archive-creds
`,
      ),
    )
  })

  const refused: Array<[string, string[], number, RegExp]> = [
    ['a secret value as source', ['--source', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'], 2, /looks like a Stripe key, not a reference/],
    ['an AWS key as source', ['--source', 'vault/AKIAIOSFODNN7EXAMPLE'], 2, /looks like an AWS access key id/],
    ['a random token as source', ['--source', 'Zk93mQp2LxV8rT4wY7bN3cD5'], 2, /looks like a random token/],
    ['a password in the description', ['--description', 'password=hunter2'], 2, /looks like it contains/],
    ['a source that is not a reference', ['--source', 'file'], 2, /not a reference; use env, sealed-secret\/<name> or vault\/<path>/],
    ['an empty vault path', ['--source', 'vault/'], 2, /vault path/],
    ['an upper-case field', ['--fields', 'API_KEY'], 2, /not a valid field name/],
    ['a duplicate field', ['--fields', 'a,a'], 2, /listed twice/],
    ['a bad type', ['--type', 'password'], 2, /--type/],
    ['a zero rotation', ['--rotation-days', '0'], 2, /rotation-days/],
    ['an existing key', ['--key', 'kalshi'], 1, /already has a key 'kalshi'/],
    ['a bad key name', ['--key', 'Kalshi'], 2, /not a valid key name/],
  ]
  for (const [what, args, code, message] of refused) {
    it(`refuses ${what} (exit ${code}) without writing`, async () => {
      const dir = exampleRepo()
      const before = read(dir, 'environments/kalshi-dev.yaml')
      const flags: Record<string, string> = { '--key': 'newkey', '--type': 'api_key', '--fields': 'api_key', '--source': 'env' }
      for (let i = 0; i < args.length; i += 2) flags[args[i]] = args[i + 1]
      const key = flags['--key']
      delete flags['--key']
      const r = await ssmd(['env', 'add-key', 'kalshi-dev', key, ...Object.entries(flags).flat()], { cwd: dir })
      expect(r.code, r.stderr).to.equal(code)
      expect(r.stderr).to.match(message)
      for (const secret of ['4eC39HqLyjWDarjtT1zdp7dc', 'hunter2', 'IOSFODNN7EXAMPLE']) expect(read(dir, 'environments/kalshi-dev.yaml')).not.to.contain(secret)
      expect(read(dir, 'environments/kalshi-dev.yaml')).to.equal(before)
    })
  }

  it('requires --type, --fields and --source', async () => {
    const dir = exampleRepo()
    for (const missing of ['--type', '--fields', '--source']) {
      const flags: Record<string, string> = { '--type': 'api_key', '--fields': 'a', '--source': 'env' }
      delete flags[missing]
      const r = await ssmd(['env', 'add-key', 'kalshi-dev', 'k2', ...Object.entries(flags).flat()], { cwd: dir })
      expect(r.code, missing).to.equal(2)
    }
  })

  it('removes a key, and the keys section with the last one', async () => {
    const dir = exampleRepo()
    const prod = read(dir, 'environments/kalshi-prod.yaml')
    const a = await ssmd(['env', 'remove-key', 'kalshi-prod', 'archive'], { cwd: dir })
    expect(a.code, a.stderr).to.equal(0)
    expect(a.stdout).to.equal('removed key archive\nwrote environments/kalshi-prod.yaml\n')
    expect(read(dir, 'environments/kalshi-prod.yaml')).to.equal(prod.replace(/ {2}archive:\n(?: {4}.*\n)+/, ''))
    const dev = read(dir, 'environments/kalshi-dev.yaml')
    const b = await ssmd(['env', 'remove-key', 'kalshi-dev', 'kalshi', '--json'], { cwd: dir })
    expect(JSON.parse(b.stdout)).to.deep.equal({
      file: 'environments/kalshi-dev.yaml',
      environment: 'kalshi-dev',
      key: 'kalshi',
      removed: { type: 'api_key', required: true, fields: ['api_key', 'api_secret'], source: 'env' },
    })
    expect(read(dir, 'environments/kalshi-dev.yaml')).to.equal(dev.replace(/keys:\n(?: {2}.*\n)+/, ''))
  })

  it('fails with did-you-mean for an unknown key', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['env', 'remove-key', 'kalshi-prod', 'archiv'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal("Error: environment 'kalshi-prod' has no key 'archiv'; did you mean 'archive'? (keys: kalshi, archive)\n")
  })
})
