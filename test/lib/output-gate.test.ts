import { expect } from 'chai'
import { Writable } from 'node:stream'
import { installOutputGate } from '../../src/lib/cli/output-gate.js'
import { lineWriter } from '../../src/lib/io/line-writer.js'

const TOKEN = 'ghp_QQtmphXwo90Kgzi7WSWobXMNm0GBwmnTOIHx'

/** Runs `fn` with stdout and stderr writes recorded (and nothing printed), the gate installed over the recorder. */
function recorded(fn: () => void): { out: Array<string | Uint8Array>; err: Array<string | Uint8Array> } {
  const out: Array<string | Uint8Array> = []
  const err: Array<string | Uint8Array> = []
  const saved = { out: process.stdout.write, err: process.stderr.write }
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(chunk) > 0) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(chunk) > 0) as typeof process.stderr.write
  try {
    installOutputGate()
    fn()
  } finally {
    process.stdout.write = saved.out
    process.stderr.write = saved.err
  }
  return { out, err }
}

describe('output gate', () => {
  it('masks secrets in every text write to stdout and stderr', () => {
    const { out, err } = recorded(() => {
      process.stdout.write(`token ${TOKEN}\n`)
      process.stderr.write('Error: nats://admin:Sup3rSecretPw@nats:4222 refused\n')
      // Text in another encoding is bytes: the hex of a secret is refused whole.
      expect(() => process.stdout.write(Buffer.from(`as bytes ${TOKEN}`).toString('hex'), 'hex')).to.throw(/GitHub token/)
    })
    expect(out).to.deep.equal(['token ghp_****\n'])
    expect(err).to.deep.equal(['Error: nats://admin:****@nats:4222 refused\n'])
  })

  it('writes bytes without a secret unchanged, and refuses bytes holding one whole (they cannot be masked)', () => {
    const binary = Buffer.from([0, 1, 2, 255, 254, 65, 66, 10])
    let thrown: Error | undefined
    const { out } = recorded(() => {
      process.stdout.write(binary)
      try {
        process.stdout.write(Buffer.concat([binary, Buffer.from(TOKEN), binary]))
      } catch (error) {
        thrown = error as Error
      }
    })
    expect(out).to.have.length(1)
    expect(Buffer.from(out[0] as Uint8Array).equals(binary)).to.equal(true)
    expect(thrown?.message).to.match(/^the output holds what looks like a GitHub token, and bytes cannot be masked: nothing was written/)
    expect(thrown?.message).not.to.contain(TOKEN.slice(4))
  })

  it('masking a JSON or YAML document as text keeps it parseable: a mask never takes a closing quote or half an escape', () => {
    const doc = {
      key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nc2VjcmV0Ym9keQ',
      assignment: 'password=abcdefgh\\" tail',
      after: 'kept',
    }
    const { out } = recorded(() => {
      process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
    })
    const parsed = JSON.parse(out[0] as string) as typeof doc
    expect(parsed).to.deep.equal({ key: '-----BEGIN PRIVATE KEY-----****', assignment: 'password=****" tail', after: 'kept' })
    // Text output shows a line feed inside a value as \u000a: the key body is still masked, and masking twice changes nothing.
    const line = 'description: -----BEGIN RSA PRIVATE KEY-----\\u000aMIIEowIBAAKCAQEAoeqDaatBg6aH\\u000a-----END RSA PRIVATE KEY-----\nnext: 1\n'
    const twice = recorded(() => {
      process.stdout.write(line)
      process.stdout.write(recorded(() => process.stdout.write(line)).out[0] as string)
    }).out
    expect(twice[0]).to.equal('description: -----BEGIN RSA PRIVATE KEY-----****\nnext: 1\n')
    expect(twice[1]).to.equal(twice[0])
  })

  it('is installed once: a second install does not wrap again', () => {
    const { out } = recorded(() => {
      installOutputGate()
      const gated = process.stdout.write
      installOutputGate()
      expect(process.stdout.write).to.equal(gated)
      process.stdout.write('plain\n')
    })
    expect(out).to.deep.equal(['plain\n'])
  })

  it('lineWriter relays whole lines, so a secret split across chunks is still seen whole', () => {
    const writes: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        writes.push(chunk.toString())
        done()
      },
    })
    const w = lineWriter(sink)
    const text = `before ${TOKEN} after\nlast`
    for (let i = 0; i < text.length; i += 7) w.write(Buffer.from(text.slice(i, i + 7)))
    w.end()
    expect(writes).to.deep.equal([`before ${TOKEN} after\n`, 'last'])
  })
})
