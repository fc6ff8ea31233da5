import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import jsYaml from 'js-yaml'
import { exampleRepo } from '../helpers/repo.js'
import { cli, start } from './helpers.js'

describe('concurrency: many ssmd processes editing one file', () => {
  it('20 feed add-location at once on the same feed leave all 20 locations (no lost update)', async () => {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kraken.yaml')
    const before = jsYaml.load(readFileSync(file, 'utf8')) as { capture_locations?: Array<{ datacenter: string }> }
    const existing = (before.capture_locations ?? []).map(l => l.datacenter)
    const dcs = Array.from({ length: 20 }, (_, i) => `dc-${i}`)
    const runs = await Promise.all(
      dcs.map(dc => start(['feed', 'add-location', 'kraken', '--datacenter', dc, '--provider', 'aws', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '60000' } })),
    )
    for (const [i, r] of runs.entries()) expect(r.code, `${dcs[i]}: ${r.stderr}`).to.equal(0)
    const after = jsYaml.load(readFileSync(file, 'utf8')) as { capture_locations: Array<{ datacenter: string }> }
    expect(after.capture_locations.map(l => l.datacenter).sort()).to.deep.equal([...existing, ...dcs].sort())
    const v = cli(['validate', 'feeds/kraken.yaml', '--json', '-C', root], { cwd: root })
    expect(JSON.parse(v.stdout).summary.errors, v.stdout).to.equal(0)
  })

  it('a lock held by a live process times out with a clear message and leaves the file alone', () => {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kraken.yaml')
    const before = readFileSync(file)
    writeFileSync(`${file}.lock`, String(process.pid))
    const r = cli(['feed', 'add-location', 'kraken', '--datacenter', 'dc-x', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '300' } })
    expect(r.code).to.equal(1)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expect(r.stderr).to.match(/locked by another ssmd process/)
    expect(r.stderr).to.contain('kraken.yaml.lock')
    expect(readFileSync(file).equals(before)).to.equal(true)
    expect(readFileSync(`${file}.lock`, 'utf8')).to.equal(String(process.pid))
  })

  it('20 processes racing to take over a stale lock still lose no update', async () => {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kraken.yaml')
    writeFileSync(`${file}.lock`, '999999999')
    const dcs = Array.from({ length: 20 }, (_, i) => `st-${i}`)
    const runs = await Promise.all(dcs.map(dc => start(['feed', 'add-location', 'kraken', '--datacenter', dc, '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '60000' } })))
    for (const [i, r] of runs.entries()) expect(r.code, `${dcs[i]}: ${r.stderr}`).to.equal(0)
    const after = jsYaml.load(readFileSync(file, 'utf8')) as { capture_locations: Array<{ datacenter: string }> }
    for (const dc of dcs)
      expect(
        after.capture_locations.map(l => l.datacenter),
        dc,
      ).to.include(dc)
  })

  it('a lock file left by a dead process is taken over', () => {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kraken.yaml')
    writeFileSync(`${file}.lock`, '999999999')
    const r = cli(['feed', 'add-location', 'kraken', '--datacenter', 'dc-y', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '2000' } })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(file, 'utf8')).to.contain('dc-y')
  })
})

describe('stale lock takeover', () => {
  it("moves a dead owner's lock aside and never removes a live owner's fresh lock", async () => {
    const { withFileLock } = await import('../../src/lib/io/lock.js')
    const { mkdtempSync, writeFileSync: write, existsSync: exists, readdirSync } = await import('node:fs')
    const { tmpdir, hostname } = await import('node:os')
    const { join: j } = await import('node:path')
    const { expect: e } = await import('chai')
    const dir = mkdtempSync(j(tmpdir(), 'ssmd-lock-'))
    const file = j(dir, 'f.yaml')
    // A lock held by a pid that cannot be alive on this host.
    write(`${file}.lock`, `999999999@${hostname()}`)
    const ran = withFileLock(file, () => exists(`${file}.lock`) && 'ran')
    e(ran).to.equal('ran')
    e(exists(`${file}.lock`)).to.equal(false)
    e(readdirSync(dir)).to.deep.equal([])
  })
})
