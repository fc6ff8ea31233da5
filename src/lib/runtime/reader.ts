/**
 * The fleet's side of a deploy: a capture process reads its environment from
 * etcd, checks it is complete and unaltered, and watches for the next deploy
 * and for dated feed versions taking effect (docs/deploy.md, "Reading an
 * environment").
 *
 * An environment is read with one range request (one revision: the content
 * and the deploy record a single transaction wrote), and is returned only when
 * `sha256(content) == record.digest`. A watch on the environment's prefix only
 * tells that something changed; what it yields is always such a complete,
 * checked read, so a process never sees half an environment.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IKeyValue, Watcher } from 'etcd3'
import { SsmdError } from '../core/errors.js'
import { EtcdSession, parseEndpoints, prefixEnd } from '../deploy/etcd.js'
import { checkPrefix, DEFAULT_PREFIX, parseRecord as parseRecordValue } from '../deploy/layout.js'
import { nextSwitch, resolveContent, utcDate, type DeploymentRecord, type EnvironmentContent } from './content.js'

export { DEFAULT_PREFIX }
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/
/** setTimeout's longest delay (about 24.8 days); a later switch is waited for in steps. */
const MAX_DELAY = 2 ** 31 - 1

/** Where etcd is and how to log in. Unset fields come from the SSMD_ETCD_* environment variables. */
export interface ReaderOptions {
  /** Endpoints: `host:port`, `http://host:port` or `https://host:port`, an array or comma-separated (default: SSMD_ETCD_ENDPOINTS). */
  endpoints?: string | string[]
  /** Key prefix the environments were deployed under (default `/ssmd`, or SSMD_ETCD_PREFIX). */
  prefix?: string
  /** TLS: file paths or PEM contents (default: SSMD_ETCD_CACERT, SSMD_ETCD_CERT, SSMD_ETCD_KEY). A CA turns TLS on. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer }
  /** etcd user (default: SSMD_ETCD_USER). */
  user?: string
  /** That user's password (default: SSMD_ETCD_PASSWORD). Never part of an error message. */
  password?: string
  /** Time allowed to reach etcd and get a first answer (default 5000 ms). */
  dialTimeoutMs?: number
  /** Time allowed for each read afterwards (default 10000 ms). */
  requestTimeoutMs?: number
  /** The variables to read settings from (default: process.env). */
  env?: Record<string, string | undefined>
}

/** Why an environment could not be read. `code` is stable; `message` is one line saying what to do. */
export class ReaderError extends SsmdError {
  constructor(
    message: string,
    code: ReaderErrorCode,
    /** The etcd revision the environment was read at, when the read itself succeeded. */
    readonly revision?: string,
  ) {
    super(message, { code })
    this.name = 'ReaderError'
  }
}

export type ReaderErrorCode =
  'usage' | 'not-deployed' | 'old-layout' | 'incomplete' | 'digest-mismatch' | 'invalid' | 'no-version' | 'etcd' | 'etcd-unreachable' | 'etcd-auth' | 'etcd-permission'

/** An environment as deployed, checked, and resolved for a date. */
export interface Environment {
  name: string
  /** The etcd revision it was read at. */
  revision: string
  /** The revision the deploy wrote it at: a new deploy, a new value. */
  deployRevision: string
  /** Who deployed it, from which commit, and the digest it was checked against. */
  record: DeploymentRecord
  /** The content exactly as deployed (feed resolved for `record.as_of`). */
  deployed: EnvironmentContent
  /** The UTC date (YYYY-MM-DD) `content` is resolved for. */
  date: string
  /** The content in effect on `date`: the feed version in effect then, and the versions still to come as `feed.upcoming`. */
  content: EnvironmentContent
  /** What made a watch yield it: the first read, a new deploy, or a dated feed version taking effect. */
  change: 'initial' | 'deploy' | 'switch'
  /** The content in effect on another date (YYYY-MM-DD or a Date). */
  at(date: string | Date): EnvironmentContent
}

export interface WatchOptions {
  /** Stops the watch: the iteration ends. */
  signal?: AbortSignal
  /**
   * Called with what the watch skipped or waits out — a deploy that does not
   * check (digest, missing part), an environment not deployed (yet), etcd out
   * of reach for a while. Default: a process warning (`process.emitWarning`).
   */
  onProblem?: (error: ReaderError) => void
  /** The clock (ms since the epoch) dated switches are timed by (default Date.now). */
  now?: () => number
}

/** Connects for one environment (probing etcd within the dial timeout). Close it when done. */
export async function openEnvironment(name: string, options: ReaderOptions = {}): Promise<EnvironmentReader> {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ReaderError(`'${String(name)}' is not an environment name (lower-case letters, digits, '-' and '_', at most 63)`, 'usage')
  }
  const env = options.env ?? process.env
  const prefix = runtimeWording(() => checkPrefix(options.prefix ?? env.SSMD_ETCD_PREFIX ?? DEFAULT_PREFIX))
  const given = options.endpoints ?? env.SSMD_ETCD_ENDPOINTS
  if (given === undefined || given.length === 0) throw new ReaderError('no etcd endpoints: pass endpoints or set SSMD_ETCD_ENDPOINTS (e.g. 127.0.0.1:2379)', 'usage')
  const endpoints = runtimeWording(() => parseEndpoints(Array.isArray(given) ? given.join(',') : given))
  const file = (what: string, v: string | Buffer | undefined, variable: string): Buffer | undefined => {
    const value = v ?? env[variable]
    if (value === undefined || value === '') return undefined
    if (Buffer.isBuffer(value)) return value
    if (value.includes('-----BEGIN')) return Buffer.from(value)
    try {
      return readFileSync(value)
    } catch (error) {
      throw new ReaderError(
        `cannot read the ${what} file '${value}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check ${variable} or tls.${what}`,
        'usage',
      )
    }
  }
  const ca = file('ca', options.tls?.ca, 'SSMD_ETCD_CACERT')
  const cert = file('cert', options.tls?.cert, 'SSMD_ETCD_CERT')
  const key = file('key', options.tls?.key, 'SSMD_ETCD_KEY')
  if ((cert === undefined) !== (key === undefined))
    throw new ReaderError('a client certificate needs its key and a key its certificate: set both tls.cert and tls.key, or neither', 'usage')
  const user = options.user ?? env.SSMD_ETCD_USER
  const password = options.password ?? env.SSMD_ETCD_PASSWORD
  if (user?.includes(':')) {
    // etcdctl's user:password form: refused, naming the user only.
    throw new ReaderError(
      `the etcd user holds a password after ':' (etcdctl's user:password form); set the user '${user.slice(0, user.indexOf(':'))}' alone and the password in SSMD_ETCD_PASSWORD (or pass password)`,
      'usage',
    )
  }
  if (user !== undefined && user !== '' && password === undefined) throw new ReaderError(`etcd user '${user}' has no password: set SSMD_ETCD_PASSWORD or pass password`, 'usage')
  const secure = ca !== undefined || cert !== undefined || endpoints.some(e => e.secure)
  const dialTimeoutMs = options.dialTimeoutMs ?? 5000
  const base = `${prefix}/environments/${name}/`
  const session = await runtimeWording(() =>
    EtcdSession.connect(
      {
        endpoints,
        dialTimeoutMs,
        requestTimeoutMs: Math.max(options.requestTimeoutMs ?? 10000, dialTimeoutMs),
        ...(secure ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } } : {}),
        ...(user ? { auth: { username: user, password: password ?? '' } } : {}),
      },
      `${base}content`,
    ),
  )
  return new EnvironmentReader(session, name, base)
}

/** One environment's reader: `read()` once, or `watch()` for every new deploy and dated switch. */
export class EnvironmentReader {
  private closed = false
  private readonly watches = new Set<EnvironmentWatch>()

  /** @internal use openEnvironment */
  constructor(
    private readonly session: EtcdSession,
    readonly name: string,
    /** `<prefix>/environments/<name>/` */
    readonly keyPrefix: string,
  ) {}

  /** The environment as deployed now, resolved for `date` (default today, UTC); a ReaderError when it is missing, incomplete or altered. */
  async read(date: string | Date = new Date()): Promise<Environment> {
    return this.build(await this.fetch(), dateOf(date), 'initial')
  }

  /**
   * The environment now, then again after every deploy that changes it and
   * whenever a dated feed version takes effect (at 00:00 UTC of its first
   * day). Only complete, checked environments are yielded; a dropped
   * connection resumes from the last revision seen (a compacted one by reading
   * anew). Ends when the signal aborts, the loop breaks or the reader closes;
   * throws only for a wrong user, password or permission.
   */
  watch(options: WatchOptions = {}): AsyncIterableIterator<Environment> {
    const w = new EnvironmentWatch(this, options, () => this.watches.delete(w))
    this.watches.add(w)
    return w
  }

  /** Ends every watch (their loops finish) and disconnects. */
  close(): void {
    this.closed = true
    for (const w of this.watches) void w.return()
    this.session.close()
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** One range read of the environment's prefix, checked. */
  async fetch(): Promise<{ revision: string; record: IKeyValue; content: IKeyValue; parsed: { record: DeploymentRecord; content: EnvironmentContent } }> {
    let res
    try {
      const key = Buffer.from(this.keyPrefix)
      res = await this.session.client.kv.range({ key, range_end: prefixEnd(key) })
    } catch (error) {
      throw runtimeError(this.session.failure(error, 'read'))
    }
    const revision = String(res.header.revision)
    const rel = (kv: IKeyValue) => kv.key.toString().slice(this.keyPrefix.length)
    const record = res.kvs.find(kv => rel(kv) === 'deploy')
    const content = res.kvs.find(kv => rel(kv) === 'content')
    const where = `${this.keyPrefix}`
    if (!record && !content) {
      if (res.kvs.length > 0)
        throw new ReaderError(`environment '${this.name}' under ${where} has no deploy record, only other keys; deploy it again (ssmd deploy ${this.name})`, 'incomplete', revision)
      throw new ReaderError(`environment '${this.name}' is not deployed under ${where} (ssmd deploy ${this.name}, or check the prefix)`, 'not-deployed', revision)
    }
    if (!content) {
      if (res.kvs.some(kv => rel(kv) === 'feed')) {
        throw new ReaderError(
          `environment '${this.name}' under ${where} was deployed by an older ssmd (one key per part); deploy it again with this version (ssmd deploy ${this.name})`,
          'old-layout',
          revision,
        )
      }
      throw new ReaderError(`environment '${this.name}' under ${where} has a deploy record but no content; deploy it again (ssmd deploy ${this.name})`, 'incomplete', revision)
    }
    if (!record)
      throw new ReaderError(`environment '${this.name}' under ${where} has content but no deploy record; deploy it again (ssmd deploy ${this.name})`, 'incomplete', revision)
    const parsedRecord = parseRecord(record.value)
    if (!parsedRecord) throw new ReaderError(`the deploy record ${where}deploy is not a deploy record (no digest); deploy it again (ssmd deploy ${this.name})`, 'invalid', revision)
    const digest = `sha256:${createHash('sha256').update(content.value).digest('hex')}`
    if (digest !== parsedRecord.digest) {
      throw new ReaderError(
        `environment '${this.name}': ${where}content does not match its deploy record (digest ${digest.slice(0, 19)}…, recorded ${parsedRecord.digest.slice(0, 19)}…): it was changed in etcd after the deploy; deploy it again (ssmd deploy ${this.name})`,
        'digest-mismatch',
        revision,
      )
    }
    const parsedContent = parseContent(content.value)
    if (!parsedContent)
      throw new ReaderError(
        `${where}content is not an environment's content (feed, schemas, keys, transport, storage); deploy it again with this version of ssmd`,
        'invalid',
        revision,
      )
    return { revision, record, content, parsed: { record: parsedRecord, content: parsedContent } }
  }

  /** @internal */
  build(read: Awaited<ReturnType<EnvironmentReader['fetch']>>, date: string, change: Environment['change']): Environment {
    const deployed = read.parsed.content
    const at = (d: string | Date) => {
      try {
        return resolveContent(deployed, dateOf(d))
      } catch (error) {
        throw new ReaderError(`environment '${this.name}': ${(error as Error).message}`, 'no-version')
      }
    }
    return {
      name: this.name,
      revision: read.revision,
      deployRevision: String(read.record.mod_revision),
      record: read.parsed.record,
      deployed,
      date,
      content: at(date),
      change,
      at,
    }
  }

  /** @internal */
  get client(): EtcdSession['client'] {
    return this.session.client
  }
}

type Fetched = Awaited<ReturnType<EnvironmentReader['fetch']>>

/** The iterator `watch()` returns: a loop woken by the etcd watch, the switch timer and retries. */
class EnvironmentWatch implements AsyncIterableIterator<Environment> {
  private watcher?: Watcher
  private needRead = true
  private switchDue = false
  private done = false
  private wake?: () => void
  private timer?: NodeJS.Timeout
  private retry?: NodeJS.Timeout
  private retryMs = 250
  private last?: { fetched: Fetched; env: Environment }
  private nextDay?: string
  private lastProblem = ''
  private readonly now: () => number
  private readonly onAbort = () => void this.return()

  constructor(
    private readonly reader: EnvironmentReader,
    private readonly options: WatchOptions,
    private readonly ended: () => void,
  ) {
    this.now = options.now ?? Date.now
    if (options.signal?.aborted) this.done = true
    options.signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Environment> {
    return this
  }

  async next(): Promise<IteratorResult<Environment>> {
    for (;;) {
      if (this.done || this.reader.isClosed) return this.finish()
      if (this.needRead) {
        const env = await this.readOnce()
        if (env) return { value: env, done: false }
        continue
      }
      if (this.switchDue) {
        this.switchDue = false
        const env = this.switchNow()
        if (env) return { value: env, done: false }
        continue
      }
      await new Promise<void>(resolve => {
        this.wake = resolve
      })
      this.wake = undefined
    }
  }

  async return(): Promise<IteratorResult<Environment>> {
    this.done = true
    this.wake?.()
    return this.finish()
  }

  private async finish(): Promise<IteratorResult<Environment>> {
    this.done = true
    clearTimeout(this.timer)
    clearTimeout(this.retry)
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.ended()
    const w = this.watcher
    this.watcher = undefined
    // Asked now, before the client may close: etcd3 reconnects a watcher that is not cancelled for ever.
    if (w) await w.cancel().catch(() => undefined)
    return { value: undefined, done: true }
  }

  private poke(): void {
    this.wake?.()
  }

  /** Reads; returns the environment when it is new, else undefined (and waits for the next event or retry). */
  private async readOnce(): Promise<Environment | undefined> {
    this.needRead = false
    let fetched: Fetched
    try {
      fetched = await this.reader.fetch()
    } catch (error) {
      if (this.done) return undefined
      const e = error instanceof ReaderError ? error : new ReaderError(String((error as Error)?.message ?? error), 'etcd')
      if (e.code === 'etcd-auth' || e.code === 'etcd-permission') throw e
      this.problem(e)
      if (e.code.startsWith('etcd')) {
        // etcd out of reach: read again after a backoff (the watch itself reconnects on its own).
        clearTimeout(this.retry)
        this.retry = setTimeout(() => {
          this.needRead = true
          this.poke()
        }, this.retryMs)
        this.retryMs = Math.min(this.retryMs * 2, 5000)
      }
      this.ensureWatcher(e.revision)
      return undefined
    }
    this.retryMs = 250
    this.lastProblem = ''
    this.ensureWatcher(fetched.revision)
    const prev = this.last?.fetched
    if (prev && prev.record.mod_revision === fetched.record.mod_revision && prev.content.mod_revision === fetched.content.mod_revision) return undefined
    const date = utcDate(this.now())
    let env: Environment
    try {
      env = this.reader.build(fetched, date, prev ? 'deploy' : 'initial')
    } catch (error) {
      this.problem(error as ReaderError)
      this.schedule(fetched, date)
      return undefined
    }
    this.last = { fetched, env }
    this.schedule(fetched, date)
    return env
  }

  /** At a switch time: the content in effect today, when its feed version differs from the last one yielded. */
  private switchNow(): Environment | undefined {
    const last = this.last
    if (!last) return undefined
    const date = utcDate(this.now())
    if (this.nextDay !== undefined && date < this.nextDay) {
      this.arm(this.nextDay)
      return undefined
    }
    let env: Environment
    try {
      env = this.reader.build(last.fetched, date, 'switch')
    } catch (error) {
      this.problem(error as ReaderError)
      this.schedule(last.fetched, date)
      return undefined
    }
    this.schedule(last.fetched, date)
    if (env.content.feed.version === last.env.content.feed.version && env.content.feed.effective_from === last.env.content.feed.effective_from) return undefined
    this.last = { fetched: last.fetched, env }
    return env
  }

  /** Sets the timer for the next day the deployed feed changes version after `date`. */
  private schedule(fetched: Fetched, date: string): void {
    clearTimeout(this.timer)
    this.nextDay = nextSwitch(fetched.parsed.content.feed, date)
    if (this.nextDay !== undefined) this.arm(this.nextDay)
  }

  private arm(day: string): void {
    clearTimeout(this.timer)
    const delay = Math.max(0, Math.min(Date.parse(`${day}T00:00:00Z`) - this.now(), MAX_DELAY))
    this.timer = setTimeout(() => {
      this.switchDue = true
      this.poke()
    }, delay)
    this.timer.unref()
  }

  /**
   * A watch on the environment's prefix from the revision after the read.
   * etcd3 resumes it after a dropped connection from the last revision it
   * saw; any reconnection, and a watch cancelled by etcd (its revision
   * compacted), makes the loop read anew (and watch again from that read).
   */
  private ensureWatcher(revision: string | undefined): void {
    if (this.watcher || this.done || revision === undefined) return
    const watcher = this.reader.client
      .watch()
      .prefix(this.reader.keyPrefix)
      .startRevision(String(BigInt(revision) + 1n))
      .watcher()
    let connectedOnce = false
    watcher.on('data', res => {
      if (res.events.length === 0) return
      this.needRead = true
      this.poke()
    })
    watcher.on('connected', () => {
      if (connectedOnce) {
        this.needRead = true
        this.poke()
      }
      connectedOnce = true
    })
    watcher.on('disconnected', () => {
      connectedOnce = true
    })
    watcher.on('error', () => {
      // Cancelled by etcd (a compacted start revision): read anew, then watch from there.
      if (this.watcher === watcher) this.watcher = undefined
      void watcher.cancel().catch(() => undefined)
      this.needRead = true
      this.poke()
    })
    this.watcher = watcher
  }

  private problem(error: ReaderError): void {
    if (error.message === this.lastProblem) return
    this.lastProblem = error.message
    if (this.options.onProblem) this.options.onProblem(error)
    else process.emitWarning(error.message, { code: `SSMD_${error.code.toUpperCase().replace(/-/g, '_')}` })
  }
}

const dateOf = (d: string | Date): string => {
  if (d instanceof Date) {
    if (Number.isNaN(d.getTime())) throw new ReaderError('the date is not a valid Date', 'usage')
    return d.toISOString().slice(0, 10)
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) {
    throw new ReaderError(`'${d}' is not a date; use YYYY-MM-DD`, 'usage')
  }
  return d
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'))
  } catch {
    return undefined
  }
}

/** The record's fields (text from etcd made printable), when it names a digest. */
function parseRecord(value: Buffer): DeploymentRecord | undefined {
  const r = parseRecordValue(value.toString('utf8'))
  if (!r || !/^sha256:[0-9a-f]{64}$/.test(r.digest)) return undefined
  const { commit, dirty, as_of, deployed_at, deployed_by, ssmd_version, digest, deploy_id } = r
  return { commit, dirty, as_of, deployed_at, deployed_by, ssmd_version, digest, deploy_id }
}

/** The content's shape as far as a reader relies on it (the digest has vouched for the bytes). */
function parseContent(value: Buffer): EnvironmentContent | undefined {
  const c = parseJson(value)
  if (!isObject(c) || !isObject(c.feed) || !isObject(c.schemas) || !isObject(c.keys) || !isObject(c.transport) || !isObject(c.storage)) return undefined
  const f = c.feed
  if (typeof f.name !== 'string' || typeof f.version !== 'string' || typeof f.effective_from !== 'string') return undefined
  if (f.upcoming !== undefined && !(Array.isArray(f.upcoming) && f.upcoming.every(v => isObject(v) && typeof v.version === 'string' && typeof v.effective_from === 'string')))
    return undefined
  return c as unknown as EnvironmentContent
}

/** The deploy side's messages name CLI flags; a library user sets options or SSMD_ETCD_* variables. */
const WORDING: Array<[RegExp, string]> = [
  [/--etcd/g, 'the endpoints (SSMD_ETCD_ENDPOINTS)'],
  [/--prefix/g, 'prefix'],
  [/--cacert, --cert and --key/g, 'the TLS files (SSMD_ETCD_CACERT, SSMD_ETCD_CERT, SSMD_ETCD_KEY)'],
  [/pass --user and set/g, 'set SSMD_ETCD_USER and'],
  [/check --user and/g, 'check SSMD_ETCD_USER and'],
  [/; drop --user/g, '; set no user'],
]

function runtimeError(error: unknown): ReaderError {
  if (error instanceof ReaderError) return error
  const e = error as SsmdError
  let message = String(e?.message ?? error)
  for (const [re, to] of WORDING) message = message.replace(re, to)
  const code = (e instanceof SsmdError && e.exitCode === 2 ? 'usage' : (e?.code ?? 'etcd')) as ReaderErrorCode
  return new ReaderError(message, code)
}

function runtimeWording<T>(fn: () => T): T {
  let out: T
  try {
    out = fn()
  } catch (error) {
    throw runtimeError(error)
  }
  if (out instanceof Promise) return out.catch(error => Promise.reject(runtimeError(error))) as T
  return out
}
