import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GitIndex } from '../../src/lib/git/index-file.js'
import { statBlock } from '../../src/lib/git/status.js'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { gitIn, gitTry, isolatedGitEnv, type Env } from '../helpers/git.js'

/**
 * Each case runs `ssmd commit` on one repository and `git add <the ssmd
 * paths> && git commit` on an exact copy (`cp -a`) with the same identity,
 * dates and message, then compares: same commit id (hence same tree, parents,
 * author, committer, message), same `git status --porcelain`, same index
 * flags, and `git fsck --strict` clean on both.
 */

/** A committed copy of the example repository (in `sub` of the git repository when given). */
function repoWith(env: Env, sub = ''): { top: string; root: string } {
  const top = join(tempDir(), 'repo')
  const root = sub ? join(top, sub) : top
  mkdirSync(root, { recursive: true })
  execFileSync('cp', ['-a', `${exampleRepo()}/.`, root])
  gitIn(top, env, 'init', '-q', '-b', 'main')
  gitIn(top, env, 'add', '-A')
  gitIn(top, env, 'commit', '-q', '-m', 'initial')
  return { top, root }
}

function twin(top: string): string {
  const copy = join(tempDir(), 'twin')
  execFileSync('cp', ['-a', top, copy])
  return copy
}

const SSMD_PATHS = ['feeds', 'schemas', 'environments', 'ssmd.yaml']

/** What git does for `ssmd commit -m msg`: add the ssmd paths (those that exist or are tracked), then commit. */
function gitCommit(top: string, rootRel: string, env: Env, message: string, extra: string[] = []): { code: number; stderr: string } {
  const paths = SSMD_PATHS.map(p => (rootRel ? `${rootRel}/${p}` : p))
  const tracked = new Set(
    gitIn(top, env, 'ls-files', '--', ...paths)
      .split('\n')
      .filter(Boolean),
  )
  const existing = paths.filter(p => existsSync(join(top, p)) || [...tracked].some(t => t === p || t.startsWith(p + '/')))
  const add = gitTry(top, env, ['add', '--', ...existing])
  if (add.code !== 0) return add
  return gitTry(top, env, ['commit', '-q', '-m', message, ...extra])
}

function state(top: string, env: Env): { head: string; status: string; flags: string } {
  return {
    head: gitIn(top, env, 'rev-parse', 'HEAD').trim(),
    status: gitIn(top, env, 'status', '--porcelain', '-uall'),
    flags: gitIn(top, env, 'ls-files', '-v', '-s', '--debug').replace(/\n\s+(ctime|mtime|dev|uid|size):.*$/gm, ''),
  }
}

function fsck(top: string, env: Env): void {
  const r = gitTry(top, env, ['fsck', '--strict', '--no-progress', '--no-dangling'])
  expect(r.code, `git fsck --strict in ${top}:\n${r.stdout}${r.stderr}`).to.equal(0)
  expect(r.stdout + r.stderr).to.equal('')
}

/** Runs ssmd commit on `top` and git on a twin made just before; expects identical outcomes. */
async function crossCheck(
  top: string,
  root: string,
  env: Env,
  options: { message?: string; args?: string[]; gitArgs?: string[] } = {},
): Promise<{ ssmdOut: string; head: string; other: string }> {
  const other = twin(top)
  const rootRel = root === top ? '' : root.slice(top.length + 1)
  const message = options.message ?? 'change ssmd files'
  const r = await ssmd(['commit', '--no-validate', '-m', message, ...(options.args ?? [])], { cwd: root, env })
  expect(r.code, r.stderr).to.equal(0)
  const gr = gitCommit(other, rootRel, env, message, options.gitArgs)
  expect(gr.code, gr.stderr).to.equal(0)
  const mine = state(top, env)
  const theirs = state(other, env)
  if (mine.head !== theirs.head) {
    const show = (dir: string) => gitIn(dir, env, 'cat-file', '-p', 'HEAD') + gitIn(dir, env, 'ls-tree', '-r', 'HEAD')
    expect(show(top), 'same commit as git').to.equal(show(other))
  }
  expect(mine.head, 'same commit id as git').to.equal(theirs.head)
  expect(mine.status, 'same git status afterwards').to.equal(theirs.status)
  expect(mine.flags, 'same index entries and flags').to.equal(theirs.flags)
  fsck(top, env)
  fsck(other, env)
  return { ssmdOut: r.stdout, head: mine.head, other }
}

describe('ssmd commit and diff behave as git (cross-checked with the git CLI)', function () {
  this.timeout(120000)

  it('replaces an empty or damaged object left by a crash instead of trusting it (1)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    const content = 'name: kalshi\n# after the crash\n'
    writeFileSync(join(top, 'feeds/kalshi.yaml'), content)
    const blob = execFileSync('git', ['hash-object', join(top, 'feeds/kalshi.yaml')], { encoding: 'utf8' }).trim()
    const obj = join(top, '.git/objects', blob.slice(0, 2), blob.slice(2))
    mkdirSync(join(obj, '..'), { recursive: true })
    writeFileSync(obj, '')
    const other = twin(top)
    // git keeps the empty file and would commit a tree pointing at it; ssmd must replace it.
    const r = await ssmd(['commit', '--no-validate', '-m', 'after crash'], { cwd: top, env })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(obj).length).to.be.greaterThan(0)
    expect(gitIn(top, env, 'cat-file', 'blob', 'HEAD:feeds/kalshi.yaml')).to.equal(content)
    fsck(top, env)
    gitIn(top, env, 'archive', '-o', join(tempDir(), 'a.tar'), 'HEAD')
    // The twin shows the damage is real: git's fsck rejects the empty object.
    expect(gitTry(other, env, ['fsck', '--strict', '--no-progress']).code).to.not.equal(0)
  })

  it('names a damaged object it has to read, with the way to repair it (1)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    const blob = gitIn(top, env, 'rev-parse', 'HEAD:feeds/kalshi.yaml').trim()
    const obj = join(top, '.git/objects', blob.slice(0, 2), blob.slice(2))
    chmodSync(obj, 0o644)
    writeFileSync(obj, '')
    appendFileSync(join(top, 'feeds/kalshi.yaml'), '# edited\n')
    const r = await ssmd(['diff', '--patch'], { cwd: top, env })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain(`the git object ${blob} is damaged`)
    expect(r.stderr).to.contain('git fsck')
    expect(r.stderr).to.not.match(/\n\s+at /)
  })

  it('finds the repository through a symbolic link to the root, as git does from that folder (3)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env, 'real/config')
    symlinkSync('real/config', join(top, 'config'))
    gitIn(top, env, 'add', 'config')
    gitIn(top, env, 'commit', '-q', '-m', 'link')
    appendFileSync(join(top, 'real/config/feeds/kalshi.yaml'), '# via link\n')
    const d = await ssmd(['diff', '--json', '-C', join(top, 'config')], { cwd: top, env })
    expect(d.code, d.stderr).to.equal(0)
    const diff = JSON.parse(d.stdout)
    expect(diff.modified.map((f: { git_path: string }) => f.git_path)).to.deep.equal(['real/config/feeds/kalshi.yaml'])
    expect(diff.added).to.deep.equal([])
    const other = twin(top)
    const r = await ssmd(['commit', '--no-validate', '-m', 'via link', '-C', join(top, 'config')], { cwd: top, env })
    expect(r.code, r.stderr).to.equal(0)
    const gr = gitCommit(other, 'real/config', env, 'via link')
    expect(gr.code, gr.stderr).to.equal(0)
    expect(state(top, env)).to.deep.equal(state(other, env))
    expect(gitIn(top, env, 'ls-files', '-s', 'config')).to.match(/^120000 /)
    fsck(top, env)
  })

  it('commits symbolic links inside ssmd folders as links (mode 120000), never what is behind them (3)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    symlinkSync('kalshi.yaml', join(top, 'feeds/alias.yaml'))
    symlinkSync('../environments', join(top, 'feeds/envs'))
    symlinkSync('/nonexistent/target', join(top, 'schemas/dangling'))
    const d = await ssmd(['diff', '--json'], { cwd: top, env })
    expect(JSON.parse(d.stdout).added.map((f: { path: string }) => f.path)).to.deep.equal(['feeds/alias.yaml', 'feeds/envs', 'schemas/dangling'])
    await crossCheck(top, top, env)
    expect(gitIn(top, env, 'ls-tree', 'HEAD', 'feeds/envs')).to.match(/^120000 blob /)
  })

  it('keeps a submodule inside an ssmd folder (its gitlink) untouched (4)', async () => {
    const env = isolatedGitEnv()
    const lib = join(tempDir(), 'lib')
    mkdirSync(lib)
    gitIn(lib, env, 'init', '-q', '-b', 'main')
    writeFileSync(join(lib, 'common.capnp'), '@0xd3b1a1c0de000001;\n')
    gitIn(lib, env, 'add', '-A')
    gitIn(lib, env, 'commit', '-q', '-m', 'lib')
    const { top } = repoWith(env)
    gitIn(top, env, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib, 'schemas/common')
    gitIn(top, env, 'commit', '-q', '-m', 'submodule')
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# edited\n')
    const d = await ssmd(['diff', '--json'], { cwd: top, env })
    expect(JSON.parse(d.stdout)).to.deep.include({ added: [], deleted: [] })
    await crossCheck(top, top, env)
    expect(gitIn(top, env, 'ls-files', '-s', 'schemas/common')).to.match(/^160000 /)
    expect(gitIn(top, env, 'status', '--porcelain')).to.equal('')
  })

  it('treats files of any name as files: buf.lock, .x.tmp and names like ssmd temporary files (5)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    writeFileSync(join(top, 'schemas/buf.lock'), 'version: v1\n')
    writeFileSync(join(top, 'feeds/.draft.tmp'), 'draft\n')
    writeFileSync(join(top, 'feeds/.kalshi.yaml.123.abc.tmp'), 'looks like a temporary file\n')
    gitIn(top, env, 'add', '-A')
    gitIn(top, env, 'commit', '-q', '-m', 'odd names')
    appendFileSync(join(top, 'schemas/buf.lock'), 'deps: []\n')
    appendFileSync(join(top, 'feeds/.kalshi.yaml.123.abc.tmp'), 'edited\n')
    rmSync(join(top, 'feeds/.draft.tmp'))
    writeFileSync(join(top, 'environments/other.lock'), 'not a pid\n')
    writeFileSync(join(top, 'feeds/.kraken.yaml.4242.k3j5.tmp'), 'half written')
    writeFileSync(join(top, 'feeds/kraken.yaml.lock'), `${process.pid}@somehost`)
    const d = JSON.parse((await ssmd(['diff', '--json'], { cwd: top, env })).stdout)
    expect(d.modified.map((f: { path: string }) => f.path)).to.deep.equal(['feeds/.kalshi.yaml.123.abc.tmp', 'schemas/buf.lock'])
    expect(d.deleted.map((f: { path: string }) => f.path)).to.deep.equal(['feeds/.draft.tmp'])
    expect(d.added.map((f: { path: string }) => f.path)).to.deep.equal(['environments/other.lock', 'feeds/.kraken.yaml.4242.k3j5.tmp', 'feeds/kraken.yaml.lock'])
    await crossCheck(top, top, env)
  })

  for (const detached of [true, false]) {
    it(`refuses when ${detached ? 'a detached HEAD' : 'the branch'} moves while committing (compare-and-swap) (6)`, async () => {
      const env = isolatedGitEnv()
      const { top } = repoWith(env)
      if (detached) gitIn(top, env, 'checkout', '-q', '--detach')
      const first = gitIn(top, env, 'rev-parse', 'HEAD').trim()
      const elsewhere = gitIn(top, env, 'commit-tree', '-p', first, '-m', 'landed meanwhile', `${first}^{tree}`).trim()
      // A pre-commit hook runs while ssmd holds the index lock: it plays a commit landing meanwhile.
      writeFileSync(join(top, '.git/hooks/pre-commit'), `#!/bin/sh\ngit update-ref ${detached ? '--no-deref HEAD' : 'refs/heads/main'} ${elsewhere}\n`)
      chmodSync(join(top, '.git/hooks/pre-commit'), 0o755)
      appendFileSync(join(top, 'feeds/kalshi.yaml'), '# raced\n')
      const r = await ssmd(['commit', '--no-validate', '-m', 'raced'], { cwd: top, env })
      expect(r.code).to.equal(1)
      expect(r.stderr).to.contain(`${detached ? 'HEAD' : 'main'} moved while committing`)
      expect(gitIn(top, env, 'rev-parse', 'HEAD').trim()).to.equal(elsewhere)
      expect(existsSync(join(top, '.git/index.lock'))).to.equal(false)
      fsck(top, env)
    })
  }

  it('applies core.autocrlf as git does: an untouched CRLF file stays CRLF after a touch (7)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    writeFileSync(join(top, 'feeds/crlf.yaml'), 'name: crlf\r\ntype: rest\r\n')
    gitIn(top, env, 'add', 'feeds/crlf.yaml')
    gitIn(top, env, 'commit', '-q', '-m', 'crlf')
    gitIn(top, env, 'config', 'core.autocrlf', 'true')
    const past = new Date(Date.now() + 5000)
    utimesSync(join(top, 'feeds/crlf.yaml'), past, past)
    const d = await ssmd(['diff'], { cwd: top, env })
    expect(d.stdout).to.equal('No changes to ssmd files.\n')
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# edit\n')
    writeFileSync(join(top, 'feeds/new-crlf.yaml'), 'name: n\r\n')
    await crossCheck(top, top, env)
    expect(gitIn(top, env, 'cat-file', 'blob', 'HEAD:feeds/crlf.yaml')).to.equal('name: crlf\r\ntype: rest\r\n')
    expect(gitIn(top, env, 'cat-file', 'blob', 'HEAD:feeds/new-crlf.yaml')).to.equal('name: n\n')
  })

  it('applies .gitattributes text/eol as git does (7)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    writeFileSync(join(top, '.gitattributes'), '* text=auto eol=lf\n*.bin -text\nschemas/*.capnp eol=crlf\n')
    gitIn(top, env, 'add', '.gitattributes')
    gitIn(top, env, 'commit', '-q', '-m', 'attributes')
    writeFileSync(join(top, 'feeds/win.yaml'), 'name: win\r\ntype: rest\r\n')
    writeFileSync(join(top, 'feeds/raw.bin'), 'a\r\nb\r\n')
    writeFileSync(join(top, 'schemas/x.capnp'), '@0xd3b1a1c0de000002;\r\nstruct X {}\n')
    writeFileSync(join(top, 'environments/mixed.yaml'), 'a: 1\r\nb: 2\rc: 3\n')
    await crossCheck(top, top, env)
    expect(gitIn(top, env, 'cat-file', 'blob', 'HEAD:feeds/win.yaml')).to.equal('name: win\ntype: rest\n')
    expect(gitIn(top, env, 'cat-file', 'blob', 'HEAD:feeds/raw.bin')).to.equal('a\r\nb\r\n')
  })

  it('refuses a path with a clean filter (e.g. git-crypt) by name: no plaintext is committed (7)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    writeFileSync(join(top, '.gitattributes'), 'environments/*-prod.yaml filter=crypt diff=crypt\n')
    gitIn(top, env, 'config', 'filter.crypt.clean', 'base64')
    gitIn(top, env, 'config', 'filter.crypt.smudge', 'base64 -d')
    gitIn(top, env, 'add', '.gitattributes')
    gitIn(top, env, 'commit', '-q', '-m', 'attributes')
    appendFileSync(join(top, 'environments/kalshi-prod.yaml'), '# secret: hunter2\n')
    const r = await ssmd(['commit', '--no-validate', '-m', 'secret'], { cwd: top, env })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('environments/kalshi-prod.yaml has the git attribute filter=crypt')
    expect(r.stderr).to.contain('git add environments/kalshi-prod.yaml && git commit')
    expect(gitIn(top, env, 'rev-list', '--count', 'HEAD').trim()).to.equal('2')
    expect(existsSync(join(top, '.git/index.lock'))).to.equal(false)
  })

  it('follows includeIf (gitdir, gitdir/i, onbranch) and the core.excludesFile it sets (8)', async () => {
    const env = isolatedGitEnv({ GIT_AUTHOR_NAME: undefined, GIT_AUTHOR_EMAIL: undefined, GIT_COMMITTER_NAME: undefined, GIT_COMMITTER_EMAIL: undefined })
    const { top } = repoWith({ ...isolatedGitEnv() })
    const home = env.HOME!
    writeFileSync(join(home, 'work.inc'), `[user]\n  name = Work Person\n  email = work@example.com\n[core]\n  excludesFile = ${join(home, 'work.ignore')}\n`)
    writeFileSync(join(home, 'work.ignore'), '*.secret.yaml\n')
    writeFileSync(join(home, 'branch.inc'), '[user]\n  email = branch@example.com\n')
    writeFileSync(join(home, 'nomatch.inc'), '[user]\n  name = Wrong\n')
    writeFileSync(
      env.GIT_CONFIG_GLOBAL!,
      [
        '[user]',
        '  name = Home Person',
        '  email = home@example.com',
        `[includeIf "gitdir/i:${realpathSync(tmpdir()).toUpperCase()}/"]`,
        '  path = work.inc',
        '[includeIf "onbranch:ma*"]',
        '  path = branch.inc',
        '[includeIf "gitdir:/elsewhere/"]',
        '  path = nomatch.inc',
      ].join('\n') + '\n',
    )
    writeFileSync(join(top, 'environments/keys.secret.yaml'), 'token: x\n')
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# edit\n')
    const d = JSON.parse((await ssmd(['diff', '--json'], { cwd: top, env })).stdout)
    expect(d.added).to.deep.equal([])
    await crossCheck(top, top, env)
    expect(gitIn(top, env, 'log', '-1', '--format=%an <%ae>')).to.equal('Work Person <branch@example.com>\n')
  })

  it('preserves skip-worktree and assume-unchanged entries and honours core.fileMode=false (9)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    gitIn(top, env, 'update-index', '--skip-worktree', 'feeds/kalshi.yaml')
    gitIn(top, env, 'update-index', '--assume-unchanged', 'feeds/kraken.yaml')
    gitIn(top, env, 'update-index', '--assume-unchanged', 'environments/kalshi-dev.yaml')
    appendFileSync(join(top, 'feeds/kalshi.yaml'), '# local only\n')
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# local only\n')
    rmSync(join(top, 'environments/kalshi-dev.yaml'))
    gitIn(top, env, 'config', 'core.fileMode', 'false')
    writeFileSync(join(top, 'feeds/exec.yaml'), 'name: exec\n')
    chmodSync(join(top, 'feeds/exec.yaml'), 0o755)
    chmodSync(join(top, 'feeds/polymarket.yaml'), 0o755)
    const d = JSON.parse((await ssmd(['diff', '--json'], { cwd: top, env })).stdout)
    expect(d).to.deep.equal({ modified: [], added: [{ path: 'feeds/exec.yaml', git_path: 'feeds/exec.yaml' }], deleted: [] })
    await crossCheck(top, top, env)
    expect(gitIn(top, env, 'ls-files', '-s', 'feeds/exec.yaml')).to.match(/^100644 /)
    expect(gitIn(top, env, 'ls-files', '-v', 'feeds/kalshi.yaml', 'feeds/kraken.yaml', 'environments/kalshi-dev.yaml')).to.equal(
      'h environments/kalshi-dev.yaml\nS feeds/kalshi.yaml\nh feeds/kraken.yaml\n',
    )
  })

  it('runs pre-commit, prepare-commit-msg, commit-msg and post-commit as git does; --no-verify skips two (10)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    const hooks = join(top, '.githooks')
    mkdirSync(hooks)
    gitIn(top, env, 'config', 'core.hooksPath', '.githooks')
    const dump = (name: string) =>
      `env | grep '^GIT_' | grep -v '^GIT_EXEC_PATH=' | cut -d= -f1 | sort > "$(git rev-parse --git-common-dir)/${name}.env"; echo "$@" >> "$(git rev-parse --git-common-dir)/${name}.env"`
    writeFileSync(join(hooks, 'pre-commit'), `#!/bin/sh\n${dump('pre-commit')}\ngit diff --cached --name-only >> "$(git rev-parse --git-common-dir)/pre-commit.env"\n`)
    writeFileSync(join(hooks, 'prepare-commit-msg'), `#!/bin/sh\n${dump('prepare-commit-msg')}\nprintf '\\n\\nPrepared-by: hook\\n' >> "$1"\n`)
    writeFileSync(join(hooks, 'commit-msg'), `#!/bin/sh\n${dump('commit-msg')}\nsed -i 's/^Prepared-by/Checked-by/' "$1"\n`)
    writeFileSync(join(hooks, 'post-commit'), `#!/bin/sh\n${dump('post-commit')}\n`)
    for (const h of readdirSync(hooks)) chmodSync(join(hooks, h), 0o755)
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# hooked\n')
    const { head, other } = await crossCheck(top, top, env)
    expect(gitIn(top, env, 'log', '-1', '--format=%B', head)).to.equal('change ssmd files\n\nChecked-by: hook\n\n')
    for (const name of ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit']) {
      expect(readFileSync(join(top, '.git', `${name}.env`), 'utf8'), name).to.equal(readFileSync(join(other, '.git', `${name}.env`), 'utf8'))
    }
    expect(readFileSync(join(top, '.git/pre-commit.env'), 'utf8')).to.contain('\nfeeds/kraken.yaml\n')

    // A failing pre-commit hook stops the commit; --no-verify skips it, as in git.
    writeFileSync(join(hooks, 'pre-commit'), '#!/bin/sh\necho "secret scanner: found a token" >&2\nexit 3\n')
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# again\n')
    const failed = await ssmd(['commit', '--no-validate', '-m', 'blocked'], { cwd: top, env })
    expect(failed.code).to.equal(1)
    expect(failed.stderr).to.contain('secret scanner: found a token')
    expect(failed.stderr).to.contain('the pre-commit hook (.githooks/pre-commit) failed (exit 3); nothing was committed')
    expect(gitIn(top, env, 'rev-parse', 'HEAD').trim()).to.equal(head)
    expect(readdirSync(join(top, '.git')).filter(f => f.endsWith('.lock'))).to.deep.equal([])
    const skipped = await ssmd(['commit', '--no-validate', '--no-verify', '-m', 'skipped'], { cwd: top, env })
    expect(skipped.code, skipped.stderr).to.equal(0)
    fsck(top, env)
  })

  it('refuses to commit when commit.gpgSign is set, naming the setting (10)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    gitIn(top, env, 'config', 'commit.gpgSign', 'true')
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# signed?\n')
    const r = await ssmd(['commit', '--no-validate', '-m', 'x'], { cwd: top, env })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('commit.gpgSign is set and ssmd does not sign commits')
  })

  it('reads a sparse index (paths outside the cone are not deleted) and refuses to write it; refuses SHA-256 repositories (11)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    gitIn(top, env, 'sparse-checkout', 'set', '--cone', '--sparse-index', 'feeds')
    expect(existsSync(join(top, 'schemas'))).to.equal(false)
    appendFileSync(join(top, 'feeds/kraken.yaml'), '# sparse\n')
    const d = JSON.parse((await ssmd(['diff', '--json'], { cwd: top, env })).stdout)
    expect(d).to.deep.equal({ modified: [{ path: 'feeds/kraken.yaml', git_path: 'feeds/kraken.yaml' }], added: [], deleted: [] })
    const r = await ssmd(['commit', '--no-validate', '-m', 'x'], { cwd: top, env })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('sparse index')
    expect(existsSync(join(top, '.git/index.lock'))).to.equal(false)

    const sha256 = join(tempDir(), 'sha256')
    execFileSync('cp', ['-a', `${exampleRepo()}/.`, sha256])
    gitIn(sha256, env, 'init', '-q', '--object-format=sha256')
    gitIn(sha256, env, 'add', '-A')
    gitIn(sha256, env, 'commit', '-q', '-m', 'initial')
    for (const cmd of [['diff'], ['commit', '--no-validate', '-m', 'x']]) {
      const s = await ssmd(cmd, { cwd: sha256, env })
      expect(s.code).to.equal(1)
      expect(s.stderr).to.contain('uses sha256 object ids (extensions.objectFormat=sha256)')
    }
  })

  it('quotes file names in diff output as git does (12)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    const names = ['feeds/esc\x1b[31mred.yaml', 'feeds/new\nline.yaml', 'feeds/tab\there.yaml', 'feeds/quote"back\\slash.yaml', 'feeds/zürich.yaml']
    for (const n of names) writeFileSync(join(top, n), 'name: x\n')
    const out = (await ssmd(['diff'], { cwd: top, env })).stdout
    const listed = out
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map(l => l.trim())
    const gitListed = gitIn(top, env, 'status', '--porcelain', '-uall')
      .split('\n')
      .filter(Boolean)
      .map(l => l.slice(3))
    expect(listed).to.deep.equal(gitListed)
    expect(out.includes('\u001b') || out.includes('\t')).to.equal(false)
    const c = await ssmd(['commit', '--no-validate', '--verbose', '-m', 'odd names'], { cwd: top, env })
    expect(c.code, c.stderr).to.equal(0)
    expect(
      c.stdout
        .split('\n')
        .filter(l => l.startsWith('  new: '))
        .map(l => l.slice(7)),
    ).to.deep.equal(gitListed)
  })

  it('writes the modes git writes when it rewrites a tree another tool wrote with a padded folder mode (040000) or a file mode like 100664 (4)', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    mkdirSync(join(top, 'docs'))
    writeFileSync(join(top, 'docs', 'readme'), 'docs\n')
    writeFileSync(join(top, 'notes.txt'), 'notes\n')
    gitIn(top, env, 'add', '-A')
    gitIn(top, env, 'commit', '-q', '-m', 'docs')
    // The root tree again, as an older tool might have written it: `040000` for folders, `100664` for a file.
    const entries = gitIn(top, env, 'ls-tree', 'HEAD')
      .split('\n')
      .filter(Boolean)
      .map(line => {
        const [meta, name] = line.split('\t')
        const [mode, , oid] = meta.split(' ')
        return { mode: mode === '040000' ? '040000' : name === 'notes.txt' ? '100664' : mode, name, oid }
      })
    const content = Buffer.concat(entries.map(e => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')])))
    const odd = execFileSync('git', ['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'], {
      cwd: top,
      env: { ...process.env, ...env } as NodeJS.ProcessEnv,
      input: content,
    })
      .toString()
      .trim()
    const commit = gitIn(top, env, 'commit-tree', odd, '-p', 'HEAD', '-m', 'odd modes').trim()
    gitIn(top, env, 'reset', '-q', commit)
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed\n')
    const other = twin(top)
    const r = await ssmd(['commit', '--no-validate', '-m', 'feeds'], { cwd: top, env })
    expect(r.code, r.stderr).to.equal(0)
    expect(gitCommit(other, '', env, 'feeds').code).to.equal(0)
    const tree = (dir: string) => gitIn(dir, env, 'rev-parse', 'HEAD^{tree}').trim()
    expect(tree(top)).to.equal(tree(other))
    const written = execFileSync('git', ['cat-file', 'tree', 'HEAD^{tree}'], { cwd: top }).toString('latin1')
    expect(written).to.not.match(/(^|\0[\s\S]{20})(040000|100664) /)
    expect(gitIn(top, env, 'status', '--porcelain')).to.equal('')
  })

  it('keeps a file name that is not UTF-8 byte for byte in a tree it rewrites (4)', async () => {
    const env = isolatedGitEnv()
    const { top, root } = repoWith(env)
    writeFileSync(Buffer.from(`${top}/caf\xe9.txt`, 'latin1'), 'latin-1 name\n')
    gitIn(top, env, 'add', '-A')
    gitIn(top, env, 'commit', '-q', '-m', 'latin-1 name')
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed\n')
    await crossCheck(top, root, env)
    expect(gitIn(top, env, 'status', '--porcelain')).to.equal('')
    expect(execFileSync('git', ['ls-tree', '-z', '--name-only', 'HEAD'], { cwd: top }).toString('latin1').split('\0')).to.include('caf\xe9.txt')
  })

  it('keeps a name that is not UTF-8 outside the ssmd folders in a version 4 index, and in an entry it smudges as racily clean', async () => {
    for (const version of ['4', '2']) {
      const env = isolatedGitEnv()
      const { top, root } = repoWith(env)
      const odd = Buffer.from(`${top}/caf\xe9.txt`, 'latin1')
      writeFileSync(odd, 'latin-1 name\n')
      gitIn(top, env, 'add', '-A')
      gitIn(top, env, 'commit', '-q', '-m', 'latin-1 name')
      gitIn(top, env, 'update-index', '--index-version', version)
      if (version === '2') {
        // Changed at the same size in the second its entry records, and the index written in that second: git's
        // racily-clean rule makes ssmd smudge this entry (its recorded size set to 0) before writing the index, so the
        // entry is written again, not copied.
        const recorded = lstatSync(odd).mtime
        writeFileSync(odd, 'LATIN-1 NAME\n')
        utimesSync(odd, recorded, recorded)
        utimesSync(join(top, '.git', 'index'), recorded, recorded)
      }
      appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed\n')
      await crossCheck(top, root, env)
      const listed = execFileSync('git', ['ls-files', '-z'], { cwd: top }).toString('latin1').split('\0')
      expect(listed, `index version ${version}`).to.include('caf\xe9.txt')
      expect(gitIn(top, env, 'status', '--porcelain'), `index version ${version}`).to.equal(version === '2' ? ' M "caf\\351.txt"\n' : '')
    }
  })

  it('refuses a name that is not UTF-8 under the ssmd folders, tracked or not, changing nothing', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    writeFileSync(Buffer.from(`${top}/feeds/odd\xe9.yaml`, 'latin1'), 'name: odd\n')
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed\n')
    const line =
      'Error: "feeds/odd\\351.yaml": the file name is not UTF-8 (or holds U+FFFD), and ssmd cannot read, show or commit such a file as it is; rename or remove it with git (git mv, git rm; an untracked file can simply be deleted), and commit that with git\n'
    const check = async () => {
      const before = state(top, env)
      for (const args of [['diff'], ['commit', '--no-validate', '-m', 'x']]) {
        const r = await ssmd(args, { cwd: top, env })
        expect([r.code, r.stdout, r.stderr], args.join(' ')).to.deep.equal([1, '', line])
      }
      const v = await ssmd(['commit', '-m', 'x'], { cwd: top, env })
      expect(v.code).to.equal(1)
      expect(v.stdout + v.stderr).to.contain('"feeds/odd\\351.yaml": the file name is not UTF-8')
      expect(state(top, env), 'index and HEAD as they were').to.deep.equal(before)
    }
    // Untracked, as git status lists it: git add would take it.
    expect(gitIn(top, env, 'status', '--porcelain')).to.contain('?? "feeds/odd\\351.yaml"')
    await check()
    // Tracked (committed by git), in HEAD and in the index: an earlier ssmd staged its deletion here.
    gitIn(top, env, 'add', '-A')
    gitIn(top, env, 'commit', '-q', '-m', 'odd name')
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed again\n')
    await check()
    // Not in the work tree, only in HEAD and the index.
    rmSync(Buffer.from(`${top}/feeds/odd\xe9.yaml`, 'latin1'))
    await check()
    fsck(top, env)
  })

  it("keeps git's byte order of the index when names that are not UTF-8 sort beside a root folder named in Cyrillic (2, 4)", async () => {
    for (const version of ['2', '4']) {
      const env = isolatedGitEnv()
      const { top, root } = repoWith(env, 'конфиг')
      // \xc4 sorts before the Cyrillic lead byte \xd0 as bytes, but U+FFFD (what it decodes to) sorts after it.
      for (let i = 0; i < 20; i++) writeFileSync(Buffer.from(`${top}/\xc4nderung${i}.txt`, 'latin1'), `${i}\n`)
      gitIn(top, env, 'add', '-A')
      gitIn(top, env, 'commit', '-q', '-m', 'latin-1 names')
      gitIn(top, env, 'update-index', '--index-version', version)
      appendFileSync(join(root, 'feeds', 'kalshi.yaml'), '# changed\n')
      rmSync(join(root, 'feeds', 'kraken.yaml'))
      writeFileSync(join(root, 'feeds', 'new.yaml'), 'name: new\n')
      await crossCheck(top, root, env)
      expect(gitIn(top, env, 'status', '--porcelain'), `index version ${version}`).to.equal('')
    }
  })

  it('gives hooks, and takes back from a pre-commit hook that stages a file, names that are not UTF-8 as git wrote them', async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    mkdirSync(join(top, 'other'))
    // Two names that decode alike (U+FFFD for \xe9 and for \xea).
    writeFileSync(Buffer.from(`${top}/other/caf\xe9.txt`, 'latin1'), '1\n')
    writeFileSync(Buffer.from(`${top}/other/caf\xea.txt`, 'latin1'), '2\n')
    gitIn(top, env, 'add', '-A')
    gitIn(top, env, 'commit', '-q', '-m', 'latin-1 names')
    const hook = join(top, '.git/hooks/pre-commit')
    writeFileSync(
      hook,
      '#!/bin/sh\ngit diff --cached --name-status HEAD > "$(git rev-parse --git-dir)/hook-saw"\nsed -i "s/ *$//" feeds/kalshi.yaml && git add feeds/kalshi.yaml\n',
    )
    chmodSync(hook, 0o755)
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed   \n')
    const r = await ssmd(['commit', '--no-validate', '-m', 'feeds'], { cwd: top, env })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(join(top, '.git/hook-saw'), 'utf8')).to.equal('M\tfeeds/kalshi.yaml\n')
    expect(gitIn(top, env, 'show', '--name-status', '--format=', 'HEAD')).to.equal('M\tfeeds/kalshi.yaml\n')
    expect(gitIn(top, env, 'show', 'HEAD:feeds/kalshi.yaml')).to.match(/# changed\n$/)
    fsck(top, env)
  })

  it('leaves alone a name that is not UTF-8 that git ignores under the ssmd folders, as git add does', async () => {
    const env = isolatedGitEnv()
    const { top, root } = repoWith(env)
    writeFileSync(join(top, 'feeds', '.gitignore'), 'tmp/\n*.bak\n')
    gitIn(top, env, 'add', '-A')
    gitIn(top, env, 'commit', '-q', '-m', 'ignore')
    mkdirSync(join(top, 'feeds', 'tmp'))
    writeFileSync(Buffer.from(`${top}/feeds/tmp/caf\xe9.txt`, 'latin1'), 'x\n')
    writeFileSync(Buffer.from(`${top}/feeds/caf\xe9.bak`, 'latin1'), 'x\n')
    mkdirSync(Buffer.from(`${top}/feeds/d\xe9.bak`, 'latin1'))
    writeFileSync(Buffer.from(`${top}/feeds/d\xe9.bak/x.yaml`, 'latin1'), 'x\n')
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed\n')
    const diff = await ssmd(['diff'], { cwd: top, env })
    expect([diff.code, diff.stderr]).to.deep.equal([0, ''])
    expect(diff.stdout).to.contain('feeds/kalshi.yaml')
    const v = await ssmd(['validate', '--format', 'json'], { cwd: top, env })
    expect(v.stdout).to.not.contain('not UTF-8')
    await crossCheck(top, root, env)
  })

  it("keeps a file changed in its entry's own second, at the same size, visible to git after a commit (racily clean, at git's whole seconds) (13)", async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    const out = join(top, 'out.txt')
    writeFileSync(out, 'AAAA\n')
    gitIn(top, env, 'add', 'out.txt')
    gitIn(top, env, 'commit', '-q', '-m', 'out')
    // Changed at the same size, in the second its index entry was recorded (both moved two minutes back, so that the
    // commit below writes the index in a later second); only the nanoseconds of the recorded stat data differ.
    writeFileSync(out, 'BBBB\n')
    const then = new Date(Math.floor(Date.now() / 1000) * 1000 - 120_000)
    utimesSync(out, then, then)
    const index = GitIndex.read(join(top, '.git', 'index'))
    const entry = index.entries.find(e => e.path === 'out.txt')!
    const stat = statBlock(lstatSync(out, { bigint: true }), '100644')
    for (const nsec of [4, 12]) stat.writeUInt32BE((stat.readUInt32BE(nsec) + 500_000_000) % 1_000_000_000, nsec)
    index.set({ path: 'out.txt', stat, oid: entry.oid, flags: 0, extended: 0 })
    writeFileSync(join(top, '.git', 'index'), index.serialize())
    utimesSync(join(top, '.git', 'index'), then, then)
    const shown = () => gitIn(top, env, '--no-optional-locks', 'status', '--porcelain').split('\n').filter(Boolean)
    expect(shown()).to.deep.equal([' M out.txt'])
    appendFileSync(join(top, 'feeds', 'kalshi.yaml'), '# changed\n')
    const r = await ssmd(['commit', '--no-validate', '-m', 'feeds only'], { cwd: top, env })
    expect(r.code, r.stderr).to.equal(0)
    // git still sees the change: the entry's recorded size was set to 0, as git itself does before writing an index.
    expect(shown()).to.deep.equal([' M out.txt'])
    expect(gitIn(top, env, 'diff', '--stat')).to.include('out.txt')
    fsck(top, env)
  })

  it("refreshes stale stat data in the index after a diff proves files unchanged, under git's lock (13)", async () => {
    const env = isolatedGitEnv()
    const { top } = repoWith(env)
    const past = new Date(Date.now() - 60000)
    for (const dir of ['feeds', 'schemas', 'environments']) for (const f of readdirSync(join(top, dir))) utimesSync(join(top, dir, f), past, past)
    utimesSync(join(top, 'ssmd.yaml'), past, past)
    gitIn(top, env, 'status', '--porcelain')
    const copy = join(tempDir(), 'copied')
    execFileSync('cp', ['-a', top, copy])
    const dirty = () => gitIn(copy, env, 'diff-files', '--name-only').split('\n').filter(Boolean)
    expect(dirty().length).to.be.greaterThan(5)
    // While git holds the lock the refresh is skipped silently.
    writeFileSync(join(copy, '.git/index.lock'), '')
    let d = await ssmd(['diff'], { cwd: copy, env })
    expect(d).to.deep.include({ code: 0, stdout: 'No changes to ssmd files.\n', stderr: '' })
    expect(dirty().length).to.be.greaterThan(5)
    rmSync(join(copy, '.git/index.lock'))
    d = await ssmd(['diff'], { cwd: copy, env })
    expect(d.stdout).to.equal('No changes to ssmd files.\n')
    expect(dirty()).to.deep.equal([])
    expect(gitIn(copy, env, 'status', '--porcelain')).to.equal('')
    fsck(copy, env)
  })
})
