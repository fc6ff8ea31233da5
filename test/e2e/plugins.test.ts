import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

interface JsonFinding {
  rule: string
  severity: string
  message: string
  file: string
  line: number
  plugin: string
}

describe('validation plugins (built CLI, linked with ssmd plugins link)', () => {
  // A private oclif data/cache/config home: never the user's plugins.
  let env: Record<string, string>
  const run = (args: string[], extra: Record<string, string> = {}) => ssmdProcess(args, { env: { ...env, ...extra } })
  const link = (path: string) => {
    const r = run(['plugins', 'link', '--no-install', path])
    expect(r.code, r.stderr).to.equal(0)
  }

  beforeEach(() => {
    env = { XDG_DATA_HOME: tempDir(), XDG_CACHE_HOME: tempDir(), XDG_CONFIG_HOME: tempDir() }
  })

  it("adds the example plugin's rules and findings", () => {
    link(join(PROJECT_ROOT, 'examples/plugin-acme'))
    const rules = JSON.parse(run(['rules', 'list', '--json']).stdout) as Array<{ id: string; plugin: string; default_severity: string }>
    expect(
      rules
        .filter(r => r.plugin === 'acme')
        .map(r => r.id)
        .sort(),
    ).to.deep.equal(['acme/prod-s3', 'acme/websocket-rate-limit'])
    const repo = exampleRepo()
    const r = run(['validate', '--json', '-C', repo])
    expect(r.code, r.stderr).to.equal(0)
    const findings = JSON.parse(r.stdout).findings as JsonFinding[]
    expect(findings.map(f => `${f.rule} ${f.file}:${f.line} ${f.plugin}`)).to.deep.equal(['acme/websocket-rate-limit feeds/kalshi.yaml:13 acme'])
    expect(r.stderr).to.equal('')
  })

  it('lets ssmd.yaml tighten a plugin rule and require the plugin', () => {
    const repo = exampleRepo()
    const policy = 'plugins: [ssmd-plugin-acme]\nrules:\n  acme/websocket-rate-limit: error\n  ref/unused: off\n'
    writeFileSync(join(repo, 'ssmd.yaml'), policy)
    const missing = run(['validate', '--json', '-C', repo])
    expect(missing.code).to.equal(1)
    expect((JSON.parse(missing.stdout).findings as JsonFinding[]).map(f => f.rule)).to.deep.equal(['policy/plugin-missing'])
    link(join(PROJECT_ROOT, 'examples/plugin-acme'))
    const present = run(['validate', '--json', '-C', repo])
    expect(present.code).to.equal(1)
    expect((JSON.parse(present.stdout).findings as JsonFinding[]).map(f => `${f.rule} ${f.severity}`)).to.deep.equal(['acme/websocket-rate-limit error'])
  })

  it('isolates broken plugins: each becomes one plugin/failed finding and every other rule still reports', () => {
    link(join(PROJECT_ROOT, 'examples/plugin-acme'))
    for (const b of ['throws', 'garbage', 'slow', 'check-throws']) link(join(PROJECT_ROOT, 'test/fixtures/plugins', `broken-${b}`))
    const repo = exampleRepo()
    // One real mistake for a built-in rule, to prove it is not hidden.
    const feed = join(repo, 'feeds/kalshi.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('America/New_York', 'America/Nowhere'))
    const r = run(['validate', '--json', '-C', repo], { SSMD_PLUGIN_TIMEOUT_MS: '1500' })
    expect(r.code).to.equal(1)
    const findings = JSON.parse(r.stdout).findings as JsonFinding[]
    const failed = findings.filter(f => f.rule === 'plugin/failed').map(f => f.message)
    expect(failed).to.have.length(4)
    expect(failed.join('\n')).to.match(/ssmd-plugin-broken-throws.*boom while registering/)
    expect(failed.join('\n')).to.match(/ssmd-plugin-broken-garbage.*returned number instead of a rule pack/)
    expect(failed.join('\n')).to.match(/ssmd-plugin-broken-slow.*time budget/)
    expect(failed.join('\n')).to.match(/ssmd-plugin-broken-check-throws.*crashy\/explodes/)
    expect(findings.map(f => f.rule)).to.include.members(['feed/timezone', 'acme/websocket-rate-limit'])
    expect(r.stderr).not.to.match(/\n\s+at /)
  })
})
