import { expect } from 'chai'
import { ssmdProcess } from '../helpers/cli.js'
import { EXAMPLE_REPO, exampleRepo, git, tempDir } from '../helpers/repo.js'

describe('built CLI as a process', () => {
  it('prints its version', () => {
    const r = ssmdProcess(['--version'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^ssmd\/\d+\.\d+\.\d+ /)
    expect(r.stderr).to.equal('')
  })

  it('shows help with every topic', () => {
    const r = ssmdProcess(['--help'])
    expect(r.code).to.equal(0)
    for (const t of ['feed', 'init', 'plugins', 'completion']) expect(r.stdout).to.contain(t)
  })

  it('lists the example feeds', () => {
    const r = ssmdProcess(['feed', 'list', '-C', EXAMPLE_REPO])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout.split('\n')[0]).to.match(/^NAME\s+TYPE\s+STATUS\s+VERSIONS$/)
    expect(r.stdout).to.match(/kalshi\s+websocket\s+active\s+2/)
  })

  it('emits only JSON on stdout with --json', () => {
    const r = ssmdProcess(['feed', 'list', '--json', '-C', EXAMPLE_REPO])
    expect(JSON.parse(r.stdout).map((f: { name: string }) => f.name)).to.deep.equal(['kalshi', 'kraken', 'polymarket'])
  })

  it('fails with one line and exit 1 outside a repository, no stack trace', () => {
    const r = ssmdProcess(['feed', 'list'], { cwd: tempDir() })
    expect(r.code).to.equal(1)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expect(r.stderr).to.match(/not an ssmd repository.*ssmd init/)
    expect(r.stderr).not.to.match(/\n\s+at /)
  })

  it('exits 2 on an unknown flag', () => {
    const r = ssmdProcess(['feed', 'list', '--nope', '-C', EXAMPLE_REPO])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/--nope/)
  })

  it('rejects a mistyped command and points at help', () => {
    const r = ssmdProcess(['feed', 'lst', '-C', EXAMPLE_REPO])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/'feed lst' is not an ssmd command; did you mean 'ssmd feed list'\?/)
    expect(r.stderr).to.match(/ssmd feed --help/)
  })

  it('prints a bash completion setup', () => {
    const r = ssmdProcess(['completion', 'bash'], { env: { HOME: tempDir(), XDG_CACHE_HOME: tempDir() } })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/ssmd/)
  })

  it('lists plugins', () => {
    const r = ssmdProcess(['plugins'], { env: { XDG_DATA_HOME: tempDir() } })
    expect(r.code, r.stderr).to.equal(0)
  })
})

describe('git workflow without a git executable', () => {
  it('edits, diffs and commits with only node on PATH; git itself accepts the result', async () => {
    const { dirname } = await import('node:path')
    const dir = exampleRepo({ git: true })
    // Only the folder holding node: no git binary can be found.
    const env = { PATH: dirname(process.execPath), GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com' }
    const edit = ssmdProcess(['feed', 'update', 'kalshi', '--rate-limit', '20'], { cwd: dir, env })
    expect(edit.code, edit.stderr).to.equal(0)
    const diff = ssmdProcess(['diff'], { cwd: dir, env })
    expect(diff.stdout).to.equal('Modified:\n  feeds/kalshi.yaml\n')
    const commit = ssmdProcess(['commit', '-m', 'kalshi: raise the rate limit'], { cwd: dir, env })
    expect(commit.code, commit.stderr).to.equal(0)
    expect(commit.stdout).to.match(/^\[main [0-9a-f]{7}\] kalshi: raise the rate limit\n/)
    expect(git(dir, 'log', '-1', '--format=%an <%ae> %s')).to.equal('Ada <ada@example.com> kalshi: raise the rate limit\n')
    expect(git(dir, 'status', '--porcelain')).to.equal('')
    git(dir, 'fsck', '--strict')
  })
})
