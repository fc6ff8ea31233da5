import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseStrictInteger } from '../../src/lib/core/numbers.js'
import { escapeControl } from '../../src/lib/core/text.js'
import { checkDescription, checkSource } from '../../src/lib/domain/keys.js'
import { checkUrl } from '../../src/lib/domain/input.js'
import { credentialUrlIn, hasLongRun, hasUrlCredentials, redact, redactValue, secretIn, secretsInText, tokenShapeIn, TOKEN_SHAPES } from '../../src/lib/domain/secrets.js'
import { FIXTURES } from '../helpers/repo.js'

interface CorpusEntry {
  id: string
  value: string
  where?: string
  secret?: string
}
const CORPUS = (JSON.parse(readFileSync(join(FIXTURES, 'secrets', 'corpus.json'), 'utf8')) as { entries: CorpusEntry[] }).entries

describe('secret vocabulary (domain/secrets.ts)', () => {
  it('the corpus covers every provider the token shapes claim to know', () => {
    const found = new Set(
      CORPUS.map(
        e =>
          TOKEN_SHAPES.find(s => {
            s.pattern.lastIndex = 0
            return s.pattern.test(e.value)
          })?.id,
      ).filter(Boolean),
    )
    for (const id of [
      'private-key',
      'aws-access-key-id',
      'aws-secret-access-key',
      'github-token',
      'github-fine-grained-token',
      'slack-token',
      'stripe-key',
      'google-api-key',
      'npm-token',
      'jwt',
    ]) {
      expect(found.has(id), id).to.equal(true)
    }
  })

  for (const e of CORPUS) {
    it(`${e.id}: detected, refused by input checks, and redacted`, () => {
      expect(secretIn(e.value), e.id).to.be.a('string')
      expect(() => checkDescription(e.value), e.id).to.throw(/looks like/)
      expect(() => checkSource(e.value), e.id).to.throw()
      const masked = redact(`value '${e.value}' here`)
      const secret = e.secret ?? e.value
      expect(masked, e.id).not.to.contain(secret)
      if (e.secret === undefined && e.value.length >= 20) expect(masked).not.to.contain(e.value.slice(Math.floor(e.value.length / 2) - 6, Math.floor(e.value.length / 2) + 6))
      expect(JSON.stringify(redactValue({ a: [e.value] }))).not.to.contain(secret.includes('\n') ? secret.split('\n')[1] : secret)
      if (e.where !== undefined) expect(hasUrlCredentials(e.value), e.id).to.equal(true)
    })
  }

  it('reads URL credentials as the WHATWG parser does: empty user, @ and : in the password, an unescaped /', () => {
    expect(hasUrlCredentials('redis://:pw@cache:6379')).to.equal(true)
    expect(hasUrlCredentials('redis://admin:p@ssw0rd-tail@host:6379')).to.equal(true)
    expect(redact('redis://admin:p@ssw0rd-tail@host:6379')).to.equal('redis://admin:****@host:6379')
    expect(hasUrlCredentials('nats://u:pa/ss@host:4222')).to.equal(true)
    expect(redact('at nats://u:pa/ss@host:4222 now')).to.equal('at nats://u:****@host:4222 now')
    expect(hasUrlCredentials('nats://@host:4222')).to.equal(true)
    expect(hasUrlCredentials('https://ghp_abc@github.com/x')).to.equal(true)
    expect(credentialUrlIn("transport url 'http://admin:hunter2@nats:4222' does not fit")).to.deep.equal({ scheme: 'http', hasPassword: true })
    for (const plain of ['nats://localhost:4222', 'https://registry.example.com/@scope/pkg', 'wss://api.example.com/ws?user=a@b', 'https://auth.example.com/oauth/token']) {
      expect(hasUrlCredentials(plain), plain).to.equal(false)
      expect(redact(plain)).to.equal(plain)
    }
  })

  it('URL flags accept what validate accepts: credentials refused whatever their form', () => {
    for (const url of ['redis://:pw@cache:6379', 'rediss://admin:p@ss:w@cache:6380', 'redis://u:pa/ss@cache:6379']) {
      expect(() => checkUrl('cache.url', url, ['redis', 'rediss']), url).to.throw(/must not carry credentials/)
    }
    expect(checkUrl('cache.url', 'redis://cache:6379/0', ['redis'])).to.equal('redis://cache:6379/0')
  })

  it('finds the shortest token shapes (values under 10 characters are never tested against the shapes)', () => {
    for (const v of ['token=abcd', 'secret=abc1', 'passwd=wxyz']) {
      expect(secretIn(v, 'description'), v).to.equal('an assignment of a secret')
      expect(redact(v), v).to.match(/=\*\*\*\*$/)
    }
    expect(secretIn('token=abc', 'description')).to.equal(undefined)
  })

  it('leaves ordinary values alone', () => {
    for (const v of [
      'vault/secret/data/ssmd/api-token',
      'sealed-secret/kalshi-prod',
      'env',
      'rotate the api_key every 90 days',
      'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      '/var/lib/ssmd/secret-data',
      'x-password_policy: minimum 16 characters',
    ]) {
      expect(secretIn(v, 'description'), v).to.equal(undefined)
      expect(redact(v), v).to.equal(v)
    }
  })
})

describe('strict integers and terminal text', () => {
  it('parses only plain integers in range, never beyond 2^53 − 1', () => {
    expect(parseStrictInteger('15000', { min: 0 })).to.deep.equal({ value: 15000 })
    for (const bad of ['15s', '1e3', '0x10', ' 1', '1.0', '', '+5', '9007199254740992', '99999999999999999999999']) {
      expect(parseStrictInteger(bad, { min: 0 }), bad).to.have.property('problem')
    }
    expect(parseStrictInteger('0', { min: 1 })).to.deep.equal({ problem: 'is out of range (1–9007199254740991)' })
  })

  it('escapes control characters, keeping newlines and colours only when asked', () => {
    expect(escapeControl('a\u001b]0;x\u0007b\nc')).to.equal('a\\u001b]0;x\\u0007b\\u000ac')
    expect(escapeControl('a\nb\tc', { keepNewlines: true })).to.equal('a\nb\tc')
    expect(escapeControl('\u001b[31mred\u001b[39m \u001b[2J', { keepSgr: true })).to.equal('\u001b[31mred\u001b[39m \\u001b[2J')
    expect(escapeControl('abc\u202eevil\u009b')).to.equal('abc\\u202eevil\\u009b')
  })

  it('hasLongRun finds a run of 40 base64 characters exactly where /[A-Za-z0-9/+]{40}/ does', () => {
    const alphabet = 'aZ09/+-_ .=\n\u00e9'
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000
    const long = 'A'.repeat(40)
    const cases = ['', 'a'.repeat(39), long, `x ${long}`, `${'b'.repeat(39)} ${'c'.repeat(39)}`, `${'d'.repeat(39)}=${long}.`, `é${long.slice(1)}`]
    for (let i = 0; i < 2000; i++) {
      // Mostly base64 characters, so runs near 40 are common.
      const length = Math.floor(next() * 120)
      let text = ''
      for (let k = 0; k < length; k++) text += next() < 0.97 ? 'aB3/+'[Math.floor(next() * 5)] : alphabet[Math.floor(next() * alphabet.length)]
      cases.push(text)
    }
    let found = 0
    for (const text of cases) {
      const expected = /[A-Za-z0-9/+]{40}/.test(text)
      if (expected) found++
      expect(hasLongRun(text), JSON.stringify(text)).to.equal(expected)
    }
    expect(found).to.be.greaterThan(100)
    expect(found).to.be.lessThan(cases.length - 100)
  })

  it('tests a value against the shapes only when it could hold one: the same findings as trying every shape', () => {
    // Every shape tried on every value, as the scan did before it looked for hints first.
    const everyShape = (text: string): string[] => {
      const found: string[] = []
      for (const shape of TOKEN_SHAPES) {
        const re = new RegExp(shape.pattern.source, shape.pattern.flags)
        for (let m = re.exec(text); m !== null; m = re.exec(text)) {
          if (m[0] === '') re.lastIndex++
          else if (!shape.accept || shape.accept(m[0])) found.push(`${m.index}:${shape.what}`)
        }
      }
      return found.sort()
    }
    const fragments = [
      'secret',
      'API_SECRET',
      'passwd',
      'Password',
      'token',
      'api-key',
      'apikey',
      'private_key',
      'credentials',
      ': ',
      ':',
      '=',
      ' = ',
      '"',
      "'",
      ' ',
      'sealed-secret/',
      'Xq7Lp2Vr9Tz4Wb8Nc3Md6Kf',
      'aB3dE5gH7jK9mN1pQ3sT',
      'ghp_',
      'AKIA',
      'abcd',
      '/',
      '.',
      '-',
      '\n',
      'x',
    ]
    let seed = 11
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000
    const cases = CORPUS.map(e => e.value)
    for (let i = 0; i < 4000; i++) {
      let text = ''
      const parts = 1 + Math.floor(next() * 7)
      for (let k = 0; k < parts; k++) text += fragments[Math.floor(next() * fragments.length)]
      cases.push(text)
    }
    let withFindings = 0
    let namesOnly = 0
    for (const text of cases) {
      if (/secret|passw|token|api[_-]?key|private_?key|credential/i.test(text) && !/[:=]/.test(text)) namesOnly++
      const expected = everyShape(text)
      if (expected.length > 0) withFindings++
      const got = secretsInText(text).filter(f => f.what !== 'a URL with credentials')
      // secretsInText drops overlapping matches: each finding it keeps is one of every shape's, and it keeps one when there is any.
      for (const f of got) expect(expected, JSON.stringify(text)).to.include(`${f.index}:${f.what}`)
      expect(got.length > 0, JSON.stringify(text)).to.equal(expected.length > 0)
      expect(tokenShapeIn(text) !== undefined, JSON.stringify(text)).to.equal(expected.length > 0)
    }
    expect(withFindings).to.be.greaterThan(150)
    expect(withFindings).to.be.lessThan(cases.length - 150)
    expect(namesOnly).to.be.greaterThan(500)
  })
})
