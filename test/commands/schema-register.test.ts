import { expect } from 'chai'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { fixture, read, sha, snapshot } from '../fixtures/schema/helpers.js'

describe('ssmd schema register', () => {
  it('copies a capnp file from outside into schemas/ and writes v1 with its hash', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote.yaml')).to.equal(
      [
        'name: quote',
        'format: capnp',
        'schema_file: quote.capnp',
        'versions:',
        '  - version: v1',
        '    effective_from: 2025-03-01',
        '    status: active',
        `    hash: ${sha(fixture('quote.capnp'))}`,
        '',
      ].join('\n'),
    )
    expect(readFileSync(join(repo, 'schemas', 'quote.capnp')).equals(readFileSync(fixture('quote.capnp')))).to.equal(true)
    expect(r.stdout).to.contain(`copied ${fixture('quote.capnp')} → schemas/quote.capnp`)
    expect(r.stdout).to.contain('wrote schemas/quote.yaml')
    expect(readdirSync(join(repo, 'schemas')).filter(f => f.startsWith('.') && f !== '.gitkeep')).to.deep.equal([])
  })

  it('registers a capnp file that starts with a byte-order mark, hashing its bytes as they are', async () => {
    const repo = exampleRepo()
    const dir = tempDir()
    const file = join(dir, 'quote.capnp')
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(fixture('quote.capnp'))]))
    const r = await ssmd(['schema', 'register', 'quote', '--file', file, '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote.yaml')).to.contain(`    hash: ${sha(file)}\n`)
    expect(readFileSync(join(repo, 'schemas', 'quote.capnp')).equals(readFileSync(file))).to.equal(true)
  })

  it('uses a file already inside schemas/ where it is, also when named relative to schemas/', async () => {
    const repo = exampleRepo()
    mkdirSync(join(repo, 'schemas', 'quotes'))
    copyFileSync(fixture('quote.capnp'), join(repo, 'schemas', 'quotes', 'quote.capnp'))
    const before = snapshot(repo)
    const r = await ssmd(['schema', 'register', 'quote', '--file', 'schemas/quotes/quote.capnp', '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).not.to.contain('copied')
    expect(read(repo, 'schemas/quote.yaml')).to.contain('schema_file: quotes/quote.capnp\n')
    expect(Object.keys(snapshot(repo))).to.deep.equal([...Object.keys(before), 'schemas/quote.yaml'].sort())

    copyFileSync(fixture('quote.proto'), join(repo, 'schemas', 'quote.proto'))
    const rel = await ssmd(['schema', 'register', 'quote-pb', '--file', 'quote.proto', '--effective-from', '2025-03-01'], { cwd: repo })
    expect(rel.code, rel.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote-pb.yaml')).to.contain('schema_file: quote.proto\n')
  })

  it('registers protobuf and JSON Schema definitions with the format from the extension', async () => {
    const repo = exampleRepo()
    const proto = await ssmd(['schema', 'register', 'quote-pb', '--file', fixture('quote.proto'), '--effective-from', '2025-03-01', '--status', 'draft'], { cwd: repo })
    expect(proto.code, proto.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote-pb.yaml')).to.equal(
      `name: quote-pb\nformat: protobuf\nschema_file: quote.proto\nversions:\n  - version: v1\n    effective_from: 2025-03-01\n    status: draft\n    hash: ${sha(fixture('quote.proto'))}\n`,
    )
    const json = await ssmd(['schema', 'register', 'quote-js', '--file', fixture('quote.json'), '--effective-from', '2025-03-01', '--json'], { cwd: repo })
    expect(json.code, json.stderr).to.equal(0)
    expect(JSON.parse(json.stdout)).to.deep.equal({
      file: 'schemas/quote-js.yaml',
      name: 'quote-js',
      format: 'json_schema',
      schema_file: 'quote.json',
      version: 'v1',
      entry: { version: 'v1', effective_from: '2025-03-01', status: 'active', hash: sha(fixture('quote.json')) },
      copied: { from: fixture('quote.json'), to: 'schemas/quote.json' },
    })
  })

  it('takes --format for a file whose extension says nothing, and refuses to guess otherwise (exit 2)', async () => {
    const repo = exampleRepo()
    const dir = tempDir()
    copyFileSync(fixture('quote.proto'), join(dir, 'quote.idl'))
    const guess = await ssmd(['schema', 'register', 'quote', '--file', join(dir, 'quote.idl')], { cwd: repo })
    expect(guess.code).to.equal(2)
    expect(guess.stderr).to.contain('--format')
    const r = await ssmd(['schema', 'register', 'quote', '--file', join(dir, 'quote.idl'), '--format', 'protobuf', '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote.yaml')).to.contain('format: protobuf\nschema_file: quote.idl\n')
  })

  it('resolves capnp imports of the copied file against schemas/', async () => {
    const repo = exampleRepo()
    copyFileSync(fixture('common.capnp'), join(repo, 'schemas', 'common.capnp'))
    const r = await ssmd(['schema', 'register', 'order', '--file', fixture('order.capnp'), '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(existsSync(join(repo, 'schemas', 'order.capnp'))).to.equal(true)
  })

  for (const [file, expected] of [
    ['bad.capnp', ['bad.capnp:5:6  Skipped ordinal @2', 'bad.capnp:6:9  Not defined: NoSuchType', 'does not parse as capnp (2 errors)']],
    ['bad.proto', ['bad.proto:5:1  protobuf:', 'does not parse as protobuf (1 error)']],
    ['bad.json', ['bad.json:5:3  invalid JSON', 'does not parse as json_schema']],
    ['not-a-schema.json', ['not-a-schema.json:1:1  not a valid JSON Schema', 'does not parse as json_schema']],
  ] as const) {
    it(`refuses ${file}, which does not parse, listing file:line:col and writing nothing`, async () => {
      const repo = exampleRepo()
      const before = snapshot(repo)
      const r = await ssmd(['schema', 'register', 'broken', '--file', fixture(file)], { cwd: repo })
      expect(r.code).to.equal(1)
      for (const e of expected) expect(r.stderr).to.contain(e)
      expect(snapshot(repo)).to.deep.equal(before)
      expect(readdirSync(join(repo, 'schemas')).filter(f => f.startsWith('.') && f !== '.gitkeep')).to.deep.equal([])
    })
  }

  it('lists the parse problems in the --json error as details', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'register', 'broken', '--file', fixture('bad.capnp'), '--json'], { cwd: repo })
    expect(r.code).to.equal(1)
    const { error } = JSON.parse(r.stdout)
    expect(error.code).to.equal('failed')
    expect(error.message).to.match(/bad\.capnp does not parse as capnp \(2 errors\); nothing written$/)
    expect(error.details).to.have.length(2)
    expect(error.details[0]).to.match(/bad\.capnp:5:6 {2}Skipped ordinal @2/)
    expect(error.details[1]).to.match(/bad\.capnp:6:9 {2}Not defined: NoSuchType/)
  })

  it('refuses an existing schema and a different file of the same name in schemas/ (exit 1, nothing written)', async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    const exists = await ssmd(['schema', 'register', 'trade', '--file', fixture('quote.capnp')], { cwd: repo })
    expect(exists.code).to.equal(1)
    expect(exists.stderr).to.contain("schema 'trade' already exists (schemas/trade.yaml)")
    const dir = tempDir()
    writeFileSync(join(dir, 'trade.capnp'), '@0xd4c9a3f2b1e08a67;\nstruct Other {\n  a @0 :Text;\n}\n')
    const clash = await ssmd(['schema', 'register', 'other', '--file', join(dir, 'trade.capnp')], { cwd: repo })
    expect(clash.code).to.equal(1)
    expect(clash.stderr).to.contain('schemas/trade.capnp already exists with different content')
    expect(snapshot(repo)).to.deep.equal(before)
  })

  it('accepts a file whose copy is already in schemas/ byte for byte', async () => {
    const repo = exampleRepo()
    copyFileSync(fixture('quote.capnp'), join(repo, 'schemas', 'quote.capnp'))
    const r = await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--effective-from', '2025-03-01'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).not.to.contain('copied')
    expect(r.stdout).to.contain(`using schemas/quote.capnp (same content as ${fixture('quote.capnp')})`)
    expect(read(repo, 'schemas/quote.yaml')).to.contain('schema_file: quote.capnp\n')
  })

  it('refuses names and paths that escape the repository', async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    for (const name of ['../evil', 'a/b', 'Trade', '']) {
      const r = await ssmd(['schema', 'register', name, '--file', fixture('quote.capnp')], { cwd: repo })
      expect(r.code, name).to.equal(2)
    }
    const outside = tempDir()
    copyFileSync(fixture('quote.capnp'), join(outside, 'quote.capnp'))
    symlinkSync(join(outside, 'quote.capnp'), join(repo, 'schemas', 'link.capnp'))
    const link = await ssmd(['schema', 'register', 'link', '--file', 'schemas/link.capnp'], { cwd: repo })
    expect(link.code).to.equal(1)
    expect(link.stderr).to.contain('symlink leading outside the repository')
    const yaml = await ssmd(['schema', 'register', 'meta', '--file', join(repo, 'schemas', 'trade.yaml'), '--format', 'json_schema'], { cwd: repo })
    expect(yaml.code).to.equal(2)
    const { ['schemas/link.capnp']: _link, ...after } = snapshot(repo)
    expect(after).to.deep.equal(before)
  })

  it('checks flags before anything is written (exit 2)', async () => {
    const repo = exampleRepo()
    const before = snapshot(repo)
    expect((await ssmd(['schema', 'register', 'quote'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'register', 'quote', '--file', 'nope.capnp'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--effective-from', '2025-02-30'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--status', 'retired'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp'), '--format', 'avro'], { cwd: repo })).code).to.equal(2)
    expect(snapshot(repo)).to.deep.equal(before)
  })

  it('resolves --file against the working directory when -C points elsewhere', async () => {
    const repo = exampleRepo()
    const base = join(repo, '..')
    mkdirSync(join(base, 'defs'))
    copyFileSync(fixture('quote.capnp'), join(base, 'defs', 'quote.capnp'))
    const r = await ssmd(['schema', 'register', 'quote', '-C', 'repo', '--file', 'defs/quote.capnp', '--effective-from', '2025-03-01'], { cwd: base })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('copied defs/quote.capnp → schemas/quote.capnp')
    expect(read(repo, 'schemas/quote.yaml')).to.contain(`hash: ${sha(fixture('quote.capnp'))}\n`)
  })

  it('defaults effective_from to today (UTC)', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'register', 'quote', '--file', fixture('quote.capnp')], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(read(repo, 'schemas/quote.yaml')).to.contain(`effective_from: ${new Date().toISOString().slice(0, 10)}\n`)
  })
})
