import { expect } from 'chai'
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'

interface JsonFinding { rule: string; severity: string; message: string; file: string; line: number; column: number; path: string }

async function validateJson(dir: string, extra: string[] = []) {
  const r = await ssmd(['validate', '--json', ...extra], { cwd: dir })
  const out = JSON.parse(r.stdout) as { findings: JsonFinding[]; summary: { errors: number; warnings: number } }
  return { ...out, code: r.code }
}

function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const p = join(dir, file)
  const before = readFileSync(p, 'utf8')
  const after = before.replace(from, to)
  if (after === before) throw new Error(`fixture edit did not apply to ${file}: ${String(from)}`)
  writeFileSync(p, after)
}

const lineOf = (dir: string, file: string, needle: string) => readFileSync(join(dir, file), 'utf8').split('\n').findIndex(l => l.includes(needle)) + 1

describe('ssmd validate', () => {
  it('passes on the example repository', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['validate'], { cwd: dir })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✓ feeds\/kalshi\.yaml/)
    expect(r.stdout.trim().split('\n').at(-1)).to.equal('0 errors, 0 warnings in 9 files')
  })

  // One mistake of each kind: [rule, file, edit, text on the line the finding must point at]
  const cases: Array<[string, string, (d: string) => void, string | undefined]> = [
    ['yaml/syntax', 'feeds/kraken.yaml', d => edit(d, 'feeds/kraken.yaml', 'type: rest', 'type: [rest'), undefined],
    ['yaml/unsafe', 'feeds/kraken.yaml', d => edit(d, 'feeds/kraken.yaml', 'type: rest', 'type: !!js/function rest'), 'type:'],
    ['schema/contract', 'feeds/kalshi.yaml', d => edit(d, 'feeds/kalshi.yaml', 'rate_limit_per_second: 10', 'rate_limit_per_sec: 10'), 'rate_limit_per_sec'],
    ['name/matches-file', 'feeds/kraken.yaml', d => edit(d, 'feeds/kraken.yaml', 'name: kraken', 'name: krakken'), 'name: krakken'],
    ['date/valid', 'feeds/kraken.yaml', d => edit(d, 'feeds/kraken.yaml', '2024-01-01', '2025-02-30'), '2025-02-30'],
    ['feed/version-order', 'feeds/kalshi.yaml', d => edit(d, 'feeds/kalshi.yaml', 'effective_to: 2024-12-31', 'effective_to: 2024-01-31'), 'effective_to: 2024-01-31'],
    ['feed/version-overlap', 'feeds/kalshi.yaml', d => edit(d, 'feeds/kalshi.yaml', 'effective_to: 2024-12-31', 'effective_to: 2025-01-05'), 'effective_from: 2025-01-01'],
    ['feed/version-gap', 'feeds/kalshi.yaml', d => edit(d, 'feeds/kalshi.yaml', 'effective_to: 2024-12-31', 'effective_to: 2024-12-20'), 'effective_from: 2025-01-01'],
    ['feed/protocol-mismatch', 'feeds/polymarket.yaml', d => edit(d, 'feeds/polymarket.yaml', 'endpoint: wss://', 'endpoint: https://'), 'endpoint:'],
    ['feed/timezone', 'feeds/kalshi.yaml', d => edit(d, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere'), 'America/Nowhere'],
    ['feed/duplicate-location', 'feeds/kalshi.yaml', d => edit(d, 'feeds/kalshi.yaml', 'datacenter: aws-use1', 'datacenter: nyc1 '), 'datacenter: nyc1 '],
    ['schema/version-overlap', 'schemas/trade.yaml', d => edit(d, 'schemas/trade.yaml', 'effective_to: 2025-05-31', 'effective_to: 2025-06-30'), 'effective_from: 2025-06-01'],
    ['schema/file-missing', 'schemas/orderbook.yaml', d => rmSync(join(d, 'schemas/orderbook.capnp')), 'schema_file: orderbook.capnp'],
    ['schema/path-escape', 'schemas/orderbook.yaml', d => edit(d, 'schemas/orderbook.yaml', 'schema_file: orderbook.capnp', 'schema_file: ../feeds/kalshi.yaml'), 'schema_file:'],
    ['schema/hash-mismatch', 'schemas/orderbook.yaml', d => edit(d, 'schemas/orderbook.capnp', 'sequence @2', 'seq @2'), 'hash:'],
    ['schema/parse', 'schemas/orderbook.capnp', d => edit(d, 'schemas/orderbook.capnp', 'price @0 :Float64;', 'price @0 :Float65;'), 'Float65'],
    ['schema/compat-claim', 'schemas/trade.yaml', d => edit(d, 'schemas/trade-v2.capnp', 'price @2 :Float64;', 'price @2 :Float32;'), 'compatible_with'],
    ['schema/undocumented-break', 'schemas/trade.yaml', d => { edit(d, 'schemas/trade-v2.capnp', 'price @2 :Float64;', 'price @2 :Float32;'); edit(d, 'schemas/trade.yaml', '    compatible_with: [v1]\n', '') }, '- version: v2'],
    ['env/schedule-timezone', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'timezone: UTC', 'timezone: Mars/Olympus'), 'Mars/Olympus'],
    ['env/transport', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'url: nats://localhost:4222', 'url: http://localhost:4222'), 'url: http'],
    ['env/storage', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'path: /var/lib/ssmd/data', 'path: data'), 'path: data'],
    ['env/cache', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'max_size: 100MB', 'max_size: lots'), 'max_size'],
    ['env/key-source', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'source: env', 'source: vault/'), 'source: vault/'],
    ['security/credentials-in-url', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'nats://localhost', 'nats://admin:hunter2@localhost'), 'url: nats://admin'],
    ['security/secret-literal', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'source: env', 'source: env\n    description: AKIAIOSFODNN7EXAMPLE'), 'AKIA'],
    ['ref/feed-exists', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'feed: kalshi', 'feed: kalshy'), 'feed: kalshy'],
    ['ref/schema-exists', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'schema: trade:v1', 'schema: trade:v9'), 'schema: trade:v9'],
    ['ref/schema-status', 'environments/kalshi-dev.yaml', d => edit(d, 'environments/kalshi-dev.yaml', 'schema: trade:v1', 'schema: trade:v2'), 'schema: trade:v2'],
    ['ref/feed-status', 'environments/kalshi-dev.yaml', d => edit(d, 'feeds/kalshi.yaml', 'status: active', 'status: disabled'), 'feed: kalshi'],
    ['policy/plugin-missing', 'ssmd.yaml', d => edit(d, 'ssmd.yaml', 'rules:', 'plugins: ["@acme/not-installed"]\nrules:'), '@acme/not-installed'],
  ]

  for (const [rule, file, mutate, lineText] of cases) {
    it(`reports ${rule} with its location`, async () => {
      const dir = exampleRepo()
      mutate(dir)
      const { findings, code } = await validateJson(dir)
      const hit = findings.filter(f => f.rule === rule)
      expect(hit, JSON.stringify(findings, null, 1)).to.have.length.greaterThan(0)
      expect(hit[0].file).to.equal(file)
      if (lineText) expect(hit[0].line, `${rule} line`).to.equal(lineOf(dir, file, lineText))
      expect(hit[0].message.length).to.be.greaterThan(10)
      if (hit.some(f => f.severity === 'error')) expect(code).to.equal(1)
    })
  }

  it('accepts a documented break: breaking_changes silences schema/undocumented-break', async () => {
    const dir = exampleRepo()
    edit(dir, 'schemas/trade-v2.capnp', 'price @2 :Float64;', 'price @2 :Float32;')
    edit(dir, 'schemas/trade.yaml', '    compatible_with: [v1]\n', '    breaking_changes: price is now Float32\n')
    const { findings } = await validateJson(dir)
    expect(findings.map(f => f.rule)).to.deep.equal(['schema/hash-mismatch'])
  })

  it('reports every finding of every file in one run', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    edit(dir, 'feeds/kalshi.yaml', 'rate_limit_per_second: 10', 'rate_limit_per_sec: 10')
    edit(dir, 'environments/kalshi-dev.yaml', 'feed: kalshi', 'feed: kalshy')
    edit(dir, 'schemas/orderbook.capnp', 'sequence @2', 'seq @2')
    const { findings, summary } = await validateJson(dir)
    expect(findings.map(f => f.rule)).to.include.members(['feed/timezone', 'schema/contract', 'ref/feed-exists', 'schema/hash-mismatch'])
    expect(summary.errors).to.equal(findings.filter(f => f.severity === 'error').length)
  })

  it('suggests the key meant for a near-miss unknown key', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'rate_limit_per_second: 10', 'rate_limit_per_sec: 10')
    const { findings } = await validateJson(dir)
    expect(findings.find(f => f.rule === 'schema/contract')!.message).to.match(/unknown key 'rate_limit_per_sec'; did you mean 'rate_limit_per_second'\?/)
  })

  it('allows x- extension keys anywhere', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'name: kalshi', 'name: kalshi\nx-owner: team-a')
    edit(dir, 'feeds/kalshi.yaml', 'rate_limit_per_second: 10', 'rate_limit_per_second: 10\n    x-note: tuned')
    const { findings, code } = await validateJson(dir)
    expect(findings).to.deep.equal([])
    expect(code).to.equal(0)
  })

  it('reports a warning for a deprecated schema and fails only with --strict', async () => {
    const dir = exampleRepo()
    edit(dir, 'schemas/orderbook.yaml', 'status: active', 'status: deprecated')
    const normal = await validateJson(dir)
    expect(normal.findings.map(f => [f.rule, f.severity])).to.deep.equal([['ref/schema-status', 'warning']])
    expect(normal.code).to.equal(0)
    const strict = await validateJson(dir, ['--strict'])
    expect(strict.code).to.equal(1)
  })

  it('applies ssmd.yaml severities: off hides a rule, warning downgrades it', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    edit(dir, 'environments/kalshi-dev.yaml', 'feed: kalshi', 'feed: kalshy')
    writeFileSync(join(dir, 'ssmd.yaml'), 'rules:\n  feed/timezone: off\n  ref/feed-exists: warning\n  ref/unused: off\n')
    const { findings, code } = await validateJson(dir)
    expect(findings.map(f => [f.rule, f.severity])).to.deep.equal([['ref/feed-exists', 'warning']])
    expect(code).to.equal(0)
  })

  it('reports ref/unused as info when the policy does not turn it off', async () => {
    const dir = exampleRepo()
    rmSync(join(dir, 'ssmd.yaml'))
    const { findings, code } = await validateJson(dir)
    expect(findings.map(f => `${f.rule} ${f.severity} ${f.file}`)).to.deep.equal(['ref/unused info feeds/kraken.yaml'])
    expect(code).to.equal(0)
  })

  it('shows only findings under the given paths', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    edit(dir, 'environments/kalshi-dev.yaml', 'timezone: UTC', 'timezone: Mars/Olympus')
    const r = await ssmd(['validate', 'environments'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('env/schedule-timezone')
    expect(r.stdout).not.to.contain('feed/timezone')
    const flagsFirst = await ssmd(['validate', '-f', 'json', '-C', dir, 'environments'], { cwd: dir })
    expect(JSON.parse(flagsFirst.stdout).findings.map((f: JsonFinding) => f.rule)).to.deep.equal(['env/schedule-timezone'])
    const one = await ssmd(['validate', 'feeds/kalshi.yaml', '--json'], { cwd: dir })
    expect(JSON.parse(one.stdout).findings.map((f: JsonFinding) => f.rule)).to.deep.equal(['feed/timezone'])
  })

  it('prints text findings as file:line:col severity message rule with a summary', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    const r = await ssmd(['validate'], { cwd: dir })
    expect(r.stdout).to.match(/✗ feeds\/kalshi\.yaml\n {2}feeds\/kalshi\.yaml:33:13 +error +'America\/Nowhere' is not a known IANA time zone.* feed\/timezone/)
    expect(r.stdout.trim().split('\n').at(-1)).to.equal('1 error, 0 warnings in 9 files')
  })

  it('emits GitHub workflow commands, SARIF 2.1.0 and JUnit', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    const gh = await ssmd(['validate', '--format', 'github'], { cwd: dir })
    expect(gh.stdout).to.contain("::error file=feeds/kalshi.yaml,line=33,col=13,title=feed/timezone::'America/Nowhere' is not a known IANA time zone")
    const sarif = JSON.parse((await ssmd(['validate', '--format', 'sarif'], { cwd: dir })).stdout)
    expect(sarif.version).to.equal('2.1.0')
    const result = sarif.runs[0].results[0]
    expect(result).to.deep.include({ ruleId: 'feed/timezone', level: 'error' })
    expect(result.locations[0].physicalLocation.region).to.deep.equal({ startLine: 33, startColumn: 13 })
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).to.include('feed/timezone')
    const junit = (await ssmd(['validate', '--format', 'junit'], { cwd: dir })).stdout
    expect(junit).to.match(/^<\?xml/)
    expect(junit).to.match(/<testcase classname="ssmd.validate" name="feeds\/kalshi.yaml">\n\s+<failure message="1 error" type="feed\/timezone">/)
    expect(junit).to.contain('<testcase classname="ssmd.validate" name="feeds/kraken.yaml"/>')
  })

  it('locates findings inside a .capnp file', async () => {
    const dir = exampleRepo()
    edit(dir, 'schemas/orderbook.capnp', 'price @0 :Float64;', 'price @0 :Float65;')
    const { findings } = await validateJson(dir)
    const parse = findings.find(f => f.rule === 'schema/parse')!
    expect(parse.file).to.equal('schemas/orderbook.capnp')
    expect(parse.line).to.equal(lineOf(dir, 'schemas/orderbook.capnp', 'Float65'))
    expect(parse.column).to.equal(readFileSync(join(dir, 'schemas/orderbook.capnp'), 'utf8').split('\n')[parse.line - 1].indexOf('Float65') + 1)
  })

  it('refuses a definition symlink leading outside the repository', async () => {
    const dir = exampleRepo()
    const outside = join(tempDir(), 'evil.capnp')
    writeFileSync(outside, readFileSync(join(dir, 'schemas/orderbook.capnp')))
    rmSync(join(dir, 'schemas/orderbook.capnp'))
    symlinkSync(outside, join(dir, 'schemas/orderbook.capnp'))
    const { findings } = await validateJson(dir)
    expect(findings.map(f => f.rule)).to.include('schema/path-escape')
  })

  it('validates protobuf and JSON Schema definitions', async () => {
    const dir = exampleRepo()
    writeFileSync(join(dir, 'schemas/quote.proto'), 'syntax = "proto3";\nmessage Quote {\n  string ticker = 1\n}\n')
    writeFileSync(join(dir, 'schemas/quote.yaml'), `name: quote\nformat: protobuf\nschema_file: quote.proto\nversions:\n  - version: v1\n    effective_from: 2025-01-01\n    status: active\n    hash: sha256:${'0'.repeat(64)}\n`)
    mkdirSync(join(dir, 'schemas/json'), { recursive: true })
    writeFileSync(join(dir, 'schemas/json/bar.json'), '{"type": "object", "properties": {"a": {"type": "nonsense"}}}')
    writeFileSync(join(dir, 'schemas/bar.yaml'), `name: bar\nformat: json_schema\nschema_file: json/bar.json\nversions:\n  - version: v1\n    effective_from: 2025-01-01\n    status: active\n    hash: sha256:${'0'.repeat(64)}\n`)
    const { findings } = await validateJson(dir)
    const parse = findings.filter(f => f.rule === 'schema/parse')
    expect(parse.map(f => f.file).sort()).to.deep.equal(['schemas/json/bar.json', 'schemas/quote.proto'])
    expect(parse.find(f => f.file === 'schemas/quote.proto')!.line).to.equal(4)
  })

  it('reports an empty file and a list-shaped file clearly', async () => {
    const dir = exampleRepo()
    writeFileSync(join(dir, 'feeds/empty.yaml'), '')
    writeFileSync(join(dir, 'feeds/list.yaml'), '- a\n- b\n')
    const { findings } = await validateJson(dir)
    expect(findings.find(f => f.file === 'feeds/empty.yaml')!.message).to.match(/file is empty; expected a feed document/)
    expect(findings.find(f => f.file === 'feeds/list.yaml')!.message).to.match(/expected a feed document \(a mapping\)/)
  })
})
