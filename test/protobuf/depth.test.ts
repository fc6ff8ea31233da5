/**
 * protobufjs stops at its nesting limits with "max depth exceeded" and no position; ssmd finds
 * where the file passes them, counted as protobufjs counts, at any depth without recursion.
 */
import { expect } from 'chai'
import { buildProtoModel, ProtoSyntaxError } from '../../src/lib/protobuf/index.js'
import { jsonTooDeep, JSON_MAX_NESTING } from '../../src/lib/domain/schema/parse.js'

/** The error building the model throws, or undefined when the file parses. */
function failure(text: string): ProtoSyntaxError | Error | undefined {
  try {
    buildProtoModel(text, 'x.proto')
    return undefined
  } catch (error) {
    return error as Error
  }
}

function located(text: string): { line: number; column: number; message: string } {
  const e = failure(text)
  expect(e).to.be.instanceOf(ProtoSyntaxError)
  const x = e as ProtoSyntaxError
  return { line: x.line, column: x.column, message: x.message }
}

describe('protobuf: nesting limits located', () => {
  const messages = (n: number): string => `syntax = "proto3";\n${'message M {\n'.repeat(n)}${'}\n'.repeat(n)}`

  it('32 nested messages parse; the 33rd is refused at its `message` keyword, at any depth', () => {
    expect(failure(messages(32))).to.equal(undefined)
    for (const n of [33, 100_000]) expect(located(messages(n))).to.include({ line: 34, column: 1 })
    expect(located(messages(33)).message).to.match(/^messages and groups nested deeper than 32 levels/)
  })

  it('groups count one level below the message or group holding them, in oneofs and extends too', () => {
    const groups = (n: number): string => `syntax = "proto2";\nmessage A {\n${'optional group G = 1 {\n'.repeat(n)}${'}\n'.repeat(n)}}\n`
    expect(failure(groups(31))).to.equal(undefined)
    expect(located(groups(32))).to.include({ line: 34, column: 1 })
    const inExtend = (n: number): string => `syntax = "proto2";\n${'message M {\n'.repeat(n)}extend Foo { optional group G = 100 { } }${'}\n'.repeat(n)}`
    expect(failure(inExtend(31))).to.equal(undefined)
    expect(located(inExtend(32))).to.include({ line: 34, column: 14 })
    const inOneof = `syntax = "proto2";\n${'message M {\n'.repeat(32)}oneof o { group G = 1 { } }${'}\n'.repeat(32)}`
    expect(located(inOneof)).to.include({ line: 34, column: 11 })
  })

  it('option values nest 101 braces; the 102nd is refused where it opens', () => {
    const option = (n: number): string => `syntax = "proto3";\nmessage A { int32 x = 1 [(foo) = ${'{ a: '.repeat(n)}1${' }'.repeat(n)}]; }\n`
    expect(failure(option(101))).to.equal(undefined)
    for (const n of [102, 100_000]) expect(located(option(n))).to.include({ line: 2, column: 34 + 101 * 5 })
    expect(located(option(102)).message).to.match(/^option value nested deeper than 100 levels/)
  })

  it('other parse errors keep protobufjs own message', () => {
    const e = failure('syntax = "proto3";\nmessage {\n')
    expect(e).to.not.be.instanceOf(ProtoSyntaxError)
    expect(e?.message).to.match(/illegal/)
  })
})

describe('JSON: nesting limit located', () => {
  it(`${JSON_MAX_NESTING} levels pass; the next one is found at its line and column`, () => {
    expect(jsonTooDeep('['.repeat(JSON_MAX_NESTING) + ']'.repeat(JSON_MAX_NESTING))).to.equal(undefined)
    expect(jsonTooDeep('{\n "a":\n' + '['.repeat(JSON_MAX_NESTING) + ']'.repeat(JSON_MAX_NESTING) + '}')).to.deep.equal({ line: 3, column: JSON_MAX_NESTING })
    expect(jsonTooDeep('['.repeat(1_000_000))).to.deep.equal({ line: 1, column: JSON_MAX_NESTING + 1 })
  })

  it('brackets inside strings, escaped quotes included, do not count', () => {
    const s = JSON.stringify({ a: '{'.repeat(500) + '\\"[[[' + '['.repeat(500) })
    expect(jsonTooDeep(s)).to.equal(undefined)
  })
})
