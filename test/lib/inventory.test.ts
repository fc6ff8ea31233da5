import { expect } from 'chai'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { keepMatcher } from '../../src/lib/git/keep.js'
import { documentName, listOtherFiles } from '../../src/lib/workspace/inventory.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { fsCalls } from '../helpers/fs-calls.js'
import { tempDir } from '../helpers/repo.js'

describe('files under the ssmd folders that are not documents', () => {
  it('documentName: .yaml and .yml in lower case, never hidden, never with a control character', () => {
    expect(documentName('kalshi.yaml')).to.equal('kalshi')
    expect(documentName('kalshi.yml')).to.equal('kalshi')
    for (const name of ['.kalshi.yaml', 'KALSHI.YAML', 'kalshi.Yml', 'kalshi.yaml.bak', 'notes.txt', 'leak\n.yaml', 'cr\r.yaml', 'esc\u001b.yaml', 'bidi\u202e.yaml']) {
      expect(documentName(name), JSON.stringify(name)).to.equal(undefined)
    }
  })

  it('listOtherFiles: every file and link at any depth but documents, with why, git files marked, left-out paths and nested repositories skipped', () => {
    const root = tempDir()
    const w = (rel: string) => {
      mkdirSync(join(root, rel, '..'), { recursive: true })
      writeFileSync(join(root, rel), 'x')
    }
    for (const rel of [
      'feeds/kalshi.yaml',
      'feeds/.gitkeep',
      'feeds/.hidden.yaml',
      'feeds/UPPER.YAML',
      'feeds/sub/x.yaml',
      'feeds/a.bak',
      'feeds/cr\r.yaml',
      'schemas/t.capnp',
      'environments/skip/x.txt',
      'environments/nested/.git/HEAD',
      'environments/nested/y.txt',
    ])
      w(rel)
    symlinkSync('/etc/passwd', join(root, 'feeds', 'link.txt'))
    const files = listOtherFiles(root, (p, isDir) => (isDir ? p === 'environments/skip' : p === 'feeds/a.bak'))
    expect(files.map(f => [f.path, f.why, f.git, f.symlink])).to.deep.equal([
      ['feeds/.gitkeep', 'hidden', true, false],
      ['feeds/.hidden.yaml', 'hidden', false, false],
      ['feeds/UPPER.YAML', 'case', false, false],
      ['feeds/cr\r.yaml', 'control', false, false],
      ['feeds/link.txt', 'extension', false, true],
      ['feeds/sub/x.yaml', 'subfolder', false, false],
      ['schemas/t.capnp', 'extension', false, false],
    ])
  })

  it('keepMatcher: .gitignore-style patterns (name anywhere, anchored with a slash, **, classes, folders)', () => {
    const cases: Array<[string[], string, boolean]> = [
      [['README.md'], 'feeds/README.md', true],
      [['README.md'], 'schemas/sub/README.md', true],
      [['README.md'], 'feeds/README.md.bak', false],
      [['*.md'], 'environments/notes.md', true],
      [['*.md'], 'feeds/notes.txt', false],
      [['feeds/*.md'], 'feeds/a.md', true],
      [['feeds/*.md'], 'feeds/sub/a.md', false],
      [['/feeds/*.md'], 'feeds/a.md', true],
      [['feeds/**/*.md'], 'feeds/sub/deep/a.md', true],
      [['schemas/drafts/'], 'schemas/drafts/x.capnp', true],
      [['schemas/drafts/'], 'schemas/x.capnp', false],
      [['drafts/'], 'schemas/a/drafts/x.capnp', true],
      [['drafts/'], 'schemas/drafts', false],
      [['[[:upper:]]*.txt'], 'feeds/Notes.txt', true],
      [['[[:upper:]]*.txt'], 'feeds/notes.txt', false],
      [['a[!x]b.md'], 'feeds/ayb.md', true],
      [['a[!x]b.md'], 'feeds/axb.md', false],
      [[''], 'feeds/a', false],
    ]
    for (const [patterns, path, expected] of cases) expect(keepMatcher(patterns)(path), `${patterns.join(',')} ~ ${path}`).to.equal(expected)
  })

  it('a workspace that listed its folders for the documents does not list them again for the other files', async () => {
    const root = tempDir()
    mkdirSync(join(root, 'feeds', 'sub'), { recursive: true })
    mkdirSync(join(root, 'schemas'))
    writeFileSync(join(root, 'feeds', 'a.yaml'), 'name: a\n')
    writeFileSync(join(root, 'feeds', 'notes.txt'), 'x\n')
    writeFileSync(join(root, 'feeds', 'sub', 'b.yaml'), 'name: b\n')
    writeFileSync(join(root, 'schemas', 't.capnp'), '@0xbf5147cbbecf40c1;\n')
    symlinkSync('t.capnp', join(root, 'schemas', 'link.capnp'))
    const ws = new Workspace(root)
    expect(ws.feeds.map(d => d.file)).to.deep.equal(['feeds/a.yaml'])
    expect(ws.schemas).to.deep.equal([])
    const { result: others, paths: listed } = await fsCalls('readdirSync', () => ws.otherFiles)
    expect(others).to.deep.equal(listOtherFiles(root))
    expect(others.map(f => f.path)).to.deep.equal(['feeds/notes.txt', 'feeds/sub/b.yaml', 'schemas/link.capnp', 'schemas/t.capnp'])
    // feeds/ and schemas/ were listed already; environments/ (missing) and the subfolder are read here.
    expect(listed.map(p => relative(root, p))).to.deep.equal(['feeds/sub', 'environments'])
  })
})
