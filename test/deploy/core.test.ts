import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { BUILT_BIN, ssmd, type CliResult } from '../helpers/cli.js'
import { onCleanup } from '../helpers/cleanup.js'
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js'
import { exampleRepo, git } from '../helpers/repo.js'
import { EtcdSession, parseEndpoints } from '../../src/lib/deploy/etcd.js'
import { readCurrent } from '../../src/lib/deploy/deploy.js'

const AS_OF = '2025-03-01'
let prefixCount = 0
const newPrefix = () => `/c${process.pid}-${++prefixCount}`
const sha256 = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`

const children = new Set<ChildProcess>()
onCleanup(() => {
  for (const c of children) c.kill('SIGKILL')
  children.clear()
})

/** The built CLI as a child process, to be killed or raced. */
function spawnSsmd(args: string[], cwd: string): { child: ChildProcess; done: Promise<CliResult> } {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', NODE_ENV: undefined, COLUMNS: undefined })) if (v !== undefined) env[k] = v
  const child = spawn(process.execPath, [BUILT_BIN, ...args], { cwd, env })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', d => (stdout += d))
  child.stderr!.on('data', d => (stderr += d))
  const done = new Promise<CliResult>(resolve =>
    child.on('exit', (code, signal) => {
      children.delete(child)
      resolve({ stdout, stderr, code: code ?? (signal ? 128 : 1) })
    }),
  )
  return { child, done }
}

/** An environment file with `n` key references (each one environment variable source). */
function withKeys(text: string, n: number): string {
  const keys = Array.from({ length: n }, (_, i) => `  k${String(i).padStart(3, '0')}:\n    type: api_key\n    fields: [token]\n    source: env\n`).join('')
  return text.replace(/^keys:\n(?: {2}.*\n)+/m, `keys:\n${keys}`)
}

describe('ssmd deploy: layout, foreign keys, overlapping prefixes, the lock (one etcd member)', function () {
  this.timeout(300000)
  let etcd: EtcdCluster
  let client: Etcd3

  before(async () => {
    etcd = await startEtcd(1)
    client = new Etcd3({ hosts: `http://${etcd.endpoints()}` })
  })
  after(async () => {
    client?.close()
    await etcd?.stop()
  })

  const args = (prefix: string, ...rest: string[]) => [...rest, '--etcd', etcd.endpoints(), '--prefix', prefix, '--as-of', AS_OF]
  const deploy = (dir: string, prefix: string, ...rest: string[]) => ssmd(['deploy', ...args(prefix, ...rest)], { cwd: dir })
  const status = (dir: string, prefix: string, ...rest: string[]) => ssmd(['deploy', 'status', ...args(prefix, ...rest)], { cwd: dir })

  it('recognises the old layout (one key per part) as drift and replaces it in one transaction', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    const base = `${prefix}/environments/kalshi-dev/`
    // What earlier versions wrote: a key per part and a record listing them.
    const old = { feed: '{"name":"kalshi"}', 'keys/kalshi': '{"source":"env"}', 'schemas/trade': '{"name":"trade"}', storage: '{}', transport: '{}' }
    for (const [k, v] of Object.entries(old)) etcd.ctl(['put', base + k, v])
    etcd.ctl(['put', `${base}deploy`, JSON.stringify({ commit: '0123456789abcdef0123456789abcdef01234567', digest: 'sha256:00', keys: Object.keys(old) })])

    const s = await status(dir, prefix, 'kalshi-dev', '-v')
    expect(s.code, s.stderr).to.equal(0)
    expect(s.stdout).to.match(/kalshi-dev\s+drift\s+0123456789ab.*old layout \(5 keys\)/)
    // The field diff compares the old layout's keys, put together, with the rendering.
    expect(s.stdout).to.contain(`kalshi-dev: etcd → git\n  old layout (5 keys)\n  + cache: `)
    expect(s.stdout).to.contain('\n  + transport.url: "nats://localhost:4222"\n')
    const json = JSON.parse((await status(dir, prefix, 'kalshi-dev', '--json')).stdout)
    expect(json.environments[0]).to.deep.include({ state: 'drift', drift: ['old layout (5 keys)'] })

    const before = etcd.revision()
    const r = await deploy(dir, prefix, 'kalshi-dev')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('kalshi-dev: updated (old layout (5 keys); ')
    const kvs = etcd.getPrefix(base)
    expect([...kvs.keys()]).to.deep.equal([`${base}content`, `${base}deploy`])
    expect(JSON.parse(kvs.get(`${base}deploy`)!).digest).to.equal(sha256(kvs.get(`${base}content`)!))
    // Lock, marker, one transaction, unlock.
    expect(etcd.revision()).to.equal(before + 4)
    expect((await status(dir, prefix, 'kalshi-dev')).stdout).to.match(/kalshi-dev\s+in-sync/)
  })

  it('foreign keys, also not UTF-8, are drift named with escapes, and the next deploy removes them (no livelock)', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, '--all')).code).to.equal(0)
    const base = `${prefix}/environments/kalshi-dev/`
    await client.put(Buffer.concat([Buffer.from(`${base}bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('-key')])).value('x')
    await client.put(`${base}notes/owner`).value('ops')
    await client.put(Buffer.concat([Buffer.from(`${prefix}/environments/`), Buffer.from([0xc3, 0x28]), Buffer.from('/deploy')])).value('{}')

    const s = await status(dir, prefix, '-v')
    expect(s.code, s.stderr).to.equal(0)
    expect(s.stdout).to.match(/kalshi-dev\s+drift\s+[0-9a-f]{12}.*2 unexpected keys: bad-\\xff\\xfe-key, notes\/owner/)
    expect(s.stdout).to.contain('kalshi-dev: etcd → git\n  2 unexpected keys: bad-\\xff\\xfe-key, notes/owner\n')
    expect(s.stdout).to.match(/\\xc3\(\s+not in git/)

    const r = await deploy(dir, prefix, '--all')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('kalshi-dev: updated (2 unexpected keys: bad-\\xff\\xfe-key, notes/owner)')
    expect([...etcd.getPrefix(base).keys()]).to.deep.equal([`${base}content`, `${base}deploy`])
    const again = await deploy(dir, prefix, '--all')
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.contain('0 written, 3 unchanged')
  })

  it("refuses a --prefix with '.' or '..' segments (exit 2)", async () => {
    const dir = exampleRepo({ git: true })
    for (const p of ['/n/../m', '/n/.', '/./n']) {
      const r = await ssmd(['deploy', '--all', '--etcd', etcd.endpoints(), '--prefix', p], { cwd: dir })
      expect(r.code, p).to.equal(2)
      expect(r.stderr.trim().split('\n'), p).to.have.length(1)
      expect(r.stderr).to.match(/--prefix '.*' has a '\.{1,2}' segment; etcd keys are not paths/)
    }
  })

  it('refuses a prefix above or below another deployment, naming it, and writes nothing', async () => {
    const dir = exampleRepo({ git: true })
    const n = newPrefix()
    expect((await deploy(dir, n, '--all')).code).to.equal(0)
    const whole = etcd.getPrefix(`${n}/`)

    // Below: inside an environment of the deployment at n.
    const inner = `${n}/environments/kalshi-prod`
    const below = await deploy(dir, inner, 'kalshi-prod')
    expect(below.code).to.equal(1)
    expect(below.stderr.trim()).to.equal(
      `Error: --prefix ${inner} overlaps the deployment at ${n} (around it): a deploy here would write into it or delete it; choose a prefix that is neither above nor below another deployment`,
    )
    expect(etcd.getPrefix(`${n}/`)).to.deep.equal(whole)

    // Above: a deployment inside an environment's prefix, and one beside the environments.
    const m = newPrefix()
    expect((await deploy(dir, `${m}/environments/kalshi-prod`, 'kalshi-prod')).code).to.equal(0)
    const nested = etcd.getPrefix(`${m}/`)
    const above = await deploy(dir, m, 'kalshi-prod')
    expect(above.code).to.equal(1)
    expect(above.stderr.trim()).to.match(new RegExp(`^Error: --prefix ${m} overlaps the deployment at ${m}/environments/kalshi-prod \\(inside it\\)`))
    expect(etcd.getPrefix(`${m}/`)).to.deep.equal(nested)
    const o = newPrefix()
    expect((await deploy(dir, `${o}/team-a`, 'kalshi-dev')).code).to.equal(0)
    const beside = await deploy(dir, o, '--all', '--dry-run')
    expect(beside.code).to.equal(1)
    expect(beside.stderr).to.contain(`overlaps the deployment at ${o}/team-a (inside it)`)

    // A deployment made before the marker existed is recognised by its records.
    const p = newPrefix()
    etcd.ctl(['put', `${p}/environments/kalshi-prod/deploy`, '{"commit":null}'])
    const old = await deploy(dir, `${p}/environments/kalshi-prod`, 'kalshi-dev')
    expect(old.code).to.equal(1)
    expect(old.stderr).to.contain(`overlaps the deployment at ${p} (around it)`)
    expect(etcd.getPrefix(`${p}/`).size).to.equal(1)
  })

  it('an environment too large for one etcd request is refused on its own, in one line; one just below the limit deploys', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    const feed = join(dir, 'feeds', 'polymarket.yaml')
    const text = readFileSync(feed, 'utf8')
    const blob = (bytes: number) => text.replace('      timestamp_field: timestamp\n', `      timestamp_field: timestamp\n      blob: ${'x'.repeat(bytes)}\n`)
    // YAML files are at most 1 MiB each: a large parser_config in the feed and long key descriptions in the environment.
    writeFileSync(feed, blob(900 * 1024))
    const env = join(dir, 'environments', 'polymarket-dev.yaml')
    const described = (i: number) => `  k${i}:\n    type: api_key\n    fields: [token]\n    source: env\n    description: ${'d'.repeat(100000)}\n`
    writeFileSync(env, `${readFileSync(env, 'utf8')}keys:\n${Array.from({ length: 7 }, (_, i) => described(i)).join('')}`)
    git(dir, 'commit', '-qam', 'huge environment')
    const r = await deploy(dir, prefix, '--all')
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('3 environments')
    expect(r.stdout).to.contain('2 written, 0 unchanged, 1 refused')
    expect(r.stderr.trim().split('\n').at(-1)).to.match(
      /^Error: polymarket-dev: its rendering is 1\.5\d MiB, over etcd's limit of 1\.50 MiB for one request \(--max-request-bytes\): nothing written for it; make it smaller .* \(1 refused; 2 written\)$/,
    )
    expect(etcd.getPrefix(`${prefix}/environments/polymarket-dev/`).size).to.equal(0)
    expect(etcd.getPrefix(`${prefix}/environments/kalshi-dev/`).size).to.equal(2)

    writeFileSync(feed, blob(700 * 1024))
    git(dir, 'commit', '-qam', 'large parser_config')
    const ok = await deploy(dir, prefix, 'polymarket-dev')
    expect(ok.code, ok.stderr).to.equal(0)
    expect(
      JSON.parse(etcd.getPrefix(`${prefix}/environments/polymarket-dev/content`).get(`${prefix}/environments/polymarket-dev/content`)!).feed.parser_config.blob,
    ).to.have.length(700 * 1024)
  })

  it('a paged read that etcd compacts between pages starts again at a fresh revision', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    expect((await deploy(dir, prefix, '--all')).code).to.equal(0)
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 5000, requestTimeoutMs: 10000 }, `${prefix}/`)
    try {
      const pages: number[] = []
      let compacted = false
      const current = await readCurrent(session, prefix, [], {
        whole: true,
        pageSize: 2,
        onPage: page => {
          pages.push(page)
          if (compacted) return
          compacted = true
          // A write after the revision being read, then a compaction past it: the next page cannot be served at it.
          etcd.ctl(['put', `${prefix}/environments/kalshi-dev/late`, 'x'])
          etcd.ctl(['compact', String(etcd.revision())])
        },
      })
      expect(compacted).to.equal(true)
      expect(pages.filter(p => p === 1)).to.have.length(2)
      expect([...current.envs.keys()]).to.deep.equal(['kalshi-dev', 'kalshi-prod', 'polymarket-dev'])
      // Read at the fresh revision: the late key is there, and nothing is counted twice.
      expect(current.envs.get('kalshi-dev')!.others).to.deep.equal(['late'])
      expect(Number(current.envs.get('kalshi-prod')!.revision)).to.equal(etcd.revision())
      for (const s of current.envs.values()) expect(s.record && s.content).to.not.equal(undefined)
    } finally {
      session.close()
    }
  })

  it('a read cut into ranges (bounds) gives every key once, in key order, and starts again when compacted', async () => {
    const prefix = `${newPrefix()}/environments/`
    // Keys before the first bound, on a bound, between bounds, after the last, and bounds with no key at all.
    const keys = ['a/content', 'a/deploy', 'b', 'b/x', 'c-d/deploy', 'c/deploy', 'd/x', 'e/y', 'z/content']
    for (const k of keys) etcd.ctl(['put', prefix + k, k])
    const bounds = ['b/', 'c/', 'c0', 'e/', 'y'].map(b => Buffer.from(prefix + b))
    const session = await EtcdSession.connect({ endpoints: parseEndpoints(etcd.endpoints()), dialTimeoutMs: 5000, requestTimeoutMs: 10000 }, prefix)
    try {
      const read = async (options: Parameters<EtcdSession['scan']>[2]) => {
        const seen: string[] = []
        await session.scan(prefix, (k, v) => seen.push(`${k.toString().slice(prefix.length)}=${v.toString()}`), { ...options, restart: () => (seen.length = 0) })
        return seen
      }
      const whole = await read({})
      expect(whole).to.deep.equal([...keys].sort().map(k => `${k}=${k}`))
      let pages = 0
      expect(await read({ bounds, pageSize: 1, onPage: () => void pages++ })).to.deep.equal(whole)
      // Each range is read on its own (etcd counts only its keys): a page ends a range without asking for more.
      // [a/content a/deploy b] [b/x c-d/deploy] [c/deploy] [d/x] [e/y] [z/content]: 2 + 1 pages with more to read.
      expect(pages).to.equal(3)
      expect(await read({ bounds: [Buffer.from('/'), ...bounds, Buffer.from('~')], pageSize: 2 })).to.deep.equal(whole)

      let compacted = false
      const again = await read({
        bounds,
        pageSize: 1,
        onPage: () => {
          if (compacted) return
          compacted = true
          etcd.ctl(['put', `${prefix}d/late`, 'late'])
          etcd.ctl(['compact', String(etcd.revision())])
        },
      })
      expect(compacted).to.equal(true)
      expect(again).to.deep.equal([...keys, 'd/late'].sort().map(k => `${k}=${k === 'd/late' ? 'late' : k}`))
    } finally {
      session.close()
    }
  })

  it('a second deploy waits for the lock, then exits 1 naming the holder; a killed holder’s lease expires', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    // A holder that keeps its lease alive: another deploy, as seen in etcd.
    const lease = client.lease(10)
    const holder = { by: 'ci@build-7', pid: 4242, since: '2026-01-02T03:04:05.000Z', deploy_id: 'other' }
    await lease.put(`${prefix}/.ssmd-lock`).value(JSON.stringify(holder))
    try {
      const t0 = Date.now()
      const r = await deploy(dir, prefix, '--all', '--lock-timeout', '1')
      expect(r.code).to.equal(1)
      expect(Date.now() - t0).to.be.at.least(1000)
      expect(r.stderr).to.contain(`waiting for the deploy lock on ${prefix}, held by ci@build-7, pid 4242, since 2026-01-02T03:04:05.000Z (up to 1 s, --lock-timeout)\n`)
      expect(r.stderr.trim().split('\n').at(-1)).to.equal(
        `Error: another deploy holds the lock on ${prefix} (ci@build-7, pid 4242, since 2026-01-02T03:04:05.000Z); waited 1 s: let it finish, or pass a longer --lock-timeout (a deploy that died releases it within 10 s)`,
      )
      expect(etcd.getPrefix(`${prefix}/environments/`).size).to.equal(0)
      const bad = await deploy(dir, prefix, '--all', '--lock-timeout', 'soon')
      expect(bad.code).to.equal(2)
      expect(bad.stderr).to.contain("--lock-timeout 'soon' must be a number of seconds")
    } finally {
      await lease.revoke()
    }

    // A real deploy killed while it holds the lock: the next one waits for the lease to expire, then deploys.
    const env = join(dir, 'environments', 'kalshi-prod.yaml')
    writeFileSync(env, withKeys(readFileSync(env, 'utf8'), 150))
    git(dir, 'commit', '-qam', '150 keys')
    // The kill is sent when etcd shows the lock taken; a deploy can still finish and release it
    // before the signal lands (a busy machine). That round did not test a dead holder: it is run
    // again on a fresh prefix, and the test fails if five rounds in a row miss.
    let held: { prefix: string; pid: number } | undefined
    for (let round = 0; round < 5 && held === undefined; round++) {
      const p = round === 0 ? prefix : newPrefix()
      const watch = await client.watch().key(`${p}/.ssmd-lock`).create()
      const first = spawnSsmd(['deploy', ...args(p, '--all')], dir)
      let pid = 0
      const taken = new Promise<void>(resolve =>
        watch.on('put', kv => {
          pid = JSON.parse(kv.value.toString()).pid
          first.child.kill('SIGKILL')
          resolve()
        }),
      )
      await taken
      await first.done
      await watch.cancel()
      expect(pid).to.equal(first.child.pid)
      if (etcd.getPrefix(`${p}/.ssmd-lock`).size === 1) held = { prefix: p, pid }
    }
    expect(held, 'five deploys in a row finished before their kill landed').to.not.equal(undefined)
    const { pid } = held!
    const t0 = Date.now()
    const second = await deploy(dir, held!.prefix, '--all', '--lock-timeout', '30')
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).to.match(new RegExp(`waiting for the deploy lock on ${held!.prefix}, held by .+@.+, pid ${pid}, since `))
    expect(Date.now() - t0).to.be.lessThan(25000)
    const content = etcd.getPrefix(`${held!.prefix}/environments/kalshi-prod/content`).get(`${held!.prefix}/environments/kalshi-prod/content`)!
    expect(Object.keys(JSON.parse(content).keys)).to.have.length(150)
  })

  it('two deploys of different commits at once: one waits for the other; the fleet ends entirely at one commit', async () => {
    const a = exampleRepo({ git: true })
    const prefix = newPrefix()
    const b = exampleRepo({ git: true })
    for (const f of ['kalshi', 'polymarket']) {
      const p = join(b, 'feeds', `${f}.yaml`)
      writeFileSync(p, readFileSync(p, 'utf8').replace(/^display_name: (.*)$/m, 'display_name: $1 (moved)'))
    }
    git(b, 'commit', '-qam', 'move every environment')
    const runs = [spawnSsmd(['deploy', ...args(prefix, '--all')], a), spawnSsmd(['deploy', ...args(prefix, '--all')], b)]
    const [ra, rb] = await Promise.all(runs.map(r => r.done))
    expect(ra.code, ra.stderr).to.equal(0)
    expect(rb.code, rb.stderr).to.equal(0)
    const commits = new Set<string>()
    for (const [k, v] of etcd.getPrefix(`${prefix}/environments/`)) if (k.endsWith('/deploy')) commits.add(JSON.parse(v).commit)
    expect(commits.size, [...commits].join(' ')).to.equal(1)
  })

  it('SIGKILL of deploy at random points (a 150-key environment among 60) leaves every environment entirely old or entirely new', async () => {
    const dir = exampleRepo({ git: true })
    const prefix = newPrefix()
    const prod = join(dir, 'environments', 'kalshi-prod.yaml')
    writeFileSync(prod, withKeys(readFileSync(prod, 'utf8'), 150))
    const dev = readFileSync(join(dir, 'environments', 'kalshi-dev.yaml'), 'utf8')
    for (let i = 0; i < 57; i++) writeFileSync(join(dir, 'environments', `kd-${i}.yaml`), dev.replace('name: kalshi-dev', `name: kd-${i}`))
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', '150 keys, 60 environments')
    const tagOf = new Map<string, string>([[git(dir, 'rev-parse', 'HEAD').trim(), 'Kalshi Exchange']])
    const run = args(prefix, '--all', '--lock-timeout', '30')
    const first = await ssmd(['deploy', ...run], { cwd: dir })
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout).to.contain('60 written')

    const feed = join(dir, 'feeds', 'kalshi.yaml')
    const original = readFileSync(feed, 'utf8')
    const kills: string[] = []
    for (let round = 1; round <= 6; round++) {
      const tag = `Kalshi ${round}`
      writeFileSync(feed, original.replace('display_name: Kalshi Exchange', `display_name: ${tag}`))
      git(dir, 'commit', '-qam', `round ${round}`)
      tagOf.set(git(dir, 'rev-parse', 'HEAD').trim(), tag)
      // Odd rounds: a random delay after the start (validation, connection, lock, read or writes); even rounds: after the n-th environment written.
      const watch = await client.watch().prefix(`${prefix}/environments/`).create()
      const d = spawnSsmd(['deploy', ...run], dir)
      let when: string
      if (round % 2 === 1) {
        const ms = Math.floor(Math.random() * 1500)
        when = `${ms} ms after start`
        setTimeout(() => d.child.kill('SIGKILL'), ms)
      } else {
        const n = 1 + Math.floor(Math.random() * 40)
        when = `after ${n} environments written`
        let seen = 0
        watch.on('put', kv => {
          if (kv.key.toString().endsWith('/content') && ++seen === n) d.child.kill('SIGKILL')
        })
      }
      const r = await d.done
      await watch.cancel()
      kills.push(`round ${round}: killed ${when} (exit ${r.code})`)

      // Every environment: exactly content and record, the record's digest that of the content, and both from one deploy.
      const envs = new Map<string, Map<string, string>>()
      for (const [k, v] of etcd.getPrefix(`${prefix}/environments/`)) {
        const [name, rest] = k.slice(`${prefix}/environments/`.length).split('/')
        if (!envs.has(name)) envs.set(name, new Map())
        envs.get(name)!.set(rest, v)
      }
      expect(envs.size, kills.join('; ')).to.equal(60)
      for (const [name, kv] of envs) {
        const where = `${name}, ${kills.join('; ')}`
        expect([...kv.keys()].sort(), where).to.deep.equal(['content', 'deploy'])
        const record = JSON.parse(kv.get('deploy')!)
        expect(record.digest, where).to.equal(sha256(kv.get('content')!))
        const content = JSON.parse(kv.get('content')!)
        // polymarket-dev uses another feed: no round changes it.
        expect(content.feed.display_name, where).to.equal(name === 'polymarket-dev' ? 'Polymarket CLOB' : tagOf.get(record.commit))
        if (name === 'kalshi-prod') expect(Object.keys(content.keys), where).to.have.length(150)
      }
      // The killed run's lock: released by hand, as an operator who knows the deploy is dead may (else it expires within 10 s).
      etcd.ctl(['del', `${prefix}/.ssmd-lock`])
    }
    const last = await ssmd(['deploy', ...run], { cwd: dir })
    expect(last.code, last.stderr).to.equal(0)
    for (const [k, v] of etcd.getPrefix(`${prefix}/environments/`))
      if (k.endsWith('/content') && !k.includes('/polymarket-dev/')) expect(JSON.parse(v).feed.display_name).to.equal('Kalshi 6')
  })
})
