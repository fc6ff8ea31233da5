import { expect } from 'chai'
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { cli, expectNoCrashOutput, validateInProcess } from './helpers.js'

/** Every path under a folder, for "nothing was written" checks. */
function tree(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
  return out.sort()
}

const BAD_NAMES = [
  '../../x',
  '../x',
  'a/b',
  'a\\b',
  '.',
  '..',
  '.hidden',
  'x.yaml',
  'UPPER',
  'Kalshi',
  'ünïcode',
  'кириллица',
  'emoji🙂',
  'a'.repeat(64),
  '_leading',
  '/abs',
  'nul\u0001',
]

describe('names and paths from the command line', () => {
  let outer: string
  let root: string
  let before: string[]
  beforeEach(() => {
    outer = tempDir('ssmd-names-')
    root = join(outer, 'a', 'b', 'repo')
    mkdirSync(join(outer, 'a', 'b'), { recursive: true })
    const src = exampleRepo()
    mkdirSync(root)
    for (const f of ['feeds', 'schemas', 'environments']) mkdirSync(join(root, f))
    for (const f of readdirSync(join(src, 'feeds'))) writeFileSync(join(root, 'feeds', f), '')
    before = tree(outer)
  })

  it('feed create refuses every bad name with exit 2 and one line, writing nothing anywhere', async () => {
    for (const name of BAD_NAMES) {
      const r = await ssmd(['feed', 'create', name, '--type', 'rest', '--endpoint', 'https://x.example', '-C', root])
      expect(r.code, `${JSON.stringify(name)}: ${r.stderr}`).to.equal(2)
      expect(r.stderr.trim().split('\n'), JSON.stringify(name)).to.have.length(1)
      expectNoCrashOutput(r, name)
    }
    for (const name of ['', ' ', 'a b', 'a\nb', '-leading', '../../x']) {
      const r = cli(['feed', 'create', name, '--type', 'rest', '--endpoint', 'https://x.example', '-C', root])
      expect(r.code, `${JSON.stringify(name)}: ${r.stderr}`).to.equal(2)
      expect(r.stderr.trim().split('\n'), JSON.stringify(name)).to.have.length(1)
    }
    expect(tree(outer)).to.deep.equal(before)
  })

  it('the longest valid name (63 characters) is accepted; 64 is not', async () => {
    const ok = await ssmd(['feed', 'create', 'a'.repeat(63), '--type', 'rest', '--endpoint', 'https://x.example', '-C', root])
    expect(ok.code, ok.stderr).to.equal(0)
    const bad = await ssmd(['feed', 'create', 'a'.repeat(64), '--type', 'rest', '--endpoint', 'https://x.example', '-C', root])
    expect(bad.code).to.equal(2)
  })

  it('env create, env add-key, feed add-location and show commands refuse bad names too (exit 2)', async () => {
    for (const name of ['../../x', 'a/b', 'UPPER', 'ü', 'a'.repeat(64)]) {
      for (const args of [
        ['env', 'create', name, '--feed', 'kalshi', '--schema', 'trade:v1'],
        ['env', 'add-key', 'kalshi-dev', name, '--type', 'api_key', '--fields', 'a', '--source', 'env'],
        ['feed', 'add-location', 'kalshi', '--datacenter', name],
        ['feed', 'show', name],
        ['env', 'show', name],
        ['key', 'list', name],
      ]) {
        const r = await ssmd([...args, '-C', root])
        expectNoCrashOutput(r, args.join(' '))
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2)
        expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1)
      }
    }
    expect(tree(outer)).to.deep.equal(before)
  })

  it('-C pointing at a file or a missing folder is a usage error (exit 2), one line', () => {
    const file = join(root, 'feeds', 'kalshi.yaml')
    for (const dir of [file, join(root, 'nope')]) {
      const r = cli(['feed', 'list', '-C', dir])
      expectNoCrashOutput(r, dir)
      expect(r.code, `${dir}: ${r.stderr}`).to.equal(2)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
    }
    const w = cli(['feed', 'create', 'x', '--type', 'rest', '--endpoint', 'https://x.example', '-C', file])
    expect(w.code).to.equal(2)
    expect(w.stderr).to.match(/is a file/)
    expect(tree(outer)).to.deep.equal(before)
  })
})

describe('schema_file pointing outside the repository', () => {
  const outside = () => {
    const dir = tempDir('ssmd-outside-')
    writeFileSync(join(dir, 'secret.capnp'), '@0xdbb9ad1f14bf0b36;\nstruct S { a @0 :Text; }\n')
    return dir
  }
  const schemaDoc = (ref: string) =>
    `name: x\nformat: capnp\nschema_file: ${JSON.stringify(ref)}\nversions:\n  - version: v1\n    effective_from: 2025-01-01\n    status: active\n    hash: sha256:${'0'.repeat(64)}\n`

  for (const [label, ref] of [
    ['absolute', '/etc/passwd'],
    ['dot-dot', '../../../../etc/passwd'],
    ['dot-dot inside', 'a/../../x.capnp'],
    ['windows absolute', 'C:\\x.capnp'],
  ] as const) {
    it(`${label}: schema/path-escape, and the outside file is never read (no hash of it)`, async () => {
      const root = exampleRepo()
      writeFileSync(join(root, 'schemas', 'x.yaml'), schemaDoc(ref))
      const findings = (await validateInProcess(root)).filter(f => f.file === 'schemas/x.yaml')
      expect(
        findings.some(f => f.rule === 'schema/path-escape' && f.line === 3),
        JSON.stringify(findings),
      ).to.equal(true)
      expect(findings.some(f => f.rule === 'schema/hash-mismatch')).to.equal(false)
    })
  }

  it('a symlink leaving the repository (file and folder): schema/path-escape, and schema show does not print the outside content', async () => {
    const root = exampleRepo()
    const out = outside()
    symlinkSync(join(out, 'secret.capnp'), join(root, 'schemas', 'link.capnp'))
    symlinkSync(out, join(root, 'schemas', 'linkdir'))
    writeFileSync(join(root, 'schemas', 'x.yaml'), schemaDoc('link.capnp'))
    writeFileSync(join(root, 'schemas', 'y.yaml'), schemaDoc('linkdir/secret.capnp').replace('name: x', 'name: y'))
    const findings = await validateInProcess(root)
    for (const f of ['schemas/x.yaml', 'schemas/y.yaml']) {
      expect(
        findings.some(x => x.file === f && x.rule === 'schema/path-escape'),
        `${f}: ${JSON.stringify(findings.filter(x => x.file === f))}`,
      ).to.equal(true)
      expect(
        findings.some(x => x.file === f && x.rule === 'schema/hash-mismatch'),
        f,
      ).to.equal(false)
    }
    const show = await ssmd(['schema', 'show', 'x', '--structure', '-C', root])
    expectNoCrashOutput(show)
    expect(show.code).to.equal(1)
    expect(show.stdout + show.stderr).not.to.match(/struct S/)
  })
})
