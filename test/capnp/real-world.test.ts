import { expect } from 'chai'
import { capnpAvailable, decodeNodes, ssmdNodes } from './compiler-helper.js'
import { buildCodeGeneratorRequest } from '../../src/lib/capnp/request.js'
import { debug } from '../helpers/debug.js'
import { Message } from 'capnp-es'
import * as schema from 'capnp-es/capnp/schema'
import { capnpVerdicts, corpusFiles, olderCompilerDifferences, requestDifferences, ssmdCheck, ssmdErrorKey, writeStdDir, type CapnpVerdict } from './corpus-helper.js'
import { corpusProjects, type CorpusProject } from './recorded.js'

/**
 * The real-world corpus against the official compiler: same verdict on every file, an ssmd error
 * on every line capnp reports one, and the same nodes wherever both accept.
 */
describe('capnp: real-world corpus against the official compiler', function () {
  this.timeout(120_000)
  const version = capnpAvailable()
  const projects = corpusProjects()
  const total = projects.reduce((n, p) => n + p.files.length, 0)
  let stdDir = ''
  const verdicts = new Map<string, Map<string, CapnpVerdict>>()
  const decoded = new Map<Uint8Array, ReturnType<typeof decodeNodes>>()

  before(() => {
    if (!version) return
    stdDir = writeStdDir()
  })

  it("holds at least 150 files from projects other than Cap'n Proto", () => {
    expect(total).to.be.at.least(150)
    expect(projects.map(p => p.name)).to.not.include('capnproto')
  })

  const verdictsOf = (p: CorpusProject): Map<string, CapnpVerdict> => {
    let v = verdicts.get(p.name)
    if (!v) {
      v = capnpVerdicts(p, stdDir)
      verdicts.set(p.name, v)
    }
    return v
  }

  for (const project of projects) {
    describe(project.name, () => {
      it("ssmd's CodeGeneratorRequest equals capnp compile -o- for every file both accept (slow)", function () {
        if (!version) {
          console.warn(`      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to compare ${project.name}'s requests`)
          this.skip()
        }
        const v = verdictsOf(project)
        const files = corpusFiles(project)
        // one request for the whole project when capnp compiled it in one run, else one per file
        const whole = files.every(f => v.get(f.rel)!.accepted && v.get(f.rel)!.request === v.get(files[0].rel)!.request)
        const groups = whole ? [files] : files.filter(f => v.get(f.rel)!.accepted).map(f => [f])
        let compared = 0
        const problems: string[] = []
        for (const g of groups) {
          const results = g.map(ssmdCheck)
          if (results.some(r => !r.ok)) continue // the verdict test reports these
          const mine = buildCodeGeneratorRequest(
            results.map(r => r.model!),
            { capnpVersion: { major: 0, minor: 9, micro: 2 } },
          )
          // capnp-es (what code generator plugins use) reads it
          const req = new Message(mine, false).getRoot(schema.CodeGeneratorRequest)
          expect(req.requestedFiles.length).to.equal(g.length)
          for (const d of requestDifferences(v.get(g[0].rel)!.request!, mine)) problems.push(`${g.length > 1 ? 'project' : g[0].rel}: ${d}`)
          compared += g.length
        }
        expect(problems.slice(0, 5).map(p => p.slice(0, 2000))).to.deep.equal([])
        expect(compared).to.be.greaterThan(0)
        debug(`      ${project.name}: requests equal for ${compared} file(s)`)
      })

      for (const f of corpusFiles(project)) {
        it(f.rel, function () {
          if (!version) {
            console.warn(`      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to cross-check ${project.name}/${f.rel}`)
            this.skip()
          }
          const v = verdictsOf(project).get(f.rel)!
          const r = ssmdCheck(f)
          const diag = r.diagnostics.map(d => `${ssmdErrorKey(project, d.file, d.line)} ${d.message}`)
          const known = olderCompilerDifferences(version!)[`${project.name}/${f.rel}`]
          if (known) {
            // refused by this older capnp only, for the documented reason: exactly those lines
            expect(v.accepted, known.reason).to.equal(false)
            expect([...new Set(v.errors)], v.stderr).to.deep.equal(known.lines.map(l => `${f.rel}:${l}`))
            expect(diag).to.deep.equal([])
            return
          }
          expect(r.ok, `capnp ${v.accepted ? 'accepts' : 'rejects'}:\n${v.stderr}\nssmd:\n${diag.join('\n')}`).to.equal(v.accepted)
          const mine = new Set(r.diagnostics.map(d => ssmdErrorKey(project, d.file, d.line)))
          const missed = v.errors.filter(e => !mine.has(e))
          expect(missed, `lines capnp reports that ssmd does not:\n${v.stderr}\nssmd:\n${diag.join('\n')}`).to.deep.equal([])
          if (!v.accepted) return
          let nodes = decoded.get(v.request!)
          if (!nodes) {
            nodes = decodeNodes(v.request!)
            decoded.set(v.request!, nodes)
          }
          const expected = [...nodes.values()].filter(n => n.displayName === f.display || n.displayName.startsWith(`${f.display}:`))
          expect(expected.length).to.be.greaterThan(0)
          const actual = ssmdNodes(r.model!)
          for (const e of expected) expect(actual.get(e.id), e.displayName).to.deep.equal(e)
          const ids = new Set(expected.map(n => n.id))
          expect([...actual.values()].filter(n => !ids.has(n.id)).map(n => n.displayName)).to.deep.equal([])
        })
      }
    })
  }
})
