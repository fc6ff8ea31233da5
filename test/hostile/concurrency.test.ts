import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import jsYaml from 'js-yaml'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { cli, start } from './helpers.js'

/** Where ssmd keeps the lock of a root-relative file: .ssmd/locks/<encoded path>.lock (created here for a test to hold it). */
function lockOf(root: string, rel: string): string {
  mkdirSync(join(root, '.ssmd', 'locks'), { recursive: true })
  return join(root, '.ssmd', 'locks', `${encodeURIComponent(rel)}.lock`)
}

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
    const lock = lockOf(root, 'feeds/kraken.yaml')
    writeFileSync(lock, String(process.pid))
    const r = cli(['feed', 'add-location', 'kraken', '--datacenter', 'dc-x', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '300' } })
    expect(r.code).to.equal(1)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expect(r.stderr).to.match(/locked by another ssmd process/)
    expect(r.stderr).to.contain('feeds%2Fkraken.yaml.lock')
    expect(readFileSync(file).equals(before)).to.equal(true)
    expect(readFileSync(lock, 'utf8')).to.equal(String(process.pid))
  })

  it('20 processes racing to take over a stale lock still lose no update', async () => {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kraken.yaml')
    writeFileSync(lockOf(root, 'feeds/kraken.yaml'), '999999999')
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
    const lock = lockOf(root, 'feeds/kraken.yaml')
    writeFileSync(lock, '999999999')
    const r = cli(['feed', 'add-location', 'kraken', '--datacenter', 'dc-y', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '2000' } })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(file, 'utf8')).to.contain('dc-y')
    expect(existsSync(lock)).to.equal(false)
  })

  it('an empty lock (its writer killed before writing its pid) is waited for while fresh, taken over once a few seconds old', () => {
    const root = exampleRepo()
    const file = join(root, 'feeds', 'kraken.yaml')
    const lock = lockOf(root, 'feeds/kraken.yaml')
    writeFileSync(lock, '')
    const fresh = cli(['feed', 'add-location', 'kraken', '--datacenter', 'dc-z', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '300' } })
    expect(fresh.code).to.equal(1)
    expect(fresh.stderr).to.match(/locked by another ssmd process/)
    const old = (Date.now() - 10000) / 1000
    utimesSync(lock, old, old)
    const r = cli(['feed', 'add-location', 'kraken', '--datacenter', 'dc-z', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '2000' } })
    expect(r.code, r.stderr).to.equal(0)
    expect(readFileSync(file, 'utf8')).to.contain('dc-z')
    expect(existsSync(lock)).to.equal(false)
  })
})

describe('stale lock takeover', () => {
  it('takes over a lock whose pid now belongs to a process started after the lock was written (pid reuse)', async () => {
    const { withFileLock } = await import('../../src/lib/io/lock.js')
    const { writeFileSync: write, existsSync: exists, utimesSync } = await import('node:fs')
    const { spawn } = await import('node:child_process')
    const { hostname } = await import('node:os')
    const { join: j } = await import('node:path')
    const { expect: e } = await import('chai')
    const dir = tempDir('ssmd-lock-')
    const file = j(dir, 'f.yaml')
    const lock = lockOf(dir, 'f.yaml')
    // A live process that cannot have written a lock dated an hour ago.
    const live = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      write(lock, `${live.pid}@${hostname()}`)
      const old = (Date.now() - 3600_000) / 1000
      utimesSync(lock, old, old)
      e(withFileLock(dir, file, () => exists(lock) && 'ran')).to.equal('ran')
    } finally {
      live.kill('SIGKILL')
    }
  })

  it("moves a dead owner's lock aside and never removes a live owner's fresh lock", async () => {
    const { withFileLock } = await import('../../src/lib/io/lock.js')
    const { writeFileSync: write, existsSync: exists, readdirSync } = await import('node:fs')
    const { hostname } = await import('node:os')
    const { join: j } = await import('node:path')
    const { expect: e } = await import('chai')
    const dir = tempDir('ssmd-lock-')
    const file = j(dir, 'f.yaml')
    const lock = lockOf(dir, 'f.yaml')
    // A lock held by a pid that cannot be alive on this host.
    write(lock, `999999999@${hostname()}`)
    const ran = withFileLock(dir, file, () => exists(lock) && 'ran')
    e(ran).to.equal('ran')
    e(exists(lock)).to.equal(false)
    e(readdirSync(j(dir, '.ssmd', 'locks'))).to.deep.equal([])
    e(readdirSync(dir)).to.deep.equal(['.ssmd'])
  })
})
