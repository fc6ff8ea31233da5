import { expect } from 'chai'
import { lstatSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { IndexBlobIds, PathRows } from '../../src/lib/git/blob-ids.js'
import { copyExample, exampleRepo, git, tempDir } from '../helpers/repo.js'

const FEED = 'feeds/kalshi.yaml'

/** git's own blob id of the file as it is staged. */
const staged = (root: string, file: string) => git(root, 'rev-parse', `:${file}`).trim()
const idFor = (root: string, file: string) =>
  IndexBlobIds.open(root)
    ?.idFor(file, lstatSync(join(root, file)))
    ?.toString('hex')

describe("git's index as the key of a file's content (IndexBlobIds)", () => {
  it("gives the staged blob's id for a file whose stat data are the index's, and none once the file changes", () => {
    const root = exampleRepo({ git: true })
    expect(idFor(root, FEED)).to.equal(staged(root, FEED))
    writeFileSync(join(root, FEED), readFileSync(join(root, FEED), 'utf8') + '# edited\n')
    expect(idFor(root, FEED)).to.equal(undefined)
    git(root, 'add', FEED)
    expect(idFor(root, FEED)).to.equal(staged(root, FEED))
    // Untracked: not in the index.
    writeFileSync(join(root, 'feeds/new.yaml'), 'name: new\n')
    expect(idFor(root, 'feeds/new.yaml')).to.equal(undefined)
  })

  it('gives none for an entry that is racily clean (changed no earlier than the index was written)', () => {
    const root = exampleRepo({ git: true })
    const st = lstatSync(join(root, FEED))
    utimesSync(join(root, '.git/index'), st.mtime, new Date(Math.floor(st.mtimeMs) - 1000))
    expect(idFor(root, FEED)).to.equal(undefined)
  })

  it('gives none where git converts the content (core.autocrlf, text/eol attributes, a clean filter) or ignores the file (assume-unchanged, skip-worktree)', () => {
    const cases: Record<string, (root: string) => void> = {
      'core.autocrlf=input': root => git(root, 'config', 'core.autocrlf', 'input'),
      'core.autocrlf=true': root => git(root, 'config', 'core.autocrlf', 'true'),
      'text=auto': root => writeFileSync(join(root, '.gitattributes'), '* text=auto\n'),
      'eol=lf in info/attributes': root => writeFileSync(join(root, '.git/info/attributes'), '*.yaml eol=lf\n'),
      'a clean filter in feeds/.gitattributes': root => writeFileSync(join(root, 'feeds/.gitattributes'), 'kalshi.yaml filter=swap\n'),
      'ident and working-tree-encoding': root => writeFileSync(join(root, '.gitattributes'), '*.yaml ident working-tree-encoding=UTF-16\n'),
      'assume-unchanged': root => git(root, 'update-index', '--assume-unchanged', FEED),
      'skip-worktree': root => git(root, 'update-index', '--skip-worktree', FEED),
    }
    for (const [what, set] of Object.entries(cases)) {
      const root = exampleRepo({ git: true })
      expect(idFor(root, FEED), `before ${what}`).to.equal(staged(root, FEED))
      set(root)
      expect(idFor(root, FEED), what).to.equal(undefined)
    }
    // Attributes that convert nothing leave the id usable.
    const root = exampleRepo({ git: true })
    writeFileSync(join(root, '.gitattributes'), '*.yaml -text diff linguist-generated\n')
    expect(idFor(root, FEED)).to.equal(staged(root, FEED))
  })

  it('maps root-relative paths into a work tree that holds the root in a subfolder, and gives nothing outside a repository', () => {
    expect(IndexBlobIds.open(exampleRepo())).to.equal(undefined)
    const top = join(tempDir(), 'top')
    copyExample(join(top, 'market-data'))
    git(top, 'init', '-q')
    git(top, 'add', '-A')
    const root = join(top, 'market-data')
    expect(idFor(root, FEED)).to.equal(staged(top, `market-data/${FEED}`))
  })
})

describe('paths to rows without a string per path (PathRows)', () => {
  it('finds every path as a Map would, non-ASCII and long ones too, and nothing else', () => {
    const paths = ['feeds/a.yaml', 'feeds/ä.yaml', 'schemas/日本.capnp', 'x', '', `environments/${'n'.repeat(2000)}.yaml`]
    for (let i = 0; i < 3000; i++) paths.push(`environments/env-${i}.yaml`)
    const rows = new PathRows(paths)
    const map = new Map(paths.map((p, i) => [p, i]))
    for (const p of paths) expect(rows.get(p)).to.equal(map.get(p))
    for (const p of [
      'feeds/a.yam',
      'feeds/a.yaml ',
      'feeds/a.yamlx',
      'Feeds/a.yaml',
      'feeds/ä.yml',
      'environments/env-3000.yaml',
      `environments/${'n'.repeat(1999)}.yaml`,
      'feeds/a\u0000.yaml',
    ])
      expect(rows.get(p), p).to.equal(undefined)
  })

  it('gives the later row for a path listed twice, and nothing in an empty table', () => {
    expect(new PathRows(['a', 'b', 'a']).get('a')).to.equal(2)
    expect(new PathRows([]).get('a')).to.equal(undefined)
  })
})
