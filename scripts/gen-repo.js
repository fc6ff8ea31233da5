#!/usr/bin/env node
// Generates a synthetic but valid ssmd repository of size N:
//   N feeds, N/2 Cap'n Proto schemas (one in five with a compatible v2 in its own
//   file), 5N environments referencing them round-robin; optionally git-initialised
//   and committed. Deterministic for a given N and seed, so runs are comparable.
//
//   node scripts/gen-repo.js <dir> <N> [--no-git] [--seed <n>]
//
// Also used by the benchmark (scripts/bench.js) and the tests (test/bench).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { withoutGitRepository } from './git-env.js'

/** Small, fast, seedable PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: list => list[Math.floor(next() * list.length)],
    hex: digits => {
      let s = ''
      for (let i = 0; i < digits; i++) s += '0123456789abcdef'[Math.floor(next() * 16)]
      return s
    },
  }
}

const pad = (i, width) => String(i).padStart(width, '0')

const TIMEZONES = ['UTC', 'America/New_York', 'America/Chicago', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo', 'Asia/Singapore', 'Australia/Sydney']
const DATACENTERS = [
  ['nyc1', 'onprem'],
  ['chi2', 'onprem'],
  ['ldn1', 'onprem'],
  ['aws-use1', 'aws', 'us-east-1'],
  ['aws-euw1', 'aws', 'eu-west-1'],
  ['gcp-usc1', 'gcp', 'us-central1'],
]
const EXCHANGES = ['kalshi', 'polymarket', 'kraken', 'coinbase', 'binance', 'cme', 'nasdaq', 'nyse', 'cboe', 'ice', 'eurex', 'lse']
const SCALARS = ['Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64', 'Text', 'Data']
const FIELD_WORDS = [
  'price',
  'quantity',
  'size',
  'ticker',
  'venue',
  'sequence',
  'bid',
  'ask',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'trade',
  'order',
  'account',
  'symbol',
  'level',
  'depth',
  'flags',
  'count',
  'notional',
  'yield',
  'spread',
  'strike',
  'expiry',
  'settle',
  'margin',
  'fee',
  'rebate',
]
const KINDS = ['Trade', 'Quote', 'BookUpdate', 'Bar', 'Settlement', 'Fill', 'Ticker', 'Auction', 'Imbalance', 'Status']

/** Field lines of a struct: `n` fields numbered from `from`, names unique within the struct. */
function fields(r, n, from, used, enumName) {
  const lines = []
  for (let k = 0; k < n; k++) {
    let name
    do name = `${r.pick(FIELD_WORDS)}${r.pick(['', 'Ns', 'Id', 'Count', 'Px', 'Qty', 'Raw'])}${used.size > 25 ? used.size : ''}`
    while (used.has(name))
    used.add(name)
    const roll = r.next()
    const type = roll < 0.08 && enumName ? enumName : roll < 0.14 ? 'List(Text)' : roll < 0.18 ? 'List(Float64)' : r.pick(SCALARS)
    const comment = r.next() < 0.25 ? `   # ${r.pick(FIELD_WORDS)} as reported by the venue` : ''
    lines.push(`  ${name} @${from + k} :${type};${comment}`)
  }
  return lines
}

/** A realistic Cap'n Proto file: one struct with 5–20 fields, a nested enum, sometimes a second struct. */
function capnpSchema(r, title, fileId, structName, fieldCount, extra) {
  const used = new Set(['timestampNs'])
  const enumName = 'Side'
  const body = [`  timestampNs @0 :UInt64;   # exchange timestamp, nanoseconds since the Unix epoch`, ...fields(r, fieldCount - 1, 1, used, enumName)]
  if (extra) body.push(...extra.lines)
  const out = [`# ${title}`, `@0x${fileId};`, '', `struct ${structName} {`, ...body, '', `  enum ${enumName} {`, '    buy @0;', '    sell @1;', '    unknown @2;', '  }', '}']
  if (fieldCount > 12) {
    const used2 = new Set()
    out.push('', `struct ${structName}Batch {`, `  items @0 :List(${structName});`, ...fields(r, 3, 1, used2), '}')
  }
  return out.join('\n') + '\n'
}

function feedYaml(r, name, i) {
  const type = r.next() < 0.7 ? 'websocket' : r.next() < 0.7 ? 'rest' : 'multicast'
  const protocol = { websocket: 'wss', rest: 'https', multicast: 'multicast' }[type]
  const exchange = EXCHANGES[i % EXCHANGES.length]
  const endpoint = v =>
    type === 'multicast'
      ? `udp://239.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}:${r.int(5000, 6000)}`
      : `${protocol}://api.${exchange}.example.com/${type === 'websocket' ? 'ws' : 'rest'}/${v}`
  const lines = [
    `# ${exchange} market data, synthetic feed ${i}.`,
    `name: ${name}`,
    `display_name: ${exchange[0].toUpperCase()}${exchange.slice(1)} ${type} ${i}`,
    `type: ${type}`,
    'status: active',
    'capture_locations:',
  ]
  const locations = r.int(1, 3)
  const start = r.int(0, DATACENTERS.length - 1)
  for (let k = 0; k < locations; k++) {
    const [dc, provider, region] = DATACENTERS[(start + k) % DATACENTERS.length]
    lines.push(`  - datacenter: ${dc}`, `    provider: ${provider}`)
    if (region) lines.push(`    region: ${region}`)
  }
  lines.push('versions:')
  const versions = r.int(1, 3)
  const firstYear = 2026 - versions
  for (let v = 1; v <= versions; v++) {
    const year = firstYear + v - 1
    lines.push(`  - version: v${v}`, `    effective_from: ${year}-01-01`)
    if (v < versions) lines.push(`    effective_to: ${year}-12-31`)
    lines.push(`    protocol: ${protocol}`, `    endpoint: ${endpoint(`v${v}`)}`, `    auth_method: ${r.pick(['api_key', 'oauth', 'mtls', 'none'])}`)
    if (r.next() < 0.7) lines.push(`    rate_limit_per_second: ${r.int(1, 100)}`)
    if (r.next() < 0.5) lines.push(`    max_symbols_per_connection: ${r.int(10, 1000)}`)
    lines.push(`    supports_orderbook: ${r.next() < 0.5}`, `    supports_trades: true`, `    supports_historical: ${r.next() < 0.3}`)
    if (r.next() < 0.5) lines.push('    parser_config:', '      message_format: json', '      timestamp_field: ts', `      batch_size: ${r.int(1, 500)}`)
  }
  if (r.next() < 0.6) {
    lines.push(
      'calendar:',
      `  timezone: ${r.pick(TIMEZONES)}`,
      `  holiday_calendar: ${r.pick(['us_equity', 'crypto_247', 'custom'])}`,
      '  open_time: "04:00"',
      '  close_time: "20:00"',
    )
  }
  return lines.join('\n') + '\n'
}

function environmentYaml(r, name, feed, schemaRef) {
  const lines = [`name: ${name}`, `feed: ${feed}`, `schema: ${schemaRef}`]
  if (r.next() < 0.7)
    lines.push(
      'schedule:',
      `  timezone: ${r.pick(TIMEZONES)}`,
      `  day_start: "0${r.int(0, 5)}:${r.pick(['00', '10', '30'])}"`,
      '  day_end: "00:00"',
      `  auto_roll: ${r.next() < 0.8}`,
    )
  if (r.next() < 0.8) {
    lines.push('keys:', `  ${feed.replace(/-/g, '_')}:`, '    type: api_key', '    required: true', '    fields: [api_key, api_secret]')
    const source = r.next()
    lines.push(`    source: ${source < 0.5 ? 'env' : source < 0.8 ? `sealed-secret/${name}-credentials` : `vault/secret/data/ssmd/${name}`}`)
    if (r.next() < 0.4) lines.push(`    rotation_days: ${r.pick([30, 60, 90])}`, '    description: trading API credentials')
  }
  const transport = r.next()
  if (transport < 0.6) lines.push('transport:', '  type: nats', `  url: ${r.next() < 0.5 ? 'nats://localhost:4222' : `tls://nats-${r.int(1, 9)}.internal:4222`}`)
  else if (transport < 0.85) lines.push('transport:', '  type: mqtt', `  url: mqtts://broker-${r.int(1, 9)}.internal:8883`)
  else lines.push('transport:', '  type: memory')
  if (r.next() < 0.5) lines.push('storage:', '  type: local', `  path: /var/lib/ssmd/${name}`)
  else lines.push('storage:', '  type: s3', `  bucket: ssmd-${name}`, `  region: ${r.pick(['us-east-1', 'us-west-2', 'eu-west-1'])}`)
  const cache = r.next()
  if (cache < 0.5) lines.push('cache:', '  type: memory', `  max_size: ${r.pick(['512KB', '100MB', '1GB'])}`)
  else if (cache < 0.8) lines.push('cache:', '  type: redis', `  max_size: ${r.pick(['100MB', '2GB'])}`, `  url: rediss://cache-${r.int(1, 9)}.internal:6379`)
  return lines.join('\n') + '\n'
}

const sha256 = text => `sha256:${createHash('sha256').update(text).digest('hex')}`

/**
 * Writes a repository of size `n` into `dir` (created if missing; must be empty).
 * Returns counts and the names used, for callers that change files afterwards.
 */
export function generateRepo(dir, n, options = {}) {
  const { git = true, seed = 1 } = options
  if (!Number.isInteger(n) || n < 1) throw new Error(`N must be a positive integer, got ${n}`)
  const root = resolve(dir)
  if (existsSync(root) && readdirSync(root).length > 0) throw new Error(`${root} is not empty`)
  for (const f of ['feeds', 'schemas', 'environments']) mkdirSync(join(root, f), { recursive: true })
  const r = prng(seed)
  const width = String(Math.max(n * 5, 10)).length
  const feeds = []
  const schemas = []
  const environments = []
  let capnpFiles = 0

  for (let i = 1; i <= n; i++) {
    const name = `feed-${pad(i, width)}`
    feeds.push(name)
    writeFileSync(join(root, 'feeds', `${name}.yaml`), feedYaml(r, name, i))
  }

  const schemaCount = Math.max(1, Math.floor(n / 2))
  const refs = []
  for (let i = 1; i <= schemaCount; i++) {
    const name = `schema-${pad(i, width)}`
    schemas.push(name)
    const kind = KINDS[i % KINDS.length]
    const fieldCount = r.int(5, 20)
    const fileId = (8 + r.int(0, 7)).toString(16) + r.hex(15)
    const v1Seed = r.int(1, 2 ** 30)
    const v1 = capnpSchema(prng(v1Seed), `${kind} messages of ${name}.`, fileId, kind, fieldCount)
    writeFileSync(join(root, 'schemas', `${name}.capnp`), v1)
    capnpFiles++
    const lines = [`name: ${name}`, 'format: capnp', `schema_file: ${name}.capnp`, 'versions:', '  - version: v1', '    effective_from: 2025-01-01']
    refs.push(`${name}:v1`)
    if (i % 5 === 0) {
      // v2 adds fields after the last ordinal: a compatible evolution, checked by schema/compat-claim.
      const added = { lines: [`  receivedNs @${fieldCount} :UInt64;   # capture host receive time`, `  datacenter @${fieldCount + 1} :Text;`] }
      const v2 = capnpSchema(prng(v1Seed), `${kind} messages of ${name}.`, fileId, kind, fieldCount, added)
      writeFileSync(join(root, 'schemas', `${name}-v2.capnp`), v2)
      capnpFiles++
      lines.push('    effective_to: 2025-12-31', '    status: active', `    hash: ${sha256(v1)}`)
      lines.push(
        '  - version: v2',
        '    effective_from: 2026-01-01',
        '    status: active',
        `    schema_file: ${name}-v2.capnp`,
        `    hash: ${sha256(v2)}`,
        '    compatible_with: [v1]',
      )
      refs.push(`${name}:v2`)
    } else {
      lines.push('    status: active', `    hash: ${sha256(v1)}`)
    }
    writeFileSync(join(root, 'schemas', `${name}.yaml`), lines.join('\n') + '\n')
  }

  for (let i = 1; i <= n * 5; i++) {
    const name = `env-${pad(i, width)}`
    environments.push(name)
    // Round-robin so every feed and every schema is used (no ref/unused findings).
    const feed = feeds[(i - 1) % feeds.length]
    const ref = refs[(i - 1) % refs.length]
    writeFileSync(join(root, 'environments', `${name}.yaml`), environmentYaml(r, name, feed, ref))
  }

  if (git) {
    const run = (...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: gitEnv() })
    run('init', '-q', '-b', 'main')
    run('config', 'user.name', 'ssmd bench')
    run('config', 'user.email', 'bench@example.com')
    run('config', 'commit.gpgsign', 'false')
    writeFileSync(join(root, '.gitignore'), '.ssmd/\n')
    run('add', '-A')
    run('commit', '-q', '--no-verify', '-m', `synthetic repository, N=${n}`)
  }

  return {
    root,
    n,
    feeds,
    schemas,
    environments,
    capnpFiles,
    yamlFiles: feeds.length + schemas.length + environments.length,
  }
}

/** Environment for git child processes: a fixed identity, no user or system config. */
export function gitEnv(extra = {}) {
  return {
    ...withoutGitRepository(),
    GIT_AUTHOR_NAME: 'ssmd bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'ssmd bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...extra,
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const flag = name => {
    const i = args.indexOf(name)
    if (i === -1) return undefined
    const [, value] = args.splice(i, 2)
    return value
  }
  const seed = flag('--seed')
  const noGit = args.includes('--no-git')
  const [dir, n] = args.filter(a => !a.startsWith('--'))
  if (!dir || !n) {
    console.error('usage: node scripts/gen-repo.js <dir> <N> [--no-git] [--seed <n>]')
    process.exit(2)
  }
  const t = Date.now()
  const out = generateRepo(dir, Number(n), { git: !noGit, seed: seed === undefined ? 1 : Number(seed) })
  console.log(
    `${out.root}: ${out.feeds.length} feeds, ${out.schemas.length} schemas (${out.capnpFiles} .capnp files), ${out.environments.length} environments in ${Date.now() - t} ms`,
  )
}
