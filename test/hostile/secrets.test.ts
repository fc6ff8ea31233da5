import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { exampleRepo } from '../helpers/repo.js'
import { cli, repoWith, validateInProcess } from './helpers.js'

const SECURITY = new Set(['security/secret-literal', 'security/credentials-in-url'])

const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun', '-----END RSA PRIVATE KEY-----'].join('\n')
const LEAKS: Array<[string, string, string]> = [
  ['private key block', 'x-tls:\n  key: |\n' + PEM.replace(/^/gm, '    ') + '\n', 'security/secret-literal'],
  [
    'openssh private key',
    'x-ssh: "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\\n-----END OPENSSH PRIVATE KEY-----"\n',
    'security/secret-literal',
  ],
  ['AWS access key id', 'x-aws: AKIAIOSFODNN7EXAMPLQ\n', 'security/secret-literal'],
  ['AWS key in a description', 'x-note: "use AKIAIOSFODNN7EXAMPLQ for the archive"\n', 'security/secret-literal'],
  ['GitHub token', 'x-gh: ghp_16C7e42F292c6912E7710c838347Ae178B4a\n', 'security/secret-literal'],
  ['GitHub fine-grained token', 'x-gh: github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV\n', 'security/secret-literal'],
  ['Slack bot token', 'x-slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx\n', 'security/secret-literal'],
  ['Slack user token', 'x-slack: xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef\n', 'security/secret-literal'],
  ['random secret under api_secret', 'x-creds:\n  api_secret: "9f8Kd02LmQz7XwT4vB1nR6yH3cJ5pA0e"\n', 'security/secret-literal'],
  ['random password', 'x-db:\n  password: "Tr0ub4dor&3xK9!mZq2#Lw"\n', 'security/secret-literal'],
  ['password in a nats url', 'x-t:\n  url: nats://capture:hunter2@nats.prod.internal:4222\n', 'security/credentials-in-url'],
  ['user in a redis url', 'x-c:\n  url: rediss://admin@cache.prod.internal:6379\n', 'security/credentials-in-url'],
  ['password in an https url', 'x-api: https://user:p%40ss@api.example.com/v1\n', 'security/credentials-in-url'],
]

describe('secrets: security rules catch realistic leaks', () => {
  it('the example repository has no security finding', async () => {
    const findings = await validateInProcess(exampleRepo())
    expect(findings.filter(f => SECURITY.has(f.rule))).to.deep.equal([])
  })

  for (const [label, yaml, rule] of LEAKS) {
    for (const folder of ['feeds/kalshi.yaml', 'environments/kalshi-prod.yaml']) {
      it(`${label} in ${folder}: ${rule}, located, without echoing the secret`, async () => {
        const root = exampleRepo()
        writeFileSync(join(root, folder), readFileSync(join(root, folder), 'utf8') + yaml)
        const findings = (await validateInProcess(root)).filter(f => f.file === folder && f.rule === rule)
        expect(findings, label).not.to.have.length(0)
        const secretLine = yaml.split('\n').findIndex(l => /AKIA|ghp_|github_pat|xox|PRIVATE|hunter2|p%40ss|admin@|9f8Kd|Tr0ub/.test(l))
        expect(findings[0].line).to.be.greaterThan(20)
        expect(secretLine).to.be.greaterThan(-1)
        for (const f of findings) expect(f.message, label).not.to.match(/hunter2|p%40ss|AKIAIOSFODNN7EXAMPLQ|ghp_16C7|xoxb-1234|9f8Kd02L|Tr0ub4dor|MIIEow/)
      })
    }
  }

  it('references and ordinary values are not flagged', async () => {
    const root = repoWith({
      'environments/x.yaml': [
        'name: x',
        'feed: f',
        'schema: s:v1',
        'keys:',
        '  api:',
        '    type: api_key',
        '    fields: [api_key, api_secret, password, token]',
        '    source: vault/secret/data/ssmd/api-token',
        '    description: rotate the api_key every 90 days',
        'transport: {type: nats, url: "nats://nats.internal:4222"}',
        'storage: {type: local, path: /var/lib/ssmd/secret-data}',
        'x-token-url: https://auth.example.com/oauth/token',
        'x-password_policy: minimum 16 characters',
        'x-secret_ref: sealed-secret/kalshi-prod-credentials',
        '',
      ].join('\n'),
    })
    const findings = await validateInProcess(root)
    expect(findings.filter(f => SECURITY.has(f.rule))).to.deep.equal([])
  })
})

describe('secrets: no command prints the value of an SSMD_* variable', () => {
  it('key list/verify, env show, validate, feed/env list, in text, --json and --verbose', () => {
    const root = exampleRepo()
    const value = 'sUp3r-s3cret-VALUE-0123456789'
    const env = { SSMD_KALSHI_API_KEY: value, SSMD_KALSHI_API_SECRET: value + 'b', SSMD_ANYTHING: value + 'c' }
    const commands = [
      ['key', 'list', 'kalshi-dev'],
      ['key', 'verify', 'kalshi-dev'],
      ['env', 'show', 'kalshi-dev'],
      ['key', 'list', 'kalshi-dev', '--json'],
      ['key', 'verify', 'kalshi-dev', '--json', '-v'],
      ['env', 'show', 'kalshi-dev', '--json'],
      ['validate', '-v'],
      ['env', 'list', '--json'],
      ['key', 'list', 'nope'],
      ['key', 'verify', 'kalshi-prod', '-v'],
    ]
    for (const args of commands) {
      const r = cli([...args, '-C', root], { env })
      expect(r.stdout + r.stderr, args.join(' ')).not.to.contain(value)
      expect(r.stdout + r.stderr, args.join(' ')).not.to.contain(value.slice(0, 12))
    }
  })
})
