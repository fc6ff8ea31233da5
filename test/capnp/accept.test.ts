import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { expect } from 'chai'
import { loadCapnpFile } from '../../src/lib/capnp/index.js'
import { buildCodeGeneratorRequest } from '../../src/lib/capnp/request.js'
import { tempDir } from '../helpers/repo.js'
import { capnpAvailable } from './compiler-helper.js'
import { requestDifferences } from './corpus-helper.js'

/**
 * Files capnp accepts and files it refuses, each with the errors capnp gives (`file:line:col message`).
 * ssmd must give an error at each of those places whose message starts like capnp's (ssmd may
 * add how to fix it), and no other; where capnp is installed, its own output is checked too, and
 * on the files it accepts its CodeGeneratorRequest equals ssmd's (converted constants included).
 */
interface Case {
  name: string
  /** files of the case; the first is the one compiled */
  files: Record<string, string | Buffer>
  capnp: string[]
}

const ID = '@0xd1c2b3a495867768;\n'
const ID2 = '@0xe1c2b3a495867768;\n'
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

const cases: Case[] = [
  // byte-order marks
  { name: 'a byte-order mark opening the file', files: { 'a.capnp': Buffer.concat([BOM, Buffer.from(`${ID}struct A { a @0 :Int32; }\n`)]) }, capnp: [] },
  { name: 'a byte-order mark between tokens', files: { 'a.capnp': Buffer.concat([Buffer.from(ID), BOM, Buffer.from('struct A { a @0 :Int32; }\n')]) }, capnp: [] },
  // constants: numbers convert, in range
  {
    name: 'integer and enum constants convert to integer and float types',
    files: {
      'a.capnp': `${ID}const a :UInt32 = 5;\nconst b :Int32 = .a;\nconst c :Int8 = .a;\nconst d :Float32 = .a;\nconst e :UInt64 = .b;\nconst f :Float32 = .g;\nconst g :Float64 = 1.5;\nenum E { x @0; y @1; z @2; }\nconst h :E = z;\nconst i :UInt16 = .h;\nconst j :Float64 = .h;\n`,
    },
    capnp: [],
  },
  {
    name: 'an integer constant out of the range of the type it is used as',
    files: { 'a.capnp': `${ID}const c :UInt32 = 3000000000;\nconst d :Int32 = .c;\nconst h :Int64 = -1;\nconst i :UInt32 = .h;\nstruct S { x @0 :UInt8 = .h; }\n` },
    capnp: ['a.capnp:3:18 Integer value out of range.', 'a.capnp:5:19 Integer value out of range.', 'a.capnp:6:26 Integer value out of range.'],
  },
  {
    name: 'a float constant used as an integer, a number as Text',
    files: { 'a.capnp': `${ID}const j :Float64 = 1.5;\nconst k :Int32 = .j;\nconst a :UInt8 = 1;\nconst l :Text = .a;\n` },
    capnp: ['a.capnp:3:18 Type mismatch; expected Int32.', 'a.capnp:5:17 Type mismatch; expected Text.'],
  },
  {
    name: 'an enum constant is a number: usable as an integer, not as an enum default',
    files: { 'a.capnp': `${ID}enum E { a @0; b @1; }\nconst k :E = b;\nconst n :UInt16 = .k;\nstruct S { e @0 :E = .k; f @1 :E = b; }\n` },
    capnp: ['a.capnp:5:22 Type mismatch; expected E.'],
  },
  // literals capnp's lexer refuses
  { name: "an upper-case '0X' prefix", files: { 'a.capnp': `${ID}const a :UInt8 = 0XFF;\n` }, capnp: ['a.capnp:2:19 Parse error.'] },
  { name: 'an empty data literal', files: { 'a.capnp': `${ID}const b :Data = 0x"";\n` }, capnp: ['a.capnp:2:20 Parse error.'] },
  // List of a generic parameter
  {
    name: 'a list of the first or second generic parameter (of a type or a method)',
    files: {
      'a.capnp': `${ID}struct G(A, B, C, D, E) { a @0 :List(A); b @1 :List(B); c @2 :List(C); d @3 :List(D); e @4 :List(E); }\ninterface I { m @0 [T] (x :List(T)) -> (); n @1 [T, U] (x :List(U)) -> (); }\n`,
    },
    capnp: [
      "a.capnp:2:33 'List(AnyPointer)' is not supported.",
      "a.capnp:2:48 'List(AnyStruct)' is not supported.",
      "a.capnp:3:28 'List(AnyPointer)' is not supported.",
      "a.capnp:3:60 'List(AnyStruct)' is not supported.",
    ],
  },
  // errors in imported files count where they are used
  {
    name: 'an import whose unused declarations have errors',
    files: {
      'a.capnp': `${ID2}using B = import "bad.capnp";\nstruct M { g @0 :B.Good; h @1 :B.Outer.Inner; }\n`,
      'bad.capnp': `${ID}struct Bad { a @0 :Nope; b @0 :Text; }\nstruct Good { a @0 :Text; }\nconst c :Int8 = 300;\nusing X = Nope;\nstruct Outer { a @0 :Text;\n  struct Inner { a @0 :Text; }\n  struct Kid { x @0 :Nope; }\n}\n`,
    },
    capnp: [],
  },
  {
    name: 'an import whose used declaration has errors',
    files: {
      'a.capnp': `${ID2}using B = import "bad.capnp";\nstruct M { g @0 :B.Uses; }\n`,
      'bad.capnp': `${ID}struct Bad { a @0 :Nope; b @0 :Text; }\nstruct Uses { x @0 :Bad; }\nstruct Other { x @0 :Nope; }\n`,
    },
    capnp: ['bad.capnp:2:20 Not defined: Nope', 'bad.capnp:2:29 Duplicate ordinal number.', 'bad.capnp:2:17 Ordinal @0 originally used here.'],
  },
  {
    name: 'an imported constant out of range, used',
    files: {
      'a.capnp': `${ID2}using B = import "bad.capnp";\nconst m :Int8 = B.c;\n`,
      'bad.capnp': `${ID}const c :Int8 = 300;\n`,
    },
    capnp: ['bad.capnp:2:17 Integer value out of range.'],
  },
  {
    name: 'a used nested declaration compiles its scope, and the file its names',
    files: {
      'a.capnp': `${ID2}using B = import "bad.capnp";\nstruct M { g @0 :B.Outer.Inner; }\n`,
      'bad.capnp': `${ID}struct Outer { bad @0 :Nope;\n struct Inner { a @0 :Text; }\n}\nstruct lower { a @0 :Text; }\n`,
    },
    capnp: ['bad.capnp:2:24 Not defined: Nope', 'bad.capnp:5:8 Type names must begin with a capital letter.'],
  },
  {
    name: "an imported file's parse errors count even when nothing of it is used",
    files: {
      'a.capnp': `${ID2}using N = import "bad.capnp";\n`,
      'bad.capnp': `${ID}struct P { a @0 :Text }\n`,
    },
    capnp: ['bad.capnp:2:23 Parse error.'],
  },
  {
    name: "an imported file's alias that fails, unused",
    files: {
      'a.capnp': `${ID2}using B = import "bad.capnp";\nstruct M { g @0 :B.Good; }\n`,
      'bad.capnp': `${ID}using X = import "missing.capnp";\nstruct Good { a @0 :Text; }\n`,
    },
    capnp: [],
  },
  {
    name: 'an alias in the main file is resolved only where it is used',
    files: {
      'a.capnp': `${ID2}using B = import "bad.capnp";\nusing X = B.Dup;\nusing import "bad.capnp".Dup;\nstruct M { d @0 :Dup; }\n`,
      'bad.capnp': `${ID}struct Dup { a @0 :Text; a @1 :Text; }\n`,
    },
    capnp: ["bad.capnp:2:26 'a' is already defined in this scope.", "bad.capnp:2:14 'a' previously defined here."],
  },
]

function writeCase(c: Case): string {
  const dir = tempDir('ssmd-capnp-accept-')
  for (const [name, text] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, name), text)
  return dir
}

const key = (s: string): string => s.slice(0, s.indexOf(' '))
const message = (s: string): string => s.slice(s.indexOf(' ') + 1)

describe('capnp: accepts exactly what capnp accepts', () => {
  const version = capnpAvailable()

  for (const c of cases) {
    const main = Object.keys(c.files)[0]

    it(`${c.name}: ${c.capnp.length ? 'refused' : 'accepted'}`, () => {
      const dir = writeCase(c)
      const r = loadCapnpFile(path.join(dir, main), { rootDir: dir, displayPath: main })
      const got = r.diagnostics.map(d => `${d.file}:${d.line}:${d.column} ${d.message}`)
      expect(r.ok, got.join('\n')).to.equal(c.capnp.length === 0)
      expect(got.map(key).sort(), got.join('\n')).to.deep.equal(c.capnp.map(key).sort())
      for (const want of c.capnp) {
        const mine = got.find(g => key(g) === key(want))!
        expect(message(mine).startsWith(message(want).replace(/\.$/, '')), `${mine}\ncapnp: ${want}`).to.equal(true)
      }
    })

    it(`${c.name}: capnp gives exactly these errors`, function () {
      if (!version) {
        console.warn(`      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to check "${c.name}" against it`)
        this.skip()
      }
      const dir = writeCase(c)
      const r = spawnSync('capnp', ['compile', '-o-', main], { cwd: dir })
      const stderr = r.stderr.toString('utf8')
      const errors = stderr
        .split('\n')
        .map(l => /^(.+?):(\d+):(\d+)(?:-\d+)?: error: (.*)$/.exec(l))
        .filter(m => m !== null)
        .map(m => `${m[1]}:${m[2]}:${m[3]} ${m[4]}`)
      expect(r.status === 0, stderr).to.equal(c.capnp.length === 0)
      expect(errors.sort()).to.deep.equal([...c.capnp].sort())
      if (r.status !== 0) return
      const mine = loadCapnpFile(path.join(dir, main), { rootDir: dir, displayPath: main })
      const request = buildCodeGeneratorRequest([mine.model!], { capnpVersion: { major: 0, minor: 9, micro: 2 } })
      expect(requestDifferences(new Uint8Array(r.stdout), request)).to.deep.equal([])
    })
  }
})
