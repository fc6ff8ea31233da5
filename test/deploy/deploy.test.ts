import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { ssmd, ssmdProcess } from '../helpers/cli.js'
import { EtcdCluster, freePort, makeCertificates, startEtcd } from '../helpers/etcd.js'
import { exampleRepo, git } from '../helpers/repo.js'
import { canonicalJson } from '../../src/lib/deploy/layout.js'
import { EtcdSession, parseEndpoints } from '../../src/lib/deploy/etcd.js'
import { planEnvironment } from '../../src/lib/deploy/plan.js'
import { deployAll, readCurrent } from '../../src/lib/deploy/deploy.js'
import { loadInvolved, renderEnvironment } from '../../src/lib/deploy/render.js'

const AS_OF = '2025-03-01'
let prefixCount = 0
/** Each test writes under its own prefix, so one etcd serves the whole file. */
const newPrefix = () => `/t${process.pid}-${++prefixCount}`

describe('ssmd deploy (one etcd member)', function () {
  this.timeout(120000)
  let etcd: EtcdCluster

  before(async () => {
    etcd = await startEtcd(1)
  })
  after(async () => {
    await etcd?.stop()
  })

  const deploy = (dir: string, prefix: string, ...args: string[]) => ssmd(['deploy', ...args, '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF], { cwd: dir })

  it('writes examples/market-data under the documented layout; the values are the rendering', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    const r = await deploy(dir, prefix, '--all')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('kalshi-dev: created\nkalshi-prod: created\npolymarket-dev: created\n')
    expect(r.stdout).to.match(/3 environments at commit [0-9a-f]{12} → .* under \/t\d+-\d+: 3 written, 0 unchanged/)

    // Cross-check with etcdctl: exactly the two documented keys, the content the rendering of `env render`.
    const kvs = etcd.getPrefix(`${prefix}/environments/kalshi-prod/`)
    const base = `${prefix}/environments/kalshi-prod/`
    expect([...kvs.keys()].sort()).to.deep.equal([`${base}content`, `${base}deploy`])
    const rendered = JSON.parse((await ssmd(['env', 'render', 'kalshi-prod', '--as-of', AS_OF, '--json'], { cwd: dir })).stdout)
    const content = kvs.get(`${base}content`)!
    const { cache, feed, keys, schedule, storage, transport } = rendered
    expect(JSON.parse(content)).to.deep.equal({ cache, feed, keys, schedule, schemas: { trade: rendered.schemas[0] }, storage, transport })
    expect(content).to.equal(canonicalJson(JSON.parse(content)))
    const record = JSON.parse(kvs.get(`${base}deploy`)!)
    expect(record).to.include({ commit: git(dir, 'rev-parse', 'HEAD').trim(), dirty: false, as_of: AS_OF, ssmd_version: JSON.parse(readFileSync('package.json', 'utf8')).version })
    expect(record.deployed_by).to.match(/^.+@.+$/)
    expect(Date.parse(record.deployed_at)).to.be.closeTo(Date.now(), 10 * 60 * 1000)
    expect(record.digest).to.equal(`sha256:${createHash('sha256').update(content).digest('hex')}`)
    expect(Object.keys(record).sort()).to.deep.equal(['as_of', 'commit', 'deploy_id', 'deployed_at', 'deployed_by', 'digest', 'dirty', 'ssmd_version'])
    // The prefix is marked as a deployment; the lock is gone with the run.
    expect(JSON.parse(etcd.getPrefix(`${prefix}/.ssmd-deployment`).get(`${prefix}/.ssmd-deployment`)!)).to.include({ layout: 'content+deploy' })
    expect(etcd.getPrefix(`${prefix}/.ssmd-lock`).size).to.equal(0)
  })

  it('writes nothing for unchanged environments; after a one-file change exactly one environment', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, '--all')).code).to.equal(0)
    const before = etcd.revision()
    const again = await deploy(dir, prefix, 'kalshi-dev', 'kalshi-prod')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.contain('kalshi-dev: unchanged\nkalshi-prod: unchanged\n')
    expect(again.stdout).to.contain('0 written, 2 unchanged')
    const json = JSON.parse((await deploy(dir, prefix, '--all', '--json')).stdout)
    expect(json).to.deep.include({ prefix, endpoints: [etcd.endpoints()], commit: git(dir, 'rev-parse', 'HEAD').trim(), dry_run: false })
    expect(json.summary).to.deep.equal({ written: 0, unchanged: 3, removed: 0, planned: 0, refused: 0, failed: 0, skipped: 0 })
    expect(json.environments.map((e: { name: string; result: string }) => `${e.name} ${e.result}`)).to.deep.equal([
      'kalshi-dev unchanged',
      'kalshi-prod unchanged',
      'polymarket-dev unchanged',
    ])
    expect(etcd.revision()).to.equal(before)

    const env = join(dir, 'environments', 'kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('nats://localhost:4222', 'nats://nats.dev.internal:4222'))
    git(dir, 'commit', '-qam', 'dev transport')
    const oldDeploy = etcd.getPrefix(`${prefix}/environments/kalshi-prod/`)
    const r = await deploy(dir, prefix, '--all')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('kalshi-dev: updated (transport.url)')
    expect(r.stdout).to.contain('1 written, 2 unchanged')
    // Three revisions: the lock taken, one transaction for kalshi-dev (content and record at one revision), the lock released.
    expect(etcd.revision()).to.equal(before + 3)
    expect(etcd.getPrefix(`${prefix}/environments/kalshi-prod/`)).to.deep.equal(oldDeploy)
    const dev = etcd.getPrefix(`${prefix}/environments/kalshi-dev/`)
    expect(JSON.parse(dev.get(`${prefix}/environments/kalshi-dev/content`)!).transport).to.deep.equal({ type: 'nats', url: 'nats://nats.dev.internal:4222' })
    const revisions = JSON.parse(etcd.ctl(['get', `${prefix}/environments/kalshi-dev/`, '--prefix', '-w', 'json'])).kvs.map((kv: { mod_revision: number }) => kv.mod_revision)
    expect(revisions).to.deep.equal([before + 2, before + 2])
    expect(JSON.parse(dev.get(`${prefix}/environments/kalshi-dev/deploy`)!).commit).to.equal(git(dir, 'rev-parse', 'HEAD').trim())
  })

  it('--dry-run prints the field-level diff and writes nothing; removed keys are deleted', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, '--all')).code).to.equal(0)
    const env = join(dir, 'environments', 'kalshi-prod.yaml')
    const text = readFileSync(env, 'utf8')
    writeFileSync(env, text.replace(/ {2}archive:\n(?: {4}.*\n)+/, '').replace('tls://nats.prod.internal:4222', 'tls://nats2.prod.internal:4222'))
    git(dir, 'commit', '-qam', 'drop archive key')
    const before = etcd.revision()
    const dry = await deploy(dir, prefix, 'kalshi-prod', '--dry-run')
    expect(dry.code, dry.stderr).to.equal(0)
    const base = `${prefix}/environments/kalshi-prod`
    expect(dry.stdout).to.contain(`kalshi-prod: would update (keys.archive, transport.url)
  - keys.archive: {"fields":["access_key_id","secret_access_key"],"required":true,"source":"vault/secret/data/ssmd/archive","type":"storage"}
  ~ transport.url: "tls://nats.prod.internal:4222" → "tls://nats2.prod.internal:4222"
dry run: 1 environment`)
    const json = JSON.parse((await deploy(dir, prefix, 'kalshi-prod', '--dry-run', '--json')).stdout)
    expect(json.environments[0].changes).to.deep.equal([
      {
        path: 'keys.archive',
        kind: 'delete',
        from: { fields: ['access_key_id', 'secret_access_key'], required: true, source: 'vault/secret/data/ssmd/archive', type: 'storage' },
      },
      { path: 'transport.url', kind: 'change', from: 'tls://nats.prod.internal:4222', to: 'tls://nats2.prod.internal:4222' },
    ])
    expect(dry.stdout).to.contain('nothing written')
    expect(etcd.revision()).to.equal(before)

    const r = await deploy(dir, prefix, 'kalshi-prod')
    expect(r.code, r.stderr).to.equal(0)
    const kvs = etcd.getPrefix(`${base}/`)
    expect(JSON.parse(kvs.get(`${base}/content`)!).keys).to.have.keys(['kalshi'])
  })

  it('refuses files with uncommitted changes unless --allow-dirty, and records the deploy as dirty', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    const feed = join(dir, 'feeds', 'kalshi.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('rate_limit_per_second: 10', 'rate_limit_per_second: 20'))
    const before = etcd.revision()
    const r = await deploy(dir, prefix, '--all')
    expect(r.code).to.equal(1)
    expect(r.stderr.trim()).to.equal('Error: uncommitted changes in feeds/kalshi.yaml; commit first (ssmd commit) so etcd holds a configuration git has, or pass --allow-dirty')
    expect(etcd.revision()).to.equal(before)
    // polymarket-dev does not use the changed file.
    expect((await deploy(dir, prefix, 'polymarket-dev')).code).to.equal(0)

    const dirty = await deploy(dir, prefix, 'kalshi-dev', '--allow-dirty')
    expect(dirty.code, dirty.stderr).to.equal(0)
    const record = JSON.parse(etcd.getPrefix(`${prefix}/environments/kalshi-dev/deploy`).get(`${prefix}/environments/kalshi-dev/deploy`)!)
    expect(record.dirty).to.equal(true)
    expect(JSON.parse(etcd.getPrefix(`${prefix}/environments/kalshi-dev/content`).get(`${prefix}/environments/kalshi-dev/content`)!).feed.rate_limit_per_second).to.equal(20)
  })

  it('refuses environments that do not validate before connecting', async () => {
    const dir = exampleRepo({ git: true })
    const env = join(dir, 'environments', 'kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('schema: trade:v1', 'schema: trade:v2'))
    git(dir, 'commit', '-qam', 'use the draft')
    const before = etcd.revision()
    const r = await deploy(dir, newPrefix(), '--all')
    expect(r.code).to.equal(1)
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expect(r.stderr).to.match(/the 3 environments do not validate: environments\/kalshi-dev\.yaml:\d+:\d+: .*draft/)
    expect(etcd.revision()).to.equal(before)
  })

  it('a deploy racing a write it did not see is refused and writes nothing for that environment', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, 'kalshi-dev')).code).to.equal(0)
    const env = join(dir, 'environments', 'kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('/var/lib/ssmd/data', '/var/lib/ssmd/dev'))
    git(dir, 'commit', '-qam', 'dev path')

    // Deploy A reads etcd and plans ...
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 5000, requestTimeoutMs: 10000 }, `${prefix}/environments/`)
    try {
      const current = await readCurrent(session, prefix, ['kalshi-dev'])
      const { involved } = loadInvolved(dir, ['kalshi-dev'])
      const rendering = renderEnvironment(involved[0], AS_OF)
      const plan = planEnvironment(prefix, rendering.content, current.envs.get('kalshi-dev'), {
        commit: 'a'.repeat(40),
        dirty: false,
        as_of: AS_OF,
        deployed_at: new Date().toISOString(),
        deployed_by: 'a@test',
        ssmd_version: '0',
        deploy_id: 'deploy-a',
      })
      expect(plan.action).to.equal('update')
      // ... deploy B writes meanwhile ...
      const b = await deploy(dir, prefix, 'kalshi-dev')
      expect(b.code, b.stderr).to.equal(0)
      const afterB = etcd.getPrefix(`${prefix}/`)
      const revision = etcd.revision()
      // ... and A's transaction is refused: nothing written.
      const meta = { asOf: AS_OF, deployedBy: 'a@test', ssmdVersion: '0', deployId: 'deploy-a', now: new Date().toISOString() }
      const [outcome] = await deployAll(
        session,
        prefix,
        { names: ['kalshi-dev'], files: [rendering.files], render: () => rendering, recordable: () => ({ files: rendering.files, sameFeedOn: () => false }) },
        [0],
        current,
        { commit: 'a'.repeat(40), dirty: false, changed: [] },
        meta,
      )
      expect(outcome.result).to.equal('refused')
      expect(outcome.message).to.match(/^changed in etcd since it was read \(deployed by .+ at .+, commit [0-9a-f]{12}\); a hand edit or a deploy without the lock ran meanwhile/)
      expect(etcd.revision()).to.equal(revision)
      expect(etcd.getPrefix(`${prefix}/`)).to.deep.equal(afterB)
    } finally {
      session.close()
    }

    // The CLI says so in one line and exits 1 when its guard fails: a hand-made change between read and write
    // cannot be timed from outside, so the refusal is shown through a record written by "another deploy".
    etcd.ctl(['put', `${prefix}/environments/kalshi-dev/storage`, '{"path":"/elsewhere","type":"local"}'])
    etcd.ctl(['put', `${prefix}/environments/kalshi-dev/content`, '{"by":"hand"}'])
    const status = await ssmd(['deploy', 'status', 'kalshi-dev', '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF, '-v'], { cwd: dir })
    expect(status.code, status.stderr).to.equal(0)
    expect(status.stdout).to.match(/kalshi-dev\s+drift\s+[0-9a-f]{12}/)
    expect(status.stdout).to.match(/kalshi-dev\s+drift\s+[0-9a-f]{12}.*1 unexpected key: storage/)
    expect(status.stdout).to.contain('kalshi-dev: etcd → git\n  1 unexpected key: storage\n  - by: "hand"\n')
  })

  it('deploy status shows the deployed commit and drift per environment, and what etcd holds that git does not', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, 'kalshi-dev', 'kalshi-prod')).code).to.equal(0)
    const head = git(dir, 'rev-parse', 'HEAD').trim()
    etcd.ctl(['put', `${prefix}/environments/retired/deploy`, '{"commit":"0123456789abcdef0123456789abcdef01234567"}'])
    const env = join(dir, 'environments', 'kalshi-prod.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('max_size: 2GB', 'max_size: 4GB'))
    git(dir, 'commit', '-qam', 'bigger cache')
    const r = await ssmd(['deploy', 'status', '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF, '--json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const s = JSON.parse(r.stdout)
    const byName = Object.fromEntries(s.environments.map((e: { name: string }) => [e.name, e]))
    expect(byName['kalshi-dev']).to.include({ state: 'in-sync', deployed_commit: head })
    expect(byName['kalshi-prod']).to.include({ state: 'drift', deployed_commit: head })
    expect(byName['kalshi-prod'].changes).to.deep.equal([{ path: 'cache.max_size', kind: 'change', from: '2GB', to: '4GB' }])
    expect(byName['kalshi-prod'].hand_edits).to.equal(undefined)
    expect(byName['kalshi-prod'].drift).to.deep.equal(['content differs'])
    expect(byName['polymarket-dev']).to.include({ state: 'missing', deployed_commit: null })
    expect(byName.retired).to.deep.equal({ name: 'retired', state: 'not-in-git', deployed_commit: '0123456789abcdef0123456789abcdef01234567', changes: [] })

    const text = await ssmd(['deploy', 'status', '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF], { cwd: dir })
    expect(text.stdout).to.match(/kalshi-prod\s+drift\s+[0-9a-f]{12}/)
    expect(text.stdout).to.match(/polymarket-dev\s+missing\s+none/)
    expect(text.stdout).to.match(/retired\s+not in git\s+0123456789ab/)
    expect(text.stdout).to.contain(': 1 in sync, 1 drifted, 1 not deployed, 1 in etcd only')
  })

  it('compares every content value by its bytes: a hand edit is drift, also one written with a copy of the record in one transaction; the same bytes rewritten are not', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, '--all')).code).to.equal(0)
    const key = (name: string, rest: string) => `${prefix}/environments/${name}/${rest}`
    const held = (name: string, rest: string) => etcd.getPrefix(key(name, rest)).get(key(name, rest))!
    // kalshi-prod: content rewritten with its own bytes; polymarket-dev: record rewritten with its own bytes.
    etcd.ctl(['put', key('kalshi-prod', 'content'), held('kalshi-prod', 'content')])
    etcd.ctl(['put', key('polymarket-dev', 'deploy'), held('polymarket-dev', 'deploy')])
    // kalshi-dev: content and a copy of its record put by one transaction, so both keys share one mod_revision.
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 5000, requestTimeoutMs: 10000 }, `${prefix}/`)
    try {
      await session.client.kv.txn({
        compare: [],
        success: [
          { request_put: { key: Buffer.from(key('kalshi-dev', 'content')), value: Buffer.from('{"by":"hand"}') } },
          { request_put: { key: Buffer.from(key('kalshi-dev', 'deploy')), value: Buffer.from(held('kalshi-dev', 'deploy')) } },
        ],
        failure: [],
      })
      const current = await readCurrent(session, prefix, [], { whole: true })
      const dev = current.envs.get('kalshi-dev')!
      expect(dev.content!.modRevision).to.equal(dev.record!.modRevision)
      for (const name of ['kalshi-dev', 'kalshi-prod', 'polymarket-dev']) {
        expect(current.envs.get(name)!.content!.digest, name).to.equal(`sha256:${createHash('sha256').update(held(name, 'content')).digest('hex')}`)
      }
    } finally {
      session.close()
    }
    const r = await ssmd(['deploy', 'status', '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF, '--json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const states = Object.fromEntries(JSON.parse(r.stdout).environments.map((e: { name: string; state: string; drift?: string[] }) => [e.name, [e.state, e.drift]]))
    expect(states).to.deep.equal({ 'kalshi-dev': ['drift', ['content differs']], 'kalshi-prod': ['in-sync', []], 'polymarket-dev': ['in-sync', []] })
  })

  it('treats what it reads from etcd as hostile: a garbled record is neither trusted nor echoed raw', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, 'kalshi-dev')).code).to.equal(0)
    const record = `${prefix}/environments/kalshi-dev/deploy`
    etcd.ctl(['put', record, JSON.stringify({ commit: 42, deployed_by: '\u001b[31mmallory\u0007', deployed_at: ['x'], digest: 'sha256:0', keys: 'all' })])
    etcd.ctl(['put', `${prefix}/environments/\u001b[2Jwiped/deploy`, 'not json'])
    const status = await ssmd(['deploy', 'status', '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF, '--json'], { cwd: dir })
    expect(status.code, status.stderr).to.equal(0)
    expect(status.stdout).not.to.contain('\u001b')
    const s = JSON.parse(status.stdout)
    const dev = s.environments.find((e: { name: string }) => e.name === 'kalshi-dev')
    expect(dev).to.include({ state: 'drift', deployed_commit: null, deployed_by: '\\u001b[31mmallory\\u0007' })
    expect(s.environments.find((e: { name: string }) => e.name === '\\u001b[2Jwiped')).to.deep.equal({
      name: '\\u001b[2Jwiped',
      state: 'not-in-git',
      deployed_commit: null,
      changes: [],
    })
    // The next deploy replaces the garbled record (its content keys were unchanged).
    const r = await deploy(dir, prefix, 'kalshi-dev')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('kalshi-dev: updated (deploy record names another digest)')
    expect(r.stderr).to.contain('kalshi-dev: overwriting hand edit in etcd: deploy record\n')
    expect(JSON.parse(etcd.getPrefix(record).get(record)!).commit).to.equal(git(dir, 'rev-parse', 'HEAD').trim())
  })

  it('checks its flags before doing anything (exit 2)', async () => {
    const dir = exampleRepo({ git: true })
    const cases: Array<[string[], RegExp]> = [
      [['deploy', '--all', 'kalshi-dev', '--etcd', '127.0.0.1:2379'], /pass environment names or --all, not both/],
      [['deploy', '--etcd', '127.0.0.1:2379'], /name the environments to work on, or pass --all/],
      [['deploy', '--all', '--etcd', 'etcd.example.com'], /--etcd 'etcd.example.com' is not an endpoint/],
      [['deploy', '--all', '--etcd', 'http://root:pw@127.0.0.1:2379'], /--etcd \(an endpoint with user info\) is not an endpoint/],
      [['deploy', '--all', '--etcd', 'http://127.0.0.1:1,https://127.0.0.1:2'], /mixes http:\/\/ and https:\/\//],
      [['deploy', '--all', '--etcd', '127.0.0.1:2379', '--prefix', 'ssmd/'], /--prefix 'ssmd\/' is not a key prefix/],
      [['deploy', '--all', '--etcd', '127.0.0.1:2379', '--user', 'root'], /--user root needs its password in the environment variable SSMD_ETCD_PASSWORD/],
      [['deploy', '--all', '--etcd', '127.0.0.1:2379', '--cert', '/nonexistent.pem'], /--cert and --key go together/],
      [['deploy', '--all', '--etcd', '127.0.0.1:2379', '--cacert', '/nonexistent.pem'], /--cacert \/nonexistent.pem: no such file/],
      [['deploy', '--all', '--etcd', 'http://127.0.0.1:2379', '--cacert', '/nonexistent.pem'], /need TLS, but --etcd names an http:\/\/ endpoint/],
      [['deploy', '--all', '--etcd', '127.0.0.1:2379', '--dial-timeout', '0'], /--dial-timeout '0' must be a number of seconds/],
      [['deploy', 'Bad_Name', '--etcd', '127.0.0.1:2379'], /"Bad_Name" is not a valid environment name/],
    ]
    for (const [args, message] of cases) {
      const r = await ssmd(args, { cwd: dir, env: { SSMD_ETCD_PASSWORD: undefined } })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2)
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1)
      expect(r.stderr, args.join(' ')).to.match(message)
    }
  })
})

describe('ssmd deploy: etcd down, unreachable, TLS, authentication', function () {
  this.timeout(120000)
  let blackhole: Server | undefined

  after(() => {
    blackhole?.close()
  })

  it('etcd down: one clear line, exit 1 (built CLI)', async () => {
    const dir = exampleRepo({ git: true })
    const port = await freePort()
    const r = ssmdProcess(['deploy', '--all', '--etcd', `127.0.0.1:${port}`, '--as-of', AS_OF], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr.trim()).to.equal(`Error: cannot reach etcd at 127.0.0.1:${port} (connection refused); check --etcd and that etcd is running`)
  })

  it('etcd unreachable (a port that accepts and never answers): gives up after the dial timeout, one line, exit 1', async () => {
    const dir = exampleRepo({ git: true })
    blackhole = createServer(() => {
      /* accept and say nothing */
    })
    await new Promise<void>(resolve => blackhole!.listen(0, '127.0.0.1', resolve))
    const port = (blackhole.address() as { port: number }).port
    const t0 = Date.now()
    const r = ssmdProcess(['deploy', '--all', '--etcd', `127.0.0.1:${port}`, '--dial-timeout', '2', '--as-of', AS_OF], { cwd: dir, timeout: 60000 })
    const elapsed = Date.now() - t0
    expect(r.code, r.stderr).to.equal(1)
    expect(r.stderr.trim()).to.equal(`Error: etcd at 127.0.0.1:${port} did not answer within 2 s (dial timeout); check --etcd and that etcd is running and reachable`)
    // It waited for the dial timeout, and not for a default of its client (the process ends with the error).
    expect(elapsed).to.be.greaterThan(2000)
    expect(elapsed).to.be.lessThan(30000)
  })

  it('TLS with --cacert, --cert and --key against an etcd requiring client certificates', async () => {
    const tls = { ...makeCertificates(), clientCertAuth: true }
    const etcd = await startEtcd(1, { tls })
    try {
      const dir = exampleRepo({ git: true })
      const endpoint = `https://${etcd.endpoints()}`
      const ok = await ssmd(['deploy', 'kalshi-dev', '--etcd', endpoint, '--cacert', tls.ca, '--cert', tls.cert, '--key', tls.key, '--as-of', AS_OF], { cwd: dir })
      expect(ok.code, ok.stderr).to.equal(0)
      expect(ok.stdout).to.contain('kalshi-dev: created\n')
      expect(etcd.getPrefix('/ssmd/environments/kalshi-dev/').size).to.equal(2)

      const noClientCert = await ssmd(['deploy', 'kalshi-dev', '--etcd', endpoint, '--cacert', tls.ca, '--as-of', AS_OF, '--dial-timeout', '3'], { cwd: dir })
      expect(noClientCert.code).to.equal(1)
      expect(noClientCert.stderr.trim().split('\n')).to.have.length(1)
      expect(noClientCert.stderr).to.match(/^Error: (cannot reach etcd at 127\.0\.0\.1:\d+ \(.+\)|etcd at 127\.0\.0\.1:\d+ did not answer within 3 s)/)

      const untrusted = await ssmd(['deploy', 'kalshi-dev', '--etcd', endpoint, '--as-of', AS_OF, '--dial-timeout', '3'], { cwd: dir })
      expect(untrusted.code).to.equal(1)
      expect(untrusted.stderr.trim().split('\n')).to.have.length(1)
    } finally {
      await etcd.stop()
    }
  })

  it('user/password authentication, the password only from SSMD_ETCD_PASSWORD and never printed', async () => {
    const etcd = await startEtcd(1)
    const password = 'Pw-7fQ2xLm9Rt4Zk'
    try {
      etcd.ctl(['user', 'add', `root:${password}`])
      etcd.ctl(['user', 'grant-role', 'root', 'root'])
      etcd.ctl(['auth', 'enable'])
      const dir = exampleRepo({ git: true })
      const run = (env: Record<string, string | undefined>, ...extra: string[]) =>
        ssmd(['deploy', 'kalshi-dev', '--etcd', etcd.endpoints(), '--as-of', AS_OF, '--dial-timeout', '5', ...extra], { cwd: dir, env })

      const anonymous = await run({ SSMD_ETCD_PASSWORD: undefined })
      expect(anonymous.code).to.equal(1)
      expect(anonymous.stderr.trim()).to.equal(`Error: etcd at ${etcd.endpoints()} requires authentication; pass --user and set the password in SSMD_ETCD_PASSWORD`)

      const wrong = await run({ SSMD_ETCD_PASSWORD: 'not-the-password' }, '--user', 'root')
      expect(wrong.code).to.equal(1)
      expect(wrong.stderr.trim()).to.equal(`Error: etcd at ${etcd.endpoints()} refused user 'root': wrong user name or password; check --user and SSMD_ETCD_PASSWORD`)
      expect(wrong.stdout + wrong.stderr).not.to.contain('not-the-password')

      const ok = await run({ SSMD_ETCD_PASSWORD: password }, '--user', 'root', '-v')
      expect(ok.code, ok.stderr).to.equal(0)
      expect(ok.stdout).to.contain('kalshi-dev: created\n')
      const status = await ssmd(['deploy', 'status', '--etcd', etcd.endpoints(), '--as-of', AS_OF, '--user', 'root', '--json', '-v'], {
        cwd: dir,
        env: { SSMD_ETCD_PASSWORD: password },
      })
      expect(status.code, status.stderr).to.equal(0)
      for (const out of [ok, status]) expect(out.stdout + out.stderr).not.to.contain(password)
      expect(JSON.parse(etcd.ctl(['get', '/ssmd/environments/kalshi-dev/content', '--print-value-only', '--user', `root:${password}`])).transport).to.deep.equal({
        type: 'nats',
        url: 'nats://localhost:4222',
      })

      // A user that may read the prefix but not write it: refused by etcd (taking the deploy lock), said in one line, nothing written.
      const asRoot = ['--user', `root:${password}`]
      etcd.ctl(['role', 'add', 'reader', ...asRoot])
      etcd.ctl(['role', 'grant-permission', 'reader', 'read', '/ssmd/', '--prefix=true', ...asRoot])
      etcd.ctl(['user', 'add', 'reader:Rd-3xQ9vLp2Wm', ...asRoot])
      etcd.ctl(['user', 'grant-role', 'reader', 'reader', ...asRoot])
      const readOnly = await run({ SSMD_ETCD_PASSWORD: 'Rd-3xQ9vLp2Wm' }, '--user', 'reader', '--prefix', '/ssmd', 'kalshi-prod')
      expect(readOnly.code).to.equal(1)
      expect(readOnly.stderr.trim()).to.equal(
        `Error: etcd at ${etcd.endpoints()}: user 'reader' may not write these keys (permission denied); grant the user's role read/write on the prefix`,
      )
      expect(readOnly.stdout + readOnly.stderr).not.to.contain('Rd-3xQ9vLp2Wm')
      expect(etcd.ctl(['get', '/ssmd/environments/kalshi-prod/', '--prefix', '--keys-only', ...asRoot]).trim()).to.equal('')
    } finally {
      await etcd.stop()
    }
  })
})
