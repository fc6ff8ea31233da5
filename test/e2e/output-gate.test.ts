/**
 * One output gate: every byte the built CLI prints passes the redactor, whatever
 * path it takes (rendered documents, binary output, relayed hook output).
 */
import { expect } from 'chai'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess, type CliResult } from '../helpers/cli.js'
import { exampleRepo, FIXTURES, git } from '../helpers/repo.js'

const CORPUS = (JSON.parse(readFileSync(join(FIXTURES, 'secrets', 'corpus.json'), 'utf8')) as { entries: Array<{ id: string; value: string }> }).entries
const entry = (id: string) => CORPUS.find(e => e.id === id)!.value

function edit(root: string, rel: string, fn: (text: string) => string): void {
  const p = join(root, rel)
  writeFileSync(p, fn(readFileSync(p, 'utf8')))
}

function expectNoSecret(r: CliResult, secrets: string[], label: string): void {
  const out = r.stdout + r.stderr
  for (const s of secrets) expect(out.includes(s), `${label} printed ${JSON.stringify(s)}:\n${out.slice(0, 3000)}`).to.equal(false)
}

describe('output gate (built CLI)', function () {
  this.timeout(120000)

  it('env render masks secrets in YAML and --format json, as --json does, when the team policy downgrades the security rules', () => {
    const root = exampleRepo()
    const akia = entry('aws-access-key-id')
    edit(root, 'environments/kalshi-dev.yaml', t =>
      t.replace('url: nats://localhost:4222', 'url: nats://admin:Sup3rSecretPw@localhost:4222').replace('    source: env\n', `    source: env\n    description: rotate ${akia}\n`),
    )
    writeFileSync(join(root, 'ssmd.yaml'), 'rules:\n  ref/unused: off\n  security/credentials-in-url: warning\n  security/secret-literal: warning\n')
    for (const format of [[], ['--format', 'yaml'], ['--format', 'json'], ['--json']]) {
      const r = ssmdProcess(['env', 'render', 'kalshi-dev', ...format, '-C', root])
      expect(r.code, r.stderr).to.equal(0)
      expectNoSecret(r, ['Sup3rSecretPw', akia.slice(4)], `env render ${format.join(' ')}`)
      expect(r.stdout, format.join(' ')).to.contain('nats://admin:****@localhost:4222')
      expect(r.stdout, format.join(' ')).to.contain('AKIA****')
    }
  })

  it('schema compile refuses to pipe a request holding a secret (bytes cannot be masked) and writes nothing', () => {
    const root = exampleRepo()
    const token = entry('github-classic-token')
    edit(root, 'schemas/trade-v2.capnp', t => t.replace('timestampNs @0 :UInt64;', `timestampNs @0 :UInt64;  # rotate ${token}\n `))
    const r = ssmdProcess(['schema', 'compile', 'trade', '-C', root])
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.match(/^Error: the output holds what looks like a GitHub token, and bytes cannot be masked: nothing was written/)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expectNoSecret(r, [token.slice(4)], 'schema compile')
    // Without the secret the same request is written.
    edit(root, 'schemas/trade-v2.capnp', t => t.replace(`  # rotate ${token}`, ''))
    const ok = ssmdProcess(['schema', 'compile', 'trade', '-C', root])
    expect(ok.code, ok.stderr).to.equal(0)
    expect(ok.stdout.length).to.be.greaterThan(100)
  })

  it("a hook's output is relayed through the gate, line by line", () => {
    const root = exampleRepo({ git: true })
    const slack = entry('slack-bot-token')
    // The secret arrives in pieces: the gate still sees it whole.
    const hook = join(root, '.git', 'hooks', 'pre-commit')
    writeFileSync(
      hook,
      `#!/bin/sh\nprintf 'scanner: found ${slack.slice(0, 12)}'\nsleep 0.2\nprintf '${slack.slice(12)} in feeds\\n'\necho 'nats://ci:HookPassw0rd@nats:4222' >&2\n`,
    )
    chmodSync(hook, 0o755)
    edit(root, 'feeds/kalshi.yaml', t => t.replace('display_name: Kalshi Exchange', 'display_name: Kalshi'))
    const r = ssmdProcess(['commit', '-m', 'rename', '-C', root])
    expect(r.code, r.stderr).to.equal(0)
    expectNoSecret(r, [slack.slice(5), 'HookPassw0rd'], 'commit')
    expect(r.stderr).to.contain('scanner: found xoxb-****')
    expect(r.stderr).to.contain('nats://ci:****@nats:4222')
    expect(git(root, 'log', '-1', '--format=%s').trim()).to.equal('rename')
  })

  it("deploy --user in etcdctl's user:password form is refused without echoing the password, in text and --json, from the flag or SSMD_ETCD_USER", () => {
    const root = exampleRepo({ git: true })
    const password = 'Dep1oyerPassw0rd'
    const cases: Array<{ args: string[]; env: Record<string, string | undefined> }> = [
      { args: ['deploy', '--all', '--dry-run', '--user', `deployer:${password}`], env: { SSMD_ETCD_PASSWORD: undefined } },
      { args: ['deploy', '--all', '--user', `deployer:${password}`], env: { SSMD_ETCD_PASSWORD: 'other-pw' } },
      { args: ['deploy', 'status'], env: { SSMD_ETCD_USER: `deployer:${password}`, SSMD_ETCD_PASSWORD: undefined } },
    ]
    for (const { args, env } of cases) {
      for (const json of [false, true]) {
        const r = ssmdProcess([...args, '--etcd', '127.0.0.1:1', ...(json ? ['--json'] : []), '-C', root], { env: { SSMD_ETCD_USER: undefined, ...env } })
        const label = `${args.join(' ')}${json ? ' --json' : ''}`
        expect(r.code, `${label}: ${r.stderr}`).to.equal(2)
        expectNoSecret(r, [password, password.slice(0, 8), password.slice(-8)], label)
        expect(r.stderr.trim().split('\n'), label).to.have.length(1)
        expect(r.stderr, label).to.match(/^Error: --user holds a password after ':' \(etcdctl's user:password form\); .* pass --user deployer and set SSMD_ETCD_PASSWORD\n$/)
        if (json) expect(JSON.parse(r.stdout).error.code).to.equal('usage')
      }
    }
  })

  it('the etcd password from SSMD_ETCD_PASSWORD is masked wherever output would quote it', () => {
    const root = exampleRepo({ git: true })
    const password = 'Hunter2Passw0rdX'
    // A mistyped command line that pastes the password into a flag: the error quotes the flag, not the password.
    const r = ssmdProcess(['deploy', 'status', '--etcd', '127.0.0.1:1', '--user', 'deployer', '--prefix', password, '-C', root], { env: { SSMD_ETCD_PASSWORD: password } })
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain("--prefix '****' is not a key prefix")
    expectNoSecret(r, [password], 'deploy status')
  })

  it('edits refuse secret-shaped flag values and arguments up front, in one line that does not echo them, writing nothing', () => {
    const root = exampleRepo({ git: true })
    const stripe = entry('stripe-live-secret-key')
    const slack = entry('slack-bot-token')
    const cases: Array<{ args: string[]; line: RegExp; secret: string }> = [
      {
        args: ['feed', 'update', 'kalshi', '--endpoint', `wss://api.kalshi.com/trade-api/ws/v2?token=${stripe}`],
        line: /^Error: --endpoint looks like it contains a Stripe key; /,
        secret: stripe,
      },
      { args: ['feed', 'update', 'kalshi', '--display-name', `Kalshi ${slack}`], line: /^Error: --display-name looks like it contains a Slack token; /, secret: slack },
      {
        args: ['feed', 'create', 'kraken2', '--type', 'websocket', '--endpoint', 'wss://ws.kraken.com', '--display-name', slack],
        line: /^Error: --display-name looks like/,
        secret: slack,
      },
      {
        args: ['feed', 'add-version', 'kalshi', '--effective-from', '2031-01-01', '--endpoint', `wss://x.example.com/?k=${stripe}`],
        line: /^Error: --endpoint looks like/,
        secret: stripe,
      },
      { args: ['feed', 'add-location', 'kalshi', '--datacenter', 'nyc2', '--provider', 'onprem', '--region', stripe], line: /^Error: --region looks like/, secret: stripe },
      { args: ['env', 'update', 'kalshi-dev', '--storage.path', `/data/${slack}`], line: /^Error: --storage.path looks like/, secret: slack },
      {
        args: ['env', 'create', 'e2', '--feed', 'kalshi', '--schema', 'trade:v1', '--storage.type', 's3', '--storage.bucket', stripe, '--storage.region', 'us-east-1'],
        line: /^Error: --storage.bucket looks like/,
        secret: stripe,
      },
      { args: ['schema', 'register', 'quote', '--file', 'schemas/trade.capnp', '--effective-from', slack], line: /^Error: --effective-from looks like/, secret: slack },
      {
        args: ['feed', 'create', 'xoxb-1234567890-abcdefghij', '--type', 'websocket', '--endpoint', 'wss://x.example.com'],
        line: /^Error: argument name looks like it contains a Slack token/,
        secret: 'xoxb-1234567890',
      },
    ]
    for (const { args, line, secret } of cases) {
      for (const json of [false, true]) {
        const label = `${args.slice(0, 2).join(' ')}${json ? ' --json' : ''}`
        const r = ssmdProcess([...args, ...(json ? ['--json'] : []), '-C', root])
        expect(r.code, `${label}: ${r.stdout}${r.stderr}`).to.equal(2)
        expect(r.stderr, label).to.match(line)
        expect(r.stderr.trim().split('\n'), label).to.have.length(1)
        expectNoSecret(r, [secret.slice(0, 12), secret.slice(-12)], label)
        if (json) expect(JSON.parse(r.stdout).error.code).to.equal('usage')
        expect(git(root, 'status', '--porcelain', '--', 'feeds', 'schemas', 'environments', 'ssmd.yaml'), label).to.equal('')
      }
    }
  })
})
