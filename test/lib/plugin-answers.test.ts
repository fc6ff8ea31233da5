import { expect } from 'chai'
import { BUILTIN_RULES } from '../../src/hooks/validate/builtin.js'
import { AnswerLines } from '../../src/lib/validate/plugin-answers.js'
import { BUILTIN_NAMESPACES, cleanText, reservedNamespaces } from '../../src/lib/validate/report.js'

describe("a plugin process's answers (one JSON message per line)", () => {
  it('reads messages split anywhere across chunks', () => {
    const lines = new AnswerLines()
    const text = '{"t":"rule","id":"a/b"}\n{"t":"done","reports":[],"errors":[]}\n'
    const got: unknown[] = []
    for (const piece of [text.slice(0, 5), text.slice(5, 30), text.slice(30)]) {
      const r = lines.push(Buffer.from(piece))
      expect(r).to.be.an('array')
      got.push(...(r as unknown[]))
    }
    expect(got).to.deep.equal([
      { t: 'rule', id: 'a/b' },
      { t: 'done', reports: [], errors: [] },
    ])
    expect(lines.end()).to.equal(undefined)
  })

  it('turns a frame that is not JSON into a sentence, not an exception, and reads nothing after it', () => {
    const lines = new AnswerLines()
    expect(lines.push(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]))).to.equal('sent a malformed answer (not one JSON message per line)')
    expect(lines.push(Buffer.from('{"t":"done"}\n'))).to.deep.equal([])
  })

  it('refuses a message cut off at the end of the stream', () => {
    const lines = new AnswerLines()
    expect(lines.push(Buffer.from('{"t":"do'))).to.deep.equal([])
    expect(lines.end()).to.equal('sent a malformed answer (a message cut off)')
  })

  it('stops reading past its byte limit', () => {
    const lines = new AnswerLines(1024)
    expect(lines.push(Buffer.alloc(2048, 0x20))).to.equal('sent more than 1024 bytes of answers')
  })

  it('cleans at most a bounded prefix of a huge text (no work on 200 MB)', () => {
    const huge = 'a'.repeat(200 * 1024 * 1024)
    const started = performance.now()
    const shown = cleanText(huge)
    expect(shown).to.have.length(1000)
    expect(performance.now() - started).to.be.below(1000)
  })
})

describe('namespaces reserved for ssmd', () => {
  it("list every built-in rule's namespace, so a plugin cannot claim one in validate or in ssmd/testing", () => {
    expect([...BUILTIN_NAMESPACES].sort()).to.deep.equal([...new Set(BUILTIN_RULES.map(r => r.meta.id.split('/')[0]))].sort())
    for (const ns of BUILTIN_NAMESPACES) expect(reservedNamespaces().has(ns), ns).to.equal(true)
  })
})
