import { expect } from 'chai'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { makeCertificates, startEtcd, type EtcdCluster } from '../helpers/etcd.js'
import { digest, putEnvironment, renderContent } from '../helpers/deployed.js'
import { exampleRepo } from '../helpers/repo.js'
import { EtcdSession, parseEndpoints } from '../../src/lib/deploy/etcd.js'
import { canonicalJson } from '../../src/lib/deploy/layout.js'
import { openEnvironment, ReaderError, type Environment, type EnvironmentReader } from '../../src/runtime.js'

const AS_OF = '2025-03-01'
let prefixCount = 0
const newPrefix = () => `/r${process.pid}-${++prefixCount}`

/** The next value of a watch, or an error after `ms`. */
async function nextWithin(it: AsyncIterator<Environment>, ms = 15000): Promise<Environment> {
  let timer: NodeJS.Timeout | undefined
  try {
    const r = await Promise.race([
      it.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no value within ${ms} ms`)), ms)
      }),
    ])
    if (r.done) throw new Error('the watch ended')
    return r.value
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves when `onProblem` has been called with an error of `code`. */
function problems() {
  const seen: ReaderError[] = []
  const waiters: Array<{ code: string; resolve: () => void }> = []
  return {
    seen,
    onProblem: (e: ReaderError) => {
      seen.push(e)
      for (const w of waiters.filter(x => x.code === e.code)) w.resolve()
    },
    wait: (code: string, ms = 15000) =>
      seen.some(e => e.code === code)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`no ${code} problem within ${ms} ms (saw ${seen.map(e => e.code).join(', ') || 'none'})`)), ms)
            waiters.push({ code, resolve: () => (clearTimeout(t), resolve()) })
          }),
  }
}

/** A TCP proxy to `target` that can drop every connection and refuse new ones for a while. */
class Proxy {
  private server?: Server
  private readonly sockets = new Set<Socket>()
  port = 0
  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = createServer(client => {
      const upstream = createConnection(this.target)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => undefined)
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>(resolve => server.listen(this.port, '127.0.0.1', resolve))
    this.port = (server.address() as { port: number }).port
    this.server = server
  }

  async down(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const s of this.sockets) s.destroy()
    if (server) await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

describe('ssmd/runtime: reading an environment from one etcd member', function () {
  this.timeout(120000)
  let etcd: EtcdCluster
  let dir: string
  const readers: EnvironmentReader[] = []
  const open = async (prefix: string, name = 'kalshi-prod', extra: Parameters<typeof openEnvironment>[1] = {}) => {
    const r = await openEnvironment(name, { endpoints: etcd.endpoints(), prefix, env: {}, ...extra })
    readers.push(r)
    return r
  }

  before(async () => {
    etcd = await startEtcd(1)
    dir = exampleRepo({ git: true })
  })
  afterEach(() => {
    for (const r of readers.splice(0)) r.close()
  })
  after(async () => {
    await etcd?.stop()
  })

  it('reads the content and record one deploy wrote, checked against the digest', async () => {
    const prefix = newPrefix()
    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    const { value, record } = await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const reader = await open(prefix)
    const env = await reader.read('2025-03-02')
    expect(env.name).to.equal('kalshi-prod')
    expect(env.deployed).to.deep.equal(content)
    expect(env.content).to.deep.equal(content)
    expect(env.date).to.equal('2025-03-02')
    expect(env.record).to.deep.equal(record)
    expect(env.change).to.equal('initial')
    // Cross-check with etcdctl: the bytes the reader checked are the bytes in etcd.
    const kvs = etcd.getPrefix(`${prefix}/environments/kalshi-prod/`)
    expect(kvs.get(`${prefix}/environments/kalshi-prod/content`)).to.equal(value)
    expect(digest(kvs.get(`${prefix}/environments/kalshi-prod/content`)!)).to.equal(env.record.digest)
    expect(env.content.feed).to.include({ name: 'kalshi', version: 'v2', endpoint: 'wss://api.kalshi.com/trade-api/ws/v2' })
    expect(Object.keys(env.content.schemas)).to.deep.equal(['trade'])
  })

  it('refuses what is not one complete, unaltered deploy: missing, content altered, record missing, the old layout', async () => {
    const prefix = newPrefix()
    const reader = await open(prefix)
    const code = async () => {
      try {
        await reader.read()
      } catch (error) {
        expect(error).to.be.instanceOf(ReaderError)
        expect((error as Error).message.split('\n')).to.have.length(1)
        return [(error as ReaderError).code, (error as Error).message]
      }
      throw new Error('read() returned')
    }
    expect((await code())[0]).to.equal('not-deployed')

    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const base = `${prefix}/environments/kalshi-prod/`
    const altered = canonicalJson({ ...content, transport: { type: 'nats', url: 'nats://elsewhere:4222' } })
    etcd.ctl(['put', `${base}content`, altered])
    const [mismatch, message] = await code()
    expect(mismatch).to.equal('digest-mismatch')
    expect(message).to.contain(`${base}content does not match its deploy record`).and.to.contain('ssmd deploy kalshi-prod')

    await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    etcd.ctl(['del', `${base}deploy`])
    expect((await code())[0]).to.equal('incomplete')

    etcd.ctl(['del', '--prefix', base])
    etcd.ctl(['put', `${base}feed`, canonicalJson(content.feed)])
    etcd.ctl(['put', `${base}deploy`, canonicalJson({ commit: null, keys: ['feed'], digest: digest('x') })])
    const [old, oldMessage] = await code()
    expect(old).to.equal('old-layout')
    expect(oldMessage).to.contain('deployed by an older ssmd')

    etcd.ctl(['del', '--prefix', base])
    etcd.ctl(['put', `${base}content`, '{"feed":1}'])
    etcd.ctl(['put', `${base}deploy`, canonicalJson({ digest: digest('{"feed":1}') })])
    expect((await code())[0]).to.equal('invalid')
  })

  it('rejects bad settings with one line each, before connecting', async () => {
    const fail = async (name: string, options: Parameters<typeof openEnvironment>[1]) => {
      try {
        await openEnvironment(name, { env: {}, ...options })
      } catch (error) {
        expect(error).to.be.instanceOf(ReaderError)
        return (error as Error).message
      }
      throw new Error('openEnvironment resolved')
    }
    expect(await fail('Kalshi', { endpoints: etcd.endpoints() })).to.contain("'Kalshi' is not an environment name")
    expect(await fail('kalshi-prod', {})).to.contain('no etcd endpoints: pass endpoints or set SSMD_ETCD_ENDPOINTS')
    expect(await fail('kalshi-prod', { endpoints: 'etcd:x' })).to.equal(
      "the endpoints (SSMD_ETCD_ENDPOINTS) 'etcd:x' is not an endpoint; use host:port, http://host:port or https://host:port (comma-separated for several)",
    )
    expect(await fail('kalshi-prod', { endpoints: etcd.endpoints(), prefix: 'ssmd/' })).to.contain("prefix 'ssmd/' is not a key prefix")
    expect(await fail('kalshi-prod', { endpoints: etcd.endpoints(), user: 'reader' })).to.contain("etcd user 'reader' has no password: set SSMD_ETCD_PASSWORD")
    const userPassword = await fail('kalshi-prod', { env: { SSMD_ETCD_ENDPOINTS: etcd.endpoints(), SSMD_ETCD_USER: 'reader:Xq7-secret-9Lm' } })
    expect(userPassword).to.contain("etcdctl's user:password form").and.to.contain("the user 'reader' alone").and.not.to.contain('Xq7-secret-9Lm')
    expect(await fail('kalshi-prod', { endpoints: etcd.endpoints(), tls: { ca: '/nonexistent/ca.pem' } })).to.contain("cannot read the ca file '/nonexistent/ca.pem' (ENOENT)")
    // The settings come from SSMD_ETCD_* when not given.
    const down = await fail('kalshi-prod', { env: { SSMD_ETCD_ENDPOINTS: '127.0.0.1:1', SSMD_ETCD_PREFIX: '/x' }, dialTimeoutMs: 2000 })
    expect(down).to.match(/^cannot reach etcd at 127\.0\.0\.1:1 \(connection refused\); check the endpoints \(SSMD_ETCD_ENDPOINTS\)/)
  })

  it('watch: yields the environment, then each new deploy; skips what does not check, and never yields half a deploy', async () => {
    const prefix = newPrefix()
    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    const first = await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const reader = await open(prefix)
    const p = problems()
    const it = reader.watch({ onProblem: p.onProblem })
    const initial = await nextWithin(it)
    expect(initial.change).to.equal('initial')
    expect(initial.record.deploy_id).to.equal(first.record.deploy_id)

    // A deploy: yielded whole.
    const moved = { ...content, transport: { type: 'nats' as const, url: 'tls://nats2.prod.internal:4222' } }
    const second = await putEnvironment(etcd, prefix, 'kalshi-prod', moved)
    const next = await nextWithin(it)
    expect(next.change).to.equal('deploy')
    expect(next.record.deploy_id).to.equal(second.record.deploy_id)
    expect(next.content).to.deep.equal(moved)
    expect(Number(next.deployRevision)).to.be.greaterThan(Number(initial.deployRevision))

    // Half a deploy (new content, old record — what no transaction of deploy writes): reported, not yielded.
    const base = `${prefix}/environments/kalshi-prod/`
    const third = { ...content, storage: { type: 'local' as const, path: '/data/third' } }
    const pending = nextWithin(it)
    etcd.ctl(['put', `${base}content`, canonicalJson(third)])
    await p.wait('digest-mismatch')
    // The record completing it: now yielded, with the content it vouches for.
    etcd.ctl(['put', `${base}deploy`, canonicalJson({ ...second.record, digest: digest(canonicalJson(third)), deploy_id: 'by-hand' })])
    const completed = await pending
    expect(completed.record.deploy_id).to.equal('by-hand')
    expect(completed.content).to.deep.equal(third)

    // Removed, then deployed again: the removal is reported, the new deploy yielded.
    const pendingAgain = nextWithin(it)
    etcd.ctl(['del', '--prefix', base])
    await p.wait('not-deployed')
    const back = await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const again = await pendingAgain
    expect(again.record.deploy_id).to.equal(back.record.deploy_id)
    expect(again.content).to.deep.equal(content)
    expect(p.seen.map(e => e.code)).to.deep.equal(['digest-mismatch', 'not-deployed'])

    // Ending the loop ends the watch.
    expect(await it.return!()).to.deep.equal({ value: undefined, done: true })
    expect(await it.next()).to.deep.equal({ value: undefined, done: true })
  })

  it('watch under a stream of deploys: every value yielded is one whole deploy, the last one the last deploy', async () => {
    const prefix = newPrefix()
    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const reader = await open(prefix)
    const it = reader.watch({ onProblem: e => expect.fail(e.message) })
    await nextWithin(it)
    const written = new Map<string, string>()
    const deploys = (async () => {
      for (let i = 0; i < 40; i++) {
        const c = { ...content, transport: { type: 'nats' as const, url: `tls://n${i}:4222` }, storage: { type: 'local' as const, path: `/data/${i}` } }
        written.set(`stream-${i}`, canonicalJson(c))
        await putEnvironment(etcd, prefix, 'kalshi-prod', c, { deploy_id: `stream-${i}` })
      }
    })()
    let last: Environment | undefined
    for (;;) {
      const env = await nextWithin(it)
      // Content and record from the same deploy: the transport and the storage of one i, as that deploy wrote them.
      expect(canonicalJson(env.content)).to.equal(written.get(env.record.deploy_id) ?? expect.fail(`unknown deploy ${env.record.deploy_id}`))
      last = env
      if (env.content.transport.url === 'tls://n39:4222') break
    }
    await deploys
    expect(last.content.storage).to.deep.equal({ type: 'local', path: '/data/39' })
    await it.return!()
  })

  it('connects with TLS and a client certificate from SSMD_ETCD_CACERT, SSMD_ETCD_CERT and SSMD_ETCD_KEY', async () => {
    const tls = makeCertificates()
    const secure = await startEtcd(1, { tls: { ...tls, clientCertAuth: true } })
    try {
      const env = { SSMD_ETCD_ENDPOINTS: secure.endpoints(), SSMD_ETCD_CACERT: tls.ca, SSMD_ETCD_CERT: tls.cert, SSMD_ETCD_KEY: tls.key }
      const reader = await openEnvironment('kalshi-prod', { env })
      readers.push(reader)
      const error = await reader.read().catch((e: ReaderError) => e)
      expect((error as ReaderError).code).to.equal('not-deployed')
      // Without the client certificate the server refuses the handshake: one line naming the TLS files.
      const refused = await openEnvironment('kalshi-prod', { env: { SSMD_ETCD_ENDPOINTS: secure.endpoints(), SSMD_ETCD_CACERT: tls.ca }, dialTimeoutMs: 3000 }).catch(
        (e: ReaderError) => e,
      )
      expect(refused).to.be.instanceOf(ReaderError)
      expect((refused as ReaderError).message.split('\n')).to.have.length(1)
      expect((refused as ReaderError).code).to.match(/^etcd/)
    } finally {
      await secure.stop()
    }
  })

  it('watch: waits for an environment not deployed yet, and stops when its signal aborts', async () => {
    const prefix = newPrefix()
    const reader = await open(prefix)
    const p = problems()
    const abort = new AbortController()
    const it = reader.watch({ onProblem: p.onProblem, signal: abort.signal })
    const pending = nextWithin(it)
    await p.wait('not-deployed')
    const put = await putEnvironment(etcd, prefix, 'kalshi-prod', renderContent(dir, 'kalshi-prod', AS_OF))
    expect((await pending).record.deploy_id).to.equal(put.record.deploy_id)
    const waiting = it.next()
    abort.abort()
    expect(await waiting).to.deep.equal({ value: undefined, done: true })
  })

  it('a dated feed version reaches the reader at 00:00 UTC of its first day, without a redeploy', async () => {
    const prefix = newPrefix()
    // Deployed on 2024-07-01: v1 in effect (to 2024-12-31), v2 from 2025-01-01 in feed.upcoming.
    const content = renderContent(dir, 'kalshi-dev', '2024-07-01')
    expect(content.feed.version).to.equal('v1')
    expect(content.feed.upcoming?.map(v => v.version)).to.deep.equal(['v2'])
    await putEnvironment(etcd, prefix, 'kalshi-dev', content, { as_of: '2024-07-01' })
    const reader = await open(prefix, 'kalshi-dev')
    // A clock 600 ms before the switch.
    const offset = Date.parse('2025-01-01T00:00:00Z') - 600 - Date.now()
    const now = () => Date.now() + offset
    const before = etcd.revision()
    const it = reader.watch({ now })
    const initial = await nextWithin(it)
    expect(initial.date).to.equal('2024-12-31')
    expect(initial.content.feed).to.include({ version: 'v1', endpoint: 'wss://api.kalshi.com/trade-api/ws/v1' })
    const switched = await nextWithin(it, 5000)
    expect(now()).to.be.at.least(Date.parse('2025-01-01T00:00:00Z'))
    expect(switched.change).to.equal('switch')
    expect(switched.date).to.equal('2025-01-01')
    // Exactly what a deploy on that day would have written, and nothing was written.
    expect(switched.content).to.deep.equal(renderContent(dir, 'kalshi-dev', '2025-01-01'))
    expect(switched.deployed).to.deep.equal(content)
    expect(switched.record.deploy_id).to.equal(initial.record.deploy_id)
    expect(etcd.revision()).to.equal(before)
    // read() and at() resolve any date the same way.
    expect((await reader.read('2025-06-01')).content.feed.version).to.equal('v2')
    expect(initial.at('2024-12-31').feed.version).to.equal('v1')
    await it.return!()
  })

  it('watch resumes after a dropped connection; a revision compacted meanwhile is read anew', async () => {
    const prefix = newPrefix()
    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const [host, port] = etcd.endpoints().split(':')
    const proxy = new Proxy({ host, port: Number(port) })
    await proxy.up()
    try {
      const reader = await open(prefix, 'kalshi-prod', { endpoints: `127.0.0.1:${proxy.port}` })
      const p = problems()
      const it = reader.watch({ onProblem: p.onProblem })
      const initial = await nextWithin(it)
      await proxy.down()
      // Two deploys while the reader is cut off, and the history it would resume from compacted away.
      await putEnvironment(etcd, prefix, 'kalshi-prod', { ...content, transport: { type: 'nats', url: 'tls://second:4222' } })
      const third = { ...content, transport: { type: 'nats' as const, url: 'tls://third:4222' } }
      const last = await putEnvironment(etcd, prefix, 'kalshi-prod', third)
      const revision = etcd.revision()
      etcd.ctl(['compaction', String(revision)])
      const pending = nextWithin(it, 60000)
      await proxy.up()
      const env = await pending
      expect(env.change).to.equal('deploy')
      expect(env.record.deploy_id).to.equal(last.record.deploy_id)
      expect(env.content).to.deep.equal(third)
      expect(Number(env.deployRevision)).to.be.greaterThan(Number(initial.deployRevision))
      // Watching again from the read: the next deploy arrives too.
      const fourth = await putEnvironment(etcd, prefix, 'kalshi-prod', content)
      expect((await nextWithin(it)).record.deploy_id).to.equal(fourth.record.deploy_id)
      await it.return!()
    } finally {
      await proxy.down()
    }
  })

  it('a watch stream outlives the request timeout: the deadline is for requests only', async () => {
    const prefix = newPrefix()
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 500, requestTimeoutMs: 500 }, `${prefix}/`)
    try {
      const watcher = await session.client.watch().prefix(`${prefix}/`).create()
      const dropped: string[] = []
      watcher.on('disconnected', e => dropped.push(e.message))
      await new Promise(r => setTimeout(r, 1500))
      const put = new Promise(resolve => watcher.once('put', kv => resolve(kv.key.toString())))
      etcd.ctl(['put', `${prefix}/x`, '1'])
      expect(await put).to.equal(`${prefix}/x`)
      expect(dropped).to.deep.equal([])
      await watcher.cancel()
    } finally {
      session.close()
    }
  })

  it('watch survives a restart of the etcd member: the deploy made after it is yielded', async () => {
    const prefix = newPrefix()
    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const reader = await open(prefix)
    const p = problems()
    const it = reader.watch({ onProblem: p.onProblem })
    await nextWithin(it)
    const member = etcd.members[0]
    await etcd.kill(member)
    const pending = nextWithin(it, 60000)
    etcd.start(member)
    await etcd.ready()
    const moved = { ...content, transport: { type: 'nats' as const, url: 'tls://after-restart:4222' } }
    const put = await putEnvironment(etcd, prefix, 'kalshi-prod', moved)
    const env = await pending
    expect(env.record.deploy_id).to.equal(put.record.deploy_id)
    expect(env.content.transport).to.deep.equal(moved.transport)
    await it.return!()
  })
})

describe('ssmd/runtime: a watch across a three-member cluster (slow)', function () {
  this.timeout(240000)
  let etcd: EtcdCluster
  before(async () => {
    etcd = await startEtcd(3)
  })
  after(async () => {
    await etcd?.stop()
  })

  it('resumes after its member was down while two deploys and a compaction happened: yields the latest, complete', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = '/cluster'
    const content = renderContent(dir, 'kalshi-prod', AS_OF)
    await putEnvironment(etcd, prefix, 'kalshi-prod', content)
    const [a, ...others] = etcd.members
    // The reader knows only member a: it has to wait for it to come back.
    const reader = await openEnvironment('kalshi-prod', { endpoints: etcd.endpoints([a]), prefix, env: {} })
    try {
      const p = problems()
      const it = reader.watch({ onProblem: p.onProblem })
      const initial = await nextWithin(it)
      await etcd.kill(a)
      await etcd.ready(60000, others)
      const second = { ...content, transport: { type: 'nats' as const, url: 'tls://second:4222' } }
      const third = { ...content, transport: { type: 'nats' as const, url: 'tls://third:4222' } }
      await putEnvironment(etcd, prefix, 'kalshi-prod', second, {}, etcd.endpoints(others))
      const last = await putEnvironment(etcd, prefix, 'kalshi-prod', third, {}, etcd.endpoints(others))
      // Compact the history the watch would resume from.
      const revision = JSON.parse(etcd.ctl(['get', '/', '--prefix', '--keys-only', '--limit', '1', '-w', 'json'], { members: others })).header.revision
      etcd.ctl(['compaction', String(revision)], { members: others })
      const pending = nextWithin(it, 90000)
      etcd.start(a)
      const env = await pending
      expect(env.change).to.equal('deploy')
      expect(env.record.deploy_id).to.equal(last.record.deploy_id)
      expect(env.content).to.deep.equal(third)
      expect(Number(env.revision)).to.be.at.least(Number(revision))
      expect(Number(env.deployRevision)).to.be.greaterThan(Number(initial.deployRevision))
      await it.return!()
    } finally {
      reader.close()
    }
  })
})
