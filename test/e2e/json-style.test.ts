import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { pluginHome } from '../helpers/plugins.js'
import { exampleRepo, git, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

/** Every key of a JSON value, at any depth. */
function keys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keys(v, out)
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k)
      keys(v, out)
    }
  }
  return out
}

const author = { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' }

describe('JSON output style (built CLI)', () => {
  it('uses snake_case for every key across commands (the example documents are snake_case too)', () => {
    const repo = exampleRepo({ git: true })
    writeFileSync(join(repo, 'feeds/kraken.yaml'), readFileSync(join(repo, 'feeds/kraken.yaml'), 'utf8').replace('rate_limit_per_second: 1', 'rate_limit_per_second: 2'))
    const runs = [
      ['feed', 'list'],
      ['feed', 'show', 'kalshi'],
      ['env', 'list'],
      ['env', 'show', 'kalshi-prod'],
      ['schema', 'list'],
      ['schema', 'show', 'trade'],
      ['rules', 'list'],
      ['validate'],
      ['diff', '--stat'],
      ['key', 'list', 'kalshi-prod'],
      ['schema', 'hash', 'trade'],
      ['feed', 'show', 'nope'],
      ['commit', '-m', 'raise the kraken limit'],
    ]
    for (const args of runs) {
      const r = ssmdProcess([...args, '--json'], { cwd: repo, env: author })
      const found = keys(JSON.parse(r.stdout)).filter(k => /[a-z][A-Z]/.test(k))
      expect(found, `${args.join(' ')}: ${r.stdout.slice(0, 400)}`).to.deep.equal([])
    }
    const error = JSON.parse(ssmdProcess(['feed', 'show', 'nope', '--json'], { cwd: repo }).stdout)
    expect(error).to.deep.equal({ error: { code: 'not-found', message: "feed 'nope' not found (ssmd feed list)", exit_code: 1 } })
  })

  it('commit --json carries the findings, whether it commits or refuses', () => {
    const repo = exampleRepo({ git: true })
    const feed = join(repo, 'feeds/kalshi.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('America/New_York', 'America/Nowhere'))
    const refused = ssmdProcess(['commit', '-m', 'bad', '--json'], { cwd: repo, env: author })
    expect(refused.code).to.equal(1)
    const out = JSON.parse(refused.stdout)
    expect(out.error).to.include({ code: 'invalid', exit_code: 1 })
    expect(out.validation.errors).to.equal(1)
    expect(out.validation.findings.map((f: { rule: string; file: string; line: number }) => `${f.rule} ${f.file}:${f.line}`)).to.deep.equal(['feed/timezone feeds/kalshi.yaml:33'])
    expect(out.validation.summary).to.include({ errors: 1, files_with_errors: 1 })
    // The findings are in the JSON, not repeated as text on stderr.
    expect(refused.stderr.trim().split('\n')).to.have.length(1)
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('America/Nowhere', 'America/Chicago'))
    const ok = ssmdProcess(['commit', '-m', 'kalshi: Chicago', '--json'], { cwd: repo, env: author })
    expect(ok.code, ok.stderr).to.equal(0)
    const done = JSON.parse(ok.stdout)
    expect(done).to.include({ subject: 'kalshi: Chicago', root_commit: false })
    expect(done.files).to.deep.equal([{ kind: 'modified', path: 'feeds/kalshi.yaml', git_path: 'feeds/kalshi.yaml' }])
    expect(done.validation).to.include({ errors: 0 })
    expect(done.validation.findings).to.be.an('array')
  })

  it('plugins --json is a small documented list', () => {
    const env = pluginHome()
    const before = ssmdProcess(['plugins', '--json'], { env })
    expect(before.code, before.stderr).to.equal(0)
    const core = JSON.parse(before.stdout)
    expect(core[0]).to.deep.equal({ name: 'ssmd', version: JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version, type: 'core' })
    expect(core.every((p: object) => Object.keys(p).every(k => ['name', 'version', 'type', 'root'].includes(k)))).to.equal(true)
    expect(ssmdProcess(['plugins'], { env }).stdout).to.equal('No plugins installed.\n')
    const plugin = join(PROJECT_ROOT, 'examples/plugin-acme')
    expect(ssmdProcess(['plugins', 'link', '--no-install', plugin], { env }).code).to.equal(0)
    const after = JSON.parse(ssmdProcess(['plugins', '--json'], { env }).stdout)
    expect(after.at(-1)).to.deep.equal({
      name: 'ssmd-plugin-acme',
      version: '1.0.0',
      type: 'link',
      root: plugin,
      rules: ['acme/prod-s3', 'acme/websocket-rate-limit'],
      hooks: [{ event: 'validate', runs: true }],
      commands: [],
    })
    expect(before.stdout.length).to.be.below(1000)
    expect(ssmdProcess(['plugins'], { env }).stdout).to.equal(
      `ssmd-plugin-acme 1.0.0 (link) ${plugin}\n  rules: acme/prod-s3, acme/websocket-rate-limit\n  hooks: validate\n  commands: none\n`,
    )
  })

  it('init then commit leaves nothing ssmd created untracked', () => {
    const dir = tempDir()
    expect(ssmdProcess(['init'], { cwd: dir }).code).to.equal(0)
    const init = JSON.parse(ssmdProcess(['init', '--json'], { cwd: dir }).stdout)
    expect(init).to.deep.equal({ root: dir, created: [], git_initialized: false, git_root: dir })
    const r = ssmdProcess(['commit', '-m', 'start'], { cwd: dir, env: author })
    expect(r.code, r.stderr).to.equal(0)
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).to.equal('')
    expect(git(dir, 'ls-files').split('\n').filter(Boolean)).to.deep.equal(['.gitignore', 'environments/.gitkeep', 'feeds/.gitkeep', 'schemas/.gitkeep'])
    expect(git(dir, 'status', '--porcelain', '--ignored')).to.equal('!! .ssmd/\n')
  })
})
