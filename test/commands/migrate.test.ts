import { expect } from 'chai'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, FIXTURES, goMadeRepo } from '../helpers/repo.js'

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8')

/** Every file under `dir` (path → content), to prove what a run did or did not write. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) {
        if (name !== 'tmp' && name !== 'locks' && name !== 'cache') walk(p)
      } else out[relative(dir, p)] = readFileSync(p, 'utf8')
    }
  }
  walk(dir)
  return out
}

interface MigrateJson {
  root: string
  dry_run: boolean
  files: Array<{ file: string; action: string; changes: string[] }>
  needs_person: Array<{ file: string; line: number; column: number; message: string }>
  validation?: { errors: number; warnings: number; findings: Array<{ rule: string; severity: string; file: string; line: number; column: number }> }
}

const KEY_ITEM = {
  file: 'exchanges/environments/kalshi-dev.yaml',
  line: 16,
  column: 17,
  message:
    "key 'kalshi' reads KALSHI_API_KEY, KALSHI_PRIVATE_KEY; ssmd reads SSMD_KALSHI_API_KEY, SSMD_KALSHI_PRIVATE_KEY with source: env: rename the variables where the feed runs, then set source: env",
}

describe('ssmd migrate', () => {
  it('--dry-run lists every change file by file and writes nothing', async () => {
    const dir = goMadeRepo()
    const before = snapshot(dir)
    const r = await ssmd(['migrate', '--dry-run', '--json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(1)
    const out = JSON.parse(r.stdout) as MigrateJson
    expect(out.dry_run).to.equal(true)
    expect(out.root).to.equal('exchanges')
    expect(out.files.map(f => `${f.action} ${f.file}`)).to.deep.equal([
      'edit exchanges/feeds/kalshi.yaml',
      'edit exchanges/feeds/polygon.yaml',
      'edit exchanges/feeds/sim.yaml',
      'edit exchanges/environments/sim-local.yaml',
      'create exchanges/.ssmd/config.yaml',
      'remove .ssmd/config.yaml',
    ])
    expect(out.files[1].changes).to.deep.equal([
      'v1: protocol {transport: wss, message: json} → protocol: https, parser_config.message_format: json',
      'v1: supports_trades: false (absent meant false in the Go tool; the default is now true)',
    ])
    expect(out.needs_person).to.deep.equal([KEY_ITEM])
    expect(out.validation).to.equal(undefined)
    expect(snapshot(dir)).to.deep.equal(before)
  })

  it('converts in place, keeps what it need not touch, and a second run changes nothing', async () => {
    const dir = goMadeRepo()
    const r = await ssmd(['migrate'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(1)
    expect(r.stdout).to.contain('converted 6 files')
    expect(r.stdout).to.contain(`needs a person (1):\n${KEY_ITEM.file}:16:17: ${KEY_ITEM.message}\n`)
    expect(r.stdout).to.contain('the ssmd root is exchanges: run ssmd there, or with -C exchanges')
    expect(read(dir, 'exchanges/feeds/polygon.yaml')).to.equal(`name: polygon
type: rest
status: active
versions:
    - version: v1
      effective_from: "2025-01-01"
      protocol: https
      endpoint: https://api.polygon.io/v2
      auth_method: api_key
      supports_trades: false
      parser_config:
        message_format: json
`)
    // Renaming a list item's first key goes through the YAML document model: the file is re-indented (comments stay).
    expect(read(dir, 'exchanges/feeds/kalshi.yaml')).to.contain(`capture_locations:
  - datacenter: nyc1
    x-site-type: on_prem
  - datacenter: aws-use1
    provider: aws
    region: us-east-1
    x-site-type: cloud
`)
    expect(read(dir, 'exchanges/feeds/kalshi.yaml')).to.contain('    effective_from: "2025-01-01"\n    effective_to: 2025-05-31\n')
    // The Go tool's schema metadata already fits this format: untouched.
    expect(read(dir, 'exchanges/schemas/trade.yaml')).to.equal(readFileSync(join(goMadeRepo(), 'exchanges/schemas/trade.yaml'), 'utf8'))
    expect(read(dir, 'exchanges/.ssmd/config.yaml')).to.equal(
      '# ssmd local configuration\n# This file is gitignored and stores local preferences\n\n# Default output format: text, json, yaml\noutput: text\n',
    )
    expect(existsSync(join(dir, '.ssmd'))).to.equal(false)

    const after = snapshot(dir)
    const again = await ssmd(['migrate', '--json'], { cwd: dir })
    expect(again.code).to.equal(1)
    const out = JSON.parse(again.stdout) as MigrateJson
    expect(out.files).to.deep.equal([])
    expect(out.needs_person).to.deep.equal([{ ...KEY_ITEM, file: 'exchanges/environments/kalshi-dev.yaml' }])
    expect(out.validation!.findings.map(f => `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column}`)).to.deep.equal([
      'env/key-source error environments/kalshi-dev.yaml:16:17',
      'security/secret-literal error environments/kalshi-dev.yaml:16:17',
      'ref/unused info feeds/polygon.yaml:1:7',
      'feed/insecure-endpoint warning feeds/sim.yaml:8:17',
    ])
    expect(snapshot(dir)).to.deep.equal(after)
  })

  it('exits 0 once the last item is fixed by hand, and reports nothing left', async () => {
    const dir = goMadeRepo({ localConfig: false })
    const file = join(dir, 'exchanges/environments/kalshi-dev.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('env:KALSHI_API_KEY,KALSHI_PRIVATE_KEY', 'env'))
    const r = await ssmd(['migrate', '--json'], { cwd: dir })
    expect(r.code, r.stdout).to.equal(0)
    const out = JSON.parse(r.stdout) as MigrateJson
    expect(out.needs_person).to.deep.equal([])
    expect(out.validation!.errors).to.equal(0)
    // A fresh clone has no .ssmd/: nothing to move, and none is created.
    expect(out.files.map(f => f.file)).to.not.include('exchanges/.ssmd/config.yaml')
    expect(existsSync(join(dir, 'exchanges/.ssmd/config.yaml'))).to.equal(false)
  })

  it('works from inside exchanges/ too, moving the config from the folder above', async () => {
    const dir = goMadeRepo()
    const r = await ssmd(['migrate', '--json'], { cwd: join(dir, 'exchanges') })
    const out = JSON.parse(r.stdout) as MigrateJson
    expect(out.root).to.equal('.')
    expect(out.files.map(f => `${f.action} ${f.file}`)).to.include.members(['create .ssmd/config.yaml', 'remove ../.ssmd/config.yaml'])
    expect(read(dir, 'exchanges/.ssmd/config.yaml')).to.match(/^output: text$/m)
  })

  it('keeps comments of a hand-edited Go-era feed and reports what it cannot convert, located', async () => {
    const dir = goMadeRepo()
    writeFileSync(
      join(dir, 'exchanges/feeds/itch.yaml'),
      `# Nasdaq TotalView over TCP; hand-edited.
name: itch
type: multicast
versions:
    - version: v1
      effective_from: "2025-01-01"
      protocol:
        transport: tcp   # no multicast here
        message: itch
      endpoint: tcp://capture:s3cr3t-Pa55w0rd@10.0.0.1:9000
`,
    )
    writeFileSync(
      join(dir, 'exchanges/feeds/sim.yaml'),
      `# local simulator
name: sim
type: websocket
status: active
versions:
    - version: v1   # first
      effective_from: "2025-01-01"
      protocol:
        transport: wss
        message: json
        version: "2"
      endpoint: ws://localhost:8080/ws
      supports_trades: true
      auth_method: none
`,
    )
    writeFileSync(join(dir, '.ssmd/config.yaml'), 'format: yaml\n')
    const r = await ssmd(['migrate', '--json'], { cwd: dir })
    expect(r.code).to.equal(1)
    const out = JSON.parse(r.stdout) as MigrateJson
    expect(out.needs_person).to.deep.include({
      file: '.ssmd/config.yaml',
      line: 1,
      column: 9,
      message: 'format "yaml" has no equivalent (ssmd writes text or json); replace it with output: text or output: json',
    })
    expect(out.needs_person).to.deep.include({
      file: 'exchanges/feeds/itch.yaml',
      line: 8,
      column: 20,
      message:
        'v1: protocol.transport "tcp" has no equivalent for a multicast with endpoint tcp://capture:****@10.0.0.1:9000; set protocol to multicast and an endpoint that fits it',
    })
    expect(r.stdout + r.stderr).to.not.contain('s3cr3t-Pa55w0rd')
    expect(read(dir, 'exchanges/feeds/sim.yaml')).to.equal(`# local simulator
name: sim
type: websocket
status: active
versions:
    - version: v1   # first
      effective_from: "2025-01-01"
      protocol: wss
      endpoint: ws://localhost:8080/ws
      supports_trades: true
      auth_method: none
      parser_config:
        message_format: json
        protocol_version: "2"
`)
    // The unconvertible config is still moved where ssmd reads it, unchanged.
    expect(read(dir, 'exchanges/.ssmd/config.yaml')).to.equal('format: yaml\n')
  })

  it('converts a feed as the original project later evolved it, keeping its comments, and reports the keys it cannot place', async () => {
    const dir = goMadeRepo()
    const evolved = readFileSync(join(FIXTURES, 'corpus/ssmd-original/feeds-evolved/kraken.yaml'), 'utf8')
    writeFileSync(join(dir, 'exchanges/feeds/kraken.yaml'), evolved)
    const r = await ssmd(['migrate', '--json'], { cwd: dir })
    const out = JSON.parse(r.stdout) as MigrateJson
    expect(out.needs_person).to.deep.include({
      file: 'exchanges/feeds/kraken.yaml',
      line: 16,
      column: 1,
      message:
        "'message_types' is not part of this file format; move what it holds to the keys ssmd knows, or rename it to x-message_types to keep it as an extension key ssmd ignores",
    })
    const expected = evolved.replace(
      '    protocol:\n      transport: wss\n      message: json\n    endpoint: wss://ws.kraken.com/v2\n    auth_method: none\n',
      '    protocol: wss\n    endpoint: wss://ws.kraken.com/v2\n    auth_method: none\n    supports_trades: false\n    parser_config:\n      message_format: json\n',
    )
    expect(expected).to.not.equal(evolved)
    expect(read(dir, 'exchanges/feeds/kraken.yaml')).to.equal(expected)
  })

  it('has nothing to do in a repository already in this format (exit 0, nothing written)', async () => {
    const dir = exampleRepo()
    mkdirSync(join(dir, '.ssmd'))
    writeFileSync(join(dir, '.ssmd/config.yaml'), 'output: text\n')
    const before = snapshot(dir)
    const r = await ssmd(['migrate'], { cwd: dir })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^nothing to convert in \.$/m)
    expect(r.stdout).to.contain('ssmd validate: no errors, no warnings')
    expect(snapshot(dir)).to.deep.equal(before)
  })
})
