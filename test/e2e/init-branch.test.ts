/**
 * `ssmd init` names the first branch as `git init` does on the same
 * configuration: the built CLI and the git CLI run side by side with the same
 * HOME and environment, and their HEADs must match.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { tempDir } from '../helpers/repo.js'

/** An environment that reads only the git config this test writes (under `home`). */
function isolated(home: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: undefined,
    GIT_CONFIG_GLOBAL: undefined,
    GIT_CONFIG_SYSTEM: undefined,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_COUNT: undefined,
    GIT_DIR: undefined,
    GIT_WORK_TREE: undefined,
    ...extra,
  }
}

function gitInit(dir: string, env: Record<string, string | undefined>, args: string[] = []) {
  mkdirSync(dir, { recursive: true })
  const merged: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v
  return spawnSync('git', ['init', ...args], { cwd: dir, env: merged, encoding: 'utf8' })
}

const head = (dir: string) => readFileSync(join(dir, '.git', 'HEAD'), 'utf8')

/** Runs git init and ssmd init on the same configuration; both must succeed with the same HEAD, which is returned. */
function bothInit(home: string, env: Record<string, string | undefined>, args: string[] = []) {
  const viaGit = join(home, 'with-git')
  const viaSsmd = join(home, 'with-ssmd')
  const g = gitInit(viaGit, env, args)
  expect(g.status, g.stderr).to.equal(0)
  const s = ssmdProcess(['init', ...args, '-C', viaSsmd], { env })
  expect(s.code, s.stderr).to.equal(0)
  expect(head(viaSsmd)).to.equal(head(viaGit))
  return { head: head(viaSsmd), git: g, ssmd: s }
}

describe('ssmd init names the first branch as git init does (built CLI)', function () {
  this.timeout(120000)

  it("without init.defaultBranch: git's default, master, with a hint on stderr", () => {
    const home = tempDir()
    const r = bothInit(home, isolated(home))
    expect(r.head).to.equal('ref: refs/heads/master\n')
    expect(r.ssmd.stderr).to.contain("hint: using 'master' as the name of the initial branch")
    expect(r.ssmd.stderr).to.contain('git config --global init.defaultBranch <name>')
    expect(r.ssmd.stdout).not.to.contain('hint')
  })

  it('init.defaultBranch from ~/.gitconfig, through an include, with no hint', () => {
    const home = tempDir()
    writeFileSync(join(home, '.gitconfig'), '[include]\n\tpath = more.gitconfig\n')
    writeFileSync(join(home, 'more.gitconfig'), '[init]\n\tdefaultBranch = trunk\n')
    const r = bothInit(home, isolated(home))
    expect(r.head).to.equal('ref: refs/heads/trunk\n')
    expect(r.ssmd.stderr).not.to.contain('hint')
    const json = ssmdProcess(['init', '--json', '-C', join(home, 'json')], { env: isolated(home) })
    expect(JSON.parse(json.stdout)).to.deep.include({ git_initialized: true, git_branch: 'trunk' })
  })

  it('init.defaultBranch from XDG, GIT_CONFIG_GLOBAL, the system file and GIT_CONFIG_COUNT, in git order', () => {
    const home = tempDir()
    mkdirSync(join(home, 'xdg', 'git'), { recursive: true })
    writeFileSync(join(home, 'xdg', 'git', 'config'), '[init]\n\tdefaultBranch = from-xdg\n')
    expect(bothInit(join(home, 'a'), isolated(home, { XDG_CONFIG_HOME: join(home, 'xdg') })).head).to.equal('ref: refs/heads/from-xdg\n')

    writeFileSync(join(home, 'global'), '[init]\n\tdefaultBranch = from-global-env\n')
    // ~/.gitconfig would win over XDG; GIT_CONFIG_GLOBAL replaces both.
    writeFileSync(join(home, '.gitconfig'), '[init]\n\tdefaultBranch = from-home\n')
    expect(bothInit(join(home, 'b'), isolated(home, { GIT_CONFIG_GLOBAL: join(home, 'global') })).head).to.equal('ref: refs/heads/from-global-env\n')
    expect(bothInit(join(home, 'c'), isolated(home, { XDG_CONFIG_HOME: join(home, 'xdg') })).head).to.equal('ref: refs/heads/from-home\n')

    writeFileSync(join(home, 'system'), '[init]\n\tdefaultBranch = from-system\n')
    expect(bothInit(join(home, 'd'), isolated(home, { GIT_CONFIG_NOSYSTEM: undefined, GIT_CONFIG_SYSTEM: join(home, 'system'), GIT_CONFIG_GLOBAL: '' })).head).to.equal(
      'ref: refs/heads/from-system\n',
    )

    const count = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'init.defaultBranch', GIT_CONFIG_VALUE_0: 'release/2025' }
    expect(bothInit(join(home, 'e'), isolated(home, count)).head).to.equal('ref: refs/heads/release/2025\n')
  })

  it('--initial-branch (-b) wins over the config, as with git init -b', () => {
    const home = tempDir()
    writeFileSync(join(home, '.gitconfig'), '[init]\n\tdefaultBranch = trunk\n')
    expect(bothInit(home, isolated(home), ['-b', 'main']).head).to.equal('ref: refs/heads/main\n')
  })

  it('an init.defaultBranch git refuses is refused too, before anything is written', () => {
    const home = tempDir()
    writeFileSync(join(home, '.gitconfig'), '[init]\n\tdefaultBranch = bad..name\n')
    const g = gitInit(join(home, 'with-git'), isolated(home))
    expect(g.status).to.not.equal(0)
    const target = join(home, 'with-ssmd')
    const s = ssmdProcess(['init', '-C', target], { env: isolated(home) })
    expect(s.code).to.equal(1)
    expect(s.stderr.trim().split('\n')).to.have.length(1)
    expect(s.stderr).to.contain("init.defaultBranch 'bad..name' in your git config is not a valid branch name")
    expect(existsSync(target) ? readdirSync(target) : []).to.deep.equal([])

    const bad = ssmdProcess(['init', '-b', 'x.lock', '-C', target], { env: isolated(home) })
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.contain("--initial-branch 'x.lock' is not a valid branch name")
  })
})
