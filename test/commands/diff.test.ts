import { expect } from 'chai'
import { appendFileSync, chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { EXAMPLE_REPO, exampleRepo, git, tempDir } from '../helpers/repo.js'

describe('ssmd diff', () => {
  it('says so when nothing changed', async () => {
    const dir = exampleRepo({ git: true })
    const r = await ssmd(['diff'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout.trim()).to.equal('No changes to ssmd files.')
  })

  it("groups modified, new and deleted files, staged or not, and ignores other files and ssmd's own under .ssmd/", async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# note\n')
    writeFileSync(join(dir, 'feeds/new-feed.yaml'), 'name: new-feed\n')
    rmSync(join(dir, 'environments/kalshi-dev.yaml'))
    appendFileSync(join(dir, 'schemas/trade.yaml'), '# staged\n')
    git(dir, 'add', 'schemas/trade.yaml')
    writeFileSync(join(dir, 'README.txt'), 'not an ssmd file\n')
    // ssmd's own locks and temporary files live under .ssmd/ and are never listed ...
    mkdirSync(join(dir, '.ssmd/locks'), { recursive: true })
    mkdirSync(join(dir, '.ssmd/tmp'), { recursive: true })
    writeFileSync(join(dir, '.ssmd/locks/feeds%2Fkalshi.yaml.lock'), String(process.pid))
    writeFileSync(join(dir, '.ssmd/tmp/kalshi.yaml.123.abc.tmp'), 'x')
    // ... so files in ssmd folders that merely look like them are the user's and are listed.
    writeFileSync(join(dir, 'feeds/kalshi.yaml.lock'), String(process.pid))
    writeFileSync(join(dir, 'feeds/.kalshi.yaml.123.abc.tmp'), 'x')
    const r = await ssmd(['diff'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(
      [
        'Modified:',
        '  feeds/kalshi.yaml',
        '  schemas/trade.yaml',
        '',
        'New:',
        '  feeds/.kalshi.yaml.123.abc.tmp',
        '  feeds/kalshi.yaml.lock',
        '  feeds/new-feed.yaml',
        '',
        'Deleted:',
        '  environments/kalshi-dev.yaml',
        '',
      ].join('\n'),
    )
  })

  it('shows paths relative to the working directory, or to the -C folder (like git -C)', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# note\n')
    appendFileSync(join(dir, 'schemas/trade.yaml'), '# note\n')
    const fromFeeds = await ssmd(['diff'], { cwd: join(dir, 'feeds') })
    expect(fromFeeds.stdout).to.equal('Modified:\n  kalshi.yaml\n  ../schemas/trade.yaml\n')
    // git shows the same paths from the same folder.
    expect(git(join(dir, 'feeds'), 'status', '--short').split('\n').filter(Boolean)).to.deep.equal([' M kalshi.yaml', ' M ../schemas/trade.yaml'])
    const elsewhere = tempDir()
    const withC = await ssmd(['diff', '-C', dir], { cwd: elsewhere })
    expect(withC.code, withC.stderr).to.equal(0)
    expect(withC.stdout).to.equal('Modified:\n  feeds/kalshi.yaml\n  schemas/trade.yaml\n')
    const withSubfolder = await ssmd(['diff', '-C', join(dir, 'schemas')], { cwd: elsewhere })
    expect(withSubfolder.stdout).to.equal('Modified:\n  ../feeds/kalshi.yaml\n  trade.yaml\n')
  })

  it('--json gives root- and git-relative paths; --stat and --patch add counts and the patch', async () => {
    const dir = join(tempDir(), 'mono')
    const root = join(dir, 'config', 'ssmd')
    mkdirSync(root, { recursive: true })
    cpSync(EXAMPLE_REPO, root, { recursive: true })
    writeFileSync(join(dir, 'app.txt'), 'app\n')
    git(dir, 'init', '-q', '-b', 'main')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'initial')
    const kalshi = join(root, 'feeds/kalshi.yaml')
    writeFileSync(kalshi, readFileSync(kalshi, 'utf8').replace('display_name:', 'display_name: X\nx_display_name:'))
    writeFileSync(join(root, 'feeds/new.yaml'), 'name: new\n')
    writeFileSync(join(dir, 'app.txt'), 'changed\n')

    const plain = JSON.parse((await ssmd(['diff', '--json', '-C', 'config/ssmd'], { cwd: dir })).stdout)
    expect(plain).to.deep.equal({
      modified: [{ path: 'feeds/kalshi.yaml', git_path: 'config/ssmd/feeds/kalshi.yaml' }],
      added: [{ path: 'feeds/new.yaml', git_path: 'config/ssmd/feeds/new.yaml' }],
      deleted: [],
    })

    const withPatch = JSON.parse((await ssmd(['diff', '--json', '--patch'], { cwd: root })).stdout)
    expect(withPatch.modified[0]).to.include({ insertions: 2, deletions: 1 })
    // The patch is git's own: `git apply --check -R` accepts it against the working tree.
    const patchFile = join(tempDir(), 'p.diff')
    writeFileSync(patchFile, withPatch.modified[0].patch + withPatch.added[0].patch)
    expect(withPatch.modified[0].patch).to.equal(git(dir, 'diff', '--', 'config/ssmd/feeds/kalshi.yaml'))
    git(dir, 'apply', '--check', '-R', patchFile)

    const stat = await ssmd(['diff', '--stat'], { cwd: root })
    expect(stat.stdout).to.equal([' feeds/kalshi.yaml | 3 ++-', ' feeds/new.yaml    | 1 +', ' 2 files changed, 3 insertions(+), 1 deletion(-)', ''].join('\n'))
  })

  it('--patch prints each file after the list', async () => {
    const dir = exampleRepo({ git: true })
    writeFileSync(join(dir, 'feeds/a b é.yaml'), 'name: x\n')
    const r = await ssmd(['diff', '--patch'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    // Names are quoted as git quotes them (core.quotePath): the patch is git's, byte for byte.
    expect(r.stdout).to.contain('New:\n  "feeds/a b \\303\\251.yaml"\n\ndiff --git "a/feeds/a b \\303\\251.yaml" "b/feeds/a b \\303\\251.yaml"\nnew file mode 100644\n')
    expect(r.stdout).to.contain('--- /dev/null\n+++ "b/feeds/a b \\303\\251.yaml"\t\n@@ -0,0 +1 @@\n+name: x\n')
    git(dir, 'add', '-N', 'feeds')
    expect(r.stdout).to.contain(git(dir, 'diff', '--', 'feeds/a b é.yaml'))
    expect((await ssmd(['diff', '--patch'], { cwd: dir, env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.quotePath', GIT_CONFIG_VALUE_0: 'false' } })).stdout).to.contain(
      'New:\n  feeds/a b é.yaml\n',
    )
  })

  it('never shows ignored files, but shows tracked ones that match an ignore rule', async () => {
    const dir = exampleRepo({ git: true })
    writeFileSync(join(dir, '.gitignore'), '*.bak\nfeeds/scratch/\n!keep.bak\n')
    writeFileSync(join(dir, 'feeds/kalshi.yaml.bak'), 'x')
    mkdirSync(join(dir, 'feeds/scratch'))
    writeFileSync(join(dir, 'feeds/scratch/keep.bak'), 'x')
    writeFileSync(join(dir, 'feeds/keep.bak'), 'x')
    writeFileSync(join(dir, 'feeds/forced.bak'), 'x')
    git(dir, 'add', '-f', 'feeds/forced.bak')
    const r = JSON.parse((await ssmd(['diff', '--json'], { cwd: dir })).stdout)
    const ours = r.added
      .map((f: { git_path: string }) => f.git_path)
      .filter((p: string) => p.startsWith('feeds/'))
      .sort()
    expect(r.added.map((f: { git_path: string }) => f.git_path)).to.include('.gitignore')
    const gits = git(dir, 'status', '--porcelain', '-uall', '--', 'feeds')
      .split('\n')
      .filter(Boolean)
      .map(l => l.slice(3))
      .sort()
    expect(ours).to.deep.equal(['feeds/forced.bak', 'feeds/keep.bak'])
    expect(ours).to.deep.equal(gits)
  })

  it('works in a repository with no commits, after git wrote the index, with CRLF and mode changes', async () => {
    const dir = exampleRepo()
    git(dir, 'init', '-q', '-b', 'main')
    git(dir, 'add', 'feeds')
    const r = JSON.parse((await ssmd(['diff', '--json'], { cwd: dir })).stdout)
    expect(r.modified).to.deep.equal([])
    const untracked = git(dir, 'status', '--porcelain', '-uall')
      .split('\n')
      .filter(Boolean)
      .map(l => l.slice(3))
      .sort()
    expect(r.added.map((f: { path: string }) => f.path).sort()).to.deep.equal(untracked)

    const repo = exampleRepo({ git: true })
    writeFileSync(join(repo, 'feeds/crlf.yaml'), 'name: crlf\r\ntype: websocket\r\n')
    git(repo, 'add', 'feeds/crlf.yaml')
    git(repo, 'commit', '-q', '-m', 'crlf')
    writeFileSync(join(repo, 'feeds/crlf.yaml'), 'name: crlf\r\ntype: rest\r\n')
    chmodSync(join(repo, 'feeds/kraken.yaml'), 0o755)
    const d = JSON.parse((await ssmd(['diff', '--json', '--patch'], { cwd: repo })).stdout)
    expect(d.modified.map((f: { path: string }) => f.path)).to.deep.equal(['feeds/crlf.yaml', 'feeds/kraken.yaml'])
    expect(d.modified[0].patch).to.contain('-type: websocket\r\n+type: rest\r\n')
    expect(d.modified[1]).to.include({ old_mode: '100644', new_mode: '100755', insertions: 0, deletions: 0 })
  })

  it('reads packed and deltified objects (after git gc)', async () => {
    const dir = exampleRepo({ git: true })
    const kalshi = join(dir, 'feeds/kalshi.yaml')
    for (let i = 0; i < 5; i++) {
      appendFileSync(kalshi, `# revision ${i}\n`)
      git(dir, 'commit', '-q', '-am', `r${i}`)
    }
    git(dir, 'gc', '-q', '--aggressive')
    appendFileSync(kalshi, '# working\n')
    const r = JSON.parse((await ssmd(['diff', '--json', '--patch'], { cwd: dir })).stdout)
    expect(r.modified[0].patch).to.equal(git(dir, 'diff', '--', 'feeds/kalshi.yaml'))
  })

  it('refuses outside a git repository, pointing to ssmd init', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['diff'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/not a git repository.*ssmd init/)
  })
})
