import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { expect } from 'chai'
import { loadCapnpFile } from '../../src/lib/capnp/index.js'
import { tempDir } from '../helpers/repo.js'
import { capnpAvailable } from './compiler-helper.js'

/**
 * Files capnp accepts and files it refuses, each with the errors capnp gives (`file:line:col message`).
 * ssmd must give an error at each of those places whose message starts like capnp's (ssmd may
 * add how to fix it), and no other; where capnp is installed, its own output is checked too.
 */
interface Case {
  name: string
  /** files of the case; the first is the one compiled */
  files: Record<string, string | Buffer>
  capnp: string[]
}

const ID = '@0xd1c2b3a495867768;\n'
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

const cases: Case[] = [
  // byte-order marks
  { name: 'a byte-order mark opening the file', files: { 'a.capnp': Buffer.concat([BOM, Buffer.from(`${ID}struct A { a @0 :Int32; }\n`)]) }, capnp: [] },
  { name: 'a byte-order mark between tokens', files: { 'a.capnp': Buffer.concat([Buffer.from(ID), BOM, Buffer.from('struct A { a @0 :Int32; }\n')]) }, capnp: [] },
  // literals capnp's lexer refuses
  { name: "an upper-case '0X' prefix", files: { 'a.capnp': `${ID}const a :UInt8 = 0XFF;\n` }, capnp: ['a.capnp:2:19 Parse error.'] },
  { name: 'an empty data literal', files: { 'a.capnp': `${ID}const b :Data = 0x"";\n` }, capnp: ['a.capnp:2:20 Parse error.'] },
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
      const r = spawnSync('capnp', ['compile', '-o-', main], { cwd: dir, encoding: 'utf8' })
      const errors = r.stderr
        .split('\n')
        .map(l => /^(.+?):(\d+):(\d+)(?:-\d+)?: error: (.*)$/.exec(l))
        .filter(m => m !== null)
        .map(m => `${m[1]}:${m[2]}:${m[3]} ${m[4]}`)
      expect(r.status === 0, r.stderr).to.equal(c.capnp.length === 0)
      expect(errors.sort()).to.deep.equal([...c.capnp].sort())
    })
  }
})
