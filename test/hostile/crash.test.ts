import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import jsYaml from 'js-yaml'
import { exampleRepo } from '../helpers/repo.js'
import { cli, rng, start } from './helpers.js'

describe('crash safety: SIGKILL in the middle of writes', () => {
  it('every file is always the old or the new version, never partial; a lock left by a killed process is taken over', async function () {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kalshi.yaml')
    // A large file makes the write window wide enough to hit.
    writeFileSync(file, readFileSync(file, 'utf8') + Array.from({ length: 4000 }, (_, i) => `# padding line ${i} ${'x'.repeat(150)}`).join('\n') + '\n')
    const next = rng(4242)
    // Calibrate: how long a full run takes here, so kills land before, during and after the write.
    const t0 = Date.now()
    const calib = await start(['feed', 'update', 'kalshi', '--display-name', 'Calibration', '-C', root])
    expect(calib.code, calib.stderr).to.equal(0)
    const full = Date.now() - t0
    let killed = 0
    let completed = 0
    for (let i = 0; i < 16; i++) {
      const before = readFileSync(file, 'utf8')
      const display = `Name ${i}`
      const r = await start(['feed', 'update', 'kalshi', '--display-name', display, '-C', root], { killAfterMs: Math.floor(full * (0.4 + next() * 0.8)) })
      const after = readFileSync(file, 'utf8')
      if (r.signal === 'SIGKILL') killed++
      else {
        expect(r.code, r.stderr).to.equal(0)
        completed++
      }
      const expectedNew = before.replace(/^display_name: .*$/m, `display_name: ${display}`)
      expect(after === before || after === expectedNew, `run ${i} (${r.signal ?? r.code}) left a file that is neither old nor new (${after.length} bytes)`).to.equal(true)
      expect(() => jsYaml.load(after)).not.to.throw()
    }
    expect(killed + completed).to.equal(16)
    // After all the kills, the next edit still works (a stale lock is taken over) and the file is whole.
    const r = cli(['feed', 'update', 'kalshi', '--display-name', 'Final', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '20000' } })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(file, 'utf8')).to.match(/^display_name: Final$/m)
    expect(existsSync(`${file}.lock`)).to.equal(false)
    const v = cli(['validate', '--json', '-C', root])
    expect(JSON.parse(v.stdout).findings.filter((f: { file: string; severity: string }) => f.file === 'feeds/kalshi.yaml' && f.severity === 'error')).to.deep.equal([])
    // Temporary files of killed writers are hidden from every reader (dot files), never picked up as documents.
    for (const f of readdirSync(join(root, 'feeds')).filter(n => n.endsWith('.tmp'))) expect(f.startsWith('.')).to.equal(true)
  })

  it('creating a file: killed at any point, the file is absent or complete', async () => {
    const root = exampleRepo()
    const next = rng(99)
    for (let i = 0; i < 8; i++) {
      const name = `kill${i}`
      const r = await start(['feed', 'create', name, '--type', 'rest', '--endpoint', 'https://x.example/api', '-C', root], { killAfterMs: 150 + Math.floor(next() * 700) })
      const path = join(root, 'feeds', `${name}.yaml`)
      if (existsSync(path)) {
        const data = jsYaml.load(readFileSync(path, 'utf8')) as { name: string; versions: unknown[] }
        expect(data.name, r.stderr).to.equal(name)
        expect(data.versions).to.have.length(1)
      }
    }
  })
})
