import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GitIndex, GitLock, type IndexEntry } from '../../src/lib/git/index-file.js'
import { rng } from '../helpers/random.js'
import { git, tempDir } from '../helpers/repo.js'

/**
 * An index read with `keep` holds the entries outside those paths as runs of
 * bytes. Whatever is done to it must give exactly what the same steps give on
 * the index read whole.
 */
describe('lib/git index entries kept as bytes', () => {
  // Names on both sides of each ssmd path in git's order ('-' and '.' sort before '/', '0' after it).
  const NAMES = [
    'a.txt',
    'environments-old/x',
    'environments.txt',
    'f',
    'feeds-old/x.yaml',
    'feeds.txt',
    'feeds/a.yaml',
    'feeds/b/c.yaml',
    'feeds0',
    'feedsx/a',
    'schemas.bak',
    'schemas/a.capnp',
    'schemas/a.yaml',
    'src/m.ts',
    'ssmd.yaml',
    'ssmd.yaml.bak',
    'ssmd/x',
    'z/é.txt',
  ]
  const KEEP = ['feeds', 'schemas', 'environments', 'ssmd.yaml']
  const NEW_PATHS = ['environments/e.yaml', 'feeds/0.yaml', 'feeds/a.yaml', 'feeds/zz.yaml', 'schemas/a.capnp', 'schemas/b/c.yaml', 'ssmd.yaml', 'feeds', 'environments']

  function repoIndex(names: string[], version: string): Buffer {
    const dir = tempDir()
    git(dir, 'init', '-q')
    for (const name of names) {
      mkdirSync(join(dir, name, '..'), { recursive: true })
      writeFileSync(join(dir, name), name)
    }
    git(dir, 'add', '-A')
    // An intent-to-add entry has extended flags (the index becomes version 3).
    writeFileSync(join(dir, 'i-t-a.txt'), 'later')
    git(dir, 'add', '-N', 'i-t-a.txt')
    if (version !== '3') git(dir, 'update-index', '--index-version', version)
    return readFileSync(join(dir, '.git', 'index'))
  }

  const listed = (entries: IndexEntry[]) => entries.map(e => `${e.path} ${e.oid} ${e.flags} ${e.extended}`)

  it('reads, updates, finds racy entries and writes back exactly as the whole index does (2,000 random sequences)', () => {
    let sequences = 0
    for (const version of ['2', '3']) {
      const subsets = [NAMES, NAMES.filter(n => !n.startsWith('feeds/')), NAMES.filter(n => !/^(feeds|schemas)\//.test(n)), NAMES.filter((_, i) => i % 2 === 0)]
      for (const names of subsets) {
        const raw = repoIndex(names, version)
        for (let seed = 1; seed <= 250; seed++) {
          const next = rng(seed)
          const whole = GitIndex.parse(raw)
          const kept = GitIndex.parse(raw, 0n, undefined, KEEP)
          expect(listed(kept.under(KEEP)), `v${version} seed ${seed}`).to.deep.equal(listed(whole.under(KEEP)))
          const template = whole.entries[0]
          for (let step = Math.floor(next() * 4); step > 0; step--) {
            const changes = new Map<string, IndexEntry | null>()
            for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
              // Now and then a path outside the kept ones: the runs must become entries first.
              const path = next() < 0.1 ? NAMES[Math.floor(next() * NAMES.length)] : NEW_PATHS[Math.floor(next() * NEW_PATHS.length)]
              const stat = Buffer.from(template.stat)
              stat.writeUInt32BE(Math.floor(next() * 1000), 8)
              changes.set(path, next() < 0.3 ? null : { path, stat, oid: template.oid, flags: 0, extended: 0 })
            }
            whole.update(new Map(changes))
            kept.update(new Map(changes))
            // Now and then exactly the second of a file's mtime (or the one after): where the racy rule's `>=` matters.
            const some = whole.entries[Math.floor(next() * whole.entries.length)]
            const sec = next() < 0.5 ? some.stat.readUInt32BE(8) + Math.floor(next() * 2) : Math.floor(next() * 1000)
            expect(listed(kept.modifiedSince(sec)), `v${version} seed ${seed} since ${sec}`).to.deep.equal(listed(whole.entries.filter(e => e.stat.readUInt32BE(8) >= sec)))
          }
          expect(kept.size, `v${version} seed ${seed}`).to.equal(whole.entries.length)
          expect(kept.serialize().equals(whole.serialize()), `v${version} seed ${seed}`).to.equal(true)
          expect(listed(kept.entries)).to.deep.equal(listed(whole.entries))
          sequences++
        }
      }
    }
    expect(sequences).to.equal(2000)
  })

  it('inserts the first feed of a repository where git puts it, between runs around it', () => {
    const raw = repoIndex(['feeds-old/x.yaml', 'feeds.txt', 'feeds0', 'feedsx/a', 'src/m.ts'], '2')
    const kept = GitIndex.parse(raw, 0n, undefined, KEEP)
    const whole = GitIndex.parse(raw)
    const entry: IndexEntry = { path: 'feeds/new.yaml', stat: Buffer.from(whole.entries[0].stat), oid: whole.entries[0].oid, flags: 0, extended: 0 }
    kept.update(new Map([['feeds/new.yaml', { ...entry }]]))
    whole.update(new Map([['feeds/new.yaml', { ...entry }]]))
    expect(kept.entries.map(e => e.path)).to.deep.equal(['feeds-old/x.yaml', 'feeds.txt', 'feeds/new.yaml', 'feeds0', 'feedsx/a', 'i-t-a.txt', 'src/m.ts'])
    expect(kept.serialize().equals(whole.serialize())).to.equal(true)
  })

  it('keeps version 4 indexes as entries (their paths depend on the entry before)', () => {
    const raw = repoIndex(NAMES, '4')
    const kept = GitIndex.parse(raw, 0n, undefined, KEEP)
    expect(kept.serialize().equals(raw)).to.equal(true)
    expect(listed(kept.under(KEEP))).to.deep.equal(listed(GitIndex.parse(raw).under(KEEP)))
  })
})

describe('lib/git lock writes', () => {
  it('writes an index given as pieces exactly: more pieces than one writev takes (IOV_MAX 1,024), and empty ones', () => {
    const dir = tempDir()
    const file = join(dir, 'index')
    const next = rng(3)
    const pieces = Array.from({ length: 3000 }, (_, i) => Buffer.alloc(Math.floor(next() * 40), i % 251))
    const lock = GitLock.acquire(file)
    lock.commit(pieces)
    expect(readFileSync(file).equals(Buffer.concat(pieces))).to.equal(true)
    expect(existsSync(`${file}.lock`)).to.equal(false)
  })
})
