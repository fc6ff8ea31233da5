import { closeSync, constants, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, join, relative, sep } from 'node:path'
import { numericEnv } from '../core/numbers.js'
import { SsmdError } from '../core/errors.js'
import { LOCK_DIR, pidAlive, releaseTemp, ssmdSubdir, trackTransient } from './atomic.js'

const STALE_LOCK_MS = 30000
/**
 * A lock with no owner written in it is the trace of a process killed between
 * creating the lock and writing its pid (microseconds apart): stale once it is
 * this old, which no live writer could take.
 */
const OWNERLESS_LOCK_MS = 5000

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export interface LockOptions {
  /** How long to wait for another process's lock (default: SSMD_LOCK_TIMEOUT_MS). */
  timeoutMs?: number
  /** Called once, when the lock is found held by another process. */
  onWait?: () => void
}

/**
 * Runs `fn` while holding an exclusive lock on `path` of the ssmd root `root`
 * (`<root>/.ssmd/locks/<root-relative path, encoded>.lock`, so no file of the
 * repository is ever mistaken for a lock), so concurrent ssmd processes editing
 * one file never lose an update. A lock left by a dead process is taken over.
 */
export function withFileLock<T>(root: string, path: string, fn: () => T, options: LockOptions = {}): T {
  const lock = join(ssmdSubdir(root, LOCK_DIR), `${encodeURIComponent(relative(root, path).split(sep).join('/'))}.lock`)
  const timeout = options.timeoutMs ?? numericEnv('SSMD_LOCK_TIMEOUT_MS')
  let waited = false
  const started = Date.now()
  let delay = 5
  for (;;) {
    try {
      const fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
      trackTransient(lock)
      writeSync(fd, LOCK_OWNER)
      closeSync(fd)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (lockIsStale(lock)) {
        takeOverStaleLock(lock)
        continue
      }
      if (!waited) {
        waited = true
        options.onWait?.()
      }
      if (Date.now() - started > timeout) {
        throw new SsmdError(`${basename(path)} is locked by another ssmd process (${lock}); wait for it to finish, or delete the lock file if no ssmd is running`)
      }
      sleep(delay + Math.random() * delay)
      delay = Math.min(delay * 2, 100)
    }
  }
  try {
    return fn()
  } finally {
    rmSync(lock, { force: true })
    releaseTemp(lock)
  }
}

const LOCK_OWNER = `${process.pid}@${hostname()}`

/**
 * Whether process `pid` started after `ms` (epoch milliseconds), so that it cannot
 * be the process that wrote a lock then: its pid was reused (Linux's /proc; a
 * system without it answers false). /proc/<pid>/stat gives the start in ticks
 * of 1/100 s after boot (USER_HZ); two seconds of margin cover the rounding.
 */
function startedAfter(pid: number, ms: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    const started = (bootSeconds + Number(fields[19]) / 100) * 1000
    return Number.isFinite(started) && started > ms + 2000
  } catch {
    return false
  }
}

/** A lock is stale when its owner (on this host) is dead or a later process that reused its pid, for another host's lock when it is old, and without an owner when it is a few seconds old. */
function lockIsStale(lock: string): boolean {
  try {
    const owner = readFileSync(lock, 'utf8')
    if (owner === '') return Date.now() - statSync(lock).mtimeMs > OWNERLESS_LOCK_MS
    const [pid, host] = owner.split('@')
    const n = Number(pid)
    if ((host === undefined || host === hostname()) && Number.isInteger(n) && n > 0) return !pidAlive(n) || startedAfter(n, statSync(lock).mtimeMs)
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS
  } catch {
    return false
  }
}

/**
 * Removes a stale lock without racing another process doing the same: the lock
 * is moved aside atomically, and if what was moved turns out to be a live
 * owner's fresh lock (someone took over first), it is put back.
 */
function takeOverStaleLock(lock: string): void {
  const aside = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}.stale`
  try {
    renameSync(lock, aside)
  } catch {
    return
  }
  try {
    if (!lockIsStale(aside)) linkSync(aside, lock)
  } catch {
    // A newer lock already exists; its owner goes first.
  } finally {
    rmSync(aside, { force: true })
  }
}
