/**
 * No command prints a secret: the built CLI as a process, over repositories
 * holding the synthetic secrets of test/fixtures/secrets/corpus.json.
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import jsYaml from 'js-yaml'
import { ssmdProcess, type CliResult } from '../helpers/cli.js'
import { CORPUS, entry, needles } from '../helpers/secret-corpus.js'
import { exampleRepo, git } from '../helpers/repo.js'

function expectNoSecret(r: CliResult, secrets: string[], label: string): void {
  const out = r.stdout + r.stderr
  for (const s of secrets) expect(out.includes(s), `${label} printed ${JSON.stringify(s.slice(0, 40))}:\n${out.slice(0, 2000)}`).to.equal(false)
}

function edit(root: string, rel: string, fn: (text: string) => string): void {
  const p = join(root, rel)
  writeFileSync(p, fn(readFileSync(p, 'utf8')))
}

describe('secrets: no command prints a secret (built CLI)', function () {
  this.timeout(240000)

  it('env show, feed show and feed list -v mask URL passwords, in text and --json', () => {
    const root = exampleRepo()
    edit(root, 'environments/kalshi-dev.yaml', t =>
      t
        .replace('url: nats://localhost:4222', 'url: nats://capture:Tr4nsp0rtPw@localhost:4222')
        .replace('  type: memory\n  max_size: 100MB', '  type: redis\n  url: "redis://:C4chePassw0rd@cache.internal:6379"'),
    )
    edit(root, 'feeds/kalshi.yaml', t => t.replace('endpoint: wss://api.kalshi.com/trade-api/ws/v2', 'endpoint: wss://capture:Endp0intPw@api.kalshi.com/trade-api/ws/v2'))
    const secrets = ['Tr4nsp0rtPw', 'C4chePassw0rd', 'Endp0intPw']
    for (const args of [
      ['env', 'show', 'kalshi-dev'],
      ['feed', 'show', 'kalshi'],
      ['feed', 'list', '-v'],
    ]) {
      for (const json of [false, true]) {
        const r = ssmdProcess([...args, ...(json ? ['--json'] : []), '-C', root])
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
        expectNoSecret(r, secrets, args.join(' '))
        if (json) JSON.parse(r.stdout)
      }
    }
    const show = ssmdProcess(['env', 'show', 'kalshi-dev', '-C', root])
    expect(show.stdout).to.contain('nats://capture:****@localhost:4222')
    expect(show.stdout).to.contain('redis://:****@cache.internal:6379')
  })

  it('an empty-user redis URL is a security error: validate exits 1 and commit refuses, committing nothing', () => {
    const root = exampleRepo({ git: true })
    edit(root, 'environments/kalshi-dev.yaml', t => t.replace('  type: memory\n  max_size: 100MB', '  type: redis\n  url: redis://:PASSWORD-9f2k@cache.internal:6379'))
    const v = ssmdProcess(['validate', '--json', '-C', root])
    expect(v.code, v.stderr).to.equal(1)
    const findings = (JSON.parse(v.stdout) as { findings: Array<{ rule: string; file: string; line: number }> }).findings
    const hit = findings.find(f => f.rule === 'security/credentials-in-url')
    expect(hit, v.stdout).to.deep.include({ file: 'environments/kalshi-dev.yaml', line: 24 })
    expectNoSecret(v, ['PASSWORD-9f2k'], 'validate')
    const head = git(root, 'rev-parse', 'HEAD')
    const c = ssmdProcess(['commit', '-m', 'leak', '-C', root])
    expect(c.code).to.equal(1)
    expectNoSecret(c, ['PASSWORD-9f2k'], 'commit')
    expect(git(root, 'rev-parse', 'HEAD')).to.equal(head)
  })

  it('a password holding @ and : is masked whole, in findings and in show output', () => {
    const root = exampleRepo()
    edit(root, 'environments/kalshi-dev.yaml', t => t.replace('url: nats://localhost:4222', 'url: http://admin:p@ssw0rd:x-tail@localhost:4222'))
    for (const args of [['validate'], ['validate', '--json'], ['env', 'show', 'kalshi-dev'], ['env', 'show', 'kalshi-dev', '--json']]) {
      const r = ssmdProcess([...args, '-C', root])
      expectNoSecret(r, ['ssw0rd', 'x-tail@', 'p@ss'], args.join(' '))
    }
    const v = ssmdProcess(['validate', '-C', root])
    expect(v.code).to.equal(1)
    expect(v.stdout).to.contain('http://admin:****@localhost:4222')
    expect(v.stdout).to.contain('security/credentials-in-url')
  })

  it('env add-key --source with an AWS secret access key refuses it without echoing it (stderr and --json)', () => {
    const root = exampleRepo()
    const secret = entry('aws-secret-access-key')
    const before = readFileSync(join(root, 'environments/kalshi-dev.yaml'))
    for (const json of [false, true]) {
      const r = ssmdProcess(['env', 'add-key', 'kalshi-dev', 'aws', '--type', 'api_key', '--fields', 'key', '--source', secret, ...(json ? ['--json'] : []), '-C', root])
      expect(r.code, r.stderr).to.equal(2)
      expectNoSecret(r, [secret, secret.slice(0, 12), secret.slice(-12)], `add-key${json ? ' --json' : ''}`)
      expect(r.stderr).to.match(/^Error: --source looks like an AWS secret access key/)
      if (json) expect(JSON.parse(r.stdout).error.code).to.equal('usage')
    }
    expect(readFileSync(join(root, 'environments/kalshi-dev.yaml')).equals(before)).to.equal(true)
  })

  it('what add-key accepts, validate accepts: a GitHub fine-grained token in --description is refused up front', () => {
    const root = exampleRepo()
    // The token shape alone decides: this one is not random-looking enough for an entropy test.
    const token = `github_pat_11AAAAAAA0${'a'.repeat(12)}_${'a'.repeat(59)}`
    const r = ssmdProcess(['env', 'add-key', 'kalshi-dev', 'ci', '--type', 'api_key', '--fields', 'token', '--source', 'env', '--description', `ci ${token}`, '-C', root])
    expect(r.code, r.stdout + r.stderr).to.equal(2)
    expect(r.stderr).to.contain('GitHub fine-grained token')
    expectNoSecret(r, [token.slice(11)], 'add-key')
    const v = ssmdProcess(['validate', '-C', root])
    expect(v.code, v.stdout).to.equal(0)
  })

  it('a Google API key quoted in a finding is redacted', () => {
    const root = exampleRepo()
    const key = entry('gcp-api-key')
    edit(root, 'environments/kalshi-dev.yaml', t => t.replace('url: nats://localhost:4222', `url: "${key}"`))
    for (const format of ['text', 'json', 'github', 'sarif', 'junit']) {
      const r = ssmdProcess(['validate', '--format', format, '-C', root])
      expect(r.code).to.equal(1)
      expectNoSecret(r, [key, key.slice(4, 20)], `validate --format ${format}`)
    }
    const r = ssmdProcess(['validate', '-C', root])
    expect(r.stdout).to.contain('AIza****')
    expect(r.stdout).to.contain('security/secret-literal')
  })

  it('the secret corpus: no fixture value appears in the output of any command that prints data, text or --json', () => {
    const root = exampleRepo({ git: true })
    // Every corpus value in a place some command prints: key descriptions and sources (env show, key list/verify),
    // x- fields of a feed version (feed show), URLs where they belong (endpoint, transport, cache), the display name.
    const env = jsYaml.load(readFileSync(join(root, 'environments/kalshi-dev.yaml'), 'utf8')) as Record<string, unknown> & { keys: Record<string, unknown> }
    const feed = jsYaml.load(readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8')) as Record<string, unknown> & { versions: Array<Record<string, unknown>> }
    const current = feed.versions[1]
    CORPUS.forEach((e, i) => {
      env.keys[`leak_${i}`] = { type: 'api_key', required: false, fields: ['value'], source: e.value, description: e.value }
      current[`x-leak-${i}`] = e.value
      if (e.where === 'feed endpoint' && e.id.startsWith('url-wss')) current.endpoint = e.value
      if (e.where === 'transport url' && e.id.startsWith('url-nats')) (env.transport as Record<string, unknown>).url = e.value
      if (e.where === 'cache url') env.cache = { type: 'redis', url: e.value }
    })
    feed.display_name = CORPUS.filter(e => !e.value.includes('\n'))
      .map(e => e.value)
      .join(' ')
    writeFileSync(join(root, 'environments/kalshi-dev.yaml'), jsYaml.dump(env, { lineWidth: -1 }))
    writeFileSync(join(root, 'feeds/kalshi.yaml'), jsYaml.dump(feed, { lineWidth: -1 }))
    const secrets = CORPUS.flatMap(needles)
    const commands = [
      ['feed', 'list'],
      ['feed', 'list', '-v'],
      ['feed', 'show', 'kalshi'],
      ['feed', 'show', 'kalshi', '--version', 'v2'],
      ['env', 'list'],
      ['env', 'show', 'kalshi-dev'],
      ['key', 'list', 'kalshi-dev'],
      ['key', 'verify', 'kalshi-dev'],
      ['schema', 'list'],
      ['schema', 'show', 'trade'],
      ['validate'],
      ['validate', '-v'],
      ['validate', '--format', 'github'],
      ['validate', '--format', 'sarif'],
      ['validate', '--format', 'junit'],
      ['diff'],
      ['diff', '--stat'],
      ['diff', '--patch'],
    ]
    let checked = 0
    for (const args of commands) {
      for (const json of [false, true]) {
        if (json && args.includes('--format')) continue
        const r = ssmdProcess([...args, ...(json ? ['--json'] : []), '-C', root])
        // The repository holds secrets (validate fails) and the key variables are unset (key verify fails).
        const expected = args[0] === 'validate' || args[1] === 'verify' ? 1 : 0
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(expected)
        expectNoSecret(r, secrets, `${args.join(' ')}${json ? ' --json' : ''}`)
        if (json) JSON.parse(r.stdout)
        checked++
      }
    }
    expect(checked).to.equal(33)
    // Committing anyway (--no-validate) and a commit message holding a token: the output still shows none.
    const c = ssmdProcess(['commit', '--no-validate', '-v', '-m', `rotate ${entry('slack-bot-token')}`, '-C', root])
    expect(c.code, c.stderr).to.equal(0)
    expectNoSecret(c, secrets, 'commit')
  })
})
