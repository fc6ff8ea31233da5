/**
 * Real etcd servers for the deploy tests: Debian's `etcd` binary on free
 * loopback ports with temporary data folders, one member or a cluster. Every
 * process started here is killed when its cluster is stopped, at the end of
 * the test run, and when the test process exits — also after a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { onCleanup } from './cleanup.js'
import { tempDir } from './repo.js'

/** A program on PATH that runs with the given arguments. */
const onPath = (name: string, args: string[]) =>
  (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map(d => join(d, name))
    .find(p => existsSync(p) && spawnSync(p, args).status === 0)
export const ETCD_BIN = onPath('etcd', ['--version'])
export const ETCDCTL_BIN = onPath('etcdctl', ['version'])

const running = new Set<ChildProcess>()
const killAll = () => {
  for (const p of running) {
    try {
      p.kill('SIGKILL')
    } catch {
      /* already gone */
    }
  }
  running.clear()
}
process.on('exit', killAll)
onCleanup(killAll)

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

export interface Member {
  name: string
  clientUrl: string
  peerUrl: string
  dataDir: string
  log: string
  process?: ChildProcess
}

export interface TlsFiles {
  ca: string
  cert: string
  key: string
  /** Require client certificates signed by `ca`. */
  clientCertAuth?: boolean
}

export class EtcdCluster {
  constructor(
    readonly members: Member[],
    private readonly args: (m: Member) => string[],
    readonly tls?: TlsFiles,
  ) {}

  /** Comma-separated host:port of every member (or of the given ones). */
  endpoints(members = this.members): string {
    return members.map(m => m.clientUrl.replace(/^https?:\/\//, '')).join(',')
  }

  start(member: Member): void {
    const out = openSync(member.log, 'a')
    const p = spawn(ETCD_BIN!, this.args(member), { stdio: ['ignore', out, out] })
    running.add(p)
    p.on('exit', () => running.delete(p))
    member.process = p
  }

  /** Kills one member at once (SIGKILL: no graceful leader transfer). */
  async kill(member: Member): Promise<void> {
    const p = member.process
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    await new Promise<void>(resolve => {
      p.once('exit', () => resolve())
      p.kill('SIGKILL')
    })
  }

  async stop(): Promise<void> {
    for (const m of this.members) await this.kill(m)
  }

  /** etcdctl against the cluster (or some members), v3 API; throws with its output when it fails. */
  ctl(args: string[], options: { members?: Member[]; env?: Record<string, string> } = {}): string {
    const tls = this.tls ? ['--cacert', this.tls.ca, ...(this.tls.clientCertAuth ? ['--cert', this.tls.cert, '--key', this.tls.key] : [])] : []
    const r = spawnSync(
      ETCDCTL_BIN!,
      ['--endpoints', (options.members ?? this.members).map(m => m.clientUrl).join(','), '--dial-timeout', '5s', '--command-timeout', '20s', ...tls, ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, ETCDCTL_API: '3', ...options.env },
        maxBuffer: 512 * 1024 * 1024,
      },
    )
    if (r.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`)
    return r.stdout
  }

  /** Waits until every running member answers a health check. */
  async ready(timeoutMs = 60000, members = this.members.filter(m => m.process && m.process.exitCode === null)): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < deadline) {
      try {
        this.ctl(['endpoint', 'health'], { members })
        return
      } catch (error) {
        last = (error as Error).message
      }
      for (const m of members) {
        if (m.process && m.process.exitCode !== null) throw new Error(`etcd member ${m.name} exited (${m.process.exitCode}):\n${readFileSync(m.log, 'utf8').slice(-3000)}`)
      }
      await new Promise(r => setTimeout(r, 200))
    }
    throw new Error(`etcd did not become healthy within ${timeoutMs} ms: ${last}`)
  }

  /** The member that currently leads, from `etcdctl endpoint status`. */
  leader(members = this.members.filter(m => m.process && m.process.exitCode === null)): Member {
    const status = JSON.parse(this.ctl(['endpoint', 'status', '-w', 'json'], { members })) as Array<{
      Endpoint: string
      Status: { header: { member_id: number | string }; leader: number | string }
    }>
    const lead = status.find(s => String(s.Status.header.member_id) === String(s.Status.leader))
    if (!lead) throw new Error('no leader')
    const m = members.find(x => x.clientUrl === lead.Endpoint || x.clientUrl.endsWith(lead.Endpoint.replace(/^https?:\/\//, '')))
    if (!m) throw new Error(`leader ${lead.Endpoint} is not a known member`)
    return m
  }

  /** The current revision of the key space (any write bumps it by exactly one per transaction). */
  revision(): number {
    const out = JSON.parse(this.ctl(['get', '/', '--prefix', '--keys-only', '--limit', '1', '-w', 'json'])) as { header: { revision: number | string } }
    return Number(out.header.revision)
  }

  /** Every key under a prefix with its value. */
  getPrefix(prefix: string, members?: Member[]): Map<string, string> {
    const out = JSON.parse(this.ctl(['get', prefix, '--prefix', '-w', 'json'], { members })) as { kvs?: Array<{ key: string; value: string }> }
    const map = new Map<string, string>()
    for (const kv of out.kvs ?? []) map.set(Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value, 'base64').toString())
    return map
  }
}

/**
 * Starts a cluster of `size` members on free loopback ports and waits until it
 * is healthy. With `tls`, clients talk https (peers stay plain http on loopback).
 */
export async function startEtcd(size = 1, options: { tls?: TlsFiles } = {}): Promise<EtcdCluster> {
  if (!ETCD_BIN || !ETCDCTL_BIN) throw new Error('etcd and etcdctl are needed (apt-get install etcd-server etcd-client)')
  const base = tempDir('ssmd-etcd-')
  const scheme = options.tls ? 'https' : 'http'
  const members: Member[] = []
  for (let i = 0; i < size; i++) {
    const name = `m${i}`
    const dataDir = join(base, name)
    mkdirSync(dataDir, { recursive: true })
    members.push({
      name,
      clientUrl: `${scheme}://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(dataDir, 'data'),
      log: join(dataDir, 'etcd.log'),
    })
  }
  const initial = members.map(m => `${m.name}=${m.peerUrl}`).join(',')
  const tls = options.tls
  const args = (m: Member) => [
    '--name',
    m.name,
    '--data-dir',
    m.dataDir,
    '--listen-client-urls',
    m.clientUrl,
    '--advertise-client-urls',
    m.clientUrl,
    '--listen-peer-urls',
    m.peerUrl,
    '--initial-advertise-peer-urls',
    m.peerUrl,
    '--initial-cluster',
    initial,
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    `ssmd-test-${process.pid}`,
    // Slower heartbeats than the default (100 ms / 1 s): on a loaded test machine the defaults cause
    // leader elections nobody asked for; the failover test kills the leader itself.
    '--heartbeat-interval',
    '250',
    '--election-timeout',
    '2500',
    ...(tls ? ['--cert-file', tls.cert, '--key-file', tls.key, ...(tls.clientCertAuth ? ['--client-cert-auth', '--trusted-ca-file', tls.ca] : [])] : []),
  ]
  const cluster = new EtcdCluster(members, args, tls)
  for (const m of members) cluster.start(m)
  try {
    await cluster.ready()
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}

/** A CA and a certificate for 127.0.0.1 signed by it (openssl), usable as server and client certificate. */
export function makeCertificates(): TlsFiles {
  const dir = tempDir('ssmd-tls-')
  const f = (n: string) => join(dir, n)
  const ssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`)
  }
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=ssmd test CA')
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key.pem'), '-out', f('cert.csr'), '-subj', '/CN=127.0.0.1')
  // subjectAltName for the loopback address; serverAuth and clientAuth so one certificate serves both ends.
  writeFileSync(f('ext.cnf'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth, clientAuth\nkeyUsage = digitalSignature, keyEncipherment\n')
  ssl('x509', '-req', '-in', f('cert.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f('cert.pem'), '-days', '2', '-extfile', f('ext.cnf'))
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') }
}
