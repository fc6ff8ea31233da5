import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashObject } from '../../src/lib/git/loose.js'
import { parseTree, rewriteTree, treeContent, type TreeEntry } from '../../src/lib/git/objects.js'
import { rng } from '../helpers/random.js'
import { git, tempDir } from '../helpers/repo.js'

/** `git ls-tree` of a tree object, as entries. */
function lsTree(dir: string, tree: string): TreeEntry[] {
  return git(dir, 'ls-tree', '-z', tree)
    .split('\0')
    .filter(Boolean)
    .map(line => {
      const [meta, name] = line.split('\t')
      const [mode, , oid] = meta.split(' ')
      return { mode, name, oid }
    })
}

/** The raw content of a tree object, as git stores it. */
function catTree(dir: string, tree: string): Buffer {
  return execFileSync('git', ['cat-file', 'tree', tree], { cwd: dir })
}

describe('lib/git trees', () => {
  it('parses the trees git writes: files, executables, links, folders, gitlinks and names outside ASCII', () => {
    const dir = tempDir()
    git(dir, 'init', '-q', '-b', 'main')
    writeFileSync(join(dir, 'a.yaml'), 'a\n')
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
    symlinkSync('a.yaml', join(dir, 'link'))
    mkdirSync(join(dir, 'a'))
    writeFileSync(join(dir, 'a', 'x'), 'x\n')
    writeFileSync(join(dir, 'a-b'), 'ab\n')
    writeFileSync(join(dir, 'a0'), 'a0\n')
    writeFileSync(join(dir, 'café.yaml'), 'c\n')
    writeFileSync(join(dir, '日本.yaml'), 'j\n')
    git(dir, 'add', '-A')
    git(dir, 'update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},sub`)
    const tree = git(dir, 'write-tree').trim()
    const parsed = parseTree(catTree(dir, tree))
    expect(parsed.map(({ mode, name, oid }) => ({ mode, name, oid }))).to.deep.equal(lsTree(dir, tree))
    expect(parsed.map(e => e.name)).to.include.members(['café.yaml', '日本.yaml', 'sub', 'a'])
    // What git reads is what ssmd writes back.
    expect(treeContent(parsed).equals(catTree(dir, tree))).to.equal(true)
  })

  it('refuses a tree object cut short, in one line naming git fsck', () => {
    const dir = tempDir()
    git(dir, 'init', '-q', '-b', 'main')
    writeFileSync(join(dir, 'f'), 'f\n')
    git(dir, 'add', '-A')
    const raw = catTree(dir, git(dir, 'write-tree').trim())
    expect(() => parseTree(raw.subarray(0, raw.length - 5))).to.throw(/tree object is damaged.*git fsck/)
  })

  it("reads modes as git reads them (canon_mode) and rewrites such a tree in git's spelling, not byte for byte", () => {
    const oid = 'ab'.repeat(20)
    const entry = (mode: string, name: string) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')])
    const odd = Buffer.concat([entry('040000', 'docs'), entry('100664', 'notes'), entry('100775', 'run'), entry('120000', 'z')])
    const parsed = parseTree(odd)
    expect(parsed.map(e => e.mode)).to.deep.equal(['040000', '100644', '100755', '120000'])
    const rewritten = rewriteTree(parsed, new Map([['new', { name: 'new', mode: '100644', oid }]]))!
    const canonical = Buffer.concat([entry('40000', 'docs'), entry('100644', 'new'), entry('100644', 'notes'), entry('100755', 'run'), entry('120000', 'z')])
    expect(rewritten.toString('hex')).to.equal(canonical.toString('hex'))
  })

  it('copies a name that is not UTF-8 as its bytes when it rewrites the tree around it', () => {
    const oid = 'cd'.repeat(20)
    const entry = (name: Buffer, mode = '100644') => Buffer.concat([Buffer.from(`${mode} `), name, Buffer.from([0]), Buffer.from(oid, 'hex')])
    const latin1 = Buffer.from('caf\xe9', 'latin1')
    const base = Buffer.concat([entry(Buffer.from('a')), entry(latin1), entry(Buffer.from('feeds'), '40000')])
    const parsed = parseTree(base)
    // The name as JavaScript sees it is lossy; the bytes written back are not.
    expect(parsed[1].name).to.equal('caf\ufffd')
    const rewritten = rewriteTree(
      parsed,
      new Map([
        ['b', { name: 'b', mode: '100644', oid }],
        ['é', { name: 'é', mode: '100644', oid }],
      ]),
    )!
    // Byte order: 'a' < 'b' < 'caf\xe9' < 'feeds/' < 'é' (0xc3 0xa9).
    const expected = Buffer.concat([entry(Buffer.from('a')), entry(Buffer.from('b')), entry(latin1), entry(Buffer.from('feeds'), '40000'), entry(Buffer.from('é'))])
    expect(rewritten.toString('hex')).to.equal(expected.toString('hex'))
  })

  it('keeps names that are not UTF-8 apart, and as their bytes, when it rebuilds a tree git would not have written', () => {
    const oid = 'ef'.repeat(20)
    const entry = (name: Buffer, mode = '100644') => Buffer.concat([Buffer.from(`${mode} `), name, Buffer.from([0]), Buffer.from(oid, 'hex')])
    // Two names that both read as 'caf\ufffd', in a tree whose `100664` git would spell otherwise: rebuilt, not copied.
    const [e9, ff] = [Buffer.from('caf\xe9', 'latin1'), Buffer.from('caf\xff', 'latin1')]
    const parsed = parseTree(Buffer.concat([entry(Buffer.from('a'), '100664'), entry(e9), entry(ff)]))
    expect(parsed[1].name).to.equal(parsed[2].name)
    const rewritten = rewriteTree(parsed, new Map([['b', { name: 'b', mode: '100644', oid }]]))!
    const expected = Buffer.concat([entry(Buffer.from('a')), entry(Buffer.from('b')), entry(e9), entry(ff)])
    expect(rewritten.toString('hex')).to.equal(expected.toString('hex'))
  })

  describe('rewriteTree', () => {
    // Names that sort around the `/` git puts after a folder's name ('.' < '/' < '0'), and some outside ASCII.
    const NAMES = ['a', 'a.b', 'a-b', 'a0', 'a/', 'b', 'ab', 'feed-1.yaml', 'feed-10.yaml', 'feed-2.yaml', 'Z', 'z', 'é', 'ü.yaml', '0']
      .filter(n => !n.includes('/'))
      .concat(Array.from({ length: 40 }, (_, i) => `feed-${String(i).padStart(5, '0')}.yaml`))
    const MODES = ['100644', '100755', '120000', '040000', '160000']
    const oid = (next: () => number) => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join('')
    const randomEntry = (next: () => number, name: string): TreeEntry => ({ name, mode: MODES[Math.floor(next() * MODES.length)], oid: oid(next) })

    it('gives the bytes treeContent gives for the changed list, on 3,000 random trees and edits', () => {
      let patched = 0
      for (let seed = 1; seed <= 3000; seed++) {
        const next = rng(seed)
        const ascii = next() < 0.8
        const pool = NAMES.filter(n => !ascii || /^[\x20-\x7e]+$/.test(n))
        const names = pool.filter(() => next() < 0.5)
        const base = parseTree(treeContent(names.map(n => randomEntry(next, n))))
        const changes = new Map<string, TreeEntry | null>()
        for (let k = Math.floor(next() * 6); k > 0; k--) {
          const name = pool[Math.floor(next() * pool.length)]
          changes.set(name, next() < 0.35 ? null : randomEntry(next, name))
        }
        const expected = new Map(base.map(e => [e.name, e]))
        for (const [name, e] of changes) {
          if (e) expected.set(name, e)
          else expected.delete(name)
        }
        const got = rewriteTree(base, changes)
        if (expected.size === 0) {
          expect(got, `seed ${seed}`).to.equal(undefined)
          continue
        }
        expect(got?.toString('hex'), `seed ${seed}`).to.equal(treeContent([...expected.values()]).toString('hex'))
        if (ascii) patched++
      }
      // Most cases went through the copying path, not the fallback.
      expect(patched).to.be.greaterThan(2000)
    })

    it('writes the tree git writes for the same entries (git mktree)', () => {
      const dir = tempDir()
      git(dir, 'init', '-q', '-b', 'main')
      const next = rng(7)
      const blob = (text: string) => execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: text }).toString().trim()
      const base: TreeEntry[] = []
      for (let i = 0; i < 200; i++) base.push({ name: `feed-${String(i).padStart(5, '0')}.yaml`, mode: '100644', oid: blob(`feed ${i}\n`) })
      const parsed = parseTree(treeContent(base))
      const changes = new Map<string, TreeEntry | null>([
        ['feed-00003.yaml', null],
        ['feed-00100.yaml', { name: 'feed-00100.yaml', mode: '100755', oid: blob('changed\n') }],
        ['feed-00150.yaml-new', { name: 'feed-00150.yaml-new', mode: '100644', oid: blob('new\n') }],
        ['aaa', { name: 'aaa', mode: '100644', oid: blob(`first ${next()}\n`) }],
        ['zzz', { name: 'zzz', mode: '100644', oid: blob('last\n') }],
      ])
      const content = rewriteTree(parsed, changes)!
      const expected = new Map(parsed.map(e => [e.name, e]))
      for (const [name, e] of changes) {
        if (e) expected.set(name, e)
        else expected.delete(name)
      }
      const listing = [...expected.values()].map(e => `${e.mode} blob ${e.oid}\t${e.name}`).join('\n') + '\n'
      const fromGit = execFileSync('git', ['mktree'], { cwd: dir, input: listing }).toString().trim()
      expect(hashObject('tree', content)).to.equal(fromGit)
    })
  })
})
