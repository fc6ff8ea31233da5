import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, git } from '../helpers/repo.js'
import { sha256Hex } from '../../src/lib/domain/schema/files.js'

describe('ssmd env render', () => {
  it('renders examples/market-data as one self-contained document, with the commit git reports', async () => {
    const dir = exampleRepo({ git: true })
    const r = await ssmd(['env', 'render', 'kalshi-prod', '--as-of', '2025-03-01'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const doc = parse(r.stdout)
    expect(doc.name).to.equal('kalshi-prod')
    expect(doc.as_of).to.equal('2025-03-01')
    expect(doc.source).to.deep.equal({
      commit: git(dir, 'rev-parse', 'HEAD').trim(),
      dirty: false,
      files: ['environments/kalshi-prod.yaml', 'feeds/kalshi.yaml', 'schemas/trade.yaml', 'schemas/trade.capnp'],
    })
    // The feed version in effect on the date, with the spec's defaults filled in.
    expect(doc.feed).to.include({
      name: 'kalshi',
      version: 'v2',
      effective_from: '2025-01-01',
      protocol: 'wss',
      endpoint: 'wss://api.kalshi.com/trade-api/ws/v2',
      auth_method: 'api_key',
      rate_limit_per_second: 10,
      supports_historical: false,
    })
    expect(doc.feed.capture_locations).to.deep.equal([
      { datacenter: 'nyc1', provider: 'onprem' },
      { datacenter: 'aws-use1', provider: 'aws', region: 'us-east-1' },
    ])
    expect(doc.feed.calendar).to.deep.equal({ timezone: 'America/New_York', holiday_calendar: 'us_equity', open_time: '04:00', close_time: '00:00' })
    // The schema version the environment names, and its hash is the file's real SHA-256.
    const capnp = readFileSync(join(dir, 'schemas', 'trade.capnp'))
    expect(doc.schemas).to.deep.equal([
      {
        name: 'trade',
        version: 'v1',
        status: 'active',
        format: 'capnp',
        effective_from: '2025-01-01',
        effective_to: '2025-05-31',
        definition: 'schemas/trade.capnp',
        hash: `sha256:${sha256Hex(capnp)}`,
      },
    ])
    // Keys are references; required defaults to true.
    expect(doc.keys.archive).to.deep.equal({ type: 'storage', required: true, fields: ['access_key_id', 'secret_access_key'], source: 'vault/secret/data/ssmd/archive' })
    expect(doc.storage).to.deep.equal({ type: 's3', bucket: 'ssmd-market-data-prod', region: 'us-east-1' })
    expect(doc.cache).to.deep.equal({ type: 'redis', max_size: '2GB', url: 'rediss://cache.prod.internal:6379' })
  })

  it('resolves the feed version by --as-of, prints JSON with --format json, and refuses a date no version covers', async () => {
    const dir = exampleRepo({ git: true })
    const r = await ssmd(['env', 'render', 'kalshi-dev', '--as-of', '2024-07-01', '--format', 'json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.feed).to.include({ version: 'v1', effective_to: '2024-12-31', endpoint: 'wss://api.kalshi.com/trade-api/ws/v1', supports_orderbook: false, supports_trades: true })
    expect(doc.schedule).to.deep.equal({ timezone: 'UTC', day_start: '00:10', day_end: '00:00', auto_roll: true })

    const none = await ssmd(['env', 'render', 'kalshi-dev', '--as-of', '2024-01-01'], { cwd: dir })
    expect(none.code).to.equal(1)
    expect(none.stdout).to.equal('')
    expect(none.stderr.trim().split('\n')).to.have.length(1)
    expect(none.stderr).to.contain("feed 'kalshi' has no version in effect on 2024-01-01")

    const bad = await ssmd(['env', 'render', 'kalshi-dev', '--as-of', '2024-02-30'], { cwd: dir })
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.contain("--as-of '2024-02-30' is not a valid date")
  })

  it('carries the feed versions that start after the date, with their dates, as feed.upcoming', async () => {
    const dir = exampleRepo({ git: true })
    const r = await ssmd(['env', 'render', 'kalshi-dev', '--as-of', '2024-07-01', '--format', 'json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.feed).to.include({ version: 'v1', effective_to: '2024-12-31' })
    // Every field of the version, the file format's defaults filled in as for the version in effect.
    expect(doc.feed.upcoming).to.deep.equal([
      {
        version: 'v2',
        effective_from: '2025-01-01',
        protocol: 'wss',
        endpoint: 'wss://api.kalshi.com/trade-api/ws/v2',
        auth_method: 'api_key',
        rate_limit_per_second: 10,
        max_symbols_per_connection: 100,
        supports_orderbook: true,
        supports_trades: true,
        supports_historical: false,
        parser_config: { message_format: 'json', timestamp_field: 'ts' },
      },
    ])
    // Once the last version is in effect there is nothing upcoming, and no field for it.
    const later = JSON.parse((await ssmd(['env', 'render', 'kalshi-dev', '--as-of', '2025-03-01', '--format', 'json'], { cwd: dir })).stdout)
    expect(later.feed.version).to.equal('v2')
    expect(later.feed).to.not.have.property('upcoming')
  })

  it('never prints secret values, only the variable names of env-sourced keys', async () => {
    const dir = exampleRepo({ git: true })
    const secret = 'Zq8vN3kP0sX7aL2mW9eR4tY6uI1oB5cD'
    const r = await ssmd(['env', 'render', 'kalshi-dev', '--format', 'json'], { cwd: dir, env: { SSMD_KALSHI_API_KEY: secret, SSMD_KALSHI_API_SECRET: secret } })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout + r.stderr).not.to.contain(secret)
    expect(JSON.parse(r.stdout).keys.kalshi).to.deep.equal({
      type: 'api_key',
      required: true,
      fields: ['api_key', 'api_secret'],
      source: 'env',
      variables: ['SSMD_KALSHI_API_KEY', 'SSMD_KALSHI_API_SECRET'],
    })
  })

  it('says which files involved differ from the commit, as git status does', async () => {
    const dir = exampleRepo({ git: true })
    const feed = join(dir, 'feeds', 'kalshi.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('display_name: Kalshi Exchange', 'display_name: Kalshi'))
    const r = await ssmd(['env', 'render', 'kalshi-dev', '--json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.source.dirty).to.equal(true)
    expect(doc.source.changed).to.deep.equal(['feeds/kalshi.yaml'])
    expect(git(dir, 'status', '--porcelain').trim()).to.equal('M feeds/kalshi.yaml')
    expect(doc.feed.display_name).to.equal('Kalshi')
    // polymarket-dev uses none of the changed files.
    const other = JSON.parse((await ssmd(['env', 'render', 'polymarket-dev', '--json'], { cwd: dir })).stdout)
    expect(other.source).to.include({ dirty: false })
    expect(other.source.changed).to.equal(undefined)
  })

  it('reports no commit outside a git repository', async () => {
    const dir = exampleRepo()
    const doc = JSON.parse((await ssmd(['env', 'render', 'polymarket-dev', '--json'], { cwd: dir })).stdout)
    expect(doc.source.commit).to.equal(null)
    expect(doc.source.dirty).to.equal(true)
  })

  it('refuses an environment whose documents do not validate, naming file:line:col', async () => {
    const dir = exampleRepo({ git: true })
    const capnp = join(dir, 'schemas', 'trade.capnp')
    writeFileSync(capnp, readFileSync(capnp, 'utf8') + '\n# edited without updating the hash\n')
    const r = await ssmd(['env', 'render', 'kalshi-dev'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expect(r.stderr).to.match(/environment 'kalshi-dev' does not validate: schemas\/trade\.yaml:\d+:\d+: hash of v1 does not match/)
    // An environment using another schema still renders.
    expect((await ssmd(['env', 'render', 'polymarket-dev'], { cwd: dir })).code).to.equal(0)

    const env = join(dir, 'environments', 'polymarket-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('feed: polymarket', 'feed: polymarkt'))
    const missing = await ssmd(['env', 'render', 'polymarket-dev'], { cwd: dir })
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.match(/environments\/polymarket-dev\.yaml:\d+:\d+: .*polymarkt/)
  })

  it('names a missing environment with a suggestion', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['env', 'render', 'kalshi-prd'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain("environment 'kalshi-prd' not found; did you mean 'kalshi-prod'?")
  })
})
