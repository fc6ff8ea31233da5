import { expect } from 'chai'
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { fixture, read, sha, snapshot } from '../fixtures/schema/helpers.js'

describe('ssmd schema hash', () => {
  it('needs a name or --all, not both (exit 2)', async () => {
    const repo = exampleRepo()
    expect((await ssmd(['schema', 'hash'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'hash', 'trade', '--all'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'hash', 'Trade'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'hash', 'trades'], { cwd: repo })).code).to.equal(1)
  })

  it('has nothing to do in a repository without schemas', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'schemas'))
    const r = await ssmd(['schema', 'hash', '--all', '--check'], { cwd: dir })
    expect(r.code).to.equal(0)
    expect(r.stdout).to.contain('No schemas yet')
  })

  it('writes nothing when every hash is up to date', async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'hash', '--all'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('all 3 hashes up to date; nothing written\n')
    expect(snapshot(repo)).to.deep.equal(before)
    const check = await ssmd(['schema', 'hash', '--all', '--check'], { cwd: repo })
    expect(check.code).to.equal(0)
    expect(check.stdout).to.equal('all 3 hashes match\n')
  })

  it('rewrites only the changed hash, keeping comments', async () => {
    const repo = exampleRepo()
    const path = join(repo, 'schemas', 'trade.yaml')
    const original = '# Trade prints.\n' + read(repo, 'schemas/trade.yaml')
    writeFileSync(path, original)
    const def = join(repo, 'schemas', 'trade-v2.capnp')
    appendFileSync(def, '# trailing comment\n')
    const r = await ssmd(['schema', 'hash', 'trade'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/trade.yaml')).to.equal(original.replace('sha256:f497d0b5e537a78d8828d069a0bf9bca436a75d3ccdd8cb943068dd3350bb1b2', sha(def)))
    expect(r.stdout).to.contain(`trade:v2  sha256:f497d0b5e537… → ${sha(def).slice(0, 19)}…  (schemas/trade-v2.capnp)`)
    expect(r.stdout).to.contain('wrote schemas/trade.yaml')
  })

  it('--check lists mismatches, exits 1 and writes nothing', async () => {
    const repo = exampleRepo()
    appendFileSync(join(repo, 'schemas', 'trade-v2.capnp'), '\n')
    appendFileSync(join(repo, 'schemas', 'orderbook.capnp'), '\n')
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'hash', '--all', '--check'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('✗ orderbook:v1  schemas/orderbook.capnp')
    expect(r.stdout).to.contain('✗ trade:v2  schemas/trade-v2.capnp')
    expect(r.stderr).to.contain(
      "2 hashes do not match: orderbook:v1 (schemas/orderbook.capnp), trade:v2 (schemas/trade-v2.capnp); if the changes are intended, run 'ssmd schema hash --all'",
    )
    expect(snapshot(repo)).to.deep.equal(before)

    // orderbook:v1 is active: re-hashing it in place takes --force.
    const json = await ssmd(['schema', 'hash', '--all', '--json', '--force'], { cwd: repo })
    expect(json.code, json.stderr).to.equal(0)
    const j = JSON.parse(json.stdout)
    expect(j).to.deep.include({ check: false, checked: 3, written: ['schemas/orderbook.yaml', 'schemas/trade.yaml'] })
    expect(j.changed).to.deep.equal([
      {
        schema: 'orderbook',
        version: 'v1',
        file: 'schemas/orderbook.capnp',
        stored: 'sha256:9cb44209751d6866edf4df3b2a019f7a585630db9412fd96dad5c25497dd76c1',
        actual: sha(join(repo, 'schemas', 'orderbook.capnp')),
      },
      {
        schema: 'trade',
        version: 'v2',
        file: 'schemas/trade-v2.capnp',
        stored: 'sha256:f497d0b5e537a78d8828d069a0bf9bca436a75d3ccdd8cb943068dd3350bb1b2',
        actual: sha(join(repo, 'schemas', 'trade-v2.capnp')),
      },
    ])
    expect((await ssmd(['schema', 'hash', '--all', '--check'], { cwd: repo })).code).to.equal(0)
  })

  it('refuses to hash when a definition file is missing, writing nothing', async () => {
    const repo = exampleRepo()
    appendFileSync(join(repo, 'schemas', 'trade-v2.capnp'), '\n')
    rmSync(join(repo, 'schemas', 'trade.capnp'))
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'hash', 'trade'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('trade:v1: definition file schemas/trade.capnp does not exist')
    expect(snapshot(repo)).to.deep.equal(before)
  })
})

describe('ssmd schema set-status', () => {
  it('activates a draft, changing only its status', async () => {
    const repo = exampleRepo()
    const original = read(repo, 'schemas/trade.yaml')
    const r = await ssmd(['schema', 'set-status', 'trade:v2', 'active'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('trade:v2: draft → active\nwrote schemas/trade.yaml\n')
    expect(read(repo, 'schemas/trade.yaml')).to.equal(original.replace('status: draft', 'status: active'))
  })

  it('says "already" and writes nothing when the status is unchanged', async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'set-status', 'trade:v1', 'active', '--json'], { cwd: repo })
    expect(r.code).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'schemas/trade.yaml',
      name: 'trade',
      version: 'v1',
      from: 'active',
      to: 'active',
      used_by: ['kalshi-dev', 'kalshi-prod'],
      changed: false,
      forced: false,
    })
    expect((await ssmd(['schema', 'set-status', 'trade:v1', 'active'], { cwd: repo })).stdout).to.contain('trade:v1 is already active')
    expect(snapshot(repo)).to.deep.equal(before)
  })

  it('warns when deprecating a version environments still use', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'set-status', 'trade:v1', 'deprecated'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain('trade:v1 is still used by kalshi-dev, kalshi-prod')
    expect(read(repo, 'schemas/trade.yaml')).to.contain('    effective_to: 2025-05-31\n    status: deprecated\n')
  })

  it('needs --force against the lifecycle', async () => {
    const repo = exampleRepo()
    await ssmd(['schema', 'set-status', 'trade:v2', 'active'], { cwd: repo })
    const before = snapshot(repo)
    const back = await ssmd(['schema', 'set-status', 'trade:v2', 'draft'], { cwd: repo })
    expect(back.code).to.equal(1)
    expect(back.stderr).to.contain('trade:v2 active → draft goes against the lifecycle draft → active → deprecated; pass --force')
    expect(snapshot(repo)).to.deep.equal(before)
    const forced = await ssmd(['schema', 'set-status', 'trade:v2', 'draft', '--force'], { cwd: repo })
    expect(forced.code, forced.stderr).to.equal(0)
    expect(forced.stderr).to.contain('against the lifecycle (--force)')
    expect(read(repo, 'schemas/trade.yaml')).to.contain('    status: draft\n')

    await ssmd(['schema', 'set-status', 'orderbook:v1', 'deprecated'], { cwd: repo })
    expect((await ssmd(['schema', 'set-status', 'orderbook:v1', 'active'], { cwd: repo })).code).to.equal(1)
    expect((await ssmd(['schema', 'set-status', 'orderbook:v1', 'active', '--force'], { cwd: repo })).code).to.equal(0)
  })

  it('never makes a version used by an environment a draft, even with --force', async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'set-status', 'trade:v1', 'draft', '--force'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('cannot make trade:v1 a draft: environments kalshi-dev, kalshi-prod use it')
    const one = await ssmd(['schema', 'set-status', 'orderbook:v1', 'draft', '--force'], { cwd: repo })
    expect(one.stderr).to.contain('environment polymarket-dev uses it')
    expect(snapshot(repo)).to.deep.equal(before)
  })

  it('checks its arguments (exit 2) and names (exit 1)', async () => {
    const repo = exampleRepo()
    expect((await ssmd(['schema', 'set-status', 'trade', 'active'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'set-status', 'trade:v2', 'retired'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'set-status', 'trade:v2'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'set-status', 'trade:2', 'active'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'set-status', 'trade:v3', 'active'], { cwd: repo })).code).to.equal(1)
    expect((await ssmd(['schema', 'set-status', 'trad:v1', 'active'], { cwd: repo })).code).to.equal(1)
  })
})

describe('ssmd schema diff', () => {
  it('lists compatible additions with their location and a summary', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'diff', 'trade', 'v1', 'v2'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(
      [
        'trade v1 (schemas/trade.capnp) → v2 (schemas/trade-v2.capnp)',
        '',
        'compatible  field Trade.receivedNs @6 added  schemas/trade-v2.capnp:12:3',
        'compatible  field Trade.datacenter @7 added  schemas/trade-v2.capnp:13:3',
        '',
        '0 breaking, 2 compatible, 0 info: v2 can read v1 data (compatible)',
        '',
      ].join('\n'),
    )
  })

  it('marks breaking changes and still exits 0', async () => {
    const repo = exampleRepo()
    await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--effective-from', '2025-01-01'], { cwd: repo })
    await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v3-type.capnp'), '--effective-from', '2025-02-01', '--breaking-changes=bid'], { cwd: repo })
    await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v3-removed.capnp'), '--effective-from', '2025-03-01', '--breaking-changes=ticker'], { cwd: repo })
    const type = await ssmd(['schema', 'diff', 'quote', 'v1', 'v2'], { cwd: repo })
    expect(type.code, type.stderr).to.equal(0)
    expect(type.stdout).to.contain('breaking    field Quote.bid @1 type changed from Float64 to Int64  schemas/quote-v3-type.capnp:6:3')
    expect(type.stdout).to.contain('1 breaking, 0 compatible, 0 info: v2 is not compatible with v1')
    const removed = await ssmd(['schema', 'diff', 'quote', 'v1', 'v3', '--json'], { cwd: repo })
    expect(removed.code).to.equal(0)
    const j = JSON.parse(removed.stdout)
    expect(j).to.deep.include({
      name: 'quote',
      from: { version: 'v1', file: 'schemas/quote.capnp' },
      to: { version: 'v3', file: 'schemas/quote-v3-removed.capnp' },
      summary: { breaking: 1, compatible: 0, info: 0 },
      compatible: false,
    })
    expect(j.changes[0]).to.include({ severity: 'breaking', message: 'field Quote.ticker @3 removed', file: 'schemas/quote.capnp', line: 8, column: 3 })
  })

  it('compares protobuf versions field by number, with locations in the .proto files', async () => {
    const repo = exampleRepo()
    await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.proto'), '--effective-from', '2025-01-01'], { cwd: repo })
    await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v2.proto'), '--effective-from', '2025-02-01'], { cwd: repo })
    await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v3-narrow.proto'), '--effective-from', '2025-03-01', '--breaking-changes=bid'], { cwd: repo })
    const r = await ssmd(['schema', 'diff', 'quote', 'v1', 'v3'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(
      [
        'quote v1 (schemas/quote.proto) → v3 (schemas/quote-v3-narrow.proto)',
        '',
        'breaking    field Quote.bid = 2 type changed from double to float  schemas/quote-v3-narrow.proto:7:3',
        '',
        '1 breaking, 0 compatible, 0 info: v3 is not compatible with v1',
        '',
      ].join('\n'),
    )
    const added = await ssmd(['schema', 'diff', 'quote', 'v1', 'v2', '--json'], { cwd: repo })
    expect(JSON.parse(added.stdout).changes).to.deep.equal([
      { severity: 'compatible', kind: 'field-added', message: 'field Quote.bid_size = 5 added', path: 'Quote.bid_size', file: 'schemas/quote-v2.proto', line: 10, column: 3 },
    ])
  })

  it('says so when nothing changed', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'diff', 'trade', 'v2', 'v2'], { cwd: repo })
    expect(r.code).to.equal(0)
    expect(r.stdout).to.contain('no changes: both versions use identical definitions')
  })

  it('fails for other formats, unknown versions and unparsable definitions; exit 2 for bad arguments', async () => {
    const repo = exampleRepo()
    await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.json'), '--effective-from', '2025-01-01'], { cwd: repo })
    const json = await ssmd(['schema', 'diff', 'quote', 'v1', 'v1'], { cwd: repo })
    expect(json.code).to.equal(1)
    expect(json.stderr).to.contain("structural diff is only available for capnp and protobuf schemas; 'quote' is json_schema (compare the files with git diff)")
    expect((await ssmd(['schema', 'diff', 'trade', 'v1', 'v5'], { cwd: repo })).code).to.equal(1)
    expect((await ssmd(['schema', 'diff', 'trade', 'v1', 'latest'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'diff', 'trade', 'v1'], { cwd: repo })).code).to.equal(2)
    writeFileSync(join(repo, 'schemas', 'trade-v2.capnp'), 'struct {')
    const broken = await ssmd(['schema', 'diff', 'trade', 'v1', 'v2'], { cwd: repo })
    expect(broken.code).to.equal(1)
    expect(broken.stderr).to.contain('schemas/trade-v2.capnp:1:')
    expect(broken.stderr).to.contain('does not parse')
  })
})
