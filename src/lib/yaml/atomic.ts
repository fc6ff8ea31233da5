import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, readFileSync, constants } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { SsmdError } from '../errors.js'

/**
 * Writes a file so that readers only ever see the old or the new content:
 * temp file in the same folder, fsync, rename over the target, fsync the folder.
 */
export function writeFileAtomic(path: string, content: string): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
    writeSync(fd, content)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(tmp, path)
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    rmSync(tmp, { force: true })
    throw error
  }
  try {
    const dfd = openSync(dir, 'r')
    try { fsyncSync(dfd) } finally { closeSync(dfd) }
  } catch {
    // Some file systems do not allow fsync on a folder; the rename is still atomic.
  }
}

const LOCK_TIMEOUT_MS = Number(process.env.SSMD_LOCK_TIMEOUT_MS ?? 15000)
const STALE_LOCK_MS = 30000

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs `fn` while holding an exclusive lock on `path` (a `<file>.lock` beside
 * it), so concurrent ssmd processes editing one file never lose an update.
 * A lock left by a dead process is taken over.
 */
export function withFileLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`
  mkdirSync(dirname(path), { recursive: true })
  const started = Date.now()
  let delay = 5
  for (;;) {
    try {
      const fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (lockIsStale(lock)) {
        rmSync(lock, { force: true })
        continue
      }
      if (Date.now() - started > LOCK_TIMEOUT_MS) {
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
  }
}

function lockIsStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8'))
    if (Number.isInteger(pid) && pid > 0) return !pidAlive(pid)
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS
  } catch {
    return false
  }
}
