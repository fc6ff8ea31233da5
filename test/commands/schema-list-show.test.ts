import { expect } from 'chai'
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { fixture, sha } from '../fixtures/schema/helpers.js'

describe('ssmd schema list', () => {
  it('shows one row per version with format, status and dates', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'list'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(
      [
        'NAME       VERSION  FORMAT  STATUS  EFFECTIVE',
        'orderbook  v1       capnp   active  2025-01-01 →',
        'trade      v1       capnp   active  2025-01-01 → 2025-05-31',
        'trade      v2       capnp   draft   2025-06-01 →',
        '',
      ].join('\n'),
    )
  })

  it('filters by status and returns a stable JSON list', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'list', '--status', 'draft'], { cwd: repo })
    expect(r.stdout.trim().split('\n')).to.have.length(2)
    expect(r.stdout).to.match(/^trade +v2 +capnp +draft +2025-06-01 →$/m)
    const j = await ssmd(['schema', 'list', '--json'], { cwd: repo })
    expect(JSON.parse(j.stdout)).to.deep.equal([
      { name: 'orderbook', file: 'schemas/orderbook.yaml', format: 'capnp', version: 'v1', status: 'active', effective_from: '2025-01-01', schema_file: 'orderbook.capnp' },
      {
        name: 'trade',
        file: 'schemas/trade.yaml',
        format: 'capnp',
        version: 'v1',
        status: 'active',
        effective_from: '2025-01-01',
        effective_to: '2025-05-31',
        schema_file: 'trade.capnp',
      },
      { name: 'trade', file: 'schemas/trade.yaml', format: 'capnp', version: 'v2', status: 'draft', effective_from: '2025-06-01', schema_file: 'trade-v2.capnp' },
    ])
  })

  it('says so when there are no schemas, and refuses an unknown status with exit 2', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'schemas'))
    const r = await ssmd(['schema', 'list'], { cwd: dir })
    expect(r.code).to.equal(0)
    expect(r.stdout).to.contain('No schemas yet')
    const bad = await ssmd(['schema', 'list', '--status', 'retired'], { cwd: dir })
    expect(bad.code).to.equal(2)
  })

  it('lists a broken schema file as invalid with a warning', async () => {
    const repo = exampleRepo()
    writeFileSync(join(repo, 'schemas', 'broken.yaml'), 'name: [unclosed\n')
    const r = await ssmd(['schema', 'list'], { cwd: repo })
    expect(r.code).to.equal(0)
    expect(r.stdout).to.match(/broken\s+\?\s+\?\s+invalid/)
    expect(r.stderr).to.contain('warning: schemas/broken.yaml')
  })
})

describe('ssmd schema show', () => {
  it('shows metadata and a ✓ for each version whose hash matches', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'show', 'trade'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('schema_file: schemas/trade.capnp')
    expect(r.stdout).to.match(/v1\s+active\s+2025-01-01 → 2025-05-31\s+schemas\/trade\.capnp\s+sha256:8c11ffe0a196… ✓/)
    expect(r.stdout).to.match(/v2\s+draft\s+2025-06-01 →\s+schemas\/trade-v2\.capnp\s+sha256:f497d0b5e537… ✓/)
    expect(r.stdout).to.contain('compatible_with: v1')
  })

  it('marks a changed file as a mismatch and a missing one as missing', async () => {
    const repo = exampleRepo()
    appendFileSync(join(repo, 'schemas', 'trade-v2.capnp'), '# edited\n')
    rmSync(join(repo, 'schemas', 'trade.capnp'))
    const r = await ssmd(['schema', 'show', 'trade'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/v2 .*✗ mismatch/)
    expect(r.stdout).to.match(/v1 .*missing/)
    expect(r.stderr).to.contain('ssmd schema hash trade')
    const j = JSON.parse((await ssmd(['schema', 'show', 'trade', '--json'], { cwd: repo })).stdout)
    expect(j.versions[0]).to.include({ version: 'v1', hash_status: 'missing', problem: 'definition file schemas/trade.capnp does not exist' })
    expect(j.versions[1]).to.include({ version: 'v2', hash_status: 'mismatch', actual_hash: sha(join(repo, 'schemas', 'trade-v2.capnp')) })
  })

  it('prints the structure of the latest version, or of <name>:<version>', async () => {
    const repo = exampleRepo()
    const latest = await ssmd(['schema', 'show', 'trade', '--structure'], { cwd: repo })
    expect(latest.code, latest.stderr).to.equal(0)
    expect(latest.stdout).to.contain('structure of v2 (schemas/trade-v2.capnp)')
    expect(latest.stdout).to.match(/@7\s+datacenter\s+Text/)
    const v1 = await ssmd(['schema', 'show', 'trade:v1', '--structure'], { cwd: repo })
    expect(v1.stdout).to.contain('structure of v1 (schemas/trade.capnp)')
    expect(v1.stdout).to.match(/@5\s+tradeId\s+Text/)
    expect(v1.stdout).not.to.contain('datacenter')
    expect(v1.stdout).not.to.match(/^v2 /m)
    const j = JSON.parse((await ssmd(['schema', 'show', 'trade:v1', '--structure', '--json'], { cwd: repo })).stdout)
    expect(j.versions.map((v: { version: string }) => v.version)).to.deep.equal(['v1'])
    expect(j.structure.version).to.equal('v1')
    expect(j.structure.entries[0]).to.include({ kind: 'struct', name: 'Trade' })
    expect(j.structure.entries[0].fields.map((f: { name: string }) => f.name)).to.deep.equal(['timestampNs', 'ticker', 'price', 'quantity', 'side', 'tradeId'])
  })

  it('fails clearly for unknown names and versions, bad references and non-capnp structure', async () => {
    const repo = exampleRepo()
    const unknown = await ssmd(['schema', 'show', 'trdae'], { cwd: repo })
    expect(unknown.code).to.equal(1)
    expect(unknown.stderr).to.contain("schema 'trdae' not found; did you mean 'trade'?")
    const version = await ssmd(['schema', 'show', 'trade:v9'], { cwd: repo })
    expect(version.code).to.equal(1)
    expect(version.stderr).to.contain("schema 'trade' has no version 'v9'")
    expect((await ssmd(['schema', 'show', 'trade:latest'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'show', '../trade'], { cwd: repo })).code).to.equal(2)
    await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.proto'), '--effective-from', '2025-01-01'], { cwd: repo })
    const proto = await ssmd(['schema', 'show', 'quote', '--structure'], { cwd: repo })
    expect(proto.code).to.equal(1)
    expect(proto.stderr).to.contain('only available for capnp')
  })

  it('shows a document with wrongly typed values without crashing, and names an unreadable one', async () => {
    const repo = exampleRepo()
    writeFileSync(
      join(repo, 'schemas', 'odd.yaml'),
      'name: odd\nformat: capnp\nschema_file: 7\nversions:\n  - {version: v1, effective_from: [], status: 1, hash: 12, compatible_with: [v9, {}]}\n',
    )
    writeFileSync(join(repo, 'schemas', 'junk.yaml'), 'name: [unclosed\n')
    const show = await ssmd(['schema', 'show', 'odd'], { cwd: repo })
    expect(show.code, show.stderr).to.equal(0)
    expect(show.stdout).to.match(/^v1\s+1\s+\[\] →\s+\?\s+12 missing$/m)
    expect(show.stdout).to.contain('compatible_with: v9, {}')
    const list = await ssmd(['schema', 'list'], { cwd: repo })
    expect(list.code).to.equal(0)
    expect(list.stdout).to.match(/^odd\s+v1\s+capnp\s+1\s+\[\] →$/m)
    const junk = await ssmd(['schema', 'show', 'junk'], { cwd: repo })
    expect(junk.code).to.equal(1)
    expect(junk.stderr.trim().split('\n')).to.have.length(1)
    expect(junk.stderr).to.match(/^Error: schemas\/junk\.yaml:\d+:\d+: /)
    const repair = await ssmd(['schema', 'set-status', 'odd:v1', 'draft'], { cwd: repo })
    expect(repair.code, repair.stderr).to.equal(0)
    expect(repair.stderr).to.contain('had an invalid status 1')
    expect(readFileSync(join(repo, 'schemas', 'odd.yaml'), 'utf8')).to.contain('status: draft')
  })

  it('shows the parse errors when --structure meets a broken definition', async () => {
    const repo = exampleRepo()
    writeFileSync(join(repo, 'schemas', 'trade-v2.capnp'), '@0xd4c9a3f2b1e08a67;\nstruct Trade {\n  a @0 :Nope;\n}\n')
    const r = await ssmd(['schema', 'show', 'trade', '--structure'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('schemas/trade-v2.capnp:3:9')
    expect(r.stderr).to.contain('does not parse')
  })
})
