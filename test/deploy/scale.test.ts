/**
 * Deploy at fleet scale: what a deploy of many environments does not do —
 * parse an environment it does not render, hold a fleet's documents parsed.
 */
import { expect } from 'chai'
import { builtinPack } from '../../src/hooks/validate/builtin.js'
import { contentJson, contentKey, digestOf, envPrefix, recordKey, type DeployRecord } from '../../src/lib/deploy/layout.js'
import type { EnvState } from '../../src/lib/deploy/plan.js'
import { feedSameOn, involvedFiles, loadInvolved, newRenderCache, renderEnvironment, renderReleasing } from '../../src/lib/deploy/render.js'
import { sourceOf, walkFirst } from '../../src/lib/deploy/source.js'
import { RecordCheck } from '../../src/lib/deploy/unchanged.js'
import { validateForRender } from '../../src/lib/deploy/prepare.js'
import { deployAll, readCurrent } from '../../src/lib/deploy/deploy.js'
import { EtcdSession, parseEndpoints, txnSize } from '../../src/lib/deploy/etcd.js'
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js'
import { cacheDir } from '../../src/lib/workspace/cache.js'
import { runRules } from '../../src/lib/validate/engine.js'
import { policySeverities } from '../../src/lib/validate/policy.js'
import { DocumentCache } from '../../src/lib/workspace/cache.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { exampleRepo, git } from '../helpers/repo.js'

const AS_OF = '2025-03-01'
const NAMES = ['kalshi-dev', 'kalshi-prod', 'polymarket-dev']

/** `ssmd validate` with the cache, so that the next run finds every file in it. */
async function warmCache(root: string): Promise<void> {
  const cache = new DocumentCache(root)
  const ws = new Workspace(root, { cache })
  await runRules(ws, [{ plugin: 'ssmd', result: builtinPack }], { policy: policySeverities(ws), releaseData: true })
  cache.save()
}

describe('deploy at scale: documents', () => {
  it('finds the files each environment is made of from the validation cache, without parsing any environment', async () => {
    const root = exampleRepo()
    await warmCache(root)
    const cache = new DocumentCache(root)
    const { involved } = loadInvolved(root, NAMES, cache)
    const files = involved.map(inv => involvedFiles(inv))
    expect(files[0]).to.deep.equal(['environments/kalshi-dev.yaml', 'feeds/kalshi.yaml', 'schemas/trade.yaml', 'schemas/trade.capnp'])
    expect(files.map(f => f[0])).to.deep.equal(NAMES.map(n => `environments/${n}.yaml`))
    // Nothing was read again: the feed and schema names come from the facts the cache keeps.
    expect(cache.rereads).to.equal(0)
    // Rendering reads the environment (and its feed) when it comes to it.
    const rendering = renderEnvironment(involved[0], AS_OF)
    expect(rendering.files).to.deep.equal(files[0])
    expect(cache.rereads).to.equal(2)
  })

  it('with a cold validation cache, drops each environment’s parsed data once its facts are known: validation reads it again, one at a time', () => {
    const root = exampleRepo()
    const cache = new DocumentCache(root)
    const { involved } = loadInvolved(root, NAMES, cache)
    expect(involved.map(inv => inv.feed?.name)).to.deep.equal(['kalshi', 'kalshi', 'polymarket'])
    expect(cache.rereads).to.equal(0)
    // Each environment was parsed for its facts and let go: its data is read again when a rule asks for it.
    for (const inv of involved) expect(inv.env.data).to.have.property('name', inv.env.name)
    expect(cache.rereads).to.equal(NAMES.length)
  })

  it('drops an environment’s parsed data once it is rendered: a fleet is never held parsed', async () => {
    const root = exampleRepo()
    await warmCache(root)
    const cache = new DocumentCache(root)
    const { involved } = loadInvolved(root, NAMES, cache)
    const renders = newRenderCache()
    const first = renderReleasing(involved[1], AS_OF, renders)
    const reads = cache.rereads
    // Rendered again, the environment is read again (its data was dropped); the feed's rendering is shared.
    const again = renderReleasing(involved[1], AS_OF, renders)
    expect(cache.rereads).to.equal(reads + 1)
    expect(again).to.deep.equal(first)
  })
})

describe('deploy at scale: the git status walk', () => {
  it('is taken before a fleet is loaded, and tells the same changed files as a walk after', async () => {
    const dir = exampleRepo({ git: true })
    const env = readFileSync(join(dir, 'environments', 'kalshi-dev.yaml'), 'utf8')
    const names = Array.from({ length: 40 }, (_, i) => `fleet-${i}`)
    for (const n of names) writeFileSync(join(dir, 'environments', `${n}.yaml`), env.replace('name: kalshi-dev', `name: ${n}`))
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'fleet')
    writeFileSync(join(dir, 'environments', 'fleet-1.yaml'), `${env.replace('name: kalshi-dev', 'name: fleet-1')}# edited\n`)
    rmSync(join(dir, 'environments', 'fleet-2.yaml'))
    writeFileSync(join(dir, 'environments', 'fleet-new.yaml'), env.replace('name: kalshi-dev', 'name: fleet-new'))
    const files = [...names, 'fleet-new'].map(n => `environments/${n}.yaml`).concat(['feeds/kalshi.yaml'])
    expect(await walkFirst(dir, 3)).to.equal(undefined)
    const walked = await walkFirst(dir, names.length)
    expect(walked?.commit).to.equal(git(dir, 'rev-parse', 'HEAD').trim())
    const expected = { commit: walked!.commit, dirty: true, changed: ['environments/fleet-1.yaml', 'environments/fleet-2.yaml', 'environments/fleet-new.yaml'] }
    expect(await sourceOf(dir, files, walked)).to.deep.equal(expected)
    expect(await sourceOf(dir, files)).to.deep.equal(expected)
    expect(await sourceOf(dir, files.slice(3), walked)).to.deep.equal({ commit: walked!.commit, dirty: true, changed: ['environments/fleet-new.yaml'] })
  })
})

describe('deploy at scale: the validation cache', () => {
  const validation = { packs: [{ plugin: 'ssmd', result: builtinPack }], installedPlugins: [], policyOf: policySeverities }

  it('is written back when every environment was validated (deploy --all, deploy status), and only read otherwise', async () => {
    const root = exampleRepo()
    const file = join(cacheDir(root), 'documents.bin')
    await validateForRender(root, NAMES, AS_OF, validation)
    await validateForRender(root, NAMES.slice(0, 1), AS_OF, validation, { keepCache: false })
    expect(existsSync(file)).to.equal(false)
    await validateForRender(root, NAMES, AS_OF, validation, { keepCache: true })
    expect(existsSync(file)).to.equal(true)
    // The next run finds every environment in it: none is parsed to list its files.
    const cache = new DocumentCache(root)
    const { involved } = loadInvolved(root, NAMES, cache)
    involved.forEach(inv => involvedFiles(inv))
    expect(cache.stats.misses).to.equal(0)
    expect(cache.rereads).to.equal(0)
  })
})

describe('deploy at scale: environments their deploy record proves unchanged', () => {
  /** What etcd would hold after deploying `name` from the repository at `dir` as it is now (HEAD, clean). */
  const deployed = (dir: string, name: string, record: Partial<DeployRecord> = {}): { state: EnvState; record: DeployRecord } => {
    const { involved } = loadInvolved(dir, [name])
    const digest = digestOf(contentJson(renderEnvironment(involved[0], AS_OF).content))
    const full: DeployRecord = {
      commit: git(dir, 'rev-parse', 'HEAD').trim(),
      dirty: false,
      as_of: AS_OF,
      deployed_at: '2025-03-01T10:00:00.000Z',
      deployed_by: 'a@test',
      ssmd_version: '1.0.0',
      deploy_id: 'd1',
      digest,
      ...record,
    }
    return { state: { revision: '9', content: { digest: full.digest, modRevision: '7' }, record: { value: '', modRevision: '7' }, others: [] }, record: full }
  }
  const check = async (dir: string, asOf = AS_OF, version = '1.0.0') => {
    const source = await sourceOf(
      dir,
      NAMES.flatMap(n => [`environments/${n}.yaml`, 'feeds/kalshi.yaml', 'feeds/polymarket.yaml']),
    )
    const { involved } = loadInvolved(dir, NAMES)
    const memo = new Map<string, string | null>()
    const env = (name: string) => {
      const inv = involved[NAMES.indexOf(name)]
      return { files: involvedFiles(inv), sameFeedOn: (date: string) => feedSameOn(inv, asOf, date, memo) }
    }
    return { rc: new RecordCheck(dir, source, asOf, version), env }
  }

  it('tells from the record, through later commits, which environments render what etcd holds; anything it cannot tell is rendered', async () => {
    const dir = exampleRepo({ git: true })
    const dev = deployed(dir, 'kalshi-dev')
    const poly = deployed(dir, 'polymarket-dev')
    // A later commit changes polymarket-dev's feed only.
    const feed = join(dir, 'feeds/polymarket.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace(/^display_name: .*$/m, 'display_name: Polymarket (renamed)'))
    git(dir, 'commit', '-qam', 'rename')
    let { rc, env } = await check(dir)
    expect(await rc.unchanged(dev.state, dev.record, env('kalshi-dev'))).to.equal(true)
    expect(await rc.unchanged(poly.state, poly.record, env('polymarket-dev'))).to.equal(false)
    // What etcd holds is not what the record names, or holds more: rendered and compared.
    expect(await rc.unchanged({ ...dev.state, content: { digest: 'sha256:0', modRevision: '8' } }, dev.record, env('kalshi-dev'))).to.equal(false)
    expect(await rc.unchanged({ ...dev.state, others: ['extra'] }, dev.record, env('kalshi-dev'))).to.equal(false)
    // A record of a dirty deploy, of another ssmd version, of a commit this clone does not have, or none.
    for (const other of [{ dirty: true }, { ssmd_version: '1.0.1' }, { commit: 'f'.repeat(40) }, { commit: null }]) {
      expect(await rc.unchanged(dev.state, { ...dev.record, ...other }, env('kalshi-dev')), JSON.stringify(other)).to.equal(false)
    }
    expect(await rc.unchanged(dev.state, undefined, env('kalshi-dev'))).to.equal(false)
    // Uncommitted changes in a file it is made of.
    const kalshi = join(dir, 'feeds/kalshi.yaml')
    writeFileSync(kalshi, `${readFileSync(kalshi, 'utf8')}# edited\n`)
    ;({ rc, env } = await check(dir))
    expect(await rc.unchanged(dev.state, dev.record, env('kalshi-dev'))).to.equal(false)
  })

  it('an environment deployed on another day is unchanged when its feed renders the same on both days', async () => {
    const dir = exampleRepo({ git: true })
    const dev = deployed(dir, 'kalshi-dev')
    // v2 of kalshi is in effect from 2025-01-01, with nothing after it: February renders as March does.
    const feb = await check(dir, '2025-02-01')
    expect(await feb.rc.unchanged(dev.state, dev.record, feb.env('kalshi-dev'))).to.equal(true)
    // In December 2024, v1 was in effect.
    const dec = await check(dir, '2024-12-01')
    expect(await dec.rc.unchanged(dev.state, dev.record, dec.env('kalshi-dev'))).to.equal(false)
  })
})

describe('deploy at scale: environments written in batches (one etcd member)', function () {
  this.timeout(120000)
  let etcd: EtcdCluster
  before(async () => {
    etcd = await startEtcd(1)
  })
  after(async () => {
    await etcd?.stop()
  })
  const validation = { packs: [{ plugin: 'ssmd', result: builtinPack }], installedPlugins: [], policyOf: policySeverities }
  const meta = { asOf: AS_OF, deployedBy: 'a@test', ssmdVersion: '0', deployId: 'deploy-a', now: '2025-03-01T10:00:00.000Z' }

  it('writes several environments in one transaction, each entirely; when one of them changed since it was read, it alone is refused', async () => {
    const dir = exampleRepo({ git: true })
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 5000, requestTimeoutMs: 10000 }, '/b1/environments/')
    try {
      const envs = await validateForRender(dir, NAMES, AS_OF, validation)
      const source = { commit: git(dir, 'rev-parse', 'HEAD').trim(), dirty: false, changed: [] }
      const before = etcd.revision()
      const written = await deployAll(session, '/b1', envs, [0, 1, 2], await readCurrent(session, '/b1', NAMES), source, meta)
      expect(written.map(o => o.result)).to.deep.equal(['written', 'written', 'written'])
      // One transaction: one revision for the three.
      expect(etcd.revision()).to.equal(before + 1)
      expect([...etcd.getPrefix('/b1/').keys()]).to.have.length(6)

      // Read, then kalshi-prod changes in etcd: the batch is not applied, and the others are written one by one.
      const render = (i: number) => envs.render(i)
      const changed = {
        ...envs,
        render: (i: number) => ({ ...render(i), content: { ...render(i).content, storage: { ...render(i).content.storage, path: '/elsewhere' } } }),
      }
      const current = await readCurrent(session, '/b1', NAMES)
      etcd.ctl(['put', '/b1/environments/kalshi-prod/content', '{"by":"hand"}'])
      const again = await deployAll(session, '/b1', changed, [0, 1, 2], current, source, { ...meta, deployId: 'deploy-b' })
      expect(again.map(o => [o.name, o.result])).to.deep.equal([
        ['kalshi-dev', 'written'],
        ['kalshi-prod', 'refused'],
        ['polymarket-dev', 'written'],
      ])
      expect(etcd.getPrefix('/b1/').get('/b1/environments/kalshi-prod/content')).to.equal('{"by":"hand"}')
      expect(etcd.getPrefix('/b1/').get('/b1/environments/kalshi-dev/content')).to.contain('/elsewhere')
    } finally {
      session.close()
    }
  })

  it('fits 64 environments new to etcd, or 42 already there, in one transaction within etcd’s 128 operations; keys left since the read still fail the guard', async () => {
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 5000, requestTimeoutMs: 10000 }, '/b2/environments/')
    const write = (name: string, state: EnvState | undefined, value: string) => ({
      envPrefix: envPrefix('/b2', name),
      contentKey: contentKey('/b2', name),
      recordKey: recordKey('/b2', name),
      content: value,
      record: `{"digest":"${digestOf(value)}"}`,
      revision: state?.revision ?? String(etcd.revision()),
      recordMod: state?.record?.modRevision ?? '0',
      contentMod: state?.content?.modRevision ?? '0',
      others: (state?.others.length ?? 0) > 0,
    })
    const names = Array.from({ length: 65 }, (_, i) => `env-${i}`)
    try {
      // 65 new environments are 130 puts: etcd refuses them in one transaction, so a batch holds 64 at most.
      expect(txnSize(write('x', undefined, '{}'))).to.deep.equal({ compares: 1, ops: 2 })
      const tooMany = await session.writeEnvironments(names.map(n => write(n, undefined, '{"v":1}'))).catch((e: Error) => e.message)
      expect(tooMany).to.match(/too many operations/)
      const before = etcd.revision()
      expect(await session.writeEnvironments(names.slice(0, 64).map(n => write(n, undefined, '{"v":1}')))).to.equal(true)
      expect(etcd.revision()).to.equal(before + 1)
      expect(etcd.getPrefix('/b2/').size).to.equal(128)

      // Already there, nothing else under their prefixes: three compares and two puts each, 42 in one transaction.
      const current = await readCurrent(session, '/b2', names.slice(0, 43))
      expect(txnSize(write('env-0', current.envs.get('env-0'), '{}'))).to.deep.equal({ compares: 3, ops: 2 })
      const over = await session.writeEnvironments(names.slice(0, 43).map(n => write(n, current.envs.get(n), '{"v":2}'))).catch((e: Error) => e.message)
      expect(over).to.match(/too many operations/)
      const again = names.slice(0, 42).map(n => write(n, current.envs.get(n), '{"v":2}'))
      expect(await session.writeEnvironments(again)).to.equal(true)
      expect(etcd.revision()).to.equal(before + 2)

      // Read, then a key appears under one prefix and another's content is deleted: each transaction is refused, nothing written.
      const read = await readCurrent(session, '/b2', ['env-0', 'env-1', 'env-2'])
      etcd.ctl(['put', '/b2/environments/env-0/late', 'x'])
      etcd.ctl(['del', '/b2/environments/env-1/content'])
      expect(await session.writeEnvironments([write('env-0', read.envs.get('env-0'), '{"v":3}')])).to.equal(false)
      expect(await session.writeEnvironments([write('env-1', read.envs.get('env-1'), '{"v":3}')])).to.equal(false)
      // Foreign keys read are deleted with the write (five operations).
      const withLate = (await readCurrent(session, '/b2', ['env-0'])).envs.get('env-0')!
      expect(txnSize(write('env-0', withLate, '{}'))).to.deep.equal({ compares: 3, ops: 5 })
      expect(await session.writeEnvironments([write('env-0', withLate, '{"v":3}'), write('env-2', read.envs.get('env-2'), '{"v":3}')])).to.equal(true)
      expect([...etcd.getPrefix('/b2/environments/env-0/').keys()]).to.deep.equal(['/b2/environments/env-0/content', '/b2/environments/env-0/deploy'])
      expect(etcd.getPrefix('/b2/environments/env-2/content').get('/b2/environments/env-2/content')).to.equal('{"v":3}')
    } finally {
      session.close()
    }
  })
})
