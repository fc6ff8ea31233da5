/**
 * One deploy at a time per prefix, with etcd's own recipe: a key created only
 * if absent (`<prefix>/.ssmd-lock`), attached to a lease the running deploy
 * keeps alive. Every environment's transaction also compares the lock key's
 * create revision, so a deploy whose lease expired (a frozen process) can no
 * longer write. A deploy that dies stops the keep-alive and etcd deletes the
 * key when the lease's TTL runs out.
 */
import { SsmdError } from '../core/errors.js'
import type { EtcdSession, LeaseHandle } from './etcd.js'
import { canonicalJson, lockKey, printable } from './layout.js'

/** Seconds a dead deploy's lock outlives it (the lease's TTL); the client renews it every third of that. */
export const LOCK_TTL_SECONDS = 10
/** How often a waiting deploy tries again. */
const RETRY_MS = 250

export interface LockHolder {
  /** user@host */
  by: string
  pid: number
  /** ISO time it took the lock. */
  since: string
  deploy_id: string
}

/** The holder as read from etcd (anything may be there): printable fields, or undefined. */
function parseHolder(value: string): LockHolder | undefined {
  try {
    const raw = JSON.parse(value) as Record<string, unknown>
    if (typeof raw !== 'object' || raw === null) return undefined
    return {
      by: typeof raw.by === 'string' ? printable(raw.by) : '?',
      pid: typeof raw.pid === 'number' ? raw.pid : 0,
      since: typeof raw.since === 'string' ? printable(raw.since) : '?',
      deploy_id: typeof raw.deploy_id === 'string' ? printable(raw.deploy_id) : '',
    }
  } catch {
    return undefined
  }
}

export const describeHolder = (h: LockHolder | undefined) => (h ? `${h.by}, pid ${h.pid}, since ${h.since}` : 'a holder that did not say who it is')

export class DeployLock {
  private constructor(
    readonly key: string,
    /** The revision that created the lock key: what each transaction compares. */
    readonly createRevision: string,
    private readonly lease: LeaseHandle,
  ) {}

  /**
   * Takes the lock on `prefix`, waiting up to `timeoutMs` for a deploy that
   * holds it (`onWait` is told once, naming it); then refuses naming the holder.
   */
  static async acquire(
    session: EtcdSession,
    prefix: string,
    me: LockHolder,
    options: { timeoutMs: number; onWait?: (line: string) => void; ttlSeconds?: number },
  ): Promise<DeployLock> {
    const key = lockKey(prefix)
    const lease = await session.grantLease(options.ttlSeconds ?? LOCK_TTL_SECONDS)
    const deadline = Date.now() + options.timeoutMs
    let told = false
    try {
      for (;;) {
        const r = await session.createIfAbsent(key, canonicalJson(me), lease.id)
        if (r.created) return new DeployLock(key, r.revision, lease)
        const holder = parseHolder(r.value)
        const waited = Math.round(options.timeoutMs / 1000)
        if (Date.now() >= deadline) {
          throw new SsmdError(
            `another deploy holds the lock on ${prefix} (${describeHolder(holder)})${waited > 0 ? `; waited ${waited} s` : ''}: let it finish, or pass a longer --lock-timeout (a deploy that died releases it within ${LOCK_TTL_SECONDS} s)`,
            { code: 'locked' },
          )
        }
        if (!told) {
          options.onWait?.(`waiting for the deploy lock on ${prefix}, held by ${describeHolder(holder)} (up to ${waited} s, --lock-timeout)`)
          told = true
        }
        await new Promise(resolve => setTimeout(resolve, Math.min(RETRY_MS, Math.max(0, deadline - Date.now()))))
      }
    } catch (error) {
      await lease.revoke()
      throw error
    }
  }

  /** True once etcd let the lease expire: no transaction of this run can apply any more. */
  lost(): boolean {
    return this.lease.lost()
  }

  /** Releases the lock (revoking the lease deletes the key). */
  async release(): Promise<void> {
    await this.lease.revoke()
  }
}
