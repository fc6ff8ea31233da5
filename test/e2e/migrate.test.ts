// `ssmd migrate` on a repository written by the original Go tool's own commands
// (test/fixtures/go-made), run as a process of the built CLI.
import { expect } from 'chai'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { goMadeRepo } from '../helpers/repo.js'

interface Finding {
  rule: string
  severity: string
  file: string
  line: number
  column: number
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) {
        if (!['tmp', 'locks', 'cache'].includes(name)) walk(p)
      } else out[relative(dir, p)] = readFileSync(p, 'utf8')
    }
  }
  walk(dir)
  return out
}

function validate(dir: string): { code: number; stderr: string; findings: Finding[] } {
  const r = ssmdProcess(['validate', '--json', '--no-cache'], { cwd: dir })
  return { code: r.code, stderr: r.stderr, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings }
}
const shown = (fs: Finding[]) => fs.map(f => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule}`)

describe('ssmd migrate on a Go-made repository (built CLI)', () => {
  it('validate fails before, migrate converts, validate then reports only what needs a person, and a second run is a no-op', () => {
    const dir = goMadeRepo()
    const exchanges = join(dir, 'exchanges')

    // Before: the Go tool's config draws a warning on every command, and its files fail validation.
    const atRoot = ssmdProcess(['feed', 'list'], { cwd: dir })
    expect(atRoot.stderr).to.contain("warning: .ssmd/config.yaml:5:1: unknown setting 'format' is ignored")
    const before = validate(exchanges)
    expect(before.code).to.equal(1)
    expect(shown(before.findings)).to.include.members([
      'feeds/kalshi.yaml:6:7 error schema/contract',
      'feeds/kalshi.yaml:16:9 error schema/contract',
      'feeds/kalshi.yaml:22:23 error feed/version-overlap',
      'feeds/sim.yaml:8:9 error schema/contract',
      'feeds/polygon.yaml:8:9 error schema/contract',
      'environments/sim-local.yaml:9:17 error env/key-source',
      'environments/kalshi-dev.yaml:16:17 error env/key-source',
    ])

    // --dry-run: the plan, nothing written.
    const files = snapshot(dir)
    const dry = ssmdProcess(['migrate', '--dry-run'], { cwd: dir })
    expect(dry.code, dry.stderr).to.equal(1)
    expect(dry.stdout).to.match(/^exchanges\/feeds\/kalshi\.yaml\n {2}v1: protocol \{transport: wss, message: json\} → protocol: wss, parser_config\.message_format: json$/m)
    expect(dry.stdout).to.contain('dry run: 6 files would change; nothing written')
    expect(snapshot(dir)).to.deep.equal(files)

    // The conversion: exit 1, one item left for a person, with its location.
    const run = ssmdProcess(['migrate'], { cwd: dir })
    expect(run.code, run.stderr).to.equal(1)
    // migrate itself reads the config where it is going, so it never warns about the setting it converts.
    expect(run.stderr).to.equal('')
    expect(run.stdout).to.contain('converted 6 files')
    expect(run.stdout).to.match(/needs a person \(1\):\nexchanges\/environments\/kalshi-dev\.yaml:16:17: key 'kalshi' reads KALSHI_API_KEY, KALSHI_PRIVATE_KEY; /)

    // After: only the key source left (and the sim's ws:// warning), the config warning gone.
    const after = validate(exchanges)
    expect(after.code).to.equal(1)
    expect(after.stderr).to.equal('')
    expect(shown(after.findings.filter(f => f.severity === 'error'))).to.deep.equal([
      'environments/kalshi-dev.yaml:16:17 error env/key-source',
      'environments/kalshi-dev.yaml:16:17 error security/secret-literal',
    ])
    expect(shown(after.findings.filter(f => f.severity === 'warning'))).to.deep.equal(['feeds/sim.yaml:8:17 warning feed/insecure-endpoint'])
    const list = ssmdProcess(['feed', 'list'], { cwd: exchanges })
    expect(list.code, list.stderr).to.equal(0)
    expect(list.stderr).to.equal('')
    expect(list.stdout).to.match(/kalshi\s+websocket\s+active\s+2/)

    // A second run changes nothing.
    const converted = snapshot(dir)
    const again = ssmdProcess(['migrate'], { cwd: dir })
    expect(again.code).to.equal(1)
    expect(again.stdout).to.match(/^nothing to convert in exchanges$/m)
    expect(snapshot(dir)).to.deep.equal(converted)
  })

  it('a fresh clone (no .ssmd/) converts too, and exits 0 when nothing needs a person', () => {
    const dir = goMadeRepo({ localConfig: false })
    const fix = ssmdProcess(['migrate', '--json'], { cwd: dir })
    const out = JSON.parse(fix.stdout) as { needs_person: unknown[]; files: Array<{ file: string }> }
    expect(out.files.map(f => f.file)).to.deep.equal([
      'exchanges/feeds/kalshi.yaml',
      'exchanges/feeds/polygon.yaml',
      'exchanges/feeds/sim.yaml',
      'exchanges/environments/sim-local.yaml',
    ])
    expect(out.needs_person).to.have.length(1)
    // The person renames the variables and sets source: env; then the run is clean.
    const env = join(dir, 'exchanges/environments/kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('env:KALSHI_API_KEY,KALSHI_PRIVATE_KEY', 'env'))
    const r = ssmdProcess(['migrate', '-C', dir, '--json'])
    expect(r.code, r.stdout).to.equal(0)
    const clean = JSON.parse(r.stdout) as { files: unknown[]; needs_person: unknown[]; validation: { errors: number } }
    expect(clean.files).to.deep.equal([])
    expect(clean.needs_person).to.deep.equal([])
    expect(clean.validation.errors).to.equal(0)
  })

  it('exits 2 on a usage error', () => {
    const r = ssmdProcess(['migrate', '--dry'], { cwd: goMadeRepo() })
    expect(r.code).to.equal(2)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
  })
})
