import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'
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
}

const CHUNK = 64 * 1024

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
    const real = options.realPaths ?? new RealPaths()
    const realRoot = real.of(options.root) ?? options.root
    const realDir = real.of(dirname(abs))
    if (realDir === null || !real.isInside(realRoot, realDir)) {
      return {
        refusal: {
          kind: 'outside-root',
          message: `${display} lies in a folder that is a symlink leading outside the repository; ssmd does not read through it (replace the link with a real folder)`,
        },
      }
    }
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
  const { display, maxBytes } = options
  const check = checkReadable(abs, options)
  if (check.refusal) return { refusal: check.refusal }
  let fd: number
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0))
  } catch (error) {
    return refuse('unreadable', `cannot read ${display}: ${reason(error)}`, error)
  }
  try {
    const stated = check.st.size
    const chunks: Buffer[] = []
    let total = 0
    // The first read asks for one byte more than the stated size: for a regular
    // file a short read is the end, so the usual file takes one read into a
    // buffer of its own size; a file that grew or lies goes on in chunks.
    let want = Math.min(stated + 1, maxBytes + 1)
    for (;;) {
      if (want <= 0) break
      const buf = Buffer.allocUnsafe(want)
      let n: number
      try {
        n = readSync(fd, buf, 0, want, null)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN')
          return { refusal: { kind: 'not-regular', message: `${display} would block on read; ssmd reads only regular files` } }
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
  } catch (error) {
    return refuse('unreadable', `cannot read ${display}: ${reason(error)}`, error)
  } finally {
    closeSync(fd)
  }
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
