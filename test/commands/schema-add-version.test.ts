import { expect } from 'chai'
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'
import { fixture, read, sha, snapshot } from '../fixtures/schema/helpers.js'

/** The example repository with `quote` registered (v1 active from 2025-01-01). */
async function quoteRepo(): Promise<string> {
  const repo = exampleRepo()
  const r = await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--effective-from', '2025-01-01'], { cwd: repo })
  expect(r.code, r.stderr).to.equal(0)
  return repo
}

describe('ssmd schema add-version', () => {
  it('appends a checked compatible version with its own file and ends the open-ended previous one', async () => {
    const repo = await quoteRepo()
    const r = await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v2.capnp'), '--effective-from', '2025-03-01', '--compatible-with', 'v1'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote.yaml')).to.equal(
      [
        'name: quote',
        'format: capnp',
        'schema_file: quote.capnp',
        'versions:',
        '  - version: v1',
        '    effective_from: 2025-01-01',
        '    effective_to: 2025-02-28',
        '    status: active',
        `    hash: ${sha(fixture('quote.capnp'))}`,
        '  - version: v2',
        '    effective_from: 2025-03-01',
        '    status: draft',
        '    schema_file: quote-v2.capnp',
        `    hash: ${sha(fixture('quote-v2.capnp'))}`,
        '    compatible_with: [v1]',
        '',
      ].join('\n'),
    )
    expect(r.stdout).to.contain('ended v1 on 2025-02-28, the day before v2 starts')
    expect(r.stdout).to.contain(`copied ${fixture('quote-v2.capnp')} → schemas/quote-v2.capnp`)
    expect(r.stdout).to.contain('compatible with v1 (checked)')
    expect(r.stdout).to.contain('wrote schemas/quote.yaml')
    expect(r.stderr).to.equal('')
  })

  it('keeps comments and layout of the metadata file', async () => {
    const repo = exampleRepo()
    const path = join(repo, 'schemas', 'trade.yaml')
    const original = read(repo, 'schemas/trade.yaml')
    writeFileSync(path, '# Trades, owned by the capture team.\n' + original.replace('status: draft', 'status: draft   # not yet live'))
    const v3 = join(repo, 'schemas', 'trade-v3.capnp')
    writeFileSync(v3, read(repo, 'schemas/trade-v2.capnp').replace('  datacenter @7 :Text;\n', '  datacenter @7 :Text;\n  venue @8 :Text;\n'))
    const r = await ssmd(['schema', 'add-version', 'trade', '--file', 'schemas/trade-v3.capnp', '--effective-from', '2025-09-01', '--compatible-with', 'v1,v2'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/trade.yaml')).to.equal(
      '# Trades, owned by the capture team.\n' +
        original.replace('status: draft', 'status: draft   # not yet live').replace('effective_from: 2025-06-01\n', 'effective_from: 2025-06-01\n    effective_to: 2025-08-31\n') +
        `  - version: v3\n    effective_from: 2025-09-01\n    status: draft\n    schema_file: trade-v3.capnp\n    hash: ${sha(v3)}\n    compatible_with: [v1, v2]\n`,
    )
    expect(r.stdout).not.to.contain('copied')
  })

  for (const [file, line, message] of [
    ['quote-v3-type.capnp', 'quote-v3-type.capnp:6:3', 'field Quote.bid @1 type changed from Float64 to Int64'],
    ['quote-v3-removed.capnp', 'quote.capnp:8:3', 'field Quote.ticker @3 removed'],
  ] as const) {
    it(`refuses a false compatible_with claim (${file}), listing each breaking change, and writes nothing`, async () => {
      const repo = await quoteRepo()
      const before = snapshot(repo)
      const r = await ssmd(['schema', 'add-version', 'quote', '--file', fixture(file), '--effective-from', '2025-03-01', '--compatible-with', 'v1'], { cwd: repo })
      expect(r.code).to.equal(1)
      expect(r.stderr).to.contain('v2 is not compatible with v1: 1 breaking change:')
      expect(r.stderr).to.contain(`${line}  ${message}`)
      expect(r.stderr).to.contain('pass --force')
      expect(snapshot(repo)).to.deep.equal(before)
      expect(existsSync(join(repo, 'schemas', file))).to.equal(false)
      // --json carries the same breaking changes in the error.
      const json = await ssmd(['schema', 'add-version', 'quote', '--file', fixture(file), '--effective-from', '2025-03-01', '--compatible-with', 'v1', '--json'], { cwd: repo })
      expect(json.code).to.equal(1)
      const { details } = JSON.parse(json.stdout).error as { details: string[] }
      expect(details).to.have.length(2)
      expect(details[0]).to.equal('v2 is not compatible with v1: 1 breaking change:')
      expect(details[1].endsWith(`${line}  ${message}`), details[1]).to.equal(true)
    })
  }

  it('refuses a renumbering claimed compatible, each member located', async () => {
    const repo = exampleRepo()
    const v3 = join(repo, 'schemas', 'trade-v3.capnp')
    writeFileSync(v3, read(repo, 'schemas/trade-v2.capnp').replace('buy @0;', 'buy @1;').replace('sell @1;', 'sell @0;'))
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'add-version', 'trade', '--file', 'schemas/trade-v3.capnp', '--effective-from', '2025-09-01', '--compatible-with', 'v2'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('v3 is not compatible with v2: 2 breaking changes:')
    expect(r.stderr).to.contain('schemas/trade-v3.capnp:16:5  enumerant Trade.Side.buy renumbered from @0 to @1')
    expect(r.stderr).to.contain('schemas/trade-v3.capnp:17:5  enumerant Trade.Side.sell renumbered from @1 to @0')
    expect(snapshot(repo)).to.deep.equal(before)
  })

  it('records a false claim with --force, with a warning', async () => {
    const repo = await quoteRepo()
    const r = await ssmd(
      [
        'schema',
        'add-version',
        'quote',
        '--file',
        fixture('quote-v3-type.capnp'),
        '--effective-from',
        '2025-03-01',
        '--compatible-with',
        'v1',
        '--force',
        '--breaking-changes=bid is fixed-point',
      ],
      { cwd: repo },
    )
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain('warning: v2 is not compatible with v1: 1 breaking change; recorded anyway because of --force')
    expect(r.stderr).to.contain('quote-v3-type.capnp:6:3  field Quote.bid @1 type changed')
    expect(read(repo, 'schemas/quote.yaml')).to.contain('    compatible_with: [v1]\n    breaking_changes: bid is fixed-point\n')
  })

  it('suggests --breaking-changes when the new file breaks the previous version', async () => {
    const repo = await quoteRepo()
    const r = await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v3-removed.capnp'), '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain('warning: v2 breaks compatibility with v1 (1 breaking change, first: field Quote.ticker @3 removed); describe it with --breaking-changes')
    const repo2 = await quoteRepo()
    const documented = await ssmd(
      [
        'schema',
        'add-version',
        'quote',
        '--file',
        fixture('quote-v3-removed.capnp'),
        '--effective-from',
        '2025-03-01',
        '--breaking-changes=ticker moved to the envelope',
        '--status',
        'active',
      ],
      { cwd: repo2 },
    )
    expect(documented.code, documented.stderr).to.equal(0)
    expect(documented.stderr).to.equal('')
    expect(read(repo2, 'schemas/quote.yaml')).to.contain(
      [
        '  - version: v2',
        '    effective_from: 2025-03-01',
        '    status: active',
        '    schema_file: quote-v3-removed.capnp',
        `    hash: ${sha(fixture('quote-v3-removed.capnp'))}`,
        '    breaking_changes: ticker moved to the envelope',
        '',
      ].join('\n'),
    )
  })

  it('returns the result as JSON', async () => {
    const repo = await quoteRepo()
    const r = await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v2.capnp'), '--effective-from', '2025-03-01', '--compatible-with', 'v1', '--json'], {
      cwd: repo,
    })
    expect(r.code, r.stderr).to.equal(0)
    const j = JSON.parse(r.stdout)
    expect(j).to.deep.include({
      file: 'schemas/quote.yaml',
      name: 'quote',
      version: 'v2',
      entry: { version: 'v2', effective_from: '2025-03-01', status: 'draft', schema_file: 'quote-v2.capnp', hash: sha(fixture('quote-v2.capnp')), compatible_with: ['v1'] },
      closed: { version: 'v1', effective_to: '2025-02-28' },
      copied: { from: fixture('quote-v2.capnp'), to: 'schemas/quote-v2.capnp' },
      compatibility: [{ with: 'v1', checked: true, compatible: true, breaking: [] }],
      previous: { version: 'v1', checked: true, breaking: [] },
    })
  })

  it("refuses overlaps, unknown claims and reusing an existing version's file (exit 1, nothing written)", async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    copyFileSync(join(repo, 'schemas', 'trade-v2.capnp'), join(repo, 'schemas', 'trade-v3.capnp'))
    const withCopy = snapshot(repo)
    const early = await ssmd(['schema', 'add-version', 'trade', '--file', 'schemas/trade-v3.capnp', '--effective-from', '2025-03-01'], { cwd: repo })
    expect(early.code).to.equal(1)
    expect(early.stderr).to.contain('v3 (2025-03-01 →) would overlap v1 (2025-01-01 → 2025-05-31)')
    const same = await ssmd(['schema', 'add-version', 'trade', '--file', 'schemas/trade-v3.capnp', '--effective-from', '2025-06-01'], { cwd: repo })
    expect(same.code).to.equal(1)
    expect(same.stderr).to.contain('would overlap v2')
    const claim = await ssmd(['schema', 'add-version', 'trade', '--file', 'schemas/trade-v3.capnp', '--effective-from', '2025-09-01', '--compatible-with', 'v7'], { cwd: repo })
    expect(claim.code).to.equal(1)
    expect(claim.stderr).to.contain("schema 'trade' has no version 'v7'")
    const reuse = await ssmd(['schema', 'add-version', 'trade', '--file', 'schemas/trade-v2.capnp', '--effective-from', '2025-09-01'], { cwd: repo })
    expect(reuse.code).to.equal(1)
    expect(reuse.stderr).to.contain('schemas/trade-v2.capnp is already the definition of v2; give v3 its own file')
    const unknown = await ssmd(['schema', 'add-version', 'trades', '--file', 'schemas/trade-v3.capnp', '--effective-from', '2025-09-01'], { cwd: repo })
    expect(unknown.code).to.equal(1)
    expect(snapshot(repo)).to.deep.equal(withCopy)
    expect(Object.keys(withCopy).length).to.equal(Object.keys(before).length + 1)
  })

  it('refuses a definition that does not parse (exit 1) and bad flags (exit 2), writing nothing', async () => {
    const repo = await quoteRepo()
    const before = snapshot(repo)
    const bad = await ssmd(['schema', 'add-version', 'quote', '--file', fixture('bad.capnp'), '--effective-from', '2025-03-01'], { cwd: repo })
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.contain('bad.capnp:6:9  Not defined: NoSuchType')
    const cases: string[][] = [
      ['--file', fixture('quote-v2.capnp')],
      ['--effective-from', '2025-03-01'],
      ['--file', fixture('quote-v2.capnp'), '--effective-from', '03/01/2025'],
      ['--file', fixture('quote-v2.capnp'), '--effective-from', '2025-03-01', '--compatible-with', 'one'],
      ['--file', fixture('quote-v2.capnp'), '--effective-from', '2025-03-01', '--compatible-with', ','],
      ['--file', fixture('quote-v2.capnp'), '--effective-from', '2025-03-01', '--status', 'live'],
      ['--file', fixture('quote-v2.capnp'), '--effective-from', '2025-03-01', '--breaking-changes= '],
      ['--file', fixture('quote.proto'), '--effective-from', '2025-03-01'],
    ]
    for (const args of cases) {
      const r = await ssmd(['schema', 'add-version', 'quote', ...args], { cwd: repo })
      expect(r.code, args.join(' ')).to.equal(2)
    }
    expect(snapshot(repo)).to.deep.equal(before)
    expect(readdirSync(join(repo, 'schemas')).filter(f => f.startsWith('.') && f !== '.gitkeep')).to.deep.equal([])
  })

  it('checks protobuf claims structurally: a new field is accepted, double → float refused', async () => {
    const repo = exampleRepo()
    await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.proto'), '--effective-from', '2025-01-01'], { cwd: repo })
    const before = snapshot(repo)
    const bad = await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v3-narrow.proto'), '--effective-from', '2025-03-01', '--compatible-with', 'v1'], {
      cwd: repo,
    })
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.contain('v2 is not compatible with v1: 1 breaking change:')
    expect(bad.stderr).to.contain(`${fixture('quote-v3-narrow.proto')}:7:3  field Quote.bid = 2 type changed from double to float`)
    expect(snapshot(repo)).to.deep.equal(before)
    const r = await ssmd(['schema', 'add-version', 'quote', '--file', fixture('quote-v2.proto'), '--effective-from', '2025-03-01', '--compatible-with', 'v1'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('compatible with v1 (checked)')
    expect(r.stderr).to.equal('')
    expect(read(repo, 'schemas/quote.yaml')).to.contain('    schema_file: quote-v2.proto\n')
  })

  it('refuses a JSON Schema claim across a change, in one line, unless --force records it unchecked', async () => {
    const repo = exampleRepo()
    await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.json'), '--effective-from', '2025-01-01'], { cwd: repo })
    const before = snapshot(repo)
    const args = ['schema', 'add-version', 'quote', '--file', fixture('quote-v2.json'), '--effective-from', '2025-03-01', '--compatible-with', 'v1']
    const r = await ssmd(args, { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr.trim().split('\n')).to.deep.equal([
      `Error: cannot check --compatible-with v1: schemas/quote.json and ${fixture('quote-v2.json')} differ, and a change to a JSON Schema cannot be checked for compatibility; drop the claim (describe what breaks with --breaking-changes), or pass --force to record it unchecked; nothing written`,
    ])
    expect(snapshot(repo)).to.deep.equal(before)
    const forced = await ssmd([...args, '--force'], { cwd: repo })
    expect(forced.code, forced.stderr).to.equal(0)
    expect(forced.stderr).to.contain(`warning: --compatible-with v1 not checked: schemas/quote.json and ${fixture('quote-v2.json')} differ`)
    expect(forced.stdout).to.contain('added v2 (draft, from 2025-03-01, schemas/quote-v2.json)\n')
    expect(read(repo, 'schemas/quote.yaml')).to.contain('    compatible_with: [v1]\n')
  })
})
