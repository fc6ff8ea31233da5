/**
 * ssmd's own files stay inside the repository and out of git: the built CLI as
 * a process over repositories whose `.ssmd` is a committed symlink (leading
 * outside, or into feeds/), a file, or has symlinked sub-folders; an empty or
 * altered `.ssmd/.gitignore`; and a file system that fills up during the first
 * cache write. What git ignores is asked of git itself (`git check-ignore`,
 * `git add -A`).
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { copyExample, exampleRepo, git, tempDir } from '../helpers/repo.js'

const T = 30000
const GITIGNORE = '# ssmd: local preferences and caches, never committed\n*\n'

/** Every path under `dir` (files and folders, '/'-separated, sorted), to prove nothing was created or removed. */
function tree(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      out.push(relative(dir, p) + (e.isDirectory() ? '/' : ''))
      if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return out.sort()
}

/** A git repository of the example whose committed `.ssmd` is a symlink to `target`. */
function repoWithSsmdLink(target: string): string {
  const root = exampleRepo()
  symlinkSync(target, join(root, '.ssmd'))
  git(root, 'init', '-q', '-b', 'main')
  git(root, 'add', '-A')
  git(root, 'commit', '-q', '-m', 'initial')
  expect(git(root, 'ls-files', '-s', '.ssmd')).to.match(/^120000 /)
  return root
}

const refusal = (root: string, name = '.ssmd') =>
  `Error: ${name} in ${root} is a symlink: ssmd keeps its cache, locks and temporary files in a real folder inside the repository and never writes through a link; remove the link (rm ${join(root, name)}) and run again\n`
const warning = (root: string, name = '.ssmd') =>
  `warning: ${name} in ${root} is a symlink: ssmd does not follow it, so this run goes without its validation cache and local preferences; remove it (rm ${join(root, name)})\n`

describe('writes stay inside the repository (built CLI)', function () {
  this.timeout(240000)

  it('a committed .ssmd symlink leading outside: write commands refuse with one line, read-only ones warn once and go on, nothing is created or deleted outside', () => {
    const outside = tempDir('ssmd-outside-')
    // What a cache clear through the link would delete.
    mkdirSync(join(outside, 'cache'))
    writeFileSync(join(outside, 'cache', 'precious.txt'), 'not ssmd\n')
    writeFileSync(join(outside, 'config.yaml'), 'output: json\n')
    const before = tree(outside)
    const root = repoWithSsmdLink(outside)
    const feed = readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8')

    for (const args of [
      ['feed', 'update', 'kalshi', '--display-name', 'Kalshi X'],
      ['feed', 'create', 'newfeed', '--type', 'websocket', '--endpoint', 'wss://example.com/ws'],
      ['feed', 'remove', 'kraken'],
      ['env', 'remove', 'kalshi-dev'],
      ['schema', 'remove', 'orderbook', '--force'],
      ['cache', 'clear'],
      ['init', '--no-git'],
    ]) {
      const r = ssmdProcess([...args, '-C', root], { timeout: T })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(1)
      expect(r.stderr, args.join(' ')).to.equal(refusal(root))
      expect(r.stdout, args.join(' ')).to.equal('')
      const j = ssmdProcess([...args, '--json', '-C', root], { timeout: T })
      expect(j.code, args.join(' ')).to.equal(1)
      expect(JSON.parse(j.stdout).error.code, args.join(' ')).to.equal('ssmd-dir')
    }
    expect(readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8')).to.equal(feed)
    expect(existsSync(join(root, 'feeds/kraken.yaml'))).to.equal(true)

    // Read-only: one warning line, the result as without the link (the JSON preference outside is not read).
    for (const args of [['validate'], ['feed', 'list'], ['schema', 'list']]) {
      const r = ssmdProcess([...args, '-C', root], { timeout: T })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
      expect(r.stderr, args.join(' ')).to.equal(warning(root))
      expect(r.stdout.startsWith('{'), args.join(' ')).to.equal(false)
    }
    const v = ssmdProcess(['validate', '--json', '-C', root], { timeout: T })
    expect(v.code, v.stderr).to.equal(0)
    expect(v.stderr).to.equal('')
    expect(JSON.parse(v.stdout).summary.errors).to.equal(0)

    // commit writes only to .git: it goes on, its validation without the cache.
    writeFileSync(join(root, 'feeds/kalshi.yaml'), feed.replace(/display_name: .*/, 'display_name: Kalshi Y'))
    const c = ssmdProcess(['commit', '-m', 'rename', '-C', root], {
      timeout: T,
      env: { GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.com', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.com' },
    })
    expect(c.code, c.stderr).to.equal(0)
    expect(c.stderr).to.equal(warning(root))
    expect(git(root, 'show', '--name-only', '--format=', 'HEAD')).to.equal('feeds/kalshi.yaml\n')

    expect(tree(outside)).to.deep.equal(before)
    expect(readFileSync(join(outside, 'cache', 'precious.txt'), 'utf8')).to.equal('not ssmd\n')
    expect(lstatSync(join(root, '.ssmd')).isSymbolicLink()).to.equal(true)
  })

  it('a .ssmd symlink into feeds/ (inside the repository) is refused too: no cache, lock or temporary file lands where a commit picks it up', () => {
    const root = repoWithSsmdLink('feeds')
    const feeds = tree(join(root, 'feeds'))
    const v = ssmdProcess(['validate', '-C', root], { timeout: T })
    expect(v.code, v.stderr).to.equal(0)
    expect(v.stderr).to.equal(warning(root))
    const u = ssmdProcess(['feed', 'update', 'kalshi', '--display-name', 'Kalshi X', '-C', root], { timeout: T })
    expect(u.code).to.equal(1)
    expect(u.stderr).to.equal(refusal(root))
    expect(tree(join(root, 'feeds'))).to.deep.equal(feeds)
    expect(git(root, 'status', '--porcelain', '--untracked-files=all')).to.equal('')
  })

  it('a symlinked .ssmd/locks, .ssmd/tmp or .ssmd/cache is refused by name; validate then runs without the cache', () => {
    for (const sub of ['locks', 'tmp', 'cache']) {
      const outside = tempDir('ssmd-outside-')
      const root = exampleRepo()
      mkdirSync(join(root, '.ssmd'))
      symlinkSync(outside, join(root, '.ssmd', sub))
      const name = `.ssmd/${sub}`
      const u = ssmdProcess(['feed', 'update', 'kalshi', '--display-name', 'Kalshi X', '-C', root], { timeout: T })
      if (sub === 'cache') {
        // An edit needs locks and temporary files, not the cache.
        expect(u.code, u.stderr).to.equal(0)
        const v = ssmdProcess(['validate', '-C', root], { timeout: T })
        expect(v.code, v.stderr).to.equal(0)
        expect(v.stderr).to.equal(warning(root, name))
        const clear = ssmdProcess(['cache', 'clear', '-C', root], { timeout: T })
        expect(clear.code).to.equal(1)
        expect(clear.stderr).to.equal(refusal(root, name))
      } else {
        expect(u.code, sub).to.equal(1)
        expect(u.stderr, sub).to.equal(refusal(root, name))
        // A read-only run does not need them: validate writes its cache as usual.
        const v = ssmdProcess(['validate', '-C', root], { timeout: T })
        expect(v.code, v.stderr).to.equal(0)
        expect(v.stderr, sub).to.equal('')
      }
      expect(readdirSync(outside), sub).to.deep.equal([])
    }
  })

  it('a .ssmd that is a file: writes refuse and say to move it away', () => {
    const root = exampleRepo()
    writeFileSync(join(root, '.ssmd'), 'mine\n')
    const u = ssmdProcess(['feed', 'update', 'kalshi', '--display-name', 'Kalshi X', '-C', root], { timeout: T })
    expect(u.code).to.equal(1)
    expect(u.stderr).to.equal(
      `Error: .ssmd in ${root} is a regular file, not a folder: ssmd keeps its cache, locks and temporary files in a real folder there; move it away (mv ${join(root, '.ssmd')} ${join(root, '.ssmd')}.old) and run again\n`,
    )
    expect(readFileSync(join(root, '.ssmd'), 'utf8')).to.equal('mine\n')
  })

  it('a symlinked schemas/ leading outside: register, add-version, remove and remove-version refuse with one line; nothing outside changes', () => {
    const root = exampleRepo()
    const elsewhere = join(tempDir('ssmd-outside-'), 'schemas')
    renameSync(join(root, 'schemas'), elsewhere)
    symlinkSync(elsewhere, join(root, 'schemas'))
    const before = tree(elsewhere).map(f => [f, f.endsWith('/') ? '' : readFileSync(join(elsewhere, f), 'utf8')])
    const defs = tempDir()
    writeFileSync(join(defs, 'x.capnp'), '@0xe1d2c3b4a5968778;\n\nstruct X {\n  a @0 :UInt8;\n}\n')
    for (const args of [
      ['schema', 'register', 'x', '--file', join(defs, 'x.capnp'), '--effective-from', '2025-01-01'],
      ['schema', 'add-version', 'orderbook', '--file', join(defs, 'x.capnp'), '--effective-from', '2099-01-01'],
      ['schema', 'remove', 'orderbook', '--force'],
      ['schema', 'remove-version', 'trade:v2', '--force'],
    ]) {
      const r = ssmdProcess([...args, '-C', root], { timeout: T })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(1)
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1)
      expect(r.stderr, args.join(' ')).to.match(/symlink leading outside the repository/)
    }
    expect(tree(elsewhere).map(f => [f, f.endsWith('/') ? '' : readFileSync(join(elsewhere, f), 'utf8')])).to.deep.equal(before)
  })

  it('init refuses a symlinked feeds/ leading outside before creating anything, there or in the folder', () => {
    const outside = tempDir('ssmd-outside-')
    const root = join(tempDir(), 'repo')
    mkdirSync(root)
    symlinkSync(outside, join(root, 'feeds'))
    const r = ssmdProcess(['init', '--no-git', '-C', root], { timeout: T })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal(
      'Error: cannot write feeds/.gitkeep: feeds/ is a symlink leading outside the repository; ssmd does not write through it (make it a real folder inside the repository)\n',
    )
    expect(readdirSync(outside)).to.deep.equal([])
    expect(readdirSync(root)).to.deep.equal(['feeds'])
  })

  it('.ssmd/.gitignore is written before anything else under .ssmd/, and an empty or altered one is repaired; git ignores the cache', () => {
    const root = exampleRepo({ git: true })
    // The first write of any kind creates it: an edit (locks, temporary files)...
    const u = ssmdProcess(['feed', 'update', 'kalshi', '--display-name', 'Kalshi X', '-C', root], { timeout: T })
    expect(u.code, u.stderr).to.equal(0)
    expect(readFileSync(join(root, '.ssmd', '.gitignore'), 'utf8')).to.equal(GITIGNORE)
    // ...and, the repository's own .gitignore saying nothing of .ssmd/, it is what keeps git away.
    expect(existsSync(join(root, '.gitignore'))).to.equal(false)
    for (const broken of ['', '# ssmd: local preferences and caches, ne', '!*\n']) {
      writeFileSync(join(root, '.ssmd', '.gitignore'), broken)
      const v = ssmdProcess(['validate', '-C', root], { timeout: T })
      expect(v.code, v.stderr).to.equal(0)
      expect(readFileSync(join(root, '.ssmd', '.gitignore'), 'utf8'), JSON.stringify(broken)).to.equal(GITIGNORE)
      expect(existsSync(join(root, '.ssmd', 'cache', 'documents.bin'))).to.equal(true)
      expect(spawnSync('git', ['check-ignore', '-q', '.ssmd/cache/documents.bin'], { cwd: root }).status, JSON.stringify(broken)).to.equal(0)
      git(root, 'add', '-A')
      expect(git(root, 'diff', '--cached', '--name-only')).to.equal('feeds/kalshi.yaml\n')
    }
    // A symlink in its place is replaced by the file (never written through).
    const outside = join(tempDir('ssmd-outside-'), 'target')
    writeFileSync(outside, 'outside\n')
    rmSync(join(root, '.ssmd', '.gitignore'))
    symlinkSync(outside, join(root, '.ssmd', '.gitignore'))
    expect(ssmdProcess(['validate', '-C', root], { timeout: T }).code).to.equal(0)
    expect(lstatSync(join(root, '.ssmd', '.gitignore')).isFile()).to.equal(true)
    expect(readFileSync(outside, 'utf8')).to.equal('outside\n')
  })

  it('a full file system during the first cache write: .ssmd/.gitignore is never left empty, and git never picks up the cache', function () {
    if (process.getuid?.() !== 0) {
      console.warn('      SKIPPED: mounting a small tmpfs needs root; the full-disk case was NOT tested')
      this.skip()
    }
    const mnt = tempDir('ssmd-tmpfs-')
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt])
    if (mounted.status !== 0) {
      console.warn(`      SKIPPED: could not mount a tmpfs (${String(mounted.stderr).trim()}); the full-disk case was NOT tested`)
      this.skip()
    }
    try {
      const root = join(mnt, 'repo')
      copyExample(root)
      git(root, 'init', '-q', '-b', 'main')
      const filler = join(mnt, 'filler')
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' })
      expect(spawnSync('sh', ['-c', `echo x > ${join(mnt, 'probe')}`]).status, 'the file system is full').to.not.equal(0)
      rmSync(join(mnt, 'probe'), { force: true })

      // Validation itself needs no space: its result is the same; the cache is skipped.
      const first = ssmdProcess(['validate', '-C', root], { timeout: T })
      expect(first.code, first.stderr).to.equal(0)
      expect(first.stdout).to.equal('0 errors, 0 warnings in 9 files\n')
      const ignore = join(root, '.ssmd', '.gitignore')
      if (existsSync(ignore)) expect(readFileSync(ignore, 'utf8')).to.equal(GITIGNORE)
      expect(existsSync(join(root, '.ssmd', 'cache', 'documents.bin'))).to.equal(false)

      // An edit cannot take its lock without the .gitignore: one line, nothing changed.
      const feed = readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8')
      const u = ssmdProcess(['feed', 'update', 'kalshi', '--display-name', 'Kalshi X', '-C', root], { timeout: T })
      expect(u.code).to.equal(1)
      expect(u.stderr).to.equal(
        `Error: cannot write .ssmd/.gitignore in ${root} (no space left on device); ssmd writes nothing under .ssmd/ without it, so that git never picks up its cache; free some space (or make the folder writable) and run again\n`,
      )
      expect(readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8')).to.equal(feed)

      rmSync(filler)
      const second = ssmdProcess(['validate', '-C', root], { timeout: T })
      expect(second.code, second.stderr).to.equal(0)
      expect(readFileSync(ignore, 'utf8')).to.equal(GITIGNORE)
      expect(existsSync(join(root, '.ssmd', 'cache', 'documents.bin'))).to.equal(true)
      git(root, 'add', '-A')
      const staged = git(root, 'diff', '--cached', '--name-only').split('\n').filter(Boolean)
      expect(staged.filter(f => f.startsWith('.ssmd/'))).to.deep.equal([])
      expect(staged).to.include('feeds/kalshi.yaml')
    } finally {
      spawnSync('umount', [mnt])
    }
  })
})
