import { expect } from 'chai'
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheTreeIds } from '../../src/lib/git/cache-tree.js'
import { GitIndex } from '../../src/lib/git/index-file.js'
import { openRepository } from '../../src/lib/git/repo.js'
import { ssmdStatus } from '../../src/lib/git/status.js'
import { git, tempDir } from '../helpers/repo.js'

const FILES = ['feeds/a.yaml', 'feeds/b.yaml', 'feeds/sub/c.yaml', 'schemas/s.yaml', 'environments/e.yaml', 'ssmd.yaml', 'src/m.ts', 'docs/x/y.md']

/** A committed repository with folders inside and outside the ssmd paths. */
function repository(): string {
  const dir = tempDir()
  for (const f of FILES) {
    mkdirSync(join(dir, f, '..'), { recursive: true })
    writeFileSync(join(dir, f), `${f}\n`)
  }
  git(dir, 'init', '-q')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'files')
  return dir
}

const treeData = (dir: string) => GitIndex.read(join(dir, '.git', 'index')).extensions.find(x => x.signature === 'TREE')?.data

/** What ssmdStatus says, in a form to compare; with `withoutTree`, read from a copy of the index without its cache tree. */
async function status(dir: string, withoutTree: boolean): Promise<unknown> {
  let env: NodeJS.ProcessEnv = {}
  if (withoutTree) {
    const index = GitIndex.read(join(dir, '.git', 'index'))
    index.extensions = index.extensions.filter(x => x.signature !== 'TREE')
    writeFileSync(join(dir, '.git', 'index-without-tree'), index.serialize())
    env = { GIT_INDEX_FILE: '.git/index-without-tree' }
  }
  const s = await ssmdStatus(openRepository(dir, { env }))
  return {
    changes: s.changes.map(c => ({ kind: c.kind, path: c.path, head: c.head && { oid: c.head.oid, mode: c.head.mode }, work: c.work && { oid: c.work.oid, mode: c.work.mode } })),
    fixes: s.indexFixes.map(f => ({ path: f.gitPath, entry: f.entry && { oid: f.entry.oid, mode: f.entry.mode } })),
    unmerged: s.unmerged,
  }
}

describe("lib/git cache tree (the index's TREE extension)", () => {
  it('gives the tree id of every valid folder, as git has them, and none of a folder changed since', () => {
    const dir = repository()
    const ids = cacheTreeIds(treeData(dir)!)!
    const folders = ['', 'feeds', 'feeds/sub', 'schemas', 'environments', 'src', 'docs', 'docs/x']
    expect([...ids.keys()].sort()).to.deep.equal([...folders].sort())
    for (const f of folders) expect(ids.get(f), f).to.equal(git(dir, 'rev-parse', `HEAD:${f}`).trim())
    appendFileSync(join(dir, 'feeds/sub/c.yaml'), 'changed\n')
    git(dir, 'add', 'feeds/sub/c.yaml')
    const after = cacheTreeIds(treeData(dir)!)!
    expect([...after.keys()].sort()).to.deep.equal(['docs', 'docs/x', 'environments', 'schemas', 'src'])
  })

  it('reads nothing from data that does not parse', () => {
    const data = treeData(repository())!
    for (const bad of [Buffer.from('x'), data.subarray(0, data.length - 1), Buffer.concat([data, Buffer.from('\0')]), Buffer.from('\0-2 0\n')])
      expect(cacheTreeIds(bad)).to.equal(undefined)
  })

  it('gives ssmd the same status whether it trusts the cache tree or reads HEAD', async () => {
    const cases: Record<string, (dir: string) => void> = {
      'files changed in the work tree only': dir => {
        appendFileSync(join(dir, 'feeds/a.yaml'), 'changed\n')
        rmSync(join(dir, 'feeds/b.yaml'))
        writeFileSync(join(dir, 'feeds/new.yaml'), 'new\n')
        writeFileSync(join(dir, 'feeds/sub/c.yaml'), 'other\n')
      },
      'a change staged and written as a tree (the cache tree holds a tree HEAD does not)': dir => {
        appendFileSync(join(dir, 'feeds/a.yaml'), 'staged\n')
        git(dir, 'add', 'feeds/a.yaml')
        git(dir, 'write-tree')
      },
      'a change staged, then undone in the work tree': dir => {
        appendFileSync(join(dir, 'feeds/a.yaml'), 'staged\n')
        git(dir, 'add', 'feeds/a.yaml')
        git(dir, 'write-tree')
        writeFileSync(join(dir, 'feeds/a.yaml'), 'feeds/a.yaml\n')
      },
      'an intent-to-add entry': dir => {
        writeFileSync(join(dir, 'feeds/later.yaml'), 'later\n')
        git(dir, 'add', '-N', 'feeds/later.yaml')
        git(dir, 'write-tree')
      },
      'a file removed from the index only': dir => {
        git(dir, 'rm', '-q', '--cached', 'feeds/b.yaml')
        git(dir, 'write-tree')
      },
    }
    for (const [name, change] of Object.entries(cases)) {
      const dir = repository()
      change(dir)
      expect(treeData(dir), name).to.not.equal(undefined)
      expect(await status(dir, false), name).to.deep.equal(await status(dir, true))
    }
  })
})
