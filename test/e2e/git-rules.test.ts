/**
 * git's own rules, cross-checked with the git CLI on real repositories and
 * run through the built CLI: ignore patterns (one wildmatch for ignore,
 * attributes and config conditions), hunk headers with git's function
 * context, racily clean index entries, GIT_DIR / GIT_WORK_TREE /
 * GIT_INDEX_FILE, and a concurrent repack during a commit.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { appendFileSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { GitIndex } from '../../src/lib/git/index-file.js'
import { statBlock } from '../../src/lib/git/status.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { gitIn, gitTry, isolatedGitEnv, type Env } from '../helpers/git.js'

function write(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), content)
}

/** The example repository, committed, with git isolated from the user's configuration. */
function committedRepo(env: Env): string {
  const root = exampleRepo()
  gitIn(root, env, 'init', '-q', '-b', 'main')
  gitIn(root, env, 'add', '-A')
  gitIn(root, env, 'commit', '-q', '-m', 'initial')
  return root
}

function twin(top: string): string {
  const copy = join(tempDir(), 'twin')
  execFileSync('cp', ['-a', top, copy])
  return copy
}

/** Untracked files git would add under `feeds/` (`git status -uall`, NUL-separated so any name survives). */
function gitUntracked(root: string, env: Env): string[] {
  return gitIn(root, env, 'status', '--porcelain', '-z', '-uall', '--', 'feeds')
    .split('\0')
    .filter(e => e.startsWith('?? '))
    .map(e => e.slice(3))
    .sort()
}

/**
 * Each case is one folder `feeds/cNN/` with its own `.gitignore` (the
 * pattern lines) and files; patterns in a nested `.gitignore` are relative
 * to its folder, so the cases do not interfere.
 */
const IGNORE_TABLE: Array<{ lines: string[]; files: string[] }> = [
  // bracket classes
  { lines: ['[[:digit:]]*.yaml'], files: ['1.yaml', '42x.yaml', 'a1.yaml', 'x.yaml'] },
  { lines: ['a[!x]b.yaml'], files: ['axb.yaml', 'ayb.yaml', 'a-b.yaml', 'ab.yaml'] },
  { lines: ['a[^x]b.yaml'], files: ['axb.yaml', 'azb.yaml'] },
  { lines: ['[a-c]*.yaml'], files: ['apple.yaml', 'banana.yaml', 'date.yaml', 'Apple.yaml'] },
  { lines: ['[[:upper:]]*'], files: ['Upper.yaml', 'lower.yaml'] },
  { lines: ['[[:alpha:]][[:alnum:]].yaml'], files: ['a1.yaml', '1a.yaml', 'ab.yaml'] },
  { lines: ['[[:space:]]x'], files: [' x', 'xx'] },
  { lines: ['[[:punct:]]p'], files: ['-p', '_p', 'ap'] },
  { lines: ['[[:xdigit:]][[:xdigit:]]'], files: ['ff', 'fg', '0A'] },
  { lines: ['[]]b'], files: [']b', 'xb'] },
  { lines: ['[!]]b'], files: [']b', 'xb'] },
  { lines: ['[a-]z'], files: ['az', '-z', 'bz'] },
  { lines: ['[z-a]x'], files: ['mx', 'zx', 'ax'] },
  { lines: ['[[:nope:]]x', 'keep-me'], files: ['nx', 'keep-me'] },
  { lines: ['unclosed[ab'], files: ['unclosed[ab', 'unclosedab'] },
  { lines: ['[[:digit:]x'], files: ['[x', 'dx', '5x'] },
  { lines: ['sub/[!a]*.yaml'], files: ['sub/b.yaml', 'sub/a.yaml', 'sub/x/b.yaml'] },
  // wildcards and **
  { lines: ['*.bak'], files: ['x.bak', 'deep/er/y.bak', 'x.bakk'] },
  { lines: ['x?z'], files: ['xyz', 'x/z'] },
  { lines: ['**/deep.yaml'], files: ['deep.yaml', 'a/deep.yaml', 'a/b/deep.yaml'] },
  { lines: ['a/**/b.yaml'], files: ['a/b.yaml', 'a/x/b.yaml', 'a/x/y/b.yaml', 'ab.yaml'] },
  { lines: ['lvl/**'], files: ['lvl/one.yaml', 'lvl/two/three.yaml', 'lvlx/one.yaml'] },
  { lines: ['foo**/bar'], files: ['foo/bar', 'foox/bar', 'foox/y/bar'] },
  { lines: ['**foo'], files: ['xfoo', 'a/xfoo'] },
  { lines: ['a/*/c'], files: ['a/b/c', 'a/b/x/c'] },
  { lines: ['a/**b'], files: ['a/b', 'a/xb', 'a/x/yb'] },
  { lines: ['*'], files: ['anything.yaml', 'sub/also.yaml'] },
  { lines: ['*/'], files: ['dir/x.yaml', 'file.yaml'] },
  // negation
  { lines: ['*.yaml', '!keep.yaml'], files: ['keep.yaml', 'drop.yaml', 'sub/keep.yaml'] },
  { lines: ['!keep.yaml', '*.yaml'], files: ['keep.yaml', 'drop.yaml'] },
  { lines: ['out/', '!out/keep.yaml'], files: ['out/keep.yaml', 'out/other.yaml'] },
  { lines: ['out/*', '!out/keep.yaml'], files: ['out/keep.yaml', 'out/other.yaml'] },
  { lines: ['/*', '!/inner/'], files: ['top.yaml', 'inner/x.yaml'] },
  { lines: ['\\!bang.yaml'], files: ['!bang.yaml', 'bang.yaml'] },
  // folder-only patterns
  { lines: ['build/'], files: ['build/out.yaml', 'x/build/out.yaml', 'build.yaml'] },
  { lines: ['/anchored/'], files: ['anchored/x.yaml', 'sub/anchored/x.yaml'] },
  { lines: ['only.yaml/'], files: ['only.yaml', 'dir/only.yaml/x'] },
  // anchoring
  { lines: ['/top.yaml'], files: ['top.yaml', 'sub/top.yaml'] },
  { lines: ['mid/leaf.yaml'], files: ['mid/leaf.yaml', 'x/mid/leaf.yaml'] },
  // escaped characters and spaces
  { lines: ['\\#hash.yaml'], files: ['#hash.yaml', 'hash.yaml'] },
  { lines: ['#comment.yaml'], files: ['#comment.yaml'] },
  { lines: ['lit\\*.yaml'], files: ['lit*.yaml', 'litx.yaml'] },
  { lines: ['q\\?.yaml'], files: ['q?.yaml', 'qx.yaml'] },
  { lines: ['\\[br\\].yaml'], files: ['[br].yaml', 'b.yaml'] },
  { lines: ['[\\]]e'], files: [']e', '\\e'] },
  { lines: ['trail.yaml   '], files: ['trail.yaml', 'trail.yaml   '] },
  { lines: ['esc\\ '], files: ['esc ', 'esc'] },
  { lines: ['tab.yaml\t'], files: ['tab.yaml', 'tab.yaml\t'] },
  { lines: ['sp ace.yaml'], files: ['sp ace.yaml', 'space.yaml'] },
  { lines: ['trailing\\'], files: ['trailing\\', 'trailing'] },
  // non-ASCII names (matched as UTF-8 bytes)
  { lines: ['zür?ch.yaml'], files: ['zürich.yaml', 'zürch.yaml'] },
  { lines: ['caf[é].yaml'], files: ['café.yaml', 'cafe.yaml'] },
  // CRLF pattern file
  { lines: ['crlf.yaml\r'], files: ['crlf.yaml'] },
]

describe('git rules, cross-checked with the git CLI (built CLI)', function () {
  this.timeout(240000)

  it(`ignore: ${IGNORE_TABLE.length} pattern cases agree with git check-ignore, git status and git add`, () => {
    const env = isolatedGitEnv()
    const root = committedRepo(env)
    const all: string[] = []
    IGNORE_TABLE.forEach((c, i) => {
      const dir = `feeds/c${String(i).padStart(2, '0')}`
      write(root, `${dir}/.gitignore`, c.lines.join('\n') + '\n')
      all.push(`${dir}/.gitignore`)
      for (const f of c.files) {
        write(root, `${dir}/${f}`, 'name: x\n')
        all.push(`${dir}/${f}`)
      }
    })
    // The top-level .gitignore, .git/info/exclude and core.excludesFile, with the two patterns.
    const excludes = join(tempDir(), 'excludes')
    writeFileSync(excludes, 'feeds/x3/*.tmp\n!feeds/x3/keep.tmp\n')
    gitIn(root, env, 'config', 'core.excludesFile', excludes)
    write(root, '.gitignore', 'feeds/[[:digit:]]*.yaml\nfeeds/a[!x]b.yaml\nfeeds/x1/*.bak\n')
    write(root, '.git/info/exclude', 'feeds/x2/secret*\n/feeds/x3/drop.tmp\n')
    write(root, 'feeds/x1/.gitignore', '!keep.bak\n')
    all.push('feeds/x1/.gitignore')
    for (const f of [
      'feeds/1.yaml',
      'feeds/12x.yaml',
      'feeds/ayb.yaml',
      'feeds/axb.yaml',
      'feeds/x1/keep.bak',
      'feeds/x1/drop.bak',
      'feeds/x2/secret.yaml',
      'feeds/x2/public.yaml',
      'feeds/x3/keep.tmp',
      'feeds/x3/drop.tmp',
      'feeds/x3/other.tmp',
    ]) {
      write(root, f, 'name: x\n')
      all.push(f)
    }
    gitIn(root, env, 'add', '.gitignore')
    gitIn(root, env, 'commit', '-q', '-m', 'ignore rules')

    const checked = gitTry(root, env, ['check-ignore', '--no-index', '-z', '--stdin'], all.join('\0') + '\0')
    expect(checked.code, checked.stderr).to.be.oneOf([0, 1])
    const gitIgnored = checked.stdout.split('\0').filter(Boolean).sort()
    expect(gitIgnored, 'the issue cases').to.include.members(['feeds/1.yaml', 'feeds/12x.yaml', 'feeds/ayb.yaml'])
    expect(gitIgnored).not.to.include('feeds/axb.yaml')
    const shouldAdd = gitUntracked(root, env)
    expect(shouldAdd.length + gitIgnored.length, 'every file is either ignored or untracked for git').to.equal(all.length)

    const d = ssmdProcess(['diff', '--json', '-C', root], { env })
    expect(d.code, d.stderr).to.equal(0)
    const added = (JSON.parse(d.stdout) as { added: Array<{ path: string }> }).added.map(f => f.path).sort()
    expect(added).to.deep.equal(shouldAdd)

    const other = twin(root)
    const c = ssmdProcess(['commit', '--no-validate', '-m', 'add files', '-C', root], { env })
    expect(c.code, c.stderr).to.equal(0)
    gitIn(other, env, 'add', '--', 'feeds')
    gitIn(other, env, 'commit', '-q', '-m', 'add files')
    expect(gitIn(root, env, 'rev-parse', 'HEAD')).to.equal(gitIn(other, env, 'rev-parse', 'HEAD'))
    expect(gitIn(root, env, 'ls-files', 'feeds')).not.to.contain('feeds/1.yaml')
  })
  it('hunk headers carry the function line git prints (default, xfuncname, funcname, -diff), byte for byte with git diff', () => {
    const env = isolatedGitEnv()
    const root = committedRepo(env)
    const long = 'x'.repeat(78) + '  yyyy: long'
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `  - item${i}`).join('\n') + '\n'
    write(root, 'feeds/long.yaml', `${long}\n${filler(10)}`)
    write(root, 'feeds/crlf.yaml', 'crlf_key:\r\n' + filler(8).replace(/\n/g, '\r\n'))
    write(root, 'feeds/marks.yaml', `_under:\n${filler(6)}$dollar:\n${filler(6)}  indented:\n# comment\n${filler(6)}`)
    write(root, 'feeds/bre.yaml', `name: bre\ntype: websocket\n${filler(8)}`)
    write(root, 'environments/neg.yaml', `keys:\n${filler(4)}versions:\n${filler(8)}`)
    write(root, 'environments/bin.yaml', `name: bin\n${filler(6)}`)
    write(root, '.gitattributes', '*.capnp diff=capnp\nfeeds/bre.yaml diff=bre\nenvironments/neg.yaml diff=neg\nenvironments/bin.yaml -diff\n')
    gitIn(root, env, 'add', '-A')
    gitIn(root, env, 'commit', '-q', '-m', 'more files')
    gitIn(root, env, 'config', 'diff.capnp.xfuncname', '^[ \t]*((struct|enum) [A-Za-z0-9_]+)')
    gitIn(root, env, 'config', 'diff.bre.funcname', '^\\(name\\|id\\): .*')
    gitIn(root, env, 'config', 'diff.neg.xfuncname', '!^versions:\n^[a-z_]+:')

    const edit = (rel: string, from: string, to: string) => {
      const text = readFileSync(join(root, rel), 'utf8')
      expect(text, rel).to.contain(from)
      writeFileSync(join(root, rel), text.replace(from, to))
    }
    edit('feeds/kalshi.yaml', 'rate_limit_per_second: 10', 'rate_limit_per_second: 20')
    edit('feeds/kalshi.yaml', 'close_time: "00:00"', 'close_time: "01:00"')
    edit('feeds/long.yaml', 'item9', 'item9b')
    edit('feeds/crlf.yaml', 'item7', 'item7b')
    edit('feeds/marks.yaml', 'item5\n$dollar', 'item5b\n$dollar')
    edit('feeds/marks.yaml', 'item5\n  indented', 'item5b\n  indented')
    writeFileSync(join(root, 'feeds/marks.yaml'), readFileSync(join(root, 'feeds/marks.yaml'), 'utf8') + 'end: 1\n')
    edit('feeds/bre.yaml', 'item7', 'item7b')
    edit('environments/neg.yaml', 'item7', 'item7b')
    edit('environments/bin.yaml', 'item5', 'item5b')
    edit('schemas/trade.capnp', 'sell @1;', 'sell @1;\n    unknown @2;')

    const gitDiff = gitIn(root, env, 'diff')
    // The cases are real: git printed each kind of header.
    const headers = gitDiff.split('\n').filter(l => l.startsWith('@@ ') || l.startsWith('Binary '))
    expect(headers).to.deep.equal([
      'Binary files a/environments/bin.yaml and b/environments/bin.yaml differ',
      '@@ -11,4 +11,4 @@ keys:',
      '@@ -7,4 +7,4 @@ name',
      '@@ -6,4 +6,4 @@ crlf_key:',
      '@@ -21,7 +21,7 @@ versions:',
      '@@ -33,4 +33,4 @@ calendar:',
      `@@ -8,4 +8,4 @@ ${'x'.repeat(78)}`,
      '@@ -4,14 +4,14 @@ _under:',
      '@@ -20,3 +20,4 @@ $dollar:',
      '@@ -12,5 +12,6 @@ struct Trade',
    ])
    const j = ssmdProcess(['diff', '--json', '--patch', '-C', root], { env })
    expect(j.code, j.stderr).to.equal(0)
    const files = (JSON.parse(j.stdout) as { modified: Array<{ git_path: string; patch: string }> }).modified
    expect(files.map(f => f.patch).join(''), 'the whole patch, byte for byte').to.equal(gitDiff)
    // The text form lists the files, then prints the same patches, a blank line before each (control
    // characters such as a CR shown escaped, as all terminal output is).
    const r = ssmdProcess(['diff', '--patch', '-C', root], { env })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout.slice(r.stdout.indexOf('\ndiff --git'))).to.equal(files.map(f => '\n' + f.patch.replace(/\r/g, '\\u000d')).join(''))

    // An expression git refuses is refused by name, in one line.
    gitIn(root, env, 'config', 'diff.capnp.xfuncname', '^(struct')
    expect(gitTry(root, env, ['diff']).stderr).to.contain('Invalid regexp to look for hunk header')
    const bad = ssmdProcess(['diff', '--patch', '-C', root], { env })
    expect(bad.code).to.equal(1)
    expect(bad.stderr.trim().split('\n'), bad.stderr).to.have.length(1)
    expect(bad.stderr).to.contain('diff.capnp.xfuncname')
  })
  it('GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE are honoured as git honours them (same commits, same index)', () => {
    const base = isolatedGitEnv()
    // The git directory kept outside the working tree (a "dotfiles" layout): nothing to discover.
    const work = committedRepo(base)
    const store = join(tempDir(), 'store.git')
    renameSync(join(work, '.git'), store)
    const other = twin(work)
    const otherStore = join(tempDir(), 'store.git')
    execFileSync('cp', ['-a', store, otherStore])
    appendFileSync(join(work, 'feeds/kraken.yaml'), '# separate git dir\n')
    appendFileSync(join(other, 'feeds/kraken.yaml'), '# separate git dir\n')
    const plain = ssmdProcess(['diff', '-C', work], { env: base })
    expect(plain.code).to.equal(1)
    expect(plain.stderr).to.contain('not a git repository')
    const env = { ...base, GIT_DIR: store, GIT_WORK_TREE: work }
    const d = ssmdProcess(['diff', '--json', '-C', join(work, 'feeds')], { env })
    expect(d.code, d.stderr).to.equal(0)
    expect(JSON.parse(d.stdout).modified).to.deep.equal([{ path: 'feeds/kraken.yaml', git_path: 'feeds/kraken.yaml' }])
    const c = ssmdProcess(['commit', '--no-validate', '-m', 'separate', '-C', work], { env })
    expect(c.code, c.stderr).to.equal(0)
    const otherEnv = { ...base, GIT_DIR: otherStore, GIT_WORK_TREE: other }
    gitIn(other, otherEnv, 'add', 'feeds')
    gitIn(other, otherEnv, 'commit', '-q', '-m', 'separate')
    expect(gitIn(work, env, 'rev-parse', 'HEAD')).to.equal(gitIn(other, otherEnv, 'rev-parse', 'HEAD'))
    expect(gitIn(work, env, 'status', '--porcelain')).to.equal('')

    // GIT_DIR alone, relative: the working tree is the folder ssmd runs in (as in a git hook).
    appendFileSync(join(work, 'feeds/kalshi.yaml'), '# relative\n')
    const rel = ssmdProcess(['diff', '--json'], { cwd: work, env: { ...base, GIT_DIR: relative(work, store) } })
    expect(rel.code, rel.stderr).to.equal(0)
    expect(JSON.parse(rel.stdout).modified.map((f: { path: string }) => f.path)).to.deep.equal(['feeds/kalshi.yaml'])
    // A root outside the working tree it names is refused in one line.
    const outside = ssmdProcess(['diff', '-C', work], { env: { ...base, GIT_DIR: store, GIT_WORK_TREE: join(work, 'schemas') } })
    expect(outside.code).to.equal(1)
    expect(outside.stderr.trim().split('\n'), outside.stderr).to.have.length(1)
    expect(outside.stderr).to.contain('is outside the git working tree')
    // Variables ssmd does not follow are refused by name.
    const objects = ssmdProcess(['diff', '-C', work], { env: { ...env, GIT_OBJECT_DIRECTORY: join(store, 'objects') } })
    expect(objects.code).to.equal(1)
    expect(objects.stderr).to.match(/^Error: GIT_OBJECT_DIRECTORY is set, and ssmd does not follow it/)
  })

  it('GIT_INDEX_FILE: diff reads and commit writes that index, leaving .git/index alone, as git commit does', () => {
    const env = isolatedGitEnv()
    const root = committedRepo(env)
    writeFileSync(join(root, 'alt-index'), readFileSync(join(root, '.git/index')))
    const other = twin(root)
    const before = readFileSync(join(root, '.git/index'))
    // Staged in the other index only: a new file there.
    write(root, 'feeds/alt.yaml', 'name: alt\n')
    write(other, 'feeds/alt.yaml', 'name: alt\n')
    appendFileSync(join(root, 'feeds/kraken.yaml'), '# alt\n')
    appendFileSync(join(other, 'feeds/kraken.yaml'), '# alt\n')
    const idx = { ...env, GIT_INDEX_FILE: 'alt-index' }
    const c = ssmdProcess(['commit', '--no-validate', '-m', 'alt index', '-C', join(root, 'feeds')], { env: idx })
    expect(c.code, c.stderr).to.equal(0)
    gitIn(other, idx, 'add', 'feeds')
    gitIn(other, idx, 'commit', '-q', '-m', 'alt index')
    expect(gitIn(root, env, 'rev-parse', 'HEAD')).to.equal(gitIn(other, env, 'rev-parse', 'HEAD'))
    expect(readFileSync(join(root, '.git/index')).equals(before), '.git/index untouched').to.equal(true)
    expect(existsSync(join(root, 'alt-index.lock'))).to.equal(false)
    const strip = (s: string) => s.replace(/\n\s+(ctime|mtime|dev|uid|size):.*$/gm, '')
    expect(strip(gitIn(root, idx, 'ls-files', '-s', '--debug'))).to.equal(strip(gitIn(other, idx, 'ls-files', '-s', '--debug')))
    expect(gitIn(root, idx, 'status', '--porcelain')).to.equal(gitIn(other, idx, 'status', '--porcelain'))
    expect(gitIn(root, env, 'status', '--porcelain')).to.equal(gitIn(other, env, 'status', '--porcelain'))
  })
  it('racily clean entries: diff right after cp -a refreshes the index as git status does, and smudges a racy entry that changed', () => {
    const env = isolatedGitEnv()
    // Copied within a second or two of the commit: the entries' mtimes are in (or next to) the index's own second.
    const root = committedRepo(env)
    const copy = twin(root)
    const gitCopy = twin(root)
    const dirty = (dir: string) => gitIn(dir, env, 'diff-files', '--name-only')
    expect(dirty(copy)).not.to.equal('')
    const d = ssmdProcess(['diff', '-C', copy], { env })
    expect(d).to.deep.include({ code: 0, stdout: 'No changes to ssmd files.\n' })
    gitIn(gitCopy, env, 'status', '--porcelain')
    expect(dirty(gitCopy), 'git status refreshed every entry').to.equal('')
    expect(dirty(copy), 'so did ssmd diff').to.equal('')

    // A file outside the ssmd folders whose index entry is racily clean: same stat data, other content.
    const T = 1700000000
    const repo = committedRepo(env)
    write(repo, 'notes.txt', 'old\n')
    gitIn(repo, env, 'add', 'notes.txt')
    writeFileSync(join(repo, 'notes.txt'), 'new\n')
    utimesSync(join(repo, 'notes.txt'), T + 0.2, T + 0.2)
    const index = GitIndex.read(join(repo, '.git/index'))
    const entry = index.entries.find(e => e.path === 'notes.txt')!
    entry.stat = statBlock(lstatSync(join(repo, 'notes.txt'), { bigint: true }), '100644')
    entry.raw = undefined
    // An ssmd file with stale stat data, so that diff rewrites the index.
    utimesSync(join(repo, 'feeds/kraken.yaml'), T - 50, T - 50)
    writeFileSync(join(repo, '.git/index'), index.serialize())
    utimesSync(join(repo, '.git/index'), T + 0.5, T + 0.5)
    const other = twin(repo)
    expect(gitIn(other, env, 'status', '--porcelain'), 'git sees the change').to.equal('AM notes.txt\n')
    expect(ssmdProcess(['diff', '-C', repo], { env }).stdout).to.equal('No changes to ssmd files.\n')
    expect(gitIn(repo, env, 'ls-files', '--debug', 'feeds/kraken.yaml'), 'the index was rewritten').to.contain(`mtime: ${T - 50}:`)
    // Smudged (size 0) as git smudges it, the change stays visible to git and to diff-files.
    expect(gitIn(repo, env, 'ls-files', '--debug', 'notes.txt')).to.match(/size: 0\b/)
    expect(dirty(repo)).to.equal('notes.txt\n')
    expect(gitIn(repo, env, 'status', '--porcelain')).to.equal('AM notes.txt\n')
  })
  it('a concurrent gc: packs that vanish (a temporary pack, an index whose pack is gone, a repack in a hook) are skipped or re-read as git does', () => {
    const env = isolatedGitEnv()
    const root = committedRepo(env)
    appendFileSync(join(root, 'feeds/kraken.yaml'), '# packed\n')
    gitIn(root, env, 'commit', '-q', '-am', 'second')
    gitIn(root, env, 'gc', '-q')
    const packDir = join(root, '.git/objects/pack')
    const idx = readdirSync(packDir).find(n => n.endsWith('.idx'))!
    // What a repack leaves for an instant: a temporary index already renamed away, an index whose pack was deleted.
    symlinkSync(join(packDir, 'gone'), join(packDir, '.tmp-4242-pack-0000000000000000000000000000000000000000.idx'))
    copyFileSync(join(packDir, idx), join(packDir, 'pack-0000000000000000000000000000000000000000.idx'))
    // And a pre-commit hook that repacks everything while ssmd commits (old packs deleted, loose objects pruned).
    const hook = join(root, '.git/hooks/pre-commit')
    writeFileSync(hook, '#!/bin/sh\ngit repack -a -d -q -f && git prune-packed\n')
    execFileSync('chmod', ['+x', hook])
    const other = twin(root)
    appendFileSync(join(root, 'feeds/kraken.yaml'), '# during gc\n')
    appendFileSync(join(other, 'feeds/kraken.yaml'), '# during gc\n')
    write(root, 'feeds/new.yaml', 'name: new\n')
    write(other, 'feeds/new.yaml', 'name: new\n')

    const d = ssmdProcess(['diff', '--json', '--patch', '-C', root], { env })
    expect(d.code, d.stderr).to.equal(0)
    expect(JSON.parse(d.stdout).modified[0].patch).to.equal(gitIn(root, env, 'diff', '--', 'feeds/kraken.yaml'))
    const c = ssmdProcess(['commit', '--no-validate', '-m', 'during gc', '-C', root], { env })
    expect(c.code, c.stderr).to.equal(0)
    gitIn(other, env, 'add', 'feeds')
    gitIn(other, env, 'commit', '-q', '-m', 'during gc')
    expect(gitIn(root, env, 'rev-parse', 'HEAD')).to.equal(gitIn(other, env, 'rev-parse', 'HEAD'))
    expect(gitIn(root, env, 'status', '--porcelain')).to.equal('')
    rmSync(join(packDir, '.tmp-4242-pack-0000000000000000000000000000000000000000.idx'))
    rmSync(join(packDir, 'pack-0000000000000000000000000000000000000000.idx'))
    const fsck = gitTry(root, env, ['fsck', '--strict', '--no-progress', '--no-dangling'])
    expect(fsck.code, fsck.stdout + fsck.stderr).to.equal(0)
  })
})
