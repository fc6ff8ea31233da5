import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join, relative, sep } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { isInside, RealPaths } from './real-paths.js'

/** Where ssmd keeps its own transient files: never listed, diffed or committed (`.ssmd/` is not an ssmd folder and is git-ignored). */
export const SSMD_DIR = '.ssmd'
export const TMP_DIR = join(SSMD_DIR, 'tmp')
export const LOCK_DIR = join(SSMD_DIR, 'locks')

/** `<root>/.ssmd/<sub>`, created on demand, refused when it leads outside the root. */
export function ssmdSubdir(root: string, sub: string): string {
  const dir = join(root, sub)
  mkdirSync(dir, { recursive: true })
  const real = new RealPaths()
  const realRoot = real.of(root) ?? root
  const realDir = real.of(dir)
  if (realDir === null || !isInside(realRoot, realDir)) {
    throw new SsmdError(`${sub.split(sep).join('/')}/ leads outside the repository (a symlink); remove it so that ssmd can create it`)
  }
  return dir
}

// ---- temporary files: removed on any exit ----------------------------------------

const liveTemps = new Set<string>()
let handlersInstalled = false

function removeLiveTemps(): void {
  for (const t of liveTemps) rmSync(t, { force: true })
  liveTemps.clear()
}

/**
 * Removes this process's temporary files when it exits, also on SIGINT,
 * SIGTERM and SIGHUP (the signal is re-raised afterwards, so the exit status
 * stays what the shell expects).
 */
function installCleanup(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.once('exit', removeLiveTemps)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      removeLiveTemps()
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(s, handlers[s])
      process.kill(process.pid, signal)
    }
    handlers[signal] = handler
    process.once(signal, handler)
  }
}
const handlers: Record<string, () => void> = {}

/** Temporary files of processes that are gone (killed with SIGKILL, a power cut): removed on the next write. */
function sweepStaleTemps(dir: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = Number(/\.(\d+)\.[a-z0-9]+\.[a-z]+$/.exec(name)?.[1])
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid)) rmSync(join(dir, name), { force: true })
  }
}

/** True when a process with that id runs on this host (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const swept = new Set<string>()

/**
 * A unique name for a temporary file in `<root>/.ssmd/tmp/`, removed when the
 * process exits (call `releaseTemp` once it has been renamed or removed).
 */
export function tempPath(root: string, name: string, suffix = 'tmp'): string {
  const dir = ssmdSubdir(root, TMP_DIR)
  if (!swept.has(dir)) {
    swept.add(dir)
    sweepStaleTemps(dir)
  }
  installCleanup()
  const path = join(dir, `${basename(name)}.${process.pid}.${Math.random().toString(36).slice(2)}.${suffix}`)
  liveTemps.add(path)
  return path
}

/** The temporary file is gone (renamed into place or removed). */
export function releaseTemp(path: string): void {
  liveTemps.delete(path)
}

/** A file of this process (a lock) to remove if the process exits or is interrupted before it does. */
export function trackTransient(path: string): void {
  installCleanup()
  liveTemps.add(path)
}

/**
 * Refuses a write whose target, or the folder holding it, leads outside the
 * root through a symlink (a symlinked `feeds/` pointing elsewhere, a
 * `feeds/x.yaml` link to a file outside). The target's folder is created
 * inside the root when missing.
 */
export function checkWriteTarget(root: string, path: string): void {
  const real = new RealPaths()
  const realRoot = real.of(root) ?? root
  const shown = relative(root, path).split(sep).join('/')
  // The nearest existing ancestor decides where a missing folder would be created.
  let dir = dirname(path)
  while (real.of(dir) === null && dirname(dir) !== dir) dir = dirname(dir)
  const realDir = real.of(dir)
  if (realDir === null || !isInside(realRoot, realDir)) {
    const folder = relative(root, dir).split(sep).join('/') || '.'
    throw new SsmdError(
      `cannot write ${shown}: ${folder}/ is a symlink leading outside the repository; ssmd does not write through it (make it a real folder inside the repository)`,
    )
  }
  let link = false
  try {
    link = lstatSync(path).isSymbolicLink()
  } catch {
    /* a new file */
  }
  if (link) {
    const target = real.of(path)
    if (target === null || !isInside(realRoot, target)) {
      throw new SsmdError(`cannot write ${shown}: it is a symlink leading outside the repository; ssmd does not write through it (replace the link with the file itself)`)
    }
  }
}

/**
 * Writes a file of the ssmd root so that readers only ever see the old or the
 * new content: temporary file in `<root>/.ssmd/tmp/` (same file system, never
 * picked up by a listing or a commit), fsync, rename over the target, fsync
 * the folder. Refuses targets that lead outside the root.
 */
export function writeFileAtomic(root: string, path: string, content: string | Uint8Array): void {
  checkWriteTarget(root, path)
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  let tmp = tempPath(root, path)
  try {
    writeTemp(tmp, content)
    try {
      renameSync(tmp, path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      // The folder is another file system (a mount inside the root): stage beside the target instead.
      rmSync(tmp, { force: true })
      releaseTemp(tmp)
      tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
      liveTemps.add(tmp)
      writeTemp(tmp, content)
      renameSync(tmp, path)
    }
    releaseTemp(tmp)
  } catch (error) {
    rmSync(tmp, { force: true })
    releaseTemp(tmp)
    throw error
  }
  try {
    const dfd = openSync(dir, 'r')
    try {
      fsyncSync(dfd)
    } finally {
      closeSync(dfd)
    }
  } catch {
    // Some file systems do not allow fsync on a folder; the rename is still atomic.
  }
}

/**
 * Writes a file the user named outside ssmd's own files (`--output`, `--out`):
 * atomic the same way, with the temporary file beside the target (the target's
 * folder may be anywhere, on any file system), removed on failure or exit.
 */
export function writeUserFileAtomic(path: string, content: string | Uint8Array): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  installCleanup()
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  liveTemps.add(tmp)
  try {
    writeTemp(tmp, content)
    renameSync(tmp, path)
  } catch (error) {
    rmSync(tmp, { force: true })
    throw error
  } finally {
    releaseTemp(tmp)
  }
}

function writeTemp(tmp: string, content: string | Uint8Array): void {
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  try {
    if (typeof content === 'string') writeSync(fd, content)
    else writeSync(fd, content, 0, content.length)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
