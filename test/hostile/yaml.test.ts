import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { HOSTILE_CASES } from './cases.js'
import { cli, expectLocated, expectNoCrashOutput, expectNoRuleCrash, KIND_FILE, repoWith, validateInProcess, type Kind } from './helpers.js'

const FOLDER: Record<Kind, string> = { feed: 'feeds', schema: 'schemas', environment: 'environments', policy: '.' }

describe('hostile YAML in every document kind', () => {
  for (const kind of Object.keys(KIND_FILE) as Kind[]) {
    describe(`${kind} (${KIND_FILE[kind]})`, () => {
      for (const c of HOSTILE_CASES) {
        it(`${c.name}: a located finding, no crash`, async () => {
          const root = repoWith({ [KIND_FILE[kind]]: c.content })
          const findings = await validateInProcess(root)
          expectNoRuleCrash(findings, c.name)
          expectLocated(findings, c.name)
          const mine = findings.filter(f => f.file === KIND_FILE[kind] && f.severity === 'error')
          expect(mine, `${c.name}: no error in ${KIND_FILE[kind]}`).not.to.have.length(0)
          if (c.rule) {
            const hit = mine.find(f => f.rule === c.rule && (!c.message || c.message.test(f.message)))
            expect(hit, `${c.name}: expected ${c.rule} ${c.message ?? ''}, got ${JSON.stringify(mine.map(f => [f.rule, f.message]))}`).not.to.equal(undefined)
          } else if (c.message) {
            expect(
              mine.some(f => c.message!.test(f.message)),
              `${c.name}: ${JSON.stringify(mine.map(f => f.message))}`,
            ).to.equal(true)
          }
          for (const f of mine) expect(f.message, c.name).not.to.match(/\n\s+at /)
        })
      }
    })
  }

  describe('the built CLI over a repository full of hostile files', () => {
    for (const kind of ['feed', 'schema', 'environment'] as const) {
      it(`validate --json / text / sarif over hostile ${kind} files: exit 1, parseable, every file reported`, () => {
        const files: Record<string, string | Uint8Array> = {}
        for (const c of HOSTILE_CASES) files[`${FOLDER[kind]}/${c.name}.yaml`] = c.content
        const root = repoWith(files)
        const r = cli(['validate', '--json', '-C', root])
        expectNoCrashOutput(r, kind)
        expect(r.code, r.stderr).to.equal(1)
        const out = JSON.parse(r.stdout) as { findings: Array<{ file: string; rule: string; line: number }>; summary: { errors: number } }
        expect(out.findings.filter(f => f.rule === 'plugin/failed')).to.deep.equal([])
        for (const c of HOSTILE_CASES) {
          expect(
            out.findings.some(f => f.file === `${FOLDER[kind]}/${c.name}.yaml`),
            `${c.name} not reported`,
          ).to.equal(true)
        }
        const text = cli(['validate', '-C', root])
        expectNoCrashOutput(text, kind)
        expect(text.code).to.equal(1)
        expect(text.stdout).to.match(/\d+ errors?/)
        if (kind === 'feed') {
          const sarif = cli(['validate', '--format', 'sarif', '-C', root])
          expect(sarif.code).to.equal(1)
          expect(() => JSON.parse(sarif.stdout)).not.to.throw()
        }
      })
    }

    it('validate over a hostile ssmd.yaml (policy): exit 1, JSON, located', () => {
      for (const c of HOSTILE_CASES.filter(h => ['js-function', 'alias-bomb-decoys', 'binary', 'wrong-types', 'duplicate-key'].includes(h.name))) {
        const root = repoWith({ 'ssmd.yaml': c.content })
        const r = cli(['validate', '--json', '-C', root])
        expectNoCrashOutput(r, c.name)
        expect(r.code, `${c.name}: ${r.stderr}`).to.equal(1)
        const out = JSON.parse(r.stdout) as { findings: Array<{ file: string }> }
        expect(
          out.findings.some(f => f.file === 'ssmd.yaml'),
          c.name,
        ).to.equal(true)
      }
    })

    it('listing commands survive hostile files: clear output or one clear error line', () => {
      const files: Record<string, string | Uint8Array> = {}
      for (const c of HOSTILE_CASES) {
        for (const folder of ['feeds', 'schemas', 'environments']) files[`${folder}/${c.name}.yaml`] = c.content
      }
      const root = repoWith(files)
      for (const args of [
        ['feed', 'list'],
        ['schema', 'list', '--json'],
        ['env', 'list'],
        ['feed', 'list', '--json'],
      ]) {
        const r = cli([...args, '-C', root])
        expectNoCrashOutput(r, args.join(' '))
        // A list shows what it cannot read as '(invalid)' and still succeeds.
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
        if (args.includes('--json')) expect(() => JSON.parse(r.stdout), args.join(' ')).not.to.throw()
      }
    })
  })

  describe('commands that read one document', () => {
    const files: Record<string, string | Uint8Array> = {}
    for (const c of HOSTILE_CASES) {
      for (const folder of ['feeds', 'schemas', 'environments']) files[`${folder}/${c.name}.yaml`] = c.content
    }
    let root: string
    before(() => {
      root = repoWith(files)
    })
    const commands: Array<(name: string) => string[]> = [
      n => ['feed', 'show', n],
      n => ['schema', 'show', n],
      n => ['env', 'show', n],
      n => ['key', 'list', n],
      n => ['key', 'verify', n],
      n => ['feed', 'add-location', n, '--datacenter', 'zz9'],
      n => ['feed', 'update', n, '--display-name', 'X'],
      n => ['env', 'add-key', n, 'k', '--type', 'api_key', '--fields', 'a', '--source', 'env'],
    ]
    // Documents that parse but have the wrong shape reach the commands' own code; unreadable ones stop at the reader.
    // Per case, the exit code of each command above, in order: 1 where the document cannot serve that command (one
    // clear line, nothing written), 0 where the command can work with what is there. Unreadable and non-mapping
    // documents fail everywhere.
    const expectedCodes: Record<string, string> = {
      'wrong-types': '10000111',
      'wrong-nested-types': '10000111',
      numbers: '11000111',
      'proto-key': '11000110',
      'complex-key': '11000110',
      'merge-key': '11000110',
      'cr-only': '11000111',
      'long-key': '11000111',
      'list-document': '11111111',
      'scalar-document': '11111111',
      empty: '11111111',
      bom: '11000110',
      'deep-block': '11111111',
      'deep-seq': '11111111',
      'control-char': '11111111',
      'recursive-alias-seq': '11111111',
      'alias-bomb-decoys': '11111111',
      'js-function': '11111111',
      'duplicate-key': '11111111',
      huge: '11111111',
    }
    for (const c of HOSTILE_CASES.filter(h => h.name in expectedCodes)) {
      it(`${c.name}: show/edit commands exit with codes ${expectedCodes[c.name].split('').join(',')} (in command order), with one clear line or a result, never a crash, and never write a file they cannot read`, async () => {
        for (const [i, make] of commands.entries()) {
          const args = make(c.name)
          const before = ['feeds', 'schemas', 'environments'].map(f => readFileSync(join(root, f, `${c.name}.yaml`)))
          const r = await ssmd([...args, '-C', root])
          expectNoCrashOutput(r, args.join(' '))
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(Number(expectedCodes[c.name][i]))
          if (r.code !== 0) {
            expect(r.stderr.trim(), args.join(' ')).not.to.equal('')
            expect(r.stderr.trim().split('\n'), `${args.join(' ')}: ${r.stderr}`).to.have.length(1)
            const after = ['feeds', 'schemas', 'environments'].map(f => readFileSync(join(root, f, `${c.name}.yaml`)))
            expect(
              after.map((b, i) => b.equals(before[i])),
              `${args.join(' ')} failed but changed a file`,
            ).to.deep.equal([true, true, true])
          }
        }
      })
    }
  })
})
