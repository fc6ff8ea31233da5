import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import jsYaml from 'js-yaml'
import { NOT_SUBSET, readBlockSubset } from '../../src/lib/yaml/block-subset.js'
import { parseYamlText } from '../../src/lib/yaml/read.js'
import { PROJECT_ROOT as ROOT, tempDir } from '../helpers/repo.js'
import { rng } from '../helpers/random.js'

/** js-yaml's reading, as ssmd asks for it: the value, or the error it throws. */
function jsYamlLoad(text: string): { value?: unknown; error?: unknown } {
  try {
    return { value: jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, json: false }) }
  } catch (error) {
    return { error }
  }
}

/** The fast reader gives up, or gives exactly js-yaml's value: same types, same numbers (-0, NaN), same key order. */
function expectSameAsJsYaml(text: string, where: string): boolean {
  const fast = readBlockSubset(text)
  if (fast === NOT_SUBSET) return false
  const slow = jsYamlLoad(text)
  expect(slow.error, `${where}: the fast reader took text js-yaml refuses:\n${text}`).to.equal(undefined)
  expect(isDeepStrictEqual(fast, slow.value), `${where}: values differ\n${text}\nfast: ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify(slow.value)}`).to.equal(true)
  expect(JSON.stringify(fast), `${where}: key order differs\n${text}`).to.equal(JSON.stringify(slow.value))
  return true
}

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const st = statSync(path, { throwIfNoEntry: false })
    if (st?.isDirectory()) out.push(...yamlFilesUnder(path))
    else if (st?.isFile() && /\.ya?ml$/.test(name)) out.push(path)
  }
  return out
}

/** Keys and scalars chosen for where YAML's rules bite: the core schema's types, indicators, comments, quotes. */
const KEYS = [
  'name',
  'type',
  'versions',
  'a',
  'a.b',
  'a/b',
  'x-y',
  '_z',
  'on',
  'yes',
  'Null',
  'TRUE',
  'null',
  'true',
  '__proto__',
  'constructor',
  'toString',
  'k1',
  'e5',
  'inf',
  'nan',
  'Key',
]
/** Mostly plain values (the fast reader takes them), and edge cases: see pickScalar. */
const SCALARS = [
  'x',
  'hello world',
  'a  b',
  '1',
  '-1',
  '+1',
  '0',
  '-0',
  '+0',
  '007',
  '0x1F',
  '0o17',
  '0b101',
  '1_000',
  '1.5',
  '-1.5',
  '.5',
  '1.',
  '1e3',
  '1E-3',
  '6.02e+23',
  '.inf',
  '-.inf',
  '.Inf',
  '.NaN',
  '.nan',
  'NaN',
  'inf',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'null',
  'Null',
  'NULL',
  '~',
  '2025-01-01',
  '2025-01-01T10:00:00Z',
  '04:00',
  '1:30',
  '12345678901234567890',
  '9007199254740993',
  'wss://api.example.com/ws/v1',
  'a#b',
  'a #b',
  'a # comment',
  'a:b',
  'a: b',
  'a:',
  ':a',
  '-a',
  '- a',
  '?a',
  '? a',
  '[a, b]',
  '[a, 1, true, ~]',
  '[]',
  '[ ]',
  '[a,,b]',
  '[a, b,]',
  '[a: b]',
  '[a, [b]]',
  '{}',
  '{a: 1}',
  '"quoted"',
  '"with # hash"',
  '"esc\\n"',
  '""',
  "'single'",
  "'it''s'",
  "''",
  "'a' b",
  '"a" # c',
  '&anchor x',
  '*alias',
  '!tag x',
  '!!str 1',
  '|',
  '>',
  '%x',
  '@x',
  '`x',
  'é',
  'naïve café',
  '日本',
  '😀',
  'tab\there',
  'cr\rhere',
  'a\u0085b',
  'ctl\u0001',
  'a\u2028b',
  '\ufeffbom',
]

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]
}

const PLAIN = ['x', 'hello world', 'wss://api.example.com/ws/v1', 'v1', '42', 'true', 'draft', '2025-01-01', 'us-east-1', 'a.b.c']

/** One value in five from the edge cases, so that most documents stay inside the subset and some do not. */
function pickScalar(r: () => number): string {
  return r() < 0.2 ? pick(r, SCALARS) : pick(r, PLAIN)
}

/** A random block document: mappings and sequences of the scalars above, with random indentation, comments and blank lines. */
function randomDocument(r: () => number): string {
  const lines: string[] = []
  const step = 1 + Math.floor(r() * 4)
  const noise = (indent: number) => {
    const x = r()
    if (x < 0.05) lines.push('')
    else if (x < 0.1) lines.push(' '.repeat(Math.floor(r() * 6)) + '# a comment: with [brackets]')
    else if (x < 0.12) lines.push(' '.repeat(indent))
  }
  const scalar = () => pickScalar(r) + (r() < 0.1 ? '   # trailing' : r() < 0.05 ? '  ' : '')
  const mapping = (indent: number, depth: number, firstPrefix?: string) => {
    const n = 1 + Math.floor(r() * 5)
    for (let i = 0; i < n; i++) {
      noise(indent)
      const prefix = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent)
      const key = r() < 0.2 ? pick(r, KEYS) : pick(r, ['name', 'type', 'status', 'endpoint', 'versions', 'version'])
      const x = r()
      if (depth < 4 && x < 0.25) {
        lines.push(`${prefix}${key}:${r() < 0.1 ? ' # note' : ''}`)
        mapping(indent + step, depth + 1)
      } else if (depth < 4 && x < 0.45) {
        lines.push(`${prefix}${key}:`)
        sequence(r() < 0.1 ? indent : indent + step, depth + 1)
      } else if (x < 0.5) {
        lines.push(`${prefix}${key}:`)
      } else {
        lines.push(`${prefix}${key}: ${scalar()}`)
        if (r() < 0.03) lines.push(`${' '.repeat(indent + step)}continued`)
      }
    }
  }
  const sequence = (indent: number, depth: number) => {
    const n = 1 + Math.floor(r() * 4)
    for (let i = 0; i < n; i++) {
      noise(indent)
      const dash = ' '.repeat(indent) + (r() < 0.9 ? '- ' : '-   ')
      const x = r()
      if (depth < 4 && x < 0.3) mapping(dash.length, depth + 1, dash)
      else if (depth < 4 && x < 0.4) {
        lines.push(dash.trimEnd())
        if (r() < 0.8) mapping(indent + step, depth + 1)
      } else lines.push(`${dash}${scalar()}`)
    }
  }
  if (r() < 0.85) mapping(0, 0)
  else sequence(0, 0)
  if (r() < 0.05) lines.unshift('---')
  return lines.join('\n') + (r() < 0.9 ? '\n' : '')
}

/** One random edit of a character, from an alphabet of YAML's significant characters. */
function mutate(r: () => number, text: string): string {
  const at = Math.floor(r() * (text.length + 1))
  const c = pick(r, [' ', '  ', '-', ':', '#', "'", '"', '[', ']', ',', '\n', '\t', '&', '*', '!', '|', '0', '.', 'x'])
  const x = r()
  if (x < 0.4) return text.slice(0, at) + c + text.slice(at)
  if (x < 0.7) return text.slice(0, at) + text.slice(at + 1)
  return text.slice(0, at) + c + text.slice(at + 1)
}

describe('the block-YAML fast reader (yaml/block-subset.ts)', () => {
  it('reads every YAML file of the example repository and the test fixtures as js-yaml does, and takes every ssmd document of the example', () => {
    const files = [...yamlFilesUnder(join(ROOT, 'examples')), ...yamlFilesUnder(join(ROOT, 'test', 'fixtures'))]
    expect(files.length).to.be.greaterThan(20)
    let taken = 0
    for (const f of files) {
      let text = readFileSync(f, 'utf8')
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      const fast = expectSameAsJsYaml(text, relative(ROOT, f))
      if (fast) taken++
      // ssmd's own documents in the example are plain block YAML: the fast reader must take them.
      if (/examples\/market-data\/(feeds|schemas|environments)\//.test(f)) expect(fast, relative(ROOT, f)).to.equal(true)
    }
    expect(taken).to.be.greaterThan(files.length / 2)
  })

  it('takes every file of a generated repository (what the benchmark reads) and reads it as js-yaml does', () => {
    const dir = tempDir()
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'gen-repo.js'), join(dir, 'repo'), '40', '--no-git'], { stdio: 'ignore' })
    const files = yamlFilesUnder(join(dir, 'repo'))
    expect(files.length).to.be.greaterThan(100)
    for (const f of files) expect(expectSameAsJsYaml(readFileSync(f, 'utf8'), relative(dir, f)), relative(dir, f)).to.equal(true)
  })

  it('reads scalars as the core schema does: numbers, booleans, nulls, dates as strings, quotes, comments, one-line flow sequences', () => {
    const doc = [
      'ints: [0, 7, 0x1F, 0o17, +12, 12345678901234567890]',
      'floats: [1.5, .5, 1e3, 6.02e+23, .inf, .NaN]',
      'bools: [true, True, FALSE, yes, no, on]',
      'nulls: [~, null, Null, NULL]',
      'date: 2025-01-01',
      'time: 04:00',
      'url: wss://api.example.com/ws/v1 # where',
      'hash: a#b',
      'spaced: a  b   ',
      "single: 'it''s'",
      'double: "a # not a comment"',
      'empty_flow: []',
      'empty_map: {}',
      'nothing:',
      'nested:',
      '  - name: x',
      '    items:',
      '      - 1',
      '      - 2',
      '  -   name: y',
      '      ok: true',
      '',
    ].join('\n')
    expect(expectSameAsJsYaml(doc, 'scalars')).to.equal(true)
    const value = readBlockSubset(doc) as Record<string, unknown>
    expect(value.date).to.equal('2025-01-01')
    expect(value.ints).to.deep.equal([0, 7, 31, 15, 12, Number('12345678901234567890')])
    expect(value.url).to.equal('wss://api.example.com/ws/v1')
    expect(value.nested).to.deep.equal([
      { name: 'x', items: [1, 2] },
      { name: 'y', ok: true },
    ])
  })

  it('resolves a plain scalar by its first character as js-yaml does: every printable ASCII character, before the tails the core types take', () => {
    // A plain scalar that starts with none of `~nNtTfF-+.0-9` is taken as a string without js-yaml's resolvers;
    // each first character is tried before tails that would make a null, a bool, an int or a float.
    const tails = ['', 'ull', 'ULL', 'rue', 'alse', 'ALSE', '1', '12', 'x1f', 'o17', 'b101', '.5', '5e3', 'inf', 'nan', 'NaN', 'e3', '_1', 'abc', ' x']
    const firsts = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i))
    let taken = 0
    for (const first of firsts) {
      const lines = tails.map((tail, i) => `k${i}: ${first}${tail}`)
      const listed = `list: [${tails.map(tail => `${first}${tail}`).join(', ')}]`
      for (const doc of [`${lines.join('\n')}\n`, `${listed}\n`]) {
        // Taken: the same value as js-yaml's; else left to js-yaml.
        if (expectSameAsJsYaml(doc, `first character ${JSON.stringify(first)}`)) taken++
      }
    }
    // The reader took most of them (not everything was left to js-yaml).
    expect(taken).to.be.greaterThan(firsts.length)
    // Keys too: js-yaml resolves a plain key before using it as a property name (`true:` is not the key "true").
    let keys = 0
    for (const first of firsts) {
      const doc = `${tails.map((tail, i) => `${first}${tail.trim()}: ${i}`).join('\n')}\n`
      const single = tails.map(tail => `${first}${tail.trim()}: x\n`)
      for (const text of [doc, ...single]) if (expectSameAsJsYaml(text, `key starting ${JSON.stringify(first)}`)) keys++
    }
    expect(keys).to.be.greaterThan(firsts.length * 10)
  })

  it('keeps white space YAML keeps: only spaces end a value or a flow item, not U+00A0, U+2003 or U+3000', () => {
    const texts = ['a: x\u00a0\n', 'a: 1\u00a0\n', '- x\u3000\n', 'a: x\u2003 # c\n', 'a: [\u00a0x]\n', 'a: [x\u00a0]\n', 'a: [1\u2002, 2]\n', 'a: [\u00a0]\n']
    for (const text of texts) expectSameAsJsYaml(text, JSON.stringify(text))
    // Every code point String.prototype.trim takes, at the end of a value and at both ends of a flow item.
    for (const c of [...'\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000'])
      for (const text of [`a: x${c}\n`, `a: 1${c}\n`, `a: [${c}x, y${c}]\n`, `- v${c} # note\n`]) expectSameAsJsYaml(text, JSON.stringify(text))
  })

  it('leaves to js-yaml everything outside the subset (including what js-yaml refuses, so that its message is the one shown)', () => {
    const outside = [
      '',
      '# only a comment\n',
      'just a scalar\n',
      '  indented: first\n',
      '---\na: 1\n',
      'a: 1\n...\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      'a: >\n  text\n',
      'a: one\n  two\n',
      'a: "multi\n  line"\n',
      "a: 'multi\n  line'\n",
      'a: "esc\\tape"\n',
      'a: 1\na: 2\n',
      'a:\n- x\n',
      'a:\n\tb: 1\n',
      'a: 1\r\nb: 2\r\n',
      'a: b: c\n',
      'a: -1\n',
      'a: [x, [y]]\n',
      'a: [x,\n  y]\n',
      'a: {b: 1}\n',
      'a: [b: 1]\n',
      '"a": 1\n',
      'a : 1\n',
      '? a\n: 1\n',
      '__proto__: 1\n',
      'Null: 1\n',
      'TRUE: 1\n',
      'a: 1\n b: 2\n',
      'a:\n    b: 1\n  c: 2\n',
      '- a\nb: 1\n',
      '- - a\n',
      '- a\n-\n- b\n',
      'a:\n  - x:\n      -\n  - y\n',
      'a: x\u0001\n',
      '\ufeffa: 1\n',
      'a: x\u2028y\n',
    ]
    for (const text of outside) expect(readBlockSubset(text), JSON.stringify(text)).to.equal(NOT_SUBSET)
  })

  it('never disagrees with js-yaml on random block documents, nor on random one-character edits of them (property test)', () => {
    const seed = Number(process.env.SSMD_YAML_SEED ?? 20261207)
    const r = rng(seed)
    const documents = 4000
    let taken = 0
    let takenEdited = 0
    for (let i = 0; i < documents; i++) {
      const doc = randomDocument(r)
      if (expectSameAsJsYaml(doc, `seed ${seed}, document ${i}`)) taken++
      for (const text of [mutate(r, doc), mutate(r, mutate(r, doc))]) if (expectSameAsJsYaml(text, `seed ${seed}, document ${i} edited`)) takenEdited++
    }
    // The generator must exercise the fast reader, not only its refusals.
    expect(taken, `${taken} of ${documents} documents taken`).to.be.greaterThan(documents / 5)
    expect(takenEdited, `${takenEdited} of ${2 * documents} edited documents taken`).to.be.greaterThan(documents / 5)
  })

  it("never disagrees with js-yaml on random edits of the example repository's files (property test)", () => {
    const seed = Number(process.env.SSMD_YAML_SEED ?? 20261207)
    const r = rng(seed)
    const files = yamlFilesUnder(join(ROOT, 'examples', 'market-data')).map(f => readFileSync(f, 'utf8'))
    let taken = 0
    for (let i = 0; i < 4000; i++) {
      let text = pick(r, files)
      for (let e = Math.floor(r() * 3); e >= 0; e--) text = mutate(r, text)
      if (expectSameAsJsYaml(text, `seed ${seed}, edit ${i}`)) taken++
    }
    expect(taken).to.be.greaterThan(400)
  })

  it('reads documents of more lines than its line store holds, before and after one beyond what it keeps', () => {
    const keys = `${Array.from({ length: 5000 }, (_, i) => `k${i}: v${i}`).join('\n')}\n`
    const items = `items:\n${Array.from({ length: 70_000 }, (_, i) => `  - ${i}`).join('\n')}\n`
    for (const [text, where] of [
      ['a: 1\n', 'small'],
      [keys, '5,000 keys'],
      [items, '70,000 items'],
      ['b: [x, y]\n', 'small, after'],
      [keys, '5,000 keys, after'],
    ])
      expect(expectSameAsJsYaml(text, where), where).to.equal(true)
  })

  it('gives ssmd the same value, or the same located problem, whichever reader reads the text', () => {
    const texts = ['name: x\nversions:\n  - version: v1\n', 'a: 1\na: 2\n', 'a: [x,\n', 'a:\n\tb: 1\n', 'a: !!binary x\n']
    for (const text of texts) {
      const read = parseYamlText(text)
      const slow = jsYamlLoad(text)
      if (slow.error === undefined) expect(read.data).to.deep.equal(slow.value)
      else expect(read.problem?.rule, text).to.match(/^yaml\//)
    }
  })
})
