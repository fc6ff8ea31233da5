import { expect } from 'chai'
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { EXAMPLE_REPO, exampleRepo, git, tempDir } from '../helpers/repo.js'

/** An environment that owns nothing of the user's: no global git config, a known author. */
function isolated(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const home = tempDir('ssmd-home-')
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_GLOBAL: undefined,
    EMAIL: undefined,
    GIT_AUTHOR_NAME: 'Ssmd Tester',
    GIT_AUTHOR_EMAIL: 'tester@example.com',
    GIT_COMMITTER_NAME: 'Ssmd Tester',
    GIT_COMMITTER_EMAIL: 'tester@example.com',
    ...extra,
  }
}

const porcelain = (dir: string) => git(dir, 'status', '--porcelain', '-uall').split('\n').filter(Boolean)

describe('ssmd commit', () => {
  it('commits modified, new and deleted ssmd files and nothing else; what the user staged stays staged', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# reviewed\n')
    writeFileSync(join(dir, 'schemas/extra.capnp'), '@0xbf5147cbbecf40c1;\nstruct Extra { id @0 :UInt64; }\n')
    rmSync(join(dir, 'environments/kalshi-dev.yaml'))
    writeFileSync(join(dir, 'notes.md'), 'staged by the user\n')
    git(dir, 'add', 'notes.md')
    writeFileSync(join(dir, 'todo.txt'), 'untracked\n')
    const otherBefore = git(dir, 'ls-files', '-s', '--', 'notes.md')

    const r = await ssmd(['commit', '-m', 'kalshi: reviewed', '--no-validate'], { cwd: dir, env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    const short = git(dir, 'rev-parse', '--short=7', 'HEAD').trim()
    expect(r.stdout).to.equal(`[main ${short}] kalshi: reviewed\n 3 files changed (1 modified, 1 new, 1 deleted)\n`)

    expect(git(dir, 'show', '--name-status', '--format=%an <%ae>%n%s', 'HEAD').trim().split('\n')).to.deep.equal([
      'Ssmd Tester <tester@example.com>',
      'kalshi: reviewed',
      '',
      'D\tenvironments/kalshi-dev.yaml',
      'M\tfeeds/kalshi.yaml',
      'A\tschemas/extra.capnp',
    ])
    expect(porcelain(dir)).to.deep.equal(['A  notes.md', '?? todo.txt'])
    expect(git(dir, 'ls-files', '-s', '--', 'notes.md')).to.equal(otherBefore)
    expect(git(dir, 'log', '--format=%s')).to.equal('kalshi: reviewed\ninitial\n')
    git(dir, 'fsck', '--strict', '--no-progress')
    expect(git(dir, 'reflog', '-1', '--format=%gs')).to.equal('commit: kalshi: reviewed\n')
    expect((await ssmd(['diff'], { cwd: dir })).stdout).to.equal('No changes to ssmd files.\n')
  })

  it('refuses when there is nothing to commit (exit 1)', async () => {
    const dir = exampleRepo({ git: true })
    writeFileSync(join(dir, 'other.txt'), 'x')
    const r = await ssmd(['commit', '-m', 'nothing', '--no-validate'], { cwd: dir, env: isolated() })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('nothing to commit (no changes to ssmd files)')
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).to.equal('1')
  })

  it('makes the first commit of a repository with no commits, with the root .gitignore, leaving other files untracked', async () => {
    const dir = exampleRepo()
    git(dir, 'init', '-q', '-b', 'trunk')
    writeFileSync(join(dir, '.gitignore'), '.ssmd/\n*.bak\n')
    writeFileSync(join(dir, 'feeds/kalshi.yaml.bak'), 'ignored')
    writeFileSync(join(dir, 'app.js'), 'untracked')
    const r = await ssmd(['commit', '-m', 'first', '--no-validate'], { cwd: dir, env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^\[trunk \(root-commit\) [0-9a-f]{7}\] first\n 16 files changed \(16 new\)\n$/)
    const committed = git(dir, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n').filter(Boolean)
    expect(committed).to.include('ssmd.yaml').and.to.include('feeds/.gitkeep').and.not.to.include('feeds/kalshi.yaml.bak')
    expect(committed.every(p => /^(feeds|schemas|environments)\/|^ssmd\.yaml$|^\.gitignore$/.test(p))).to.equal(true)
    expect(committed).to.include('.gitignore')
    expect(porcelain(dir)).to.deep.equal(['?? app.js'])
    git(dir, 'fsck', '--strict', '--no-progress')
  })

  it('works when the ssmd root is a subfolder of the repository, after git wrote the index with extensions', async () => {
    const dir = join(tempDir(), 'mono')
    const root = join(dir, 'config', 'ssmd')
    mkdirSync(root, { recursive: true })
    cpSync(EXAMPLE_REPO, root, { recursive: true })
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'app.ts'), 'export {}\n')
    git(dir, 'init', '-q', '-b', 'main')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'initial')
    // A cache-tree (TREE) extension and an intent-to-add entry (index v3).
    git(dir, 'update-index', '--index-version', '2')
    writeFileSync(join(dir, 'src', 'later.ts'), 'x\n')
    git(dir, 'add', '-N', 'src/later.ts')
    writeFileSync(join(dir, 'src', 'app.ts'), 'export const x = 1\n')
    git(dir, 'add', 'src/app.ts')
    const othersBefore = git(dir, 'ls-files', '-s', '--', 'src')
    expect(readFileSync(join(dir, '.git', 'index')).readUInt32BE(4)).to.equal(3)

    appendFileSync(join(root, 'feeds', 'kraken.yaml'), '# touched\n')
    writeFileSync(join(root, 'ssmd.yaml'), readFileSync(join(root, 'ssmd.yaml'), 'utf8') + '# policy\n')
    const r = await ssmd(['commit', '-m', 'kraken', '--no-validate'], { cwd: join(root, 'feeds'), env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n')).to.deep.equal(['config/ssmd/feeds/kraken.yaml', 'config/ssmd/ssmd.yaml'])
    expect(git(dir, 'ls-files', '-s', '--', 'src')).to.equal(othersBefore)
    expect(porcelain(dir)).to.deep.equal(['M  src/app.ts', ' A src/later.ts'])
    git(dir, 'fsck', '--strict', '--no-progress')
    // git can keep working with the index ssmd wrote.
    git(dir, 'commit', '-q', '-m', 'app')
    expect(porcelain(dir)).to.deep.equal([' A src/later.ts'])
  })

  it('commits CRLF files byte for byte and names with spaces or unicode', async () => {
    const dir = exampleRepo({ git: true })
    writeFileSync(join(dir, 'feeds/win dows.yaml'), 'name: windows\r\ntype: rest\r\n')
    writeFileSync(join(dir, 'environments/zürich-prod.yaml'), 'name: zürich-prod\n')
    const r = await ssmd(['commit', '-m', 'names', '--no-validate'], { cwd: dir, env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    expect(git(dir, 'cat-file', 'blob', 'HEAD:feeds/win dows.yaml')).to.equal('name: windows\r\ntype: rest\r\n')
    expect(git(dir, '-c', 'core.quotePath=false', 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).to.deep.equal([
      'environments/zürich-prod.yaml',
      'feeds/win dows.yaml',
    ])
    expect(porcelain(dir)).to.deep.equal([])
  })

  it('stages nothing and exits 1 when validation finds errors; --no-validate commits anyway', async () => {
    const dir = exampleRepo({ git: true })
    writeFileSync(join(dir, 'feeds/broken.yaml'), 'name: broken\ntype: carrier-pigeon\nversions: 3\n')
    const indexBefore = readFileSync(join(dir, '.git/index'))
    const r = await ssmd(['commit', '-m', 'broken'], { cwd: dir, env: isolated() })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/broken\.yaml/)
    expect(r.stderr).to.match(/validation found \d+ errors?; nothing was staged or committed/)
    expect(readFileSync(join(dir, '.git/index')).equals(indexBefore)).to.equal(true)
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).to.equal('1')

    const forced = await ssmd(['commit', '-m', 'broken', '--no-validate'], { cwd: dir, env: isolated() })
    expect(forced.code, forced.stderr).to.equal(0)
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).to.equal('2')
  })

  it('validates a clean repository and commits', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# ok\n')
    const r = await ssmd(['commit', '-m', 'ok', '--json'], { cwd: dir, env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    const out = JSON.parse(r.stdout)
    expect(out).to.include({ branch: 'main', subject: 'ok', root_commit: false, author: 'Ssmd Tester <tester@example.com>' })
    expect(out.commit).to.equal(git(dir, 'rev-parse', 'HEAD').trim())
    expect(out.files).to.deep.equal([{ kind: 'modified', path: 'feeds/kalshi.yaml', git_path: 'feeds/kalshi.yaml' }])
    expect(out.validation.errors).to.equal(0)
  })

  it('validates with the cache where --cache-location (or SSMD_CACHE_LOCATION) says, and refuses a location that is not a folder', async () => {
    const dir = exampleRepo({ git: true })
    const location = join(tempDir(), 'ci-cache')
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# ok\n')
    const r = await ssmd(['commit', '-m', 'ok', '--cache-location', location, '--cache-strategy', 'content'], { cwd: dir, env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    expect(existsSync(join(location, 'documents.bin'))).to.equal(true)
    expect(existsSync(join(dir, '.ssmd', 'cache'))).to.equal(false)
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# again\n')
    const bad = await ssmd(['commit', '-m', 'again'], { cwd: dir, env: isolated({ SSMD_CACHE_LOCATION: join(dir, 'feeds/kalshi.yaml') }) })
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/^Error: SSMD_CACHE_LOCATION .*kalshi\.yaml: not a folder/)
    expect(porcelain(dir)).to.deep.equal([' M feeds/kalshi.yaml'])
  })

  describe('author', () => {
    const commitAs = async (env: Record<string, string | undefined>, args: string[] = [], setup?: (dir: string) => void) => {
      const dir = exampleRepo({ git: true })
      setup?.(dir)
      appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# who\n')
      const r = await ssmd(['commit', '-m', 'who', '--no-validate', ...args], { cwd: dir, env })
      const who = r.code === 0 ? git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>').trim() : undefined
      return { ...r, who }
    }
    const none = { GIT_AUTHOR_NAME: undefined, GIT_AUTHOR_EMAIL: undefined, GIT_COMMITTER_NAME: undefined, GIT_COMMITTER_EMAIL: undefined }

    it('takes --author first', async () => {
      const r = await commitAs(isolated(), ['--author', 'Ada Lovelace <ada@example.com>'])
      expect(r.who).to.equal('Ada Lovelace <ada@example.com>|Ssmd Tester <tester@example.com>')
    })

    it('then GIT_AUTHOR_*, then the repository config, then the global config', async () => {
      const env = isolated(none)
      mkdirSync(join(env.XDG_CONFIG_HOME!, 'git'), { recursive: true })
      writeFileSync(join(env.XDG_CONFIG_HOME!, 'git', 'config'), '[user]\n\tname = Xdg User\n\temail = xdg@example.com\n')
      expect((await commitAs(env)).who).to.equal('Xdg User <xdg@example.com>|Xdg User <xdg@example.com>')
      writeFileSync(join(env.HOME!, '.gitconfig'), '# global\n[user]\n  name = "Global User" ; comment\n  email = global@example.com\n')
      expect((await commitAs(env)).who).to.equal('Global User <global@example.com>|Global User <global@example.com>')
      const repoConfig = (dir: string) => git(dir, 'config', 'user.email', 'repo@example.com')
      expect((await commitAs(env, [], repoConfig)).who).to.equal('Global User <repo@example.com>|Global User <repo@example.com>')
      expect((await commitAs({ ...env, GIT_AUTHOR_NAME: 'Env Author', GIT_AUTHOR_EMAIL: 'env@example.com' }, [], repoConfig)).who).to.equal(
        'Env Author <env@example.com>|Global User <repo@example.com>',
      )
    })

    it('refuses an author without an email, saying how to set one', async () => {
      const env = isolated({ ...none, GIT_AUTHOR_NAME: 'No Mail' })
      const r = await commitAs(env)
      expect(r.code).to.equal(1)
      expect(r.stderr).to.contain('no author email configured').and.to.contain('git config --global user.email').and.to.contain('--author')
      const bad = await commitAs(isolated(), ['--author', 'No Mail <>'])
      expect(bad.code).to.equal(2)
      expect(bad.stderr).to.contain('the email is empty')
    })
  })

  it('refuses outside a git repository, and while git holds the index lock', async () => {
    const plain = exampleRepo()
    const r = await ssmd(['commit', '-m', 'x', '--no-validate'], { cwd: plain, env: isolated() })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/not a git repository.*ssmd init/)

    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# x\n')
    writeFileSync(join(dir, '.git/index.lock'), '')
    const locked = await ssmd(['commit', '-m', 'x', '--no-validate'], { cwd: dir, env: isolated() })
    expect(locked.code).to.equal(1)
    expect(locked.stderr).to.contain('index.lock exists')
    expect(existsSync(join(dir, '.git/index.lock'))).to.equal(true)
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).to.equal('1')
  })

  it('stages the working state of ssmd files even when the index says otherwise', async () => {
    const dir = exampleRepo({ git: true })
    const kalshi = join(dir, 'feeds/kalshi.yaml')
    const original = readFileSync(kalshi)
    appendFileSync(kalshi, '# staged then reverted\n')
    git(dir, 'add', 'feeds/kalshi.yaml')
    writeFileSync(kalshi, original)
    writeFileSync(join(dir, 'feeds/gone.yaml'), 'name: gone\n')
    git(dir, 'add', 'feeds/gone.yaml')
    rmSync(join(dir, 'feeds/gone.yaml'))
    appendFileSync(join(dir, 'feeds/kraken.yaml'), '# real change\n')
    const r = await ssmd(['commit', '-m', 'kraken', '--no-validate'], { cwd: dir, env: isolated() })
    expect(r.code, r.stderr).to.equal(0)
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim()).to.equal('feeds/kraken.yaml')
    expect(porcelain(dir)).to.deep.equal([])
  })
})
