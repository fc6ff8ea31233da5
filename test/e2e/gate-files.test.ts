/**
 * The gate and the commit cover the same files: the built CLI as a process,
 * on real git repositories. Every file under feeds/, schemas/ and
 * environments/ that `ssmd commit` would stage is a document validate
 * checked, a definition a schema uses, or a finding; the secret scan covers
 * them all. Cross-checked against what the git CLI itself would stage.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, git } from '../helpers/repo.js'
import type { Finding as JsonFinding } from '../../src/lib/validate/types.js'

/** A synthetic AWS access key id (test/fixtures/secrets/corpus.json style): never real. */
const AWS_KEY = 'AKIAQ7RZ4XW2KD9PLM3T'
/** Invalid YAML holding the key: what the adversarial run committed. */
const LEAK = `name: leak\nkey: ${AWS_KEY}\n  bad: [unclosed\n`

function validateJson(root: string, ...extra: string[]): { code: number; findings: JsonFinding[]; summary: { errors: number; files: number } } {
  const r = ssmdProcess(['validate', '--format', 'json', ...extra], { cwd: root })
  const out = JSON.parse(r.stdout) as { findings: JsonFinding[]; summary: { errors: number; files: number } }
  return { code: r.code, ...out }
}

const head = (root: string) => git(root, 'rev-parse', 'HEAD').trim()
/** Every path of HEAD's tree, as git stores it (raw bytes, no quoting). */
const committed = (root: string) => git(root, 'ls-tree', '-r', '-z', '--name-only', 'HEAD').split('\0').filter(Boolean)

/** The seven files the adversarial run committed without validate ever reading them. */
const CASES: Array<{ path: string; shown: string; why: RegExp }> = [
  { path: 'feeds/leak\n.yaml', shown: '"feeds/leak\\n.yaml"', why: /file name holds a control character/ },
  { path: 'feeds/.hidden.yaml', shown: 'feeds/.hidden.yaml', why: /a hidden file/ },
  { path: 'feeds/UPPER.YAML', shown: 'feeds/UPPER.YAML', why: /only lower-case \.yaml and \.yml; rename it to UPPER\.yaml/ },
  { path: 'feeds/sub/x.yaml', shown: 'feeds/sub/x.yaml', why: /reads no folder below feeds\// },
  { path: 'feeds/x.yaml.bak', shown: 'feeds/x.yaml.bak', why: /reads only \.yaml documents in feeds\// },
  { path: 'feeds/notes.txt', shown: 'feeds/notes.txt', why: /reads only \.yaml documents in feeds\// },
  { path: 'feeds/cr\r.yaml', shown: '"feeds/cr\\r.yaml"', why: /file name holds a control character/ },
]

describe('the gate covers every file a commit takes (built CLI)', function () {
  this.timeout(240000)

  for (const c of CASES) {
    it(`${JSON.stringify(c.path)}: validate reports it and the key in it, commit refuses, --no-validate commits it`, () => {
      const root = exampleRepo({ git: true })
      mkdirSync(join(root, 'feeds', 'sub'), { recursive: true })
      writeFileSync(join(root, c.path), LEAK)
      const before = head(root)

      const v = validateJson(root)
      expect(v.code).to.equal(1)
      const mine = v.findings.filter(f => f.file === c.path)
      const unrecognised = mine.find(f => f.rule === 'repo/unrecognised-file')
      expect(unrecognised, JSON.stringify(v.findings)).to.include({ severity: 'error', line: 1, column: 1 })
      expect(unrecognised!.message).to.match(c.why)
      if (c.shown.startsWith('"')) expect(unrecognised!.message.startsWith(`${c.shown}: `), unrecognised!.message).to.equal(true)
      // The key, located (line 2, after `key: `), whatever the file's name or content.
      expect(mine.find(f => f.rule === 'security/secret-literal')).to.include({ severity: 'error', line: 2, column: 6 })

      const text = ssmdProcess(['validate'], { cwd: root })
      expect(text.code).to.equal(1)
      expect(text.stdout + text.stderr).not.to.include(AWS_KEY)
      // A name with a control character never reaches the terminal raw.
      if (c.shown.startsWith('"')) expect(text.stdout).not.to.include(c.path)

      const refused = ssmdProcess(['commit', '-m', 'leak'], { cwd: root })
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.match(/validation found \d+ errors; nothing was staged or committed/)
      expect(refused.stderr).to.include('repo/unrecognised-file')
      expect(refused.stdout + refused.stderr).not.to.include(AWS_KEY)
      expect(head(root)).to.equal(before)
      expect(git(root, 'diff', '--cached', '--name-only')).to.equal('')

      const forced = ssmdProcess(['commit', '-m', 'leak anyway', '--no-validate'], { cwd: root })
      expect(forced.code, forced.stderr).to.equal(0)
      expect(committed(root)).to.include(c.path)
    })
  }

  it('a name that is not UTF-8 (a file, a folder): validate reports it by its bytes, and no commit takes it', () => {
    const root = exampleRepo({ git: true })
    writeFileSync(Buffer.from(join(root, 'feeds', 'leak\xe9.yaml'), 'latin1'), LEAK)
    mkdirSync(Buffer.from(join(root, 'schemas', 'caf\xe9'), 'latin1'))
    writeFileSync(Buffer.from(join(root, 'schemas', 'caf\xe9', 'x.capnp'), 'latin1'), '@0xbf5147cbbecf40c1;\n')
    const before = head(root)
    const v = validateJson(root)
    expect(v.code).to.equal(1)
    const named = v.findings.filter(f => f.rule === 'repo/unrecognised-file').map(f => f.message.slice(0, f.message.indexOf(': ')))
    expect(named).to.deep.equal(['"feeds/leak\\351.yaml"', '"schemas/caf\\351"'])
    for (const f of v.findings) expect(f.message).to.match(/the file name is not UTF-8 \(or holds U\+FFFD\); ssmd never reads such a file/)
    for (const args of [['commit', '-m', 'odd'], ['commit', '--no-validate', '-m', 'odd'], ['diff']]) {
      const r = ssmdProcess(args, { cwd: root })
      expect(r.code, args.join(' ')).to.equal(1)
      expect(r.stderr, args.join(' ')).to.match(/"(feeds\/leak|schemas\/caf)\\351(\.yaml)?":? .*the file name is not UTF-8/)
    }
    expect(head(root)).to.equal(before)
    expect(git(root, 'diff', '--cached', '--name-only')).to.equal('')
  })

  it('ssmd.yaml keep: kept files pass, and are still scanned for secrets', () => {
    const root = exampleRepo({ git: true })
    writeFileSync(join(root, 'feeds', 'README.md'), '# Feeds\n\nOne file per data source.\n')
    mkdirSync(join(root, 'schemas', 'drafts'))
    writeFileSync(join(root, 'schemas', 'drafts', 'next.capnp'), '@0xd1e3a5b7c9f00001;\nstruct Next { a @0 :Int64; }\n')
    writeFileSync(join(root, 'feeds', 'notes.txt'), 'todo\n')
    const policy = join(root, 'ssmd.yaml')
    writeFileSync(policy, readFileSync(policy, 'utf8') + 'keep: ["*.md", "schemas/drafts/"]\n')

    const v = validateJson(root)
    expect(v.findings.map(f => `${f.file} ${f.rule}`)).to.deep.equal(['feeds/notes.txt repo/unrecognised-file'])

    rmSync(join(root, 'feeds', 'notes.txt'))
    expect(validateJson(root).code).to.equal(0)

    writeFileSync(join(root, 'feeds', 'README.md'), `# Feeds\n\nAsk ops: the key is ${AWS_KEY}\n`)
    writeFileSync(join(root, 'schemas', 'drafts', 'next.capnp'), '@0xd1e3a5b7c9f00001;\n# nats://admin:Sup3rS3cretPw@nats.internal:4222\nstruct Next { a @0 :Int64; }\n')
    const leaked = validateJson(root)
    expect(leaked.code).to.equal(1)
    expect(leaked.findings.map(f => [f.file, f.rule, f.line, f.column])).to.deep.equal([
      ['feeds/README.md', 'security/secret-literal', 3, 21],
      ['schemas/drafts/next.capnp', 'security/secret-literal', 2, 3],
    ])
    expect(leaked.findings[1].message).to.include('a URL with credentials')
    const refused = ssmdProcess(['commit', '-m', 'docs'], { cwd: root })
    expect(refused.code).to.equal(1)
    expect(refused.stdout + refused.stderr).not.to.include('Sup3rS3cretPw')
    expect(committed(root)).not.to.include('feeds/README.md')
  })

  it('definitions a schema imports are in use; one no schema names or imports is a finding', () => {
    const root = exampleRepo({ git: true })
    const schemas = join(root, 'schemas')
    writeFileSync(join(schemas, 'common.capnp'), '@0xbf5147cbbecf40c1;\nstruct Price { value @0 :Int64; }\n')
    writeFileSync(join(schemas, 'quote.capnp'), '@0xd0a87f36fa0e32a1;\nusing Common = import "common.capnp";\nstruct Quote { bid @0 :Common.Price; }\n')
    writeFileSync(join(schemas, 'shared.proto'), 'syntax = "proto3";\nmessage Px { int64 v = 1; }\n')
    writeFileSync(join(schemas, 'tick.proto'), 'syntax = "proto3";\nimport "shared.proto";\nmessage Tick { Px px = 1; }\n')
    writeFileSync(join(schemas, 'old.capnp'), '@0xe0a87f36fa0e32a2;\nstruct Old { a @0 :Int64; }\n')
    for (const [name, file] of [
      ['quote', 'schemas/quote.capnp'],
      ['tick', 'schemas/tick.proto'],
    ]) {
      const r = ssmdProcess(['schema', 'register', name, '--file', file, '--effective-from', '2025-01-01'], { cwd: root })
      expect(r.code, r.stderr).to.equal(0)
    }
    const policy = join(root, 'ssmd.yaml')
    const cold = validateJson(root, '--no-cache')
    expect(cold.findings.map(f => `${f.file} ${f.rule}`)).to.deep.equal(['schemas/old.capnp repo/unrecognised-file'])
    expect(cold.findings[0].message).to.match(/^a definition file no schema version names or imports; /)
    // Warm runs agree, and see a change made since.
    expect(validateJson(root).findings).to.deep.equal(cold.findings)
    expect(validateJson(root).findings).to.deep.equal(cold.findings)
    writeFileSync(policy, readFileSync(policy, 'utf8') + 'keep: ["old.capnp"]\n')
    expect(validateJson(root).findings).to.deep.equal([])
  })

  it('the files validate accounts for are exactly the files git would stage (ignored, re-included, tracked-but-ignored, nested repositories)', () => {
    const root = exampleRepo({ git: true })
    const w = (rel: string, text = 'x\n') => {
      mkdirSync(join(root, rel, '..'), { recursive: true })
      writeFileSync(join(root, rel), text)
    }
    w('.gitignore', '*.bak\n!feeds/important.bak\nscratch/\n')
    w('feeds/a.bak')
    w('feeds/important.bak')
    w('feeds/scratch/x.yaml')
    w('environments/scratch/y.txt')
    w('feeds/tracked.bak')
    git(root, 'add', '-f', 'feeds/tracked.bak')
    git(root, 'commit', '-q', '-m', 'tracked though ignored')
    w('feeds/notes.txt')
    w('environments/old/prod.yaml', 'name: prod\n')
    w('schemas/unused.proto', 'syntax = "proto3";\n')
    w('feeds/.DS_Store')
    w('feeds/tab\there.yaml', 'name: x\n')
    w('environments/nested/inside.txt')
    git(join(root, 'environments', 'nested'), 'init', '-q')
    symlinkSync('../README-elsewhere.md', join(root, 'feeds', 'link.md'))

    const findings = validateJson(root).findings
    const reported = new Set(findings.filter(f => f.rule === 'repo/unrecognised-file').map(f => f.file))

    // What git would stage under the three folders: tracked and untracked-not-ignored files, nested repositories left alone.
    const staged = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard', '--', 'feeds', 'schemas', 'environments'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\0')
      .filter(p => p && !p.endsWith('/'))
    const documents = new Set([
      'feeds/kalshi.yaml',
      'feeds/kraken.yaml',
      'feeds/polymarket.yaml',
      'schemas/orderbook.yaml',
      'schemas/trade.yaml',
      'environments/kalshi-dev.yaml',
      'environments/kalshi-prod.yaml',
      'environments/polymarket-dev.yaml',
    ])
    const inUse = new Set(['schemas/trade.capnp', 'schemas/trade-v2.capnp', 'schemas/orderbook.capnp'])
    const expected = staged.filter(p => !documents.has(p) && !inUse.has(p) && !p.endsWith('/.gitkeep'))
    expect([...reported].sort()).to.deep.equal(expected.sort())
    expect(expected).to.include.members(['feeds/important.bak', 'feeds/tracked.bak', 'feeds/tab\there.yaml', 'feeds/link.md', 'environments/old/prod.yaml'])
    expect(expected).not.to.include.members(['feeds/a.bak', 'feeds/scratch/x.yaml', 'environments/nested/inside.txt'])
    const tab = findings.find(f => f.file === 'feeds/tab\there.yaml')!
    expect(tab.message.startsWith('"feeds/tab\\there.yaml": ')).to.equal(true)
  })

  it('outside a git repository every file counts (nothing is ignored)', () => {
    const root = exampleRepo()
    writeFileSync(join(root, '.gitignore'), '*.bak\n')
    writeFileSync(join(root, 'feeds', 'x.bak'), 'x\n')
    const v = validateJson(root)
    expect(v.findings.map(f => `${f.file} ${f.rule}`)).to.deep.equal(['feeds/x.bak repo/unrecognised-file'])
  })

  it('env render checks the documents an environment is made of, not the rest of the repository', () => {
    const root = exampleRepo({ git: true })
    // kalshi-dev uses trade:v1: orderbook.capnp belongs to a schema it does not involve, and is in use all the same.
    const render = ssmdProcess(['env', 'render', 'kalshi-dev'], { cwd: root })
    expect(render.code, render.stderr).to.equal(0)
    expect(render.stdout).to.match(/^name: kalshi-dev$/m)
    // An unrecognised file is still refused by the commands that take the whole repository.
    writeFileSync(join(root, 'feeds/notes.txt'), 'notes\n')
    expect(validateJson(root).code).to.equal(1)
    expect(ssmdProcess(['env', 'render', 'kalshi-dev'], { cwd: root }).code).to.equal(0)
  })
})
