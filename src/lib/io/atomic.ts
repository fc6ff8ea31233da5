import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs'
import { basename, dirname, join, relative, sep } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { fileKind } from './read.js'
import { isInside, RealPaths } from './real-paths.js'

/** Where ssmd keeps its own transient files: never listed, diffed or committed (`.ssmd/` is not an ssmd folder and is git-ignored). */
export const SSMD_DIR = '.ssmd'
export const TMP_DIR = join(SSMD_DIR, 'tmp')
export const LOCK_DIR = join(SSMD_DIR, 'locks')
export const CACHE_DIR = join(SSMD_DIR, 'cache')

/** `.ssmd/.gitignore`: git ignores everything under `.ssmd/`, whatever the repository's own `.gitignore` says. */
export const SSMD_GITIGNORE = '# ssmd: local preferences and caches, never committed\n*\n'

// ---- .ssmd/: a real folder inside the root, or nothing ---------------------------

/**
 * Why ssmd must not use `<root>/<sub>` (`.ssmd` or a folder under it), or
 * undefined when every level of it is a real folder or missing. A symlink is
 * never followed, wherever it leads: one to a folder outside would make ssmd
 * write there, one to `feeds/` would put the cache where a commit picks it up.
 */
export function ssmdDirProblem(root: string, sub: string = SSMD_DIR): string | undefined {
  let rel = ''
  for (const part of sub.split(sep)) {
    rel = rel === '' ? part : join(rel, part)
    const shown = rel.split(sep).join('/')
    let st: Stats
    try {
      st = lstatSync(join(root, rel))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      return `${shown} in ${root} cannot be examined (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    }
    if (st.isSymbolicLink()) return `${shown} in ${root} is a symlink`
    if (!st.isDirectory()) return `${shown} in ${root} is ${fileKind(st)}, not a folder`
  }
  return undefined
}

/** The one-line refusal of a write into `<root>/<sub>` that ssmdDirProblem objects to. */
export function refuseSsmdDirWrite(root: string, sub: string): void {
  const problem = ssmdDirProblem(root, sub)
  if (problem === undefined) return
  const at = join(root, /^(\S+) in /.exec(problem)![1])
  const fix = problem.endsWith('is a symlink')
    ? `ssmd keeps its cache, locks and temporary files in a real folder inside the repository and never writes through a link; remove the link (rm ${at}) and run again`
    : `ssmd keeps its cache, locks and temporary files in a real folder there; move it away (mv ${at} ${at}.old) and run again`
  throw new SsmdError(`${problem}: ${fix}`, { code: 'ssmd-dir' })
}

const notices: string[] = []

/**
 * For commands that only read: whether `<root>/<sub>` may be used (read from,
 * or written to on a best-effort basis such as the cache). When it may not,
 * a warning is kept for the command to print (see takeNotices) and the caller
 * goes on without it.
 */
export function ssmdDirUsable(root: string, sub: string): boolean {
  const problem = ssmdDirProblem(root, sub)
  if (problem === undefined) return true
  const at = /^(\S+) in /.exec(problem)![1]
  const notice = `${problem}: ssmd does not follow it, so this run goes without its validation cache and local preferences; remove it (rm ${join(root, at)})`
  if (!notices.includes(notice)) notices.push(notice)
  return false
}

/** The warnings kept by ssmdDirUsable since the last call, once each. */
export function takeNotices(): string[] {
  return notices.splice(0)
}

/**
 * Makes sure `<root>/.ssmd/.gitignore` ignores everything: written first, before
 * anything else goes under `.ssmd/`, atomically (temporary file beside it,
 * fsync, rename), so it is never left empty or cut short; a missing, empty or
 * altered one is rewritten. Fails with one line when it cannot be written
 * (a full disk): nothing may then be written under `.ssmd/`.
 */
export function ensureSsmdIgnore(root: string): void {
  const dir = join(root, SSMD_DIR)
  const file = join(dir, '.gitignore')
  if (holds(file, SSMD_GITIGNORE)) return
  installCleanup()
  const tmp = join(dir, `.gitignore.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  liveTemps.add(tmp)
  try {
    writeTemp(tmp, SSMD_GITIGNORE)
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, { force: true })
    const e = error as NodeJS.ErrnoException
    const why =
      e.code === 'ENOSPC' || e.code === 'EDQUOT'
        ? 'no space left on device'
        : e.code === 'EROFS'
          ? 'read-only file system'
          : e.code === 'EACCES' || e.code === 'EPERM'
            ? 'permission denied'
            : (e.code ?? e.message)
    throw new SsmdError(
      `cannot write .ssmd/.gitignore in ${root} (${why}); ssmd writes nothing under .ssmd/ without it, so that git never picks up its cache; free some space (or make the folder writable) and run again`,
      { code: 'ssmd-dir' },
    )
  } finally {
    releaseTemp(tmp)
  }
  fsyncDir(dir)
}

/** True when `file` is a regular file holding exactly `content`. */
function holds(file: string, content: string): boolean {
  try {
    const st = lstatSync(file)
    return st.isFile() && st.size === Buffer.byteLength(content) && readFileSync(file, 'utf8') === content
  } catch {
    return false
  }
}

/** `mkdir` of one level of `.ssmd/`, then the check that it is a real folder (a link could have been put there meanwhile). */
function makeOwnDir(root: string, rel: string): void {
  try {
    mkdirSync(join(root, rel))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  refuseSsmdDirWrite(root, rel)
}

/**
 * `<root>/.ssmd/<sub>`, created on demand: `.ssmd` and each folder below it
 * must be a real folder (never a symlink, wherever it leads), and
 * `.ssmd/.gitignore` is in place before anything else is created inside.
 */
export function ssmdSubdir(root: string, sub: string): string {
  const parts = relative(SSMD_DIR, sub)
    .split(sep)
    .filter(p => p !== '')
  if (sub.split(sep)[0] !== SSMD_DIR) throw new Error(`ssmdSubdir: ${sub} is not under ${SSMD_DIR}`)
  refuseSsmdDirWrite(root, sub)
  makeOwnDir(root, SSMD_DIR)
  ensureSsmdIgnore(root)
  const top = join(root, SSMD_DIR)
  if (!swept.has(top)) {
    swept.add(top)
    sweepStaleTemps(top)
  }
  let rel: string = SSMD_DIR
  for (const part of parts) {
    rel = join(rel, part)
    makeOwnDir(root, rel)
  }
  return join(root, sub)
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
export function writeFileAtomic(root: string, path: string, content: AtomicContent): void {
  // ssmd's own files (the cache, .ssmd/config.yaml): every level a real folder, the .gitignore first.
  const own = relative(root, dirname(path))
  if (own.split(sep)[0] === SSMD_DIR) ssmdSubdir(root, own)
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
  fsyncDir(dir)
}

/** Makes a rename or a new file in `dir` durable (a file system that cannot fsync a folder is left as it is). */
export function fsyncDir(dir: string): void {
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
export function writeUserFileAtomic(path: string, content: AtomicContent): void {
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

/**
 * What an atomic write writes: text, bytes, or a function making the chunks as
 * they are written (called again when the write is retried), so that a large
 * file is never held whole.
 */
type AtomicContent = string | Uint8Array | (() => Iterable<Uint8Array>)

function writeTemp(tmp: string, content: AtomicContent): void {
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  try {
    if (typeof content === 'string') writeSync(fd, content)
    else if (content instanceof Uint8Array) writeSync(fd, content, 0, content.length)
    else
      for (const chunk of content()) {
        for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off)
      }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
