import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, CORPUS, expectLocated, expectNoCrashOutput, expectNoRuleCrash, repoWith, validateInProcess } from './helpers.js'

const EVOLVED = join(CORPUS, 'feeds-evolved')

describe('real feed files in a later, different format (corpus feeds-evolved)', () => {
  const names = readdirSync(EVOLVED)
    .filter(f => f.endsWith('.yaml'))
    .sort()

  it('the corpus is there', () => {
    expect(names.length).to.be.greaterThan(0)
  })

  for (const f of names) {
    it(`${f}: clear, located findings and no crash`, async () => {
      const root = repoWith({ [`feeds/${f}`]: readFileSync(join(EVOLVED, f)) })
      const findings = await validateInProcess(root)
      expectNoRuleCrash(findings, f)
      expectLocated(findings, f)
      const errors = findings.filter(x => x.file === `feeds/${f}` && x.severity === 'error')
      expect(errors, f).not.to.have.length(0)
      // The differences are named: unknown keys with the key, wrong types with the place.
      for (const e of errors) expect(e.message, f).to.match(/'[^']+'|schemas?\//)
      expect(
        errors.some(e => e.rule === 'schema/contract' && /unknown key/.test(e.message)),
        f,
      ).to.equal(true)
    })
  }

  it('the built CLI reports every corpus file (validate --json, feed list, feed show)', () => {
    const files: Record<string, Uint8Array> = {}
    for (const f of names) files[`feeds/${f}`] = readFileSync(join(EVOLVED, f))
    const root = repoWith(files)
    const r = cli(['validate', '--json', '-C', root])
    expectNoCrashOutput(r)
    expect(r.code, r.stderr).to.equal(1)
    const out = JSON.parse(r.stdout) as { findings: Array<{ file: string; rule: string }> }
    for (const f of names)
      expect(
        out.findings.some(x => x.file === `feeds/${f}`),
        f,
      ).to.equal(true)
    expect(out.findings.filter(x => x.rule === 'plugin/failed')).to.deep.equal([])
    // The extra keys are validate's findings; listing and showing still work.
    const list = cli(['feed', 'list', '-C', root])
    expectNoCrashOutput(list)
    expect(list.code, list.stderr).to.equal(0)
    for (const f of names) {
      const name = f.replace(/\.yaml$/, '')
      expect(list.stdout, name).to.match(new RegExp(`^${name} `, 'm'))
      const show = cli(['feed', 'show', name, '-C', root])
      expectNoCrashOutput(show, name)
      expect(show.code, `${name}: ${show.stderr}`).to.equal(0)
    }
  })
})
