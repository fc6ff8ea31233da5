/**
 * The etcd side of a deploy, through the `etcd3` client (loaded only when a
 * deploy command connects, so no other command pays for gRPC at start-up).
 * Every failure becomes one SsmdError line; a password never appears in one.
 */
import type { Etcd3, IOptions } from 'etcd3'
import { SsmdError, UsageError } from '../core/errors.js'
import type { KvEntry } from './plan.js'
import { dropServerNameWarning } from './warnings.js'

/** Attempts of a paged read that etcd's compaction interrupts, before it is reported. */
const MAX_SCAN_ATTEMPTS = 5

const isCompacted = (error: unknown) => /required revision has been compacted/i.test(String((error as Error)?.message ?? error))

/** What `writeEnvironment` writes and the revisions it was planned against. */
export interface EnvironmentWrite {
  /** `<prefix>/environments/<name>/` */
  envPrefix: string
  contentKey: string
  recordKey: string
  content: string
  record: string
  /** The revision the environment was read at. */
  revision: string
  /** mod_revision of the record and content as read ('0': absent). */
  recordMod: string
  contentMod: string
  /** Whether the prefix held other keys when read, which the transaction deletes. */
  others: boolean
  /** The deploy lock this run holds: its key and create_revision. */
  lock?: { key: string; createRevision: string }
}

/**
 * The compares and operations of one environment's transaction (see
 * writeEnvironments): etcd refuses a transaction with more than 128 of either
 * (--max-txn-ops), so a batch counts them.
 */
export function txnSize(w: Pick<EnvironmentWrite, 'recordMod' | 'contentMod' | 'others'>): { compares: number; ops: number } {
  const empty = w.recordMod === '0' && w.contentMod === '0' && !w.others
  return { compares: empty ? 1 : 3, ops: w.others ? 5 : 2 }
}

export interface LeaseHandle {
  id: string
  /** True once etcd said the lease expired (keep-alive failed for longer than its TTL). */
  lost(): boolean
  revoke(): Promise<void>
}

export interface Endpoint {
  /** host:port as given to gRPC (IPv6 in brackets). */
  hostPort: string
  /** The scheme given (http or https), if any. */
  scheme?: 'http' | 'https'
  secure: boolean
}

export interface ConnectOptions {
  endpoints: Endpoint[]
  /** Time allowed to reach etcd and get a first answer. */
  dialTimeoutMs: number
  /** Time allowed for each request afterwards. */
  requestTimeoutMs: number
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer }
  auth?: { username: string; password: string }
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

/** `--etcd` value: comma-separated host:port, http://host:port or https://host:port. */
export function parseEndpoints(value: string): Endpoint[] {
  const parts = value
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '')
  if (parts.length === 0) throw new UsageError('--etcd needs at least one endpoint, e.g. --etcd 127.0.0.1:2379')
  const schemes = new Set<string>()
  const out = parts.map(p => {
    const m = /^(?:(https?):\/\/)?([^/]*)\/?$/i.exec(p)
    const hostPort = m?.[2] ?? ''
    const port = Number(HOST_PORT.exec(hostPort)?.[2])
    if (!m || !HOST_PORT.test(hostPort) || port < 1 || port > 65535) {
      const shown = p.includes('@') ? '(an endpoint with user info)' : `'${p}'`
      throw new UsageError(`--etcd ${shown} is not an endpoint; use host:port, http://host:port or https://host:port (comma-separated for several)`)
    }
    if (m[1]) schemes.add(m[1].toLowerCase())
    const scheme = m[1]?.toLowerCase() as Endpoint['scheme']
    return { hostPort, ...(scheme ? { scheme } : {}), secure: scheme === 'https' }
  })
  if (schemes.size > 1) throw new UsageError('--etcd mixes http:// and https:// endpoints; use one scheme for all')
  return out
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`

/** A connected client. */
export class EtcdSession {
  private constructor(
    /** The etcd3 client (the fleet reader watches through it). */
    readonly client: Etcd3,
    private readonly where: string,
    private readonly options: ConnectOptions,
  ) {}

  /**
   * Connects and makes one small read, so that an unreachable etcd, a TLS or
   * an authentication problem is reported now, within the dial timeout.
   */
  static async connect(options: ConnectOptions, probeKey: string): Promise<EtcdSession> {
    dropServerNameWarning()
    const mod = await import('etcd3')
    const Etcd3Class =
      (mod as unknown as { Etcd3?: typeof Etcd3; default?: { Etcd3: typeof Etcd3 } }).Etcd3 ?? (mod as unknown as { default: { Etcd3: typeof Etcd3 } }).default.Etcd3
    const secure = options.tls !== undefined || options.endpoints.some(e => e.secure)
    const clientOptions: IOptions = {
      hosts: options.endpoints.map(e => `${secure ? 'https' : 'http'}://${e.hostPort}`),
      // A deadline on a stream (a watch, a lease's keep-alive) would end it: requests only.
      defaultCallOptions: context => (context.isStream ? {} : { deadline: Date.now() + options.requestTimeoutMs }),
      ...(options.tls
        ? {
            credentials: {
              rootCertificate: options.tls.ca as Buffer,
              ...(options.tls.key ? { privateKey: options.tls.key } : {}),
              ...(options.tls.cert ? { certChain: options.tls.cert } : {}),
            },
          }
        : {}),
      ...(options.auth
        ? { auth: { username: options.auth.username, password: options.auth.password, callOptions: () => ({ deadline: Date.now() + options.dialTimeoutMs }) } }
        : {}),
    }
    const where = options.endpoints.map(e => e.hostPort).join(',')
    let client: Etcd3
    try {
      client = new Etcd3Class(clientOptions)
    } catch (error) {
      throw new SsmdError(`cannot set up the etcd client for ${where}: ${(error as Error).message}`, { code: 'etcd' })
    }
    const session = new EtcdSession(client, where, options)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        client.kv.range({ key: Buffer.from(probeKey), limit: 1, keys_only: true }, { deadline: Date.now() + options.dialTimeoutMs }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new DialTimeout()), options.dialTimeoutMs)
        }),
      ])
    } catch (error) {
      session.close()
      throw session.failure(error, 'connect')
    } finally {
      clearTimeout(timer)
    }
    return session
  }

  /**
   * Every key under `prefix`, read at one revision in pages of `pageSize`
   * (default 2,000), each passed to `onKv`, in key order. When etcd compacts
   * that revision before the last page (a long read on a busy cluster), the
   * read starts again at a fresh revision, after `restart` (which drops what
   * was passed so far). Returns the revision read at.
   *
   * `bounds` (sorted keys inside the range) split the read into ranges
   * between them: etcd counts every key from a page's start to the range's
   * end for each page it returns, so paging through one range of 200,000
   * keys costs it time quadratic in their number; ranges of a few thousand
   * keys keep each page's count small.
   */
  async scan(
    prefix: string | Buffer,
    onKv: (key: Buffer, value: Buffer, modRevision: string) => void,
    options: {
      pageSize?: number
      keysOnly?: boolean
      end?: Buffer
      bounds?: readonly Buffer[]
      restart?: () => void
      onPage?: (page: number) => void | Promise<void>
    } = {},
  ): Promise<string> {
    const start = Buffer.from(prefix)
    const end = options.end ?? prefixEnd(start)
    // The ranges read one after the other: [start, b1), [b1, b2) … [bn, end), bounds outside (start, end) left out.
    const cuts = (options.bounds ?? []).filter(b => Buffer.compare(b, start) > 0 && Buffer.compare(b, end) < 0)
    const ranges = [start, ...cuts].map((from, i): [Buffer, Buffer] => [from, cuts[i] ?? end])
    for (let attempt = 1; ; attempt++) {
      let revision: string | undefined
      let page = 0
      try {
        for (const [first, last] of ranges) {
          let from = first
          for (;;) {
            const res = await this.client.kv.range({
              key: from,
              range_end: last,
              limit: options.pageSize ?? 2000,
              ...(options.keysOnly ? { keys_only: true } : {}),
              ...(revision ? { revision } : {}),
            })
            revision ??= res.header.revision
            for (const kv of res.kvs) onKv(kv.key, kv.value, String(kv.mod_revision))
            if (!res.more || res.kvs.length === 0) break
            from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])])
            await options.onPage?.(++page)
          }
        }
        return revision!
      } catch (error) {
        if (attempt < MAX_SCAN_ATTEMPTS && isCompacted(error)) {
          options.restart?.()
          continue
        }
        throw this.failure(error, 'read')
      }
    }
  }

  /** Every key under `prefix` with its value (UTF-8), read at one revision. */
  async readPrefix(prefix: string): Promise<Map<string, KvEntry>> {
    const out = new Map<string, KvEntry>()
    await this.scan(prefix, (k, v, mod) => out.set(k.toString(), { value: v.toString(), modRevision: mod }), { restart: () => out.clear() })
    return out
  }

  /** The value of one key, if it exists. */
  async get(key: string): Promise<{ value: string; modRevision: string; createRevision: string } | undefined> {
    try {
      const res = await this.client.kv.range({ key: Buffer.from(key) })
      const kv = res.kvs[0]
      return kv ? { value: kv.value.toString(), modRevision: String(kv.mod_revision), createRevision: String(kv.create_revision) } : undefined
    } catch (error) {
      throw this.failure(error, 'read')
    }
  }

  /** Which of these keys exist, read at one revision (one transaction of reads). */
  async existing(keys: string[]): Promise<Set<string>> {
    const out = new Set<string>()
    try {
      for (let i = 0; i < keys.length; i += 100) {
        const chunk = keys.slice(i, i + 100)
        const res = await this.client.kv.txn({
          compare: [],
          success: chunk.map(key => ({ request_range: { key: Buffer.from(key), keys_only: true } })),
          failure: [],
        })
        res.responses.forEach((r, j) => {
          if ((r.response_range?.kvs.length ?? 0) > 0) out.add(chunk[j])
        })
      }
    } catch (error) {
      throw this.failure(error, 'read')
    }
    return out
  }

  /**
   * Writes one environment in one transaction of constant size: if nothing
   * under its prefix changed since `read.revision`, its record and content are
   * still at the revisions read (or still absent), and the deploy lock is still
   * the one this run holds, then delete everything else under the prefix (three
   * delete ranges around the two keys) and put the content and the record.
   * Otherwise nothing. Returns whether it was applied.
   */
  async writeEnvironment(w: EnvironmentWrite): Promise<boolean> {
    return this.writeEnvironments([w], w.lock)
  }

  /**
   * Writes several environments in one transaction: each environment's
   * guards and operations as writeEnvironment has them, and the lock's once.
   * All are written or none (when any guard fails: the caller then writes
   * them one by one, to tell which was refused). Returns whether it was applied.
   */
  async writeEnvironments(ws: readonly Omit<EnvironmentWrite, 'lock'>[], lock?: { key: string; createRevision: string }): Promise<boolean> {
    const at = (key: string, modRevision: string) =>
      modRevision === '0'
        ? { key: Buffer.from(key), target: 'Version' as const, result: 'Equal' as const, version: 0 }
        : { key: Buffer.from(key), target: 'Mod' as const, result: 'Equal' as const, mod_revision: modRevision }
    const compare = []
    const success = []
    for (const w of ws) {
      const base = Buffer.from(w.envPrefix)
      // No key under the prefix is newer than the read: a key added since is caught, whatever its name.
      const unchangedSince = { key: base, range_end: prefixEnd(base), target: 'Mod' as const, result: 'Less' as const, mod_revision: String(BigInt(w.revision) + 1n) }
      // The record and the content are still the ones read: a key deleted since is caught. When the prefix held
      // nothing, the range compare says all (nothing was there to delete).
      if (txnSize(w).compares === 1) compare.push(unchangedSince)
      else compare.push(at(w.recordKey, w.recordMod), at(w.contentKey, w.contentMod), unchangedSince)
      // Everything under the prefix but the two keys put (etcd refuses a put inside a range the same transaction
      // deletes), when it held anything else: with the compares above, no other key can have appeared since.
      if (w.others) {
        success.push(
          ...between(base, Buffer.from(w.contentKey), Buffer.from(w.recordKey), prefixEnd(base)).map(([key, range_end]) => ({ request_delete_range: { key, range_end } })),
        )
      }
      success.push(
        { request_put: { key: Buffer.from(w.contentKey), value: Buffer.from(w.content) } },
        { request_put: { key: Buffer.from(w.recordKey), value: Buffer.from(w.record) } },
      )
    }
    if (lock) compare.push({ key: Buffer.from(lock.key), target: 'Create' as const, result: 'Equal' as const, create_revision: lock.createRevision })
    try {
      const res = await this.client.kv.txn({ compare, success, failure: [] })
      return res.succeeded
    } catch (error) {
      throw this.failure(error, 'write')
    }
  }

  /**
   * Removes one environment (`deploy --prune`): one delete range of its whole
   * prefix, if nothing under it changed since `revision` and the deploy lock is
   * still the one this run holds. Otherwise nothing. Returns whether it was applied.
   */
  async removeEnvironment(envPrefix: string, revision: string, lock?: { key: string; createRevision: string }): Promise<boolean> {
    const base = Buffer.from(envPrefix)
    try {
      const res = await this.client.kv.txn({
        compare: [
          { key: base, range_end: prefixEnd(base), target: 'Mod', result: 'Less', mod_revision: String(BigInt(revision) + 1n) },
          ...(lock ? [{ key: Buffer.from(lock.key), target: 'Create' as const, result: 'Equal' as const, create_revision: lock.createRevision }] : []),
        ],
        success: [{ request_delete_range: { key: base, range_end: prefixEnd(base) } }],
        failure: [],
      })
      return res.succeeded
    } catch (error) {
      throw this.failure(error, 'write')
    }
  }

  /** Creates `key` with `value` (attached to a lease, if given) unless it exists; else returns what it holds. */
  async createIfAbsent(key: string, value: string, lease?: string): Promise<{ created: true; revision: string } | { created: false; value: string; createRevision: string }> {
    try {
      const res = await this.client.kv.txn({
        compare: [{ key: Buffer.from(key), target: 'Version', result: 'Equal', version: 0 }],
        success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value), ...(lease ? { lease } : {}) } }],
        failure: [{ request_range: { key: Buffer.from(key) } }],
      })
      if (res.succeeded) return { created: true, revision: String(res.header.revision) }
      const kv = res.responses[0]?.response_range?.kvs[0]
      return { created: false, value: kv ? kv.value.toString() : '', createRevision: kv ? String(kv.create_revision) : '0' }
    } catch (error) {
      throw this.failure(error, 'write')
    }
  }

  /** Deletes `key` if it was created at `createRevision` (and so is still the one this run made). */
  async deleteIfCreatedAt(key: string, createRevision: string): Promise<void> {
    try {
      await this.client.kv.txn({
        compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: createRevision }],
        success: [{ request_delete_range: { key: Buffer.from(key) } }],
        failure: [],
      })
    } catch (error) {
      throw this.failure(error, 'write')
    }
  }

  /** A lease of `ttlSeconds`, kept alive by the client until revoked (or the process dies: then it expires). */
  async grantLease(ttlSeconds: number): Promise<LeaseHandle> {
    const lease = this.client.lease(ttlSeconds)
    let lost = false
    lease.on('lost', () => {
      lost = true
    })
    let id: string
    try {
      id = await lease.grant()
    } catch (error) {
      lease.release()
      throw this.failure(error, 'write')
    }
    return {
      id,
      lost: () => lost,
      revoke: async () => {
        try {
          await lease.revoke()
        } catch {
          // The lease expires on its own within its TTL.
          lease.release()
        }
      },
    }
  }

  close(): void {
    try {
      // etcd3 keeps a channel that is still connecting open for one more second
      // (a workaround for old gRPC versions) and so the process with it; the
      // gRPC version installed closes such a channel cleanly, so close them now.
      const hosts = (this.client as unknown as { pool?: { hosts?: Array<{ cachedServices?: Record<string, { close(): void }> }> } }).pool?.hosts ?? []
      for (const host of hosts) {
        for (const service of Object.values(host.cachedServices ?? {})) service.close()
        host.cachedServices = Object.create(null) as Record<string, { close(): void }>
      }
      this.client.close()
    } catch {
      // closing a client that never connected
    }
  }

  /** One clear line for a failed etcd call. */
  failure(error: unknown, during: 'connect' | 'read' | 'write'): SsmdError {
    const e = error as Error & { details?: string }
    const name = e?.constructor?.name ?? ''
    const text = String(e?.message ?? e)
    const user = this.options.auth?.username
    if (error instanceof DialTimeout || name === 'GRPCDeadlineExceededError' || /deadline exceeded/i.test(text)) {
      const limit = during === 'connect' ? this.options.dialTimeoutMs : this.options.requestTimeoutMs
      return new SsmdError(
        `etcd at ${this.where} did not answer within ${seconds(limit)}${during === 'connect' ? ' (dial timeout)' : ''}; check --etcd and that etcd is running and reachable`,
        { code: 'etcd-unreachable' },
      )
    }
    if (name === 'EtcdAuthenticationFailedError' || /authentication failed/i.test(text)) {
      return new SsmdError(`etcd at ${this.where} refused user '${user}': wrong user name or password; check --user and SSMD_ETCD_PASSWORD`, { code: 'etcd-auth' })
    }
    if (/user name is empty|token is not provided|invalid auth token/i.test(text)) {
      return new SsmdError(`etcd at ${this.where} requires authentication; pass --user and set the password in SSMD_ETCD_PASSWORD`, { code: 'etcd-auth' })
    }
    if (name === 'EtcdPermissionDeniedError' || /permission denied/i.test(text)) {
      return new SsmdError(
        `etcd at ${this.where}: user '${user ?? '(none)'}' may not ${during === 'write' ? 'write' : 'read'} these keys (permission denied); grant the user's role read/write on the prefix`,
        { code: 'etcd-permission' },
      )
    }
    if (/auth.* not enabled/i.test(text)) {
      return new SsmdError(`etcd at ${this.where} does not have authentication enabled; drop --user`, { code: 'etcd-auth' })
    }
    if (/etcdserver: /.test(text) && during === 'write') {
      return new SsmdError(
        `etcd at ${this.where} did not confirm a write (${shortReason(text).replace(/^etcdserver: /, '')}); run the deploy again: it compares anew and writes only what is missing`,
        { code: 'etcd' },
      )
    }
    if (name === 'GRPCUnavailableError' || /unavailable|ECONNREFUSED|No connection established|connect/i.test(text)) {
      const reason = /ECONNREFUSED|connection refused/i.test(text)
        ? 'connection refused'
        : /ssl|tls|certificate|handshake/i.test(text)
          ? `TLS failed: ${shortReason(text)}`
          : shortReason(text)
      return new SsmdError(`cannot reach etcd at ${this.where} (${reason}); check --etcd${/TLS/.test(reason) ? ', --cacert, --cert and --key' : ' and that etcd is running'}`, {
        code: 'etcd-unreachable',
      })
    }
    return new SsmdError(`etcd at ${this.where} failed during ${during}: ${shortReason(text)}`, { code: 'etcd' })
  }
}

class DialTimeout extends Error {}

/**
 * The reason of a gRPC failure in one line: its first line without the
 * status-code preamble, and without gRPC's connection wrapper ("No connection
 * established. Last error: Error: …. Resolution note: "), whose empty note
 * otherwise ends the line in "Resolution note: )". The reason itself (a TLS
 * verification error names the certificate problem) is kept whole.
 */
export function shortReason(text: string): string {
  let line = text
    .split('\n')[0]
    .replace(/^\d+ [A-Z_]+: /, '')
    .trim()
  const wrapped = /^No connection established\. Last error: (?:Error: )?(.*?)\.? Resolution note: ?(.*)$/.exec(line)
  if (wrapped) line = wrapped[2].trim() === '' ? wrapped[1] : `${wrapped[1]}; ${wrapped[2].trim()}`
  return line.length > 500 ? `${line.slice(0, 500)}…` : line
}

/** The ranges [start, k1), (k1, k2), … (kn, end) around the sorted keys k1…kn. */
function between(start: Buffer, ...rest: Buffer[]): Array<[Buffer, Buffer]> {
  const end = rest.pop()!
  const out: Array<[Buffer, Buffer]> = []
  let from = start
  for (const k of rest) {
    out.push([from, k])
    from = Buffer.concat([k, Buffer.from([0])])
  }
  out.push([from, end])
  return out
}

/** The smallest key after every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}
