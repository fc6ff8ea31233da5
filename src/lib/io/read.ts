import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs'
import { isInside, RealPaths } from './real-paths.js'

export { isInside, RealPaths }

/** Why a file was not read. Nothing is opened for any of these but `too-large` found while reading and `unreadable`. */
export interface ReadRefusal {
  kind: 'missing' | 'not-regular' | 'outside-root' | 'too-large' | 'unreadable'
  /** One line, naming the file as `display`; never the target of a symlink nor any content. */
  message: string
  /** For `too-large`: the size known (from stat, or at least maxBytes + 1 when counted while reading). */
  size?: number
}

export type BoundedRead = { bytes: Buffer; refusal?: undefined } | { bytes?: undefined; refusal: ReadRefusal }

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSymbolicLink()) return 'a symlink'
  return st.isFile() ? 'a regular file' : 'not a regular file'
}

export interface ReadOptions {
  /** Largest size accepted, in bytes; at most maxBytes + 1 bytes are ever read. */
  maxBytes: number
  /** How to name the file in messages (e.g. `feeds/x.yaml` or the path the user gave). */
  display: string
  /** When given, the file (after following symlinks, its folder included) must lie inside this root. */
  root?: string
  /** Shared real-path cache (one per workspace). */
  realPaths?: RealPaths
  /**
   * readListed only: called with the open descriptor's stat data after the
   * whole file was read (not when it went through readBounded), so that a
   * caller can tell the bytes are those of the stat data it had before.
   */
  statAfter?: (st: Stats) => void
}

const CHUNK = 64 * 1024

/** With `root`: a refusal when the file's folder (after following symlinks) lies outside it. */
export function folderOutside(abs: string, options: ReadOptions): ReadRefusal | undefined {
  if (options.root === undefined) return undefined
  if ((options.realPaths ?? new RealPaths()).folderInside(options.root, abs)) return undefined
  return {
    kind: 'outside-root',
    message: `${options.display} lies in a folder that is a symlink leading outside the repository; ssmd does not read through it (replace the link with a real folder)`,
  }
}

/** The checks `readBounded` makes before opening a file (type, root, size), with the file's stat data. */
export function checkReadable(abs: string, options: ReadOptions): { st: Stats; refusal?: undefined } | { st?: undefined; refusal: ReadRefusal } {
  const { display, maxBytes } = options
  let lst: Stats
  try {
    lst = lstatSync(abs)
  } catch (error) {
    return refuse('missing', `${display} does not exist`, error)
  }
  if (options.root !== undefined) {
    const outside = folderOutside(abs, options)
    if (outside) return { refusal: outside }
    const real = options.realPaths ?? new RealPaths()
    const realRoot = real.of(options.root) ?? options.root
    if (lst.isSymbolicLink()) {
      let target: string | null = null
      try {
        target = realpathSync.native(abs)
      } catch {
        return { refusal: { kind: 'missing', message: `${display} is a broken symlink` } }
      }
      if (!isInside(realRoot, target)) {
        return {
          refusal: { kind: 'outside-root', message: `${display} is a symlink leading outside the repository; ssmd does not follow it (replace the link with the file itself)` },
        }
      }
    }
  }
  let st: Stats
  try {
    st = lst.isSymbolicLink() ? statSync(abs) : lst
  } catch (error) {
    return refuse('missing', `${display} is a broken symlink`, error)
  }
  if (!st.isFile())
    return { refusal: { kind: 'not-regular', message: `${display} is ${fileKind(st)}, not a regular file; ssmd reads only regular files (remove it or replace it with a file)` } }
  if (st.size > maxBytes) return tooLarge(display, st.size, maxBytes)
  return { st }
}

/**
 * Reads a file safely: only a regular file is opened (a FIFO, device or socket,
 * directly or through a symlink, is refused after a stat and never opened);
 * with `root`, a file or folder leading outside it is refused without being
 * read; the size cap holds while reading, so a file that lies about its size
 * (a device, /proc, a file growing meanwhile) never fills memory. The open is
 * non-blocking as a second guard against a FIFO swapped in after the stat,
 * and a read that does not match the stated size checks what was opened.
 */
export function readBounded(abs: string, options: ReadOptions): BoundedRead {
  const { display } = options
  const check = checkReadable(abs, options)
  if (check.refusal) return { refusal: check.refusal }
  let fd: number
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0))
  } catch (error) {
    return refuse('unreadable', `cannot read ${display}: ${reason(error)}`, error)
  }
  try {
    return readOpened(fd, options, check.st.size, [], 0)
  } catch (error) {
    return refuse('unreadable', `cannot read ${display}: ${reason(error)}`, error)
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads the rest of an opened file said to be `stated` bytes long, `total`
 * bytes of it already read into `chunks`, and makes sure of what was opened
 * when the bytes read do not match the stated size.
 */
function readOpened(fd: number, options: ReadOptions, stated: number, chunks: Buffer[], total: number): BoundedRead {
  const { display, maxBytes } = options
  // The first read asks for one byte more than the stated size: for a regular
  // file a short read is the end, so the usual file takes one read into a
  // buffer of its own size; a file that grew or lies goes on in chunks. With
  // `total` bytes read already, the rest of the stated size is one read too.
  let want = Math.min(total === 0 ? stated + 1 : Math.max(stated + 1 - total, CHUNK), maxBytes + 1 - total)
  for (;;) {
    if (want <= 0) break
    const buf = Buffer.allocUnsafe(want)
    let n: number
    try {
      n = readSync(fd, buf, 0, want, null)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return { refusal: { kind: 'not-regular', message: `${display} would block on read; ssmd reads only regular files` } }
      throw error
    }
    if (n === 0) break
    chunks.push(n === want ? buf : buf.subarray(0, n))
    total += n
    if (n < want) break
    want = Math.min(CHUNK, maxBytes + 1 - total)
  }
  // Anything but the size the stat stated: make sure of what was opened (something swapped in since, a device).
  if (total !== stated) {
    const opened = fstatSync(fd)
    if (!opened.isFile())
      return {
        refusal: { kind: 'not-regular', message: `${display} is ${fileKind(opened)}, not a regular file; ssmd reads only regular files (remove it or replace it with a file)` },
      }
  }
  if (total > maxBytes) return tooLarge(display, Math.max(total, stated), maxBytes)
  return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total) }
}

/** O_NOFOLLOW where the system has it (not on Windows: there every file takes readBounded's checks). */
const NOFOLLOW: number | undefined = constants.O_NOFOLLOW

/** The buffer the first read of a listed file goes into (one per process; the bytes are copied out). */
let scratch: Buffer | undefined

/**
 * `readBounded` for a file its folder's listing (readdir's entry type) says is
 * a regular file, without the `lstat`: the file is opened at once, refusing a
 * symlink (`O_NOFOLLOW`) and without blocking (`O_NONBLOCK`, should a FIFO be
 * swapped in since the listing), and read into a buffer of CHUNK bytes.
 * A read shorter than that is the whole file, which is all a usual document
 * takes (open, read, close). Only what is not that usual file takes a stat:
 * an empty read or one of CHUNK bytes is checked with `fstat` on the
 * descriptor (type, then size against the limit before reading further, so
 * at most maxBytes + 1 bytes are read); a file that cannot be opened so (a
 * symlink, gone, no permission), is not a regular file after all, or cannot
 * be read (a FIFO, a directory) is closed and goes through `readBounded`,
 * whose checks say what it is: every refusal and message is readBounded's own.
 */
export function readListed(abs: string, options: ReadOptions): BoundedRead {
  if (NOFOLLOW === undefined) return readBounded(abs, options)
  const outside = folderOutside(abs, options)
  if (outside) return { refusal: outside }
  let fd: number
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0) | NOFOLLOW)
  } catch {
    return readBounded(abs, options)
  }
  let got: BoundedRead | undefined
  try {
    got = readListedOpened(fd, options)
    if (got?.bytes !== undefined && options.statAfter !== undefined) options.statAfter(fstatSync(fd))
  } catch (error) {
    got = refuse('unreadable', `cannot read ${options.display}: ${reason(error)}`, error)
  } finally {
    closeSync(fd)
  }
  return got ?? readBounded(abs, options)
}

/** The read of readListed; undefined: not the usual file, check it as readBounded does. */
function readListedOpened(fd: number, options: ReadOptions): BoundedRead | undefined {
  const first = Math.min(CHUNK, options.maxBytes + 1)
  const buf = (scratch ??= Buffer.allocUnsafe(CHUNK))
  let n: number
  try {
    n = readSync(fd, buf, 0, first, null)
  } catch {
    return undefined
  }
  // Nothing read: an empty file, or what was swapped in (a FIFO, /dev/null) which readBounded names.
  if (n === 0) return fstatSync(fd).isFile() ? { bytes: Buffer.alloc(0) } : undefined
  const head = Buffer.allocUnsafe(n)
  buf.copy(head, 0, 0, n)
  if (n < first) return { bytes: head }
  const st = fstatSync(fd)
  if (!st.isFile()) return undefined
  if (st.size > options.maxBytes) return tooLarge(options.display, st.size, options.maxBytes)
  return readOpened(fd, options, st.size, [head], n)
}

/** `readBounded`, throwing `toError(refusal)` instead of returning a refusal. */
export function readBoundedOrThrow(abs: string, options: ReadOptions, toError: (refusal: ReadRefusal) => Error): Buffer {
  const r = readBounded(abs, options)
  if (r.refusal) throw toError(r.refusal)
  return r.bytes
}

function tooLarge(display: string, size: number, maxBytes: number): { refusal: ReadRefusal } {
  return { refusal: { kind: 'too-large', size, message: `${display} is ${size.toLocaleString('en-US')} bytes; the limit is ${maxBytes.toLocaleString('en-US')} bytes` } }
}

function refuse(kind: ReadRefusal['kind'], message: string, error: unknown): { refusal: ReadRefusal } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (kind === 'missing' && code !== undefined && code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') {
    return { refusal: { kind: 'unreadable', message: message.replace(/ does not exist$| is a broken symlink$/, '') + `: ${reason(error)}` } }
  }
  return { refusal: { kind, message } }
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    case 'ELOOP':
      return 'too many levels of symlinks'
    default:
      return e?.code ?? (e?.message || String(error))
  }
}
