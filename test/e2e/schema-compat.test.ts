// Compatibility claims on protobuf and JSON Schema definitions, through the built CLI.
import { expect } from 'chai'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, git } from '../helpers/repo.js'
import { fixture, read, snapshot } from '../fixtures/schema/helpers.js'

/** The example repository, committed, with protobuf schema `quote` registered (v1 from 2025-01-01). */
function protoRepo(): string {
  const repo = exampleRepo({ git: true })
  const r = ssmdProcess(['schema', 'register', 'quote', '--file', fixture('quote.proto'), '--effective-from', '2025-01-01'], { cwd: repo })
  expect(r.code, r.stderr).to.equal(0)
  return repo
}

describe('built CLI: protobuf and JSON Schema compatibility claims', () => {
  it('schema add-version refuses double → float claimed compatible, naming file:line:col, and writes nothing', () => {
    const repo = protoRepo()
    const before = snapshot(repo)
    const r = ssmdProcess(['schema', 'add-version', 'quote', '--file', fixture('quote-v3-narrow.proto'), '--effective-from', '2025-03-01', '--compatible-with', 'v1'], {
      cwd: repo,
    })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('v2 is not compatible with v1: 1 breaking change:')
    expect(r.stderr).to.contain(`  ${fixture('quote-v3-narrow.proto')}:7:3  field Quote.bid = 2 type changed from double to float\n`)
    expect(r.stderr).to.contain('Error: v2 is not compatible with v1 (breaking changes above); fix the definition, drop the claim, or pass --force; nothing written')
    expect(r.stderr).not.to.match(/\n\s+at /)
    expect(snapshot(repo)).to.deep.equal(before)
  })

  it('schema add-version accepts a new field claimed compatible, saying it was checked', () => {
    const repo = protoRepo()
    const r = ssmdProcess(['schema', 'add-version', 'quote', '--file', fixture('quote-v2.proto'), '--effective-from', '2025-03-01', '--compatible-with', 'v1', '--json'], {
      cwd: repo,
    })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout).compatibility).to.deep.equal([{ with: 'v1', checked: true, compatible: true, breaking: [] }])
    expect(read(repo, 'schemas/quote.yaml')).to.contain('    schema_file: quote-v2.proto\n')
    expect(read(repo, 'schemas/quote.yaml')).to.contain('    compatible_with: [v1]\n')
  })

  it('validate reports a false protobuf claim in a committed repository, the same from the cache', () => {
    const repo = protoRepo()
    // A v2 that only adds a field, recorded with its claim and committed; then its file is narrowed and re-hashed.
    expect(
      ssmdProcess(['schema', 'add-version', 'quote', '--file', fixture('quote-v2.proto'), '--effective-from', '2025-03-01', '--compatible-with', 'v1'], { cwd: repo }).code,
    ).to.equal(0)
    copyFileSync(fixture('quote-v3-narrow.proto'), join(repo, 'schemas', 'quote-v2.proto'))
    expect(ssmdProcess(['schema', 'hash', 'quote'], { cwd: repo }).code).to.equal(0)
    git(repo, 'add', '-A')
    git(repo, 'commit', '-q', '-m', 'quote v2')
    const finding =
      'schemas/quote.yaml:15:23  error  v2 is not compatible with v1: field Quote.bid = 2 type changed from double to float (schemas/quote-v2.proto:7:3)  schema/compat-claim'
    for (const run of ['cold', 'warm']) {
      const r = ssmdProcess(['validate'], { cwd: repo })
      expect(r.code, `${run}: ${r.stdout}${r.stderr}`).to.equal(1)
      expect(r.stdout.replace(/ +/g, ' '), run).to.contain(finding.replace(/ +/g, ' '))
      expect(r.stdout, run).to.contain(
        'v2 breaks compatibility with v1 (1 breaking change, first: field Quote.bid = 2 type changed from double to float) but has no breaking_changes text',
      )
    }
  })

  it('validate reports a JSON Schema claim across a change as uncheckable', () => {
    const repo = exampleRepo({ git: true })
    expect(ssmdProcess(['schema', 'register', 'quote', '--file', fixture('quote.json'), '--effective-from', '2025-01-01'], { cwd: repo }).code).to.equal(0)
    writeFileSync(join(repo, 'schemas', 'quote-v2.json'), read(repo, 'schemas/quote.json'))
    const same = ssmdProcess(['schema', 'add-version', 'quote', '--file', 'schemas/quote-v2.json', '--effective-from', '2025-03-01', '--compatible-with', 'v1'], { cwd: repo })
    expect(same.code, same.stderr).to.equal(0)
    expect(same.stdout).to.contain('compatible with v1 (checked)')
    copyFileSync(fixture('quote-v2.json'), join(repo, 'schemas', 'quote-v2.json'))
    expect(ssmdProcess(['schema', 'hash', 'quote'], { cwd: repo }).code).to.equal(0)
    const r = ssmdProcess(['validate', 'schemas/quote.yaml'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stdout.replace(/ +/g, ' ')).to.contain(
      'schemas/quote.yaml:15:23 error compatible_with names v1, but schemas/quote.json and schemas/quote-v2.json differ, and a change to a JSON Schema cannot be checked for compatibility; remove the claim and describe what breaks in breaking_changes schema/compat-claim',
    )
  })
})
