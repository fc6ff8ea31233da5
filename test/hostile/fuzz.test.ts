import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { debug } from '../helpers/debug.js'
import { EXAMPLE_REPO } from '../helpers/repo.js'
import { cli, expectLocated, expectNoCrashOutput, expectNoRuleCrash, repoWith, rng, validateInProcess } from './helpers.js'

const SEED = Number(process.env.SSMD_FUZZ_SEED ?? 20250601)
const DOCS = Number(process.env.SSMD_FUZZ_DOCS ?? 3000)
/** Always checked, however slow the machine: the time budget only cuts the documents beyond this. */
const MIN_DOCS = Math.min(DOCS, Number(process.env.SSMD_FUZZ_MIN_DOCS ?? 1000))
const PER_REPO = 50
/** Past MIN_DOCS the fuzz stops at this budget so CI stays fast on slow machines; it never fails for being slow. */
const BUDGET_MS = Number(process.env.SSMD_FUZZ_BUDGET_MS ?? 45000)

const SEEDS: Array<[string, string]> = []
for (const folder of ['feeds', 'schemas', 'environments']) {
  for (const f of readdirSync(join(EXAMPLE_REPO, folder)).filter(n => n.endsWith('.yaml'))) SEEDS.push([folder, readFileSync(join(EXAMPLE_REPO, folder, f), 'utf8')])
}
SEEDS.push(['.', readFileSync(join(EXAMPLE_REPO, 'ssmd.yaml'), 'utf8')])

const TOKENS = [
  ': ',
  '- ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '#',
  '&a ',
  '*a',
  '&b [*a, *a, *a]',
  '!foo ',
  '!!js/function ',
  '!!binary ',
  '\t',
  '---\n',
  '...\n',
  '? ',
  '|',
  '>',
  '%YAML 1.2\n',
  '\r\n',
  '\r',
  '\ufeff',
  '\u0000',
  '\u2028',
  'é',
  '🙂',
  '~',
  'null',
  'true',
  '0x1F',
  '1e999',
  '.nan',
  '-1',
  '0',
  '2025-02-30',
  '25:61',
  'v0',
  'v999999999999',
  '<<: *a',
  'x-ext: 1',
  'nats://u:p@h',
  'AKIAABCDEFGHIJKLMNOP',
  '../../etc/passwd',
  '/abs/path',
  '\n  ',
  '\n',
  '    ',
  'a'.repeat(200),
]
const SCALARS = ['~', 'true', '[]', '{}', '[1, 2]', '{a: 1}', '-5', '0', '1.5', '"x"', "''", '2025-13-01', 'v1', 'wss://x', '*a', '&a 1', '!foo x', '"\\u0000"']

function mutate(text: string, next: () => number): string | Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]
  let t = text
  const rounds = 1 + Math.floor(next() * 4)
  for (let r = 0; r < rounds; r++) {
    const lines = t.split('\n')
    const i = Math.floor(next() * lines.length)
    const at = Math.floor(next() * (t.length + 1))
    switch (Math.floor(next() * 10)) {
      case 0:
        lines.splice(i, 1)
        t = lines.join('\n')
        break
      case 1:
        lines.splice(i, 0, lines[Math.floor(next() * lines.length)] ?? '')
        t = lines.join('\n')
        break
      case 2:
        t = t.slice(0, at) + pick(TOKENS) + t.slice(at)
        break
      case 3:
        t = t.slice(0, at) + t.slice(at + 1 + Math.floor(next() * 8))
        break
      case 4:
        lines[i] = (lines[i] ?? '').replace(/^(\s*)/, m => (next() < 0.5 ? m + ' ' : m.slice(1)))
        t = lines.join('\n')
        break
      case 5:
        lines[i] = (lines[i] ?? '').replace(/:\s.*$/, `: ${pick(SCALARS)}`)
        t = lines.join('\n')
        break
      case 6: {
        const j = Math.floor(next() * lines.length)
        ;[lines[i], lines[j]] = [lines[j], lines[i]]
        t = lines.join('\n')
        break
      }
      case 7:
        lines[i] = (lines[i] ?? '').replace(/^(\s*)([a-z_]+)/, (_, s: string, k: string) => s + (next() < 0.5 ? k.toUpperCase() : k.slice(0, -1)))
        t = lines.join('\n')
        break
      case 8:
        t = t.replace(/\n/g, () => (next() < 0.05 ? '\n' + pick(TOKENS) : '\n'))
        break
      default: {
        if (next() < 0.5) {
          const bytes = Buffer.from(t, 'utf8')
          const k = Math.floor(next() * bytes.length)
          if (bytes.length) bytes[k] = Math.floor(next() * 256)
          return bytes
        }
        t = lines.slice(0, i).join('\n') + '\n' + '  '.repeat(Math.floor(next() * 40)) + 'deep: [' + '['.repeat(Math.floor(next() * 200)) + '\n'
      }
    }
  }
  return t
}

function batch(seed: number, count: number): Record<string, string | Uint8Array> {
  const next = rng(seed)
  const files: Record<string, string | Uint8Array> = {}
  let policy = false
  for (let n = 0; n < count; n++) {
    const [folder, text] = SEEDS[Math.floor(next() * SEEDS.length)]
    if (folder === '.') {
      if (policy) continue
      policy = true
      files['ssmd.yaml'] = mutate(text, next)
    } else files[`${folder}/m${n}.yaml`] = mutate(text, next)
  }
  return files
}

describe(`fuzz: mutated example documents (seed ${SEED})`, () => {
  it(`${MIN_DOCS} to ${DOCS} documents (as many as fit in ${BUDGET_MS / 1000} s) through the validation engine in-process: no crash, every finding located, JSON output`, async () => {
    const started = Date.now()
    let done = 0
    for (let b = 0; done < MIN_DOCS || (done < DOCS && Date.now() - started < BUDGET_MS); b++) {
      const files = batch(SEED + b, PER_REPO)
      const root = repoWith(files)
      const findings = await validateInProcess(root)
      const label = `seed ${SEED + b} (SSMD_FUZZ_SEED)`
      expectNoRuleCrash(findings, label)
      expectLocated(findings, label)
      expect(() => JSON.parse(JSON.stringify({ findings }))).not.to.throw()
      for (const f of Object.keys(files))
        expect(
          findings.filter(x => x.file === f && /\n\s+at /.test(x.message)),
          label,
        ).to.deep.equal([])
      done += Object.keys(files).length
    }
    expect(done).to.be.at.least(MIN_DOCS)
    debug(`      fuzz: ${done} documents in ${Date.now() - started} ms`)
  })

  it('a few mutated repositories through the built CLI: exit 1 exactly when there are errors, --json parseable, no stack trace', () => {
    for (let b = 0; b < 4; b++) {
      const root = repoWith(batch(SEED + 100000 + b, 40))
      const r = cli(['validate', '--json', '-C', root])
      expectNoCrashOutput(r, `seed ${SEED + 100000 + b}`)
      const out = JSON.parse(r.stdout) as { findings: unknown[]; summary: { errors: number } }
      expect(r.code, r.stderr).to.equal(out.summary.errors > 0 ? 1 : 0)
      if (b === 0) {
        for (const args of [
          ['feed', 'list', '--json'],
          ['env', 'list', '--json'],
          ['schema', 'list', '--json'],
        ]) {
          const l = cli([...args, '-C', root])
          expectNoCrashOutput(l, args.join(' '))
          // A list shows what it cannot read as '(invalid)' and still succeeds.
          expect(l.code, l.stderr).to.equal(0)
          expect(() => JSON.parse(l.stdout), `${args.join(' ')}: ${l.stdout.slice(0, 200)}`).not.to.throw()
        }
      }
    }
  })
})
