/**
 * Deploy as an operator runs it: one environment that cannot be rendered does
 * not stop the fleet, hand edits in etcd are named before they are
 * overwritten, status and dry runs script with --exit-code, --prune, named
 * targets. Against a real etcd member.
 */
import { expect } from 'chai'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd, ssmdProcess } from '../helpers/cli.js'
import { EtcdCluster, startEtcd } from '../helpers/etcd.js'
import { exampleRepo, git } from '../helpers/repo.js'

const AS_OF = '2025-03-01'
let prefixCount = 0
const newPrefix = () => `/op${process.pid}-${++prefixCount}`

/** A hand edit in etcd: one part of an environment's content value changed in place, as `etcdctl put` would. */
function handEdit(etcd: EtcdCluster, prefix: string, env: string, part: string, value: unknown): void {
  const key = `${prefix}/environments/${env}/content`
  const content = JSON.parse(etcd.getPrefix(key).get(key)!)
  content[part] = value
  etcd.ctl(['put', key, JSON.stringify(content)])
}

/** A feed whose only version starts after AS_OF, and an environment on it: valid, but with nothing to render on AS_OF. */
function addNextMonth(dir: string): void {
  const feed = readFileSync(join(dir, 'feeds', 'kalshi.yaml'), 'utf8')
  writeFileSync(
    join(dir, 'feeds', 'next.yaml'),
    feed
      .replace('name: kalshi', 'name: next')
      .replace(/versions:\n[\s\S]*? {2}- version: v2\n/, 'versions:\n  - version: v1\n')
      .replace('effective_from: 2025-01-01', 'effective_from: 2025-04-01'),
  )
  writeFileSync(
    join(dir, 'environments', 'kalshi-next.yaml'),
    readFileSync(join(dir, 'environments', 'kalshi-dev.yaml'), 'utf8')
      .replace('name: kalshi-dev', 'name: kalshi-next')
      .replace('feed: kalshi', 'feed: next'),
  )
  git(dir, 'add', '-A')
  git(dir, 'commit', '-qm', 'next feed starts in April')
}

describe('ssmd deploy for operators (one etcd member)', function () {
  this.timeout(120000)
  let etcd: EtcdCluster

  before(async () => {
    etcd = await startEtcd(1)
  })
  after(async () => {
    await etcd?.stop()
  })

  const run = (dir: string, prefix: string, args: string[], env?: Record<string, string | undefined>) =>
    ssmd([...args, '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF], { cwd: dir, ...(env ? { env } : {}) })

  it('an environment that cannot be rendered is reported on its own line; the others deploy; exit 1 at the end', async () => {
    const dir = exampleRepo({ git: true })
    addNextMonth(dir)
    const prefix = newPrefix()
    expect((await ssmd(['validate'], { cwd: dir })).code).to.equal(0)
    const reason = "feed 'next' has no version in effect on 2025-03-01 (v1 2025-04-01 → open); pass another --as-of or add a version (ssmd feed add-version next)"

    const r = await run(dir, prefix, ['deploy', '--all'])
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('kalshi-dev: created\nkalshi-prod: created\npolymarket-dev: created\n')
    expect(r.stdout).to.contain('4 environments at commit')
    expect(r.stdout).to.contain('3 written, 0 unchanged, 1 failed')
    const errors = r.stderr.trim().split('\n')
    expect(errors).to.deep.equal([`kalshi-next: cannot render: ${reason}`, `Error: kalshi-next: cannot render: ${reason} (1 failed; 3 written)`])
    for (const name of ['kalshi-dev', 'kalshi-prod', 'polymarket-dev']) expect(etcd.getPrefix(`${prefix}/environments/${name}/deploy`).size).to.equal(1)
    expect(etcd.getPrefix(`${prefix}/environments/kalshi-next/`).size).to.equal(0)

    // --json carries every environment next to the error.
    const json = await run(dir, prefix, ['deploy', '--all', '--json'])
    expect(json.code).to.equal(1)
    const out = JSON.parse(json.stdout)
    expect(out.error).to.include({ code: 'render', exit_code: 1 })
    expect(out.environments.map((e: { name: string; result: string }) => `${e.name} ${e.result}`)).to.deep.equal([
      'kalshi-dev unchanged',
      'kalshi-next failed',
      'kalshi-prod unchanged',
      'polymarket-dev unchanged',
    ])
    expect(out.environments[1]).to.deep.equal({ name: 'kalshi-next', action: 'none', result: 'failed', changes: [], message: `cannot render: ${reason}` })

    // deploy status prints a row for every environment, and exits 1 for the one that cannot be rendered.
    etcd.ctl(['put', `${prefix}/environments/retired/deploy`, '{"commit":"0123456789abcdef0123456789abcdef01234567"}'])
    const status = await run(dir, prefix, ['deploy', 'status'])
    expect(status.code).to.equal(1)
    expect(status.stdout).to.match(/kalshi-dev\s+in-sync\s+[0-9a-f]{12}/)
    expect(status.stdout).to.match(new RegExp(`kalshi-next\\s+cannot render\\s+none\\s+${reason.replace(/[()?.]/g, '\\$&')}`))
    expect(status.stdout).to.match(/retired\s+not in git\s+0123456789ab/)
    expect(status.stdout).to.contain(': 3 in sync, 0 drifted, 0 not deployed, 1 in etcd only, 1 cannot be rendered')
    expect(status.stderr.trim()).to.equal(`Error: kalshi-next: cannot render: ${reason}`)
    const statusJson = await run(dir, prefix, ['deploy', 'status', '--json'])
    expect(statusJson.code).to.equal(1)
    const rows = JSON.parse(statusJson.stdout).environments
    expect(rows.map((e: { name: string; state: string }) => `${e.name} ${e.state}`)).to.deep.equal([
      'kalshi-dev in-sync',
      'kalshi-next cannot-render',
      'kalshi-prod in-sync',
      'polymarket-dev in-sync',
      'retired not-in-git',
    ])
    expect(rows[1]).to.deep.equal({ name: 'kalshi-next', state: 'cannot-render', deployed_commit: null, changes: [], reason })
  })

  it('writes nothing, not even the lock or the deployment marker, when every environment to write cannot be rendered', async () => {
    const dir = exampleRepo({ git: true })
    addNextMonth(dir)
    const prefix = newPrefix()
    const before = etcd.revision()
    const alone = await run(dir, prefix, ['deploy', 'kalshi-next'])
    expect(alone.code).to.equal(1)
    expect(alone.stderr).to.contain('kalshi-next: cannot render:')
    expect(etcd.getPrefix(`${prefix}/`).size).to.equal(0)
    expect(etcd.revision()).to.equal(before)

    // The others deployed, the one that cannot be rendered is the only one left: the run writes nothing again.
    expect((await run(dir, prefix, ['deploy', 'kalshi-dev', 'kalshi-prod', 'polymarket-dev'])).code).to.equal(0)
    const deployed = etcd.revision()
    const again = await run(dir, prefix, ['deploy', '--all'])
    expect(again.code).to.equal(1)
    expect(again.stdout).to.contain('0 written, 3 unchanged, 1 failed')
    expect(etcd.revision()).to.equal(deployed)
  })

  it('names each hand edit in etcd before overwriting it, in text and JSON', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await run(dir, prefix, ['deploy', 'kalshi-prod'])).code).to.equal(0)
    const key = `${prefix}/environments/kalshi-prod/content`
    handEdit(etcd, prefix, 'kalshi-prod', 'transport', { type: 'nats', url: 'tls://hand.edited:4222' })

    const status = await run(dir, prefix, ['deploy', 'status', 'kalshi-prod', '--json'])
    expect(JSON.parse(status.stdout).environments[0]).to.deep.include({
      state: 'drift',
      changes: [{ path: 'transport.url', kind: 'change', from: 'tls://hand.edited:4222', to: 'tls://nats.prod.internal:4222' }],
      hand_edits: { exact: true, paths: ['transport.url'] },
    })

    const dry = await run(dir, prefix, ['deploy', 'kalshi-prod', '--dry-run'])
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stderr).to.contain('kalshi-prod: would overwrite hand edit in etcd: transport.url\n')
    expect(dry.stdout).to.contain('kalshi-prod: would update (transport.url)\n  ~ transport.url: "tls://hand.edited:4222" → "tls://nats.prod.internal:4222"\n')

    const r = await run(dir, prefix, ['deploy', 'kalshi-prod'])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain('kalshi-prod: overwriting hand edit in etcd: transport.url\n')
    expect(r.stdout).to.contain('kalshi-prod: updated (transport.url)')
    expect(JSON.parse(etcd.getPrefix(key).get(key)!).transport.url).to.equal('tls://nats.prod.internal:4222')

    // Hand edit and a git change at once: what the last deploy wrote is rebuilt from its commit, so only the edit is named.
    handEdit(etcd, prefix, 'kalshi-prod', 'transport', { type: 'nats', url: 'tls://hand.edited:4222' })
    const env = join(dir, 'environments', 'kalshi-prod.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('max_size: 2GB', 'max_size: 4GB'))
    git(dir, 'commit', '-qam', 'bigger cache')
    const both = await run(dir, prefix, ['deploy', 'kalshi-prod', '--json'])
    expect(both.code, both.stderr).to.equal(0)
    const e = JSON.parse(both.stdout).environments[0]
    expect(e.changes.map((c: { path: string }) => c.path)).to.deep.equal(['cache.max_size', 'transport.url'])
    expect(e.hand_edits).to.deep.equal({ exact: true, paths: ['transport.url'] })
    expect(e.result).to.equal('written')

    // After a deploy with uncommitted changes (--allow-dirty) no commit has what it wrote: every difference is named, marked so.
    writeFileSync(env, readFileSync(env, 'utf8').replace('max_size: 4GB', 'max_size: 8GB'))
    expect((await run(dir, prefix, ['deploy', 'kalshi-prod', '--allow-dirty'])).code).to.equal(0)
    handEdit(etcd, prefix, 'kalshi-prod', 'transport', { type: 'nats', url: 'tls://hand.edited:4222' })
    writeFileSync(env, readFileSync(env, 'utf8').replace('max_size: 8GB', 'max_size: 16GB'))
    git(dir, 'commit', '-qam', 'even bigger cache')
    const dirty = await run(dir, prefix, ['deploy', 'kalshi-prod'])
    expect(dirty.code, dirty.stderr).to.equal(0)
    expect(dirty.stderr).to.contain('kalshi-prod: overwriting hand edit in etcd: cache.max_size, transport.url (git changed too: every field that differs is listed)\n')
  })

  it('--exit-code: 0 in sync, 2 changes or drift, 1 error, as git diff --exit-code', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await run(dir, prefix, ['deploy', '--all'])).code).to.equal(0)
    expect((await run(dir, prefix, ['deploy', 'status', '--exit-code'])).code).to.equal(0)
    expect((await run(dir, prefix, ['deploy', '--all', '--dry-run', '--exit-code'])).code).to.equal(0)

    handEdit(etcd, prefix, 'kalshi-dev', 'cache', { max_size: '1GB', type: 'memory' })
    const drifted = await run(dir, prefix, ['deploy', 'status', '--exit-code'])
    expect(drifted.code, drifted.stderr).to.equal(2)
    expect(drifted.stderr).to.equal('')
    expect(drifted.stdout).to.match(/kalshi-dev\s+drift\s+.*hand edit in etcd: cache.max_size/)
    // Without --exit-code, drift is not a failure.
    expect((await run(dir, prefix, ['deploy', 'status'])).code).to.equal(0)
    const dry = await run(dir, prefix, ['deploy', '--all', '--dry-run', '--exit-code', '--json'])
    expect(dry.code).to.equal(2)
    expect(JSON.parse(dry.stdout).summary.planned).to.equal(1)
    expect((await run(dir, prefix, ['deploy', 'kalshi-dev'])).code).to.equal(0)
    expect((await run(dir, prefix, ['deploy', 'status', '--exit-code'])).code).to.equal(0)

    // Not deployed counts as a change; a real deploy refuses the flag.
    const missing = await run(dir, newPrefix(), ['deploy', 'status', 'kalshi-dev', '--exit-code'])
    expect(missing.code).to.equal(2)
    const usage = await run(dir, prefix, ['deploy', '--all', '--exit-code'])
    expect(usage.code).to.equal(2)
    expect(usage.stderr.trim()).to.equal('Error: --exit-code goes with --dry-run (or deploy status): a deploy exits 0 when it wrote what it planned, 1 otherwise')

    // An environment that cannot be rendered is an error (1), whatever else differs.
    addNextMonth(dir)
    expect((await run(dir, prefix, ['deploy', 'status', '--exit-code'])).code).to.equal(1)
    expect((await run(dir, prefix, ['deploy', '--all', '--dry-run', '--exit-code'])).code).to.equal(1)
  })

  it('--prune removes environments deleted from git, shown by --dry-run first; without it nothing is removed', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await run(dir, prefix, ['deploy', '--all'])).code).to.equal(0)
    git(dir, 'rm', '-q', 'environments/polymarket-dev.yaml')
    git(dir, 'commit', '-qm', 'retire polymarket-dev')
    const base = `${prefix}/environments/polymarket-dev/`
    const held = etcd.getPrefix(base)
    expect(held.size).to.be.greaterThan(1)

    const plain = await run(dir, prefix, ['deploy', '--all'])
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout).not.to.contain('polymarket-dev')
    expect(etcd.getPrefix(base)).to.deep.equal(held)
    expect((await run(dir, prefix, ['deploy', 'status'])).stdout).to.match(/polymarket-dev\s+not in git\s+[0-9a-f]{12}/)

    const before = etcd.revision()
    const dry = await run(dir, prefix, ['deploy', '--all', '--prune', '--dry-run', '--exit-code'])
    expect(dry.code, dry.stderr).to.equal(2)
    expect(dry.stdout).to.contain('polymarket-dev: would remove (not in git)\n')
    expect(dry.stdout).to.contain('dry run: 3 environments at commit')
    expect(etcd.revision()).to.equal(before)

    const pruned = await run(dir, prefix, ['deploy', '--all', '--prune', '--json'])
    expect(pruned.code, pruned.stderr).to.equal(0)
    const out = JSON.parse(pruned.stdout)
    expect(out.environments.find((e: { name: string }) => e.name === 'polymarket-dev')).to.deep.equal({ name: 'polymarket-dev', action: 'remove', result: 'removed', changes: [] })
    expect(out.summary).to.include({ removed: 1, unchanged: 2, written: 0 })
    // One transaction removed every key of it, under the deploy lock (taken and released: two more revisions).
    expect(etcd.revision()).to.equal(before + 3)
    expect(etcd.getPrefix(base).size).to.equal(0)
    expect(etcd.getPrefix(`${prefix}/environments/kalshi-dev/`).size).to.be.greaterThan(1)

    const usage = await run(dir, prefix, ['deploy', 'kalshi-dev', '--prune'])
    expect(usage.code).to.equal(2)
    expect(usage.stderr.trim()).to.equal('Error: --prune removes environments git no longer has, so it needs every environment: pass --all')
  })

  it('--target reads endpoint and prefix from ssmd.yaml, .ssmd/config.yaml wins field by field, flags win over both', async () => {
    const dir = exampleRepo({ git: true })
    const team = newPrefix()
    const personal = newPrefix()
    const flag = newPrefix()
    writeFileSync(join(dir, 'ssmd.yaml'), `${readFileSync(join(dir, 'ssmd.yaml'), 'utf8')}targets:\n  prod:\n    etcd: ${etcd.endpoints()}\n    prefix: ${team}\n`)
    git(dir, 'commit', '-qam', 'prod target')
    expect((await ssmd(['validate'], { cwd: dir })).code).to.equal(0)
    const deploy = (...args: string[]) => ssmd(['deploy', 'kalshi-dev', '--as-of', AS_OF, ...args], { cwd: dir, env: { SSMD_ETCD_ENDPOINTS: undefined } })

    const r = await deploy('--target', 'prod')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain(`→ ${etcd.endpoints()} under ${team}:`)
    expect(etcd.getPrefix(`${team}/environments/kalshi-dev/`).size).to.be.greaterThan(1)

    mkdirSync(join(dir, '.ssmd'), { recursive: true })
    writeFileSync(join(dir, '.ssmd', 'config.yaml'), `color: never\ntargets:\n  prod:\n    prefix: ${personal}\n`)
    const mine = await deploy('--target', 'prod')
    expect(mine.code, mine.stderr).to.equal(0)
    expect(mine.stderr).to.equal('')
    expect(mine.stdout).to.contain(`under ${personal}:`)
    const flagged = await deploy('--target', 'prod', '--prefix', flag)
    expect(flagged.stdout).to.contain(`under ${flag}:`)
    expect((await ssmd(['deploy', 'status', 'kalshi-dev', '--target', 'prod', '--as-of', AS_OF, '--exit-code'], { cwd: dir })).code).to.equal(0)

    const unknown = await deploy('--target', 'prdo')
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr.trim()).to.equal("Error: --target 'prdo' is not defined in ssmd.yaml or .ssmd/config.yaml; did you mean 'prod'? (targets: prod)")
    const none = await deploy()
    expect(none.code).to.equal(2)
    expect(none.stderr.trim()).to.equal('Error: say where etcd is: --etcd ENDPOINTS, the SSMD_ETCD_ENDPOINTS variable, or --target NAME')

    // A password is never read from a file: the field is refused, with where it is.
    writeFileSync(join(dir, '.ssmd', 'config.yaml'), `targets:\n  prod:\n    password: hunter2-Xq9\n`)
    const pw = await deploy('--target', 'prod')
    expect(pw.code).to.equal(1)
    expect(pw.stderr.trim()).to.equal("Error: .ssmd/config.yaml:3:5: target 'prod': unknown field 'password'; an etcd password is never read from a file: set SSMD_ETCD_PASSWORD")
    expect(pw.stdout + pw.stderr).not.to.contain('hunter2-Xq9')
    rmSync(join(dir, '.ssmd', 'config.yaml'))
  })

  it('colours the dry-run diff on a terminal (red old, green new), not with NO_COLOR (built CLI)', () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    const args = ['deploy', 'kalshi-dev', '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF]
    expect(ssmdProcess(args, { cwd: dir }).code).to.equal(0)
    handEdit(etcd, prefix, 'kalshi-dev', 'storage', { path: '/elsewhere', type: 'local' })
    const coloured = ssmdProcess([...args, '--dry-run'], { cwd: dir, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } })
    expect(coloured.code, coloured.stderr).to.equal(0)
    expect(coloured.stdout).to.contain('  ~ storage.path: \u001b[31m"/elsewhere"\u001b[39m → \u001b[32m"/var/lib/ssmd/data"\u001b[39m\n')
    const plain = ssmdProcess([...args, '--dry-run'], { cwd: dir, env: { NO_COLOR: '1', FORCE_COLOR: undefined } })
    expect(plain.stdout).to.contain('  ~ storage.path: "/elsewhere" → "/var/lib/ssmd/data"\n')
    expect(plain.stdout).not.to.contain('\u001b')
  })
})

describe('ssmd deploy: an environment etcd refuses to write fails alone', function () {
  this.timeout(180000)

  it('a role that may not write one environment fails that one; the other 69 are written (more than one batch of transactions)', async () => {
    const etcd = await startEtcd(1)
    const password = 'Rt-5vQ8xMp3Lk'
    try {
      const dir = exampleRepo({ git: true })
      const dev = readFileSync(join(dir, 'environments', 'kalshi-dev.yaml'), 'utf8')
      rmSync(join(dir, 'environments'), { recursive: true })
      mkdirSync(join(dir, 'environments'))
      const names = Array.from({ length: 70 }, (_, i) => `e${String(i).padStart(2, '0')}`)
      for (const n of names) writeFileSync(join(dir, 'environments', `${n}.yaml`), dev.replace('name: kalshi-dev', `name: ${n}`))
      git(dir, 'add', '-A')
      git(dir, 'commit', '-qm', '70 environments')

      const asRoot = ['--user', `root:${password}`]
      etcd.ctl(['user', 'add', `root:${password}`])
      etcd.ctl(['user', 'grant-role', 'root', 'root'])
      etcd.ctl(['auth', 'enable'])
      etcd.ctl(['role', 'add', 'deployer', ...asRoot])
      etcd.ctl(['role', 'grant-permission', 'deployer', 'read', '/p/', '--prefix=true', ...asRoot])
      // The deploy lock and the deployment marker, and every environment but the first.
      for (const key of ['/p/.ssmd-lock', '/p/.ssmd-deployment']) etcd.ctl(['role', 'grant-permission', 'deployer', 'readwrite', key, ...asRoot])
      for (const n of names.slice(1)) etcd.ctl(['role', 'grant-permission', 'deployer', 'readwrite', `/p/environments/${n}/`, '--prefix=true', ...asRoot])
      etcd.ctl(['user', 'add', 'deployer:Dp-2wR7nKq4Zs', ...asRoot])
      etcd.ctl(['user', 'grant-role', 'deployer', 'deployer', ...asRoot])

      const r = await ssmd(['deploy', '--all', '--etcd', etcd.endpoints(), '--prefix', '/p', '--as-of', AS_OF, '--user', 'deployer'], {
        cwd: dir,
        env: { SSMD_ETCD_PASSWORD: 'Dp-2wR7nKq4Zs' },
      })
      expect(r.code).to.equal(1)
      const denied = `e00: etcd at ${etcd.endpoints()}: user 'deployer' may not write these keys (permission denied); grant the user's role read/write on the prefix`
      expect(r.stderr.trim().split('\n')).to.deep.equal([`e00: failed: ${denied.slice('e00: '.length)}`, `Error: ${denied} (1 failed; 69 written)`])
      expect(r.stdout).to.contain('70 environments at commit')
      const keys = etcd.ctl(['get', '/p/environments/', '--prefix', '--keys-only', ...asRoot])
      for (const n of names.slice(1)) expect(keys, n).to.contain(`/p/environments/${n}/deploy`)
      expect(keys).not.to.contain('/p/environments/e00/')
    } finally {
      await etcd.stop()
    }
  })
})
