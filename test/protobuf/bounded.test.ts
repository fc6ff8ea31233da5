/**
 * Large .proto files: building the model costs time linear in the input. protobufjs rebuilt a
 * message's index of field numbers on every field it added (see src/lib/protobuf/linear.ts).
 */
import { expect } from 'chai'
import { buildProtoModel } from '../../src/lib/protobuf/index.js'

const many = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('')
const HEAD = 'syntax = "proto3";\npackage p;\n'

/** Seconds of CPU building the model of `text` takes (the fastest of `runs`, so a busy machine only adds noise upward). */
function cost(text: string, runs = 2): number {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const t0 = process.cpuUsage()
    buildProtoModel(text, 'big.proto')
    const t = process.cpuUsage(t0)
    best = Math.min(best, (t.user + t.system) / 1e6)
  }
  return best
}

describe('protobuf: work grows linearly with the input', () => {
  const families: Record<string, (n: number) => string> = {
    'one message of many fields': n => `${HEAD}message Big {\n${many(n, i => `  int32 f${i} = ${i + 1};\n`)}}\n`,
    'one message of many oneofs': n => `${HEAD}message Big {\n${many(n, i => `  oneof o${i} { int32 f${i} = ${i + 1}; }\n`)}}\n`,
    'nested messages beside fields': n => `${HEAD}message Outer {\n${many(n, i => `  message N${i} { int32 a = 1; N${i} self = 2; }\n  N${i} n${i} = ${i + 1};\n`)}}\n`,
    'many messages referring to each other': n => `${HEAD}${many(n, i => `message M${i} { M${(i + 1) % n} next = 1; E e = 2; }\n`)}enum E { E_ZERO = 0; }\n`,
    'one enum of many values': n => `${HEAD}enum E {\n${many(n, i => `  V${i} = ${i};\n`)}}\n`,
  }
  for (const [name, family] of Object.entries(families)) {
    it(`${name}: 1x, 4x and 16x cost linear CPU time (slow)`, () => {
      const [a, b, c] = [500, 2000, 8000].map(family)
      const model = buildProtoModel(c, 'big.proto')
      expect(model.messages.size + model.enums.size).to.be.greaterThan(0)
      cost(a) // warm up
      const [ta, tb, tc] = [cost(a, 3), cost(b, 3), cost(c, 3)]
      // linear: 4 and 16 times the cost (quadratic: 16 and 256); allow 3 times linear for garbage collection and a busy machine.
      // The 4x step is measured between the two larger inputs: the smallest takes a few milliseconds, where one collection doubles it.
      expect(tc / Math.max(tb, 2e-3), `${name}: 4x the input (2,000 to 8,000) cost ${(tc / tb).toFixed(1)}x`).to.be.lessThan(4 * 3)
      expect(tc / Math.max(ta, 2e-3), `${name}: 16x the input cost ${(tc / ta).toFixed(1)}x`).to.be.lessThan(16 * 3)
    })
  }

  it('a field number used twice in one message is still refused, as protobufjs refuses it', () => {
    expect(() => buildProtoModel(`${HEAD}message M {\n  int32 a = 1;\n  int32 b = 2;\n  int32 c = 1;\n}\n`, 'x.proto')).to.throw(/duplicate id 1/)
    const m = buildProtoModel(`${HEAD}message M {\n  int32 a = 1;\n  oneof o { int32 b = 2; }\n  int32 c = 3;\n}\n`, 'x.proto').messages.get('.p.M')!
    expect(m.fields.map(f => `${f.name}=${f.number}`)).to.deep.equal(['a=1', 'b=2', 'c=3'])
  })
})
