import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { checkCapnpSource, type CapnpLoadResult } from '../../src/lib/capnp/index.js'
import { MAX_NESTING } from '../../src/lib/capnp/parser.js'
import { src } from './helpers.js'
import { FAMILIES } from './memory-probe.js'

const compile = (text: string): CapnpLoadResult => checkCapnpSource(text, 'deep.capnp')
const located = (r: CapnpLoadResult): string[] => r.diagnostics.map(d => `${d.file}:${d.line}:${d.column} ${d.message}`)

/** Seconds of CPU this process spends compiling `text` (the fastest of `runs`, so a busy machine only adds noise upward). */
function cost(text: string, runs = 3): number {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const t0 = process.cpuUsage()
    compile(text)
    const t = process.cpuUsage(t0)
    best = Math.min(best, (t.user + t.system) / 1e6)
  }
  return best
}

const many = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('')

describe('capnp: bounded front end', () => {
  describe('string escapes', () => {
    it('decode every escape kind to the bytes capnp gives them, around plain and non-ASCII runs', () => {
      const r = compile(src(String.raw`const t :Text = "a\x41\101\n\t\\\"\'\?\a\b\f\r\v é😀z";` + '\nconst d :Data = "\\xff\\0\\377é";'))
      expect(r.diagnostics).to.deep.equal([])
      const t = r.model!.nodes.find(n => n.path === 't')!.valueLit as { k: 'text'; v: string; hex?: string }
      expect(t.v).to.equal('aAA\n\t\\"\'?\x07\b\f\r\v é😀z')
      const d = r.model!.nodes.find(n => n.path === 'd')!.valueLit as { k: 'data'; v: string }
      expect(d.v).to.equal('ff00ff' + Buffer.from('é').toString('hex'))
    })

    it('an invalid escape is located at its backslash', () => {
      expect(located(compile(src('const t :Text = "ab\\qcd";')))).to.deep.equal(['deep.capnp:2:20 Invalid escape sequence.'])
    })
  })

  describe('nesting', () => {
    const structs = (n: number): string => src('struct A {'.repeat(n) + '}'.repeat(n))
    it(`accepts ${MAX_NESTING} levels and refuses one more with a located error`, () => {
      expect(compile(structs(MAX_NESTING)).diagnostics).to.deep.equal([])
      const r = compile(structs(MAX_NESTING + 1))
      expect(located(r)).to.have.length(1)
      expect(located(r)[0]).to.match(new RegExp(`^deep\\.capnp:2:${MAX_NESTING * 10 + 10} Nesting deeper than ${MAX_NESTING} levels`))
    })

    // each shape a stage of its own once parsed: declarations, groups, values, types, names
    const shapes: Record<string, (n: number) => string> = {
      'nested structs': n => 'struct A {'.repeat(n) + '}'.repeat(n),
      groups: n => 'struct S { ' + many(n, i => `g${i} :group { `) + 'x @0 :UInt32; ' + '} '.repeat(n) + '}',
      unions: n => 'struct S { ' + many(n, i => `u${i} :union { a${i} @${i} :UInt32; `) + `z @${n} :UInt32; ` + '} '.repeat(n) + '}',
      'list values': n => 'const c :List(UInt32) = ' + '['.repeat(n) + ']'.repeat(n) + ';',
      parentheses: n => 'const c :UInt32 = ' + '('.repeat(n) + '1' + ')'.repeat(n) + ';',
      'list types': n => 'struct S { x @0 :' + 'List('.repeat(n) + 'UInt32' + ')'.repeat(n) + '; }',
      'qualified names': n => 'struct S { x @0 :' + 'A.'.repeat(n) + 'B; }',
      applications: n => 'struct S { x @0 :A' + '()'.repeat(n) + '; }',
      'struct values': n => 'struct S { x @0 :S; y @1 :UInt32; }\nconst c :S = ' + '(x = '.repeat(n) + '(y = 1)' + ')'.repeat(n) + ';',
      'method parameters': n => 'interface I { m @0 (a :UInt32 = ' + '('.repeat(n) + '1' + ')'.repeat(n) + '); }',
    }
    for (const [name, shape] of Object.entries(shapes)) {
      it(`${name}: 10,000 levels are one located error, not a stack overflow`, () => {
        const r = compile(src(shape(10_000)))
        expect(r.diagnostics).to.have.length(1)
        expect(r.diagnostics[0].message).to.match(/^Nesting deeper than 64 levels/)
        expect(r.diagnostics[0]).to.include({ file: 'deep.capnp' })
      })
    }

    it('the statement after a refused one is still checked', () => {
      const r = compile(src('struct A {'.repeat(100) + '}'.repeat(100) + '\nstruct B { x @0 :Nope; }'))
      expect(located(r).map(l => l.replace(/ Nesting.*/, ' Nesting'))).to.deep.equal(['deep.capnp:2:650 Nesting', 'deep.capnp:3:18 Not defined: Nope'])
    })
  })

  describe('chains across declarations', () => {
    it('an alias chain longer than the limit is one error where it starts', () => {
      const chain = (n: number): string => src(many(n, i => `using T${i} = T${i + 1};\n`) + `using T${n} = UInt32;\nstruct S { x @0 :T0; }`)
      expect(compile(chain(MAX_NESTING - 1)).diagnostics).to.deep.equal([])
      expect(located(compile(chain(MAX_NESTING + 1)))).to.deep.equal([
        `deep.capnp:2:12 Declaration reaches its target through more than ${MAX_NESTING} aliases or constants in a row; refer to the target directly.`,
      ])
      // 10,000 links: no stack overflow, one error per run of 64 links
      const long = compile(chain(10_000))
      expect(long.diagnostics.every(d => d.message.startsWith('Declaration reaches its target'))).to.equal(true)
    })

    it('a constant chain longer than the limit is refused, not a stack overflow', () => {
      const chain = (n: number): string => src(many(n, i => `const c${i} :UInt32 = .c${i + 1};\n`) + `const c${n} :UInt32 = 5;`)
      expect(compile(chain(MAX_NESTING - 1)).diagnostics).to.deep.equal([])
      const r = compile(chain(10_000))
      expect(r.diagnostics.length).to.be.greaterThan(0)
      expect(r.diagnostics.every(d => d.message.startsWith('Declaration reaches its target'))).to.equal(true)
    })

    it('a type that nests too deeply through aliases is one error at the alias that passes the limit', () => {
      const r = compile(src('using L0 = List(UInt32);\n' + many(9_999, i => `using L${i + 1} = List(L${i});\n`) + 'struct S { x @0 :L9999; }'))
      expect(located(r)).to.deep.equal([
        `deep.capnp:${MAX_NESTING + 2}:18 Type nests deeper than ${MAX_NESTING} levels once its aliases are expanded; declare the inner parts as structs of their own.`,
      ])
    })

    it('a generic type that doubles at each alias is refused before it is written out', () => {
      const r = compile(
        src('struct P(A, B) { a @0 :A; b @1 :B; }\nusing G0 = P(Text, Text);\n' + many(200, i => `using G${i + 1} = P(G${i}, G${i});\n`) + 'struct S { x @0 :G200; }'),
      )
      expect(r.diagnostics).to.have.length(1)
      expect(r.diagnostics[0].message).to.match(/^Type expands to more than 4096 parts/)
    })
  })

  describe('work grows linearly with the input', () => {
    // sizes n (tens of milliseconds of work) and 8n: linear work costs 8 times more, quadratic 64
    // times; allow 3 times linear for garbage collection and a busy machine
    const families: Record<string, [number, (n: number) => string]> = {
      'escape-heavy strings': [8000, n => src(`const t :Text = "${'\\n\\x41\\101é'.repeat(n)}";`)],
      'long comments': [20000, n => src('# doc\n'.repeat(n) + 'struct S { x @0 :UInt32; }')],
      'many declarations': [800, n => src(many(n, i => `struct S${i} { f @0 :UInt32; }\n`))],
      'many fields and enumerants': [400, n => src(`struct S {\n${many(n, i => `  f${i} @${i} :UInt32;\n`)}}\nenum E {\n${many(n, i => `  e${i} @${i};\n`)}}`)],
      'nesting at the limit, repeated': [40, n => src(many(n, () => 'struct A {'.repeat(MAX_NESTING) + '}'.repeat(MAX_NESTING) + '\n'))],
      'nesting past the limit': [100, n => src('struct A {'.repeat(n * 64) + '}'.repeat(n * 64))],
      'alias chains past the limit': [20, n => src(many(n * 64, i => `using T${i} = T${i + 1};\n`) + `using T${n * 64} = UInt32;`)],
      'list values': [8000, n => src(`const c :List(UInt32) = [${many(n, () => '1, ')}2];`)],
    }
    for (const [name, [base, family]] of Object.entries(families)) {
      it(`${name} (slow)`, () => {
        const small = family(base)
        const large = family(base * 8)
        compile(small) // warm up
        const [a, b] = [cost(small), cost(large, 2)]
        const ratio = b / Math.max(a, 1e-3)
        expect(ratio, `${name}: ${small.length} → ${large.length} characters cost ${ratio.toFixed(1)} times more`).to.be.lessThan(8 * 3)
      })
    }
  })
  describe('large files: time and heap grow linearly with the input', () => {
    const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url))
    const MB = 1024 * 1024
    /** Compiles `family` at `bytes` in a child whose heap may not pass `capMb`; its heap in use after, or undefined when it ran out. */
    const probe = (family: string, bytes: number, capMb?: number): { bytes: number; heap: number } | undefined => {
      const args = ['--import', 'tsx', '--expose-gc', ...(capMb ? [`--max-old-space-size=${capMb}`] : []), PROBE, family, String(bytes)]
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120000, env: { ...process.env, TSX_DISABLE_CACHE: '1' } })
      return r.status === 0 ? (JSON.parse(r.stdout) as { bytes: number; heap: number }) : undefined
    }
    // Extra heap allowed per byte of input at the peak of compiling (measured on this front end,
    // with about a fifth to spare: docs/capnp.md lists the factors). Before these bounds, a file of
    // structs needed 59 bytes of heap per byte.
    const PER_BYTE: Record<string, number> = {
      'structs of many fields': 40,
      'enums of many enumerants': 48,
      'defaults and annotations': 56,
      'a long list constant': 48,
      'a long string constant': 16,
    }
    for (const [family, perByte] of Object.entries(PER_BYTE)) {
      it(`${family}: 1x, 4x and 16x cost linear CPU time, and 2 MB compiles in ${perByte} bytes of heap per byte (slow)`, function () {
        this.timeout(300000)
        const compileCost = (text: string): number => {
          let best = Infinity
          for (let i = 0; i < 2; i++) {
            const t0 = process.cpuUsage()
            expect(compile(text).diagnostics).to.deep.equal([])
            const t = process.cpuUsage(t0)
            best = Math.min(best, (t.user + t.system) / 1e6)
          }
          return best
        }
        const base = 16 * 1024
        const [a, b, c] = [1, 4, 16].map(k => FAMILIES[family](base * k))
        compile(a) // warm up
        const [ta, tb, tc] = [compileCost(a), compileCost(b), compileCost(c)]
        // linear: 4 and 16 times the cost; allow 3 times that for garbage collection and a busy machine
        expect(tb / Math.max(ta, 1e-3), `${family}: 4x the input cost ${(tb / ta).toFixed(1)}x`).to.be.lessThan(4 * 3)
        expect(tc / Math.max(ta, 1e-3), `${family}: 16x the input cost ${(tc / ta).toFixed(1)}x`).to.be.lessThan(16 * 3)

        // heap: what the probe holds for a tiny file, plus perByte bytes for each byte of a 2 MB one
        const tiny = probe(family, 1000)
        expect(tiny, `${family}: the probe runs`).to.not.equal(undefined)
        const cap = Math.ceil((tiny!.heap + perByte * 2 * MB) / MB)
        expect(probe(family, 2 * MB, cap), `${family}: 2 MB does not compile in a ${cap} MB heap`).to.not.equal(undefined)
      })
    }
  })
})
