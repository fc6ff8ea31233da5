import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect } from 'chai'
import { STD_FILES, checkCapnpSource } from '../../src/lib/capnp/index.js'
import { capnpAvailable, compileWithCapnp, ssmdNodes, type NormNode } from './compiler-helper.js'
import { fixturesDir, tradeFile, validDir } from './helpers.js'
import { debug } from '../helpers/debug.js'

describe('capnp: cross-check with the official compiler', function () {
  const version = capnpAvailable()
  let work = ''
  let stdDir = ''

  before(function () {
    if (!version) return
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ssmd-capnp-'))
    stdDir = path.join(work, 'include')
    for (const [p, text] of Object.entries(STD_FILES)) {
      const dest = path.join(stdDir, p)
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      fs.writeFileSync(dest, text)
    }
    // The corpus files live beside the bundled standard files so that `c++.capnp` and
    // `/capnp/c++.capnp` are one file for the compiler (it rejects two files with one id).
    const srcDir = path.join(stdDir, 'capnp')
    fs.mkdirSync(path.join(srcDir, 'testdata'), { recursive: true })
    for (const f of fs.readdirSync(validDir)) fs.copyFileSync(path.join(validDir, f), path.join(srcDir, f))
    for (const f of fs.readdirSync(path.join(fixturesDir, 'testdata'))) {
      fs.copyFileSync(path.join(fixturesDir, 'testdata', f), path.join(srcDir, 'testdata', f))
    }
    fs.copyFileSync(tradeFile, path.join(srcDir, 'trade.capnp'))
  })

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  // Also the bundled standard files that the corpus does not carry.
  const files = [
    ...fs
      .readdirSync(validDir)
      .filter(f => f.endsWith('.capnp'))
      .sort(),
    'trade.capnp',
    'rpc.capnp',
    'persistent.capnp',
  ]
  for (const file of files) {
    it(`agrees with capnp on ${file}`, function () {
      if (!version) {
        console.warn(`      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to run the cross-check for ${file}`)
        this.skip()
      }
      const srcDir = path.join(stdDir, 'capnp')
      const abs = path.join(srcDir, file)
      let expected: Map<string, NormNode>
      try {
        expected = compileWithCapnp(srcDir, file, [stdDir])
      } catch (err) {
        // Older compilers do not know block-text literals (`...); compare on a copy that uses a plain string.
        const stderr = String((err as { stderr?: Buffer }).stderr ?? err)
        if (!/Parse error/.test(stderr)) throw err
        // Same for implied first-field values (`textStruct @0 :TextStruct = "foo"`).
        const text = fs
          .readFileSync(path.join(srcDir, 'test.capnp'), 'utf8')
          .replace(/const blockText :Text =\n(?:\s+[`"].*\n)+\s+;/, 'const blockText :Text = "block";')
          .replace('textStruct @0 :TextStruct = "foo";', 'textStruct @0 :TextStruct;')
          .replace(/const testImpliedFirstField :TestImpliedFirstField = \([^;]*\);/, 'const testImpliedFirstField :TestImpliedFirstField = ();')
        fs.writeFileSync(path.join(srcDir, 'test.capnp'), text)
        expected = compileWithCapnp(srcDir, file, [stdDir])
      }
      const readImport = (p: string): string | undefined => (fs.existsSync(p) ? fs.readFileSync(p, 'latin1') : undefined)
      const r = checkCapnpSource(fs.readFileSync(abs, 'utf8'), file, { readImport, rootDir: srcDir, absPath: abs })
      expect(r.diagnostics).to.deep.equal([])
      const actual = ssmdNodes(r.model!)
      const mine = [...expected.values()].filter(n => n.displayName === file || n.displayName.startsWith(`${file}:`))
      expect(mine.length).to.be.greaterThan(0)
      for (const e of mine) {
        const a = actual.get(e.id)
        expect(a, `node ${e.displayName} ${e.id} missing from ssmd model`).to.not.equal(undefined)
        // parameter structs have scope 0 in both
        expect(a).to.deep.equal(e, e.displayName)
      }
      const expectedIds = new Set(mine.map(n => n.id))
      const extra = [...actual.values()].filter(n => !expectedIds.has(n.id)).map(n => n.displayName)
      expect(extra, 'nodes ssmd has that capnp does not').to.deep.equal([])
      debug(`      ${file}: ${mine.length} nodes match (${version})`)
    })
  }
})
