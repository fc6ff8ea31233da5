import { expect } from 'chai'
import { corpusFiles, ssmdCheck, ssmdErrorKey } from './corpus-helper.js'
import { recordedProjects, recordedVerdicts } from './recorded.js'

/**
 * ssmd against the verdicts of capnp 1.x recorded in test/fixtures/capnp-corpus/capnp-verdicts.json
 * (scripts/capnp-verdicts.ts writes it from a capnp binary): the same verdict on every file of the
 * corpora, and an ssmd error on every line capnp reports one. Runs without capnp installed.
 */
describe('capnp: verdicts of capnp 1.x on the corpora (recorded)', function () {
  this.timeout(60_000)
  const fixture = recordedVerdicts()
  const projects = recordedProjects()

  it('were recorded by capnp 1.x, with their provenance', () => {
    expect(fixture.capnp.version).to.match(/^Cap'n Proto version 1\.\d+\.\d+$/)
    expect(fixture.capnp.source).to.match(/commit [0-9a-f]{40}/)
    expect(fixture.capnp.produced).to.contain('scripts/capnp-verdicts.ts')
  })

  it('cover every file of the corpora (regenerate them when a file is added)', () => {
    const onDisk = projects.flatMap(p => p.files.map(f => `${p.name}/${f}`)).sort()
    expect(Object.keys(fixture.files).sort()).to.deep.equal(onDisk)
  })

  for (const project of projects) {
    it(`${project.name}: same verdict as capnp 1.x on every file, an error on every line it reports`, () => {
      const problems: string[] = []
      for (const f of corpusFiles(project)) {
        const want = fixture.files[`${project.name}/${f.rel}`]
        // A file without a recorded verdict is the coverage test's failure.
        if (want === undefined) continue
        const r = ssmdCheck(f)
        const mine = new Set(r.diagnostics.map(d => ssmdErrorKey(project, d.file, d.line)))
        const diag = r.diagnostics.map(d => `${d.file}:${d.line}:${d.column} ${d.message}`).join('\n    ')
        if (r.ok !== want.accepted)
          problems.push(`${f.rel}: capnp ${want.accepted ? 'accepts' : 'refuses'}, ssmd ${r.ok ? 'accepts' : 'refuses'}\n    ${diag || want.errors.join('\n    ')}`)
        const missed = want.errors.filter(e => !mine.has(e.slice(0, e.indexOf(':', e.indexOf(':') + 1))))
        if (missed.length) problems.push(`${f.rel}: ssmd reports nothing on ${missed.join('; ')}\n    ${diag}`)
      }
      expect(problems).to.deep.equal([])
    })
  }
})
