import { createHash } from 'node:crypto'
import { closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, writevSync } from 'node:fs'
import { SsmdError } from '../core/errors.js'
import { release, removeOnSignal } from './cleanup.js'
import { mayBeUndecodable } from '../io/file-names.js'
import { hexSlice, utf8Slice } from './slices.js'

/**
 * The git index (dircache), read and written without a `git` executable.
 *
 * Entries are kept as parsed fields plus their raw stat block, so an entry
 * ssmd does not change is written back byte for byte. Versions 2, 3 and 4
 * are read and written in the version they came in.
 */
export interface IndexEntry {
  path: string
  /** The 40-byte stat block (ctime, mtime, dev, ino, mode, uid, gid, size). */
  stat: Buffer
  oid: string
  /** assume-valid bit and stage from the 16-bit flags. */
  flags: number
  /** Extended flags (skip-worktree, intent-to-add); 0 when none. */
  extended: number
  /** The entry's bytes as read (versions 2 and 3), written back as they are while the entry is unchanged. */
  raw?: Buffer
  /**
   * The path's bytes as read, when `path` may not spell them (a name that is
   * not UTF-8 decodes with U+FFFD): written instead of `path`'s UTF-8, so
   * that such a name outside ssmd's folders is kept as git wrote it.
   */
  readonly pathBytes?: Buffer
}

const FLAG_ASSUME_VALID = 0x8000
const FLAG_EXTENDED = 0x4000
export const EXT_SKIP_WORKTREE = 0x4000
export const EXT_INTENT_TO_ADD = 0x2000

export function entryStage(e: IndexEntry): number {
  return (e.flags >> 12) & 3
}

export function entryMode(e: IndexEntry): number {
  return statWord(e, 24)
}

export class GitIndex {
  /** The entries in git's order; a run of entries read but never looked at stays bytes (see `read`'s `keep`). */
  private items: Array<IndexEntry | RawRun>
  /** Whether `items` holds any RawRun. */
  private runs: boolean

  constructor(
    public version: number,
    entries: Array<IndexEntry | RawRun>,
    /** Extensions to write back (signature + data). */
    public extensions: Array<{ signature: string; data: Buffer }>,
    /** The index file's mtime in ns: entries not older than it are "racily clean". */
    public mtimeNs: bigint,
    /** Only some entries were read (see `read`'s `only`): this index cannot be written back. */
    public readonly partial = false,
    /** The paths `read` kept as entries; the others may be runs of bytes. */
    private readonly keep?: readonly string[],
  ) {
    this.items = entries
    this.runs = entries.some(e => e instanceof RawRun)
  }

  /** Every entry, in git's order (runs kept as bytes are made entries first). */
  get entries(): IndexEntry[] {
    if (this.runs) {
      this.items = this.items.flatMap(e => (e instanceof RawRun ? e.expand() : e))
      this.runs = false
    }
    return this.items as IndexEntry[]
  }

  /** Number of entries, runs included. */
  get size(): number {
    if (!this.runs) return this.items.length
    let n = 0
    for (const e of this.items) n += e instanceof RawRun ? e.count : 1
    return n
  }

  /**
   * Reads an index file (`repo.indexFile`). With `only` (git paths: files or
   * folders), only entries at or under them are kept — a fast read-only view
   * of a big index. With `keep` instead, the index is whole and can be
   * written back, but the entries outside those paths stay runs of bytes
   * until something asks for `entries`: reading, updating and writing the
   * index for a few paths costs nothing per other entry.
   */
  static read(file: string, only?: string[], options: { keep?: readonly string[] } = {}): GitIndex {
    if (!existsSync(file)) return new GitIndex(2, [], [], 0n, only !== undefined)
    const mtimeNs = statSync(file, { bigint: true }).mtimeNs
    return GitIndex.parse(readFileSync(file), mtimeNs, only, options.keep)
  }

  static parse(buf: Buffer, mtimeNs = 0n, only?: readonly string[], keep?: readonly string[]): GitIndex {
    if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC')
      throw new SsmdError('the git index (.git/index) is damaged: bad signature; repair it with git (`git reset` rebuilds it)')
    const claimed = buf.subarray(buf.length - 20)
    if (
      claimed.some(b => b !== 0) &&
      !createHash('sha1')
        .update(buf.subarray(0, buf.length - 20))
        .digest()
        .equals(claimed)
    ) {
      throw new SsmdError('the git index (.git/index) is damaged: bad checksum; repair it with git (`git reset` rebuilds it)')
    }
    const version = buf.readUInt32BE(4)
    if (version < 2 || version > 4) throw new SsmdError(`the git index has version ${version}, which ssmd does not support (2, 3 and 4 are)`)
    // Runs need entries that stand alone as bytes: not version 4 (each path is stored against the one before it).
    const runsOf = only === undefined && keep !== undefined && version !== 4 ? keep : undefined
    const prefixes = (only ?? runsOf)?.map(p => Buffer.from(p, 'utf8'))
    // Most entries of a big index are outside `only`: a path's first two bytes rule most of them out without a call.
    const firstTwo = new Uint8Array(65536)
    for (const p of prefixes ?? []) firstTwo[(p[0] << 8) | (p.length > 1 ? p[1] : 0x2f)] = 1
    const wanted = (start: number, end: number) => {
      if (end - start < 2) return prefixes!.some(p => p.length === 1 && p[0] === buf[start])
      for (const prefix of prefixes!) {
        const len = end - start
        if (len < prefix.length) continue
        let same = true
        for (let i = 0; i < prefix.length; i++) {
          if (buf[start + i] !== prefix[i]) {
            same = false
            break
          }
        }
        if (same && (len === prefix.length || buf[start + prefix.length] === 0x2f)) return true
      }
      return false
    }
    const count = buf.readUInt32BE(8)
    const entries: Array<IndexEntry | RawRun> = []
    let run: RawRun | undefined
    let pos = 12
    let previous: Buffer = Buffer.alloc(0)
    for (let n = 0; n < count; n++) {
      const start = pos
      const flags = (buf[pos + 60] << 8) | buf[pos + 61]
      pos += 62
      let extended = 0
      if (flags & FLAG_EXTENDED) {
        extended = (buf[pos] << 8) | buf[pos + 1]
        pos += 2
      }
      if (version === 4) {
        let strip = 0
        let byte = buf[pos++]
        strip = byte & 0x7f
        while (byte & 0x80) {
          byte = buf[pos++]
          strip = ((strip + 1) << 7) | (byte & 0x7f)
        }
        const nul = buf.indexOf(0, pos)
        // Each path is stored against the previous one's bytes (not its decoding, which a name that is not UTF-8 changes).
        const bytes = Buffer.concat([previous.subarray(0, previous.length - strip), buf.subarray(pos, nul)])
        const path = bytes.toString('utf8')
        pos = nul + 1
        previous = bytes
        if (only && !only.some(p => path === p || path.startsWith(p + '/'))) continue
        const entry = { path, stat: buf.subarray(start, start + 40), oid: buf.toString('hex', start + 40, start + 60), flags: flags & (FLAG_ASSUME_VALID | 0x3000), extended }
        entries.push(mayBeUndecodable(path) ? { ...entry, pathBytes: bytes } : entry)
      } else {
        // The name length is in the flags unless it is 0xfff or more; only then search for the NUL.
        const nameLen = flags & 0xfff
        const nul = nameLen < 0xfff ? pos + nameLen : buf.indexOf(0, pos)
        const from = pos
        pos = start + (((nul - start + 8) >> 3) << 3)
        if (prefixes && ((nul - from > 1 && firstTwo[(buf[from] << 8) | buf[from + 1]] === 0) || !wanted(from, nul))) {
          if (!runsOf) continue
          // Inline, as this runs once per entry of what may be a very large index.
          const mtimeSec = buf[start + 8] * 0x1000000 + ((buf[start + 9] << 16) | (buf[start + 10] << 8) | buf[start + 11])
          if (run === undefined) entries.push((run = new RawRun(buf, start, pos, mtimeSec)))
          else {
            run.lastStart = start
            run.end = pos
            run.count++
            if (mtimeSec > run.newest) run.newest = mtimeSec
          }
          continue
        }
        run = undefined
        entries.push(new ReadEntry(buf, start, pos, from, nul, flags & (FLAG_ASSUME_VALID | 0x3000), extended, prefixes === undefined || runsOf !== undefined))
      }
    }
    const extensions: Array<{ signature: string; data: Buffer }> = []
    while (pos + 8 <= buf.length - 20) {
      const signature = buf.toString('latin1', pos, pos + 4)
      const size = buf.readUInt32BE(pos + 4)
      extensions.push({ signature, data: buf.subarray(pos + 8, pos + 8 + size) })
      pos += 8 + size
    }
    return new GitIndex(version, entries, extensions, mtimeNs, only !== undefined, runsOf)
  }

  /** Stage-0 entries by path (and a marker for paths with conflict stages). */
  byPath(): Map<string, IndexEntry> {
    const map = new Map<string, IndexEntry>()
    for (const e of this.entries) if (entryStage(e) === 0 || !map.has(e.path)) map.set(e.path, e)
    return map
  }

  /** Replaces (or adds) the stage-0 entry of `entry.path`, dropping any conflict stages. */
  set(entry: IndexEntry): void {
    this.update(new Map([[entry.path, entry]]))
  }

  remove(path: string): void {
    this.update(new Map([[path, null]]))
  }

  /**
   * Several `set` (entry) and `remove` (null) at once, in one pass over the
   * entries (in git's order, as an index keeps them): each changed path is
   * found by binary search, so the other entries' paths are never decoded.
   */
  update(changes: Map<string, IndexEntry | null>): void {
    if (changes.size === 0) return
    if ([...changes.keys()].some(p => !this.kept(p))) void this.entries
    const out: Array<IndexEntry | RawRun> = []
    let i = 0
    for (const path of [...changes.keys()].sort(comparePaths)) {
      const at = this.lowerBound(path, i)
      const items = this.items
      while (i < at) out.push(items[i++])
      // Every stage of the path goes.
      while (i < items.length && items[i].path === path) i++
      const entry = changes.get(path)
      if (entry) out.push(entry)
    }
    while (i < this.items.length) out.push(this.items[i++])
    this.items = out
  }

  /** Whether `path` is one `read` was asked to keep as entries (always, when nothing is held as bytes). */
  private kept(path: string): boolean {
    return !this.runs || (this.keep ?? []).some(p => path === p || path.startsWith(`${p}/`))
  }

  /**
   * The first position at or after `from` whose entry's path is not before
   * `path` in git's order. A run of bytes sorts by its first path; one that
   * `path` falls inside is made entries first.
   */
  private lowerBound(path: string, from = 0): number {
    // Compared as bytes, as git orders them: a path that is not UTF-8 decodes to one that may sort elsewhere.
    const key = Buffer.from(path, 'utf8')
    for (;;) {
      let lo = from
      let hi = this.items.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (Buffer.compare(firstPathBytes(this.items[mid]), key) < 0) lo = mid + 1
        else hi = mid
      }
      const before = lo > from ? this.items[lo - 1] : undefined
      if (!(before instanceof RawRun) || Buffer.compare(before.lastPathBytes, key) < 0) return lo
      this.items.splice(lo - 1, 1, ...before.expand())
    }
  }

  /**
   * The entries at or under each of `paths` (git paths of files or folders),
   * found by binary search in the sorted entries (those of a partial read
   * too, which are fewer): other entries' paths are never decoded.
   */
  under(paths: readonly string[]): IndexEntry[] {
    if (paths.some(p => !this.kept(p))) void this.entries
    const out: IndexEntry[] = []
    const at = (i: number) => this.items[i] as IndexEntry
    for (const p of [...paths].sort(comparePaths)) {
      // `p` itself, then everything from `p/` up to `p0` ('0' follows '/').
      for (let i = this.lowerBound(p); i < this.items.length && this.items[i].path === p; i++) out.push(at(i))
      const end = this.lowerBound(`${p}0`)
      for (let i = this.lowerBound(`${p}/`); i < end; i++) out.push(at(i))
    }
    return out
  }

  /**
   * The entries whose file was modified in second `sec` or later (git's
   * racily clean candidates when `sec` is the index file's own): runs of
   * bytes are looked at by their newest entry, and made entries only if it is
   * that recent.
   */
  modifiedSince(sec: number): IndexEntry[] {
    if (this.runs) this.items = this.items.flatMap(e => (e instanceof RawRun && e.newest >= sec ? e.expand() : e))
    this.runs = this.items.some(e => e instanceof RawRun)
    return this.items.filter((e): e is IndexEntry => !(e instanceof RawRun) && statWord(e, 8) >= sec)
  }

  /** The index file's bytes. */
  serialize(): Buffer {
    return Buffer.concat(this.serializeParts())
  }

  /**
   * The index file's bytes as pieces, most of them views of the file read
   * (runs of unchanged entries), ending with the checksum: written with one
   * writev, a large index is never copied whole.
   */
  serializeParts(): Buffer[] {
    if (this.partial) throw new Error('a partially read index cannot be written')
    const parts: Buffer[] = []
    const header = Buffer.alloc(12)
    header.write('DIRC', 0, 'latin1')
    let version = this.version
    // (A run is never extended: it comes from a version 2 or 3 file and was written back as it was.)
    if (version === 2 && this.items.some(e => !(e instanceof RawRun) && e.extended)) version = 3
    header.writeUInt32BE(version, 4)
    header.writeUInt32BE(this.size, 8)
    parts.push(header)
    let previous: Buffer = Buffer.alloc(0)
    // Runs of unchanged entries that lie next to each other in the file read are copied as one piece.
    let run: { src: Buffer; start: number; end: number } | undefined
    const flush = () => {
      if (run) parts.push(run.src.subarray(run.start, run.end))
      run = undefined
    }
    for (const e of this.items) {
      if (e instanceof RawRun || (version !== 4 && e instanceof ReadEntry && e.unchanged)) {
        if (run && run.src === e.src && run.end === e.start) run.end = e.end
        else {
          flush()
          run = { src: e.src, start: e.start, end: e.end }
        }
        continue
      }
      flush()
      if (e.raw && version !== 4) {
        parts.push(e.raw)
        continue
      }
      const path = e.pathBytes ?? Buffer.from(e.path, 'utf8')
      const fixed = Buffer.alloc(e.extended ? 64 : 62)
      e.stat.copy(fixed, 0, 0, 40)
      fixed.write(e.oid, 40, 'hex')
      fixed.writeUInt16BE(e.flags | (e.extended ? FLAG_EXTENDED : 0) | Math.min(path.length, 0xfff), 60)
      if (e.extended) fixed.writeUInt16BE(e.extended, 62)
      parts.push(fixed)
      if (version === 4) {
        let common = 0
        while (common < previous.length && common < path.length && previous[common] === path[common]) common++
        parts.push(encodeOffsetVarint(previous.length - common), path.subarray(common), Buffer.from([0]))
        previous = path
      } else {
        const len = fixed.length + path.length
        parts.push(path, Buffer.alloc(Math.ceil((len + 1) / 8) * 8 - len))
      }
    }
    flush()
    for (const x of this.extensions) {
      const head = Buffer.alloc(8)
      head.write(x.signature, 0, 'latin1')
      head.writeUInt32BE(x.data.length, 4)
      parts.push(head, x.data)
    }
    const hash = createHash('sha1')
    for (const part of parts) hash.update(part)
    parts.push(hash.digest())
    return parts
  }

  /**
   * Prepares the extensions for writing after entries changed: caches that
   * describe the old entries (cache tree, untracked cache, fsmonitor, offset
   * tables) are dropped, git rebuilds them; resolve-undo is kept; an extension
   * git marks as required and ssmd cannot keep correct (split or sparse index)
   * stops the write.
   */
  dropStaleExtensions(): void {
    for (const x of this.extensions) {
      if (/^[a-z]/.test(x.signature)) {
        const what =
          x.signature === 'link'
            ? 'a split index (run `git update-index --no-split-index`)'
            : x.signature === 'sdir'
              ? 'a sparse index (run `git sparse-checkout disable` or set index.sparse=false)'
              : `the index extension '${x.signature}'`
        throw new SsmdError(`cannot update the git index: it uses ${what}, which ssmd cannot write`)
      }
    }
    this.extensions = this.extensions.filter(x => x.signature === 'REUC')
  }
}

/**
 * Entries next to each other in an index file (versions 2 and 3) that
 * nothing asked for, kept as their bytes `src[start, end)`: written back as
 * they are, made `ReadEntry`s only if something needs them.
 */
class RawRun {
  count = 1
  /** Where its last entry starts. */
  lastStart: number
  private firstPath: string | undefined

  constructor(
    readonly src: Buffer,
    readonly start: number,
    public end: number,
    /** The newest mtime (seconds) of its entries. */
    public newest: number,
  ) {
    this.lastStart = start
  }

  /** The first entry's path (what the run sorts by). */
  get path(): string {
    return (this.firstPath ??= entryPath(this.src, this.start))
  }

  /** The first entry's path as its bytes. */
  get pathBytes(): Buffer {
    return this.src.subarray(...pathBounds(this.src, this.start))
  }

  /** The last entry's path as its bytes. */
  get lastPathBytes(): Buffer {
    return this.src.subarray(...pathBounds(this.src, this.lastStart))
  }

  expand(): ReadEntry[] {
    const out: ReadEntry[] = []
    for (let at = this.start; at < this.end;) {
      const flags = (this.src[at + 60] << 8) | this.src[at + 61]
      const extended = flags & FLAG_EXTENDED ? (this.src[at + 62] << 8) | this.src[at + 63] : 0
      const [from, nul] = pathBounds(this.src, at)
      const end = at + (((nul - at + 8) >> 3) << 3)
      out.push(new ReadEntry(this.src, at, end, from, nul, flags & (FLAG_ASSUME_VALID | 0x3000), extended, true))
      at = end
    }
    return out
  }
}

/** Where the path of the version 2 or 3 entry at `start` of `src` lies: `[from, nul)` (the name length is in its flags unless it is 0xfff or more). */
function pathBounds(src: Buffer, start: number): [number, number] {
  const flags = (src[start + 60] << 8) | src[start + 61]
  const from = start + (flags & FLAG_EXTENDED ? 64 : 62)
  const nameLen = flags & 0xfff
  return [from, nameLen < 0xfff ? from + nameLen : src.indexOf(0, from)]
}

/** The path of the version 2 or 3 entry at `start` of `src`. */
function entryPath(src: Buffer, start: number): string {
  return utf8Slice(src, ...pathBounds(src, start))
}

/**
 * An entry as read from an index file (versions 2 and 3): its path, stat
 * block and id are taken from the file's bytes on first use, and while nothing of it
 * is changed the entry is written back as those bytes. Most entries of a big
 * index are only ever written back.
 */
class ReadEntry implements IndexEntry {
  private name: string | undefined
  private statBlock: Buffer | undefined
  private id: string | undefined
  private keep: boolean

  constructor(
    readonly src: Buffer,
    readonly start: number,
    readonly end: number,
    private readonly nameStart: number,
    private readonly nameEnd: number,
    readonly flags: number,
    readonly extended: number,
    keep: boolean,
  ) {
    this.keep = keep
  }

  get path(): string {
    return (this.name ??= utf8Slice(this.src, this.nameStart, this.nameEnd))
  }

  get pathBytes(): Buffer {
    return this.src.subarray(this.nameStart, this.nameEnd)
  }

  /** Whether the entry is still the bytes `src[start, end)` (nothing was assigned to it). */
  get unchanged(): boolean {
    return this.keep
  }

  get stat(): Buffer {
    return (this.statBlock ??= this.src.subarray(this.start, this.start + 40))
  }

  /** A word of the stat block: from `src` unless a block was assigned. */
  word(offset: number): number {
    return this.statBlock ? this.statBlock.readUInt32BE(offset) : this.src.readUInt32BE(this.start + offset)
  }

  set stat(value: Buffer) {
    this.statBlock = value
    this.keep = false
  }

  get oid(): string {
    return (this.id ??= hexSlice(this.src, this.start + 40, this.start + 60))
  }

  set oid(value: string) {
    this.id = value
    this.keep = false
  }

  get raw(): Buffer | undefined {
    return this.keep ? this.src.subarray(this.start, this.end) : undefined
  }

  set raw(value: Buffer | undefined) {
    if (value !== undefined) throw new Error('an index entry read from a file keeps its own bytes')
    this.keep = false
  }
}

/** The 32-bit word at `offset` of an entry's stat block (0 ctime … 36 size), read where it lies without making a view of the block. */
export function statWord(e: IndexEntry, offset: number): number {
  return e instanceof ReadEntry ? e.word(offset) : e.stat.readUInt32BE(offset)
}

/** The bytes of an item's (first) path: those read, or the path's UTF-8. */
function firstPathBytes(item: IndexEntry | RawRun): Buffer {
  return item.pathBytes ?? Buffer.from(item.path, 'utf8')
}

/** git's index order: paths compared as UTF-8 bytes (UTF-16 units agree below the surrogates). */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    if (x < 0xd800 && y < 0xd800) return x - y
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'))
  }
  return a.length - b.length
}

function encodeOffsetVarint(value: number): Buffer {
  const bytes = [value & 0x7f]
  while ((value >>= 7)) {
    value--
    bytes.unshift(0x80 | (value & 0x7f))
  }
  return Buffer.from(bytes)
}

/** Writes every piece, in order: one writev, then whatever a short write left. */
function writeAll(fd: number, pieces: Buffer[]): void {
  const total = pieces.reduce((n, p) => n + p.length, 0)
  const written = writevSync(fd, pieces)
  if (written < total) {
    const rest = Buffer.concat(pieces).subarray(written)
    for (let at = 0; at < rest.length;) at += writeSync(fd, rest, at)
  }
}

/**
 * git's own lock on `file`: `<file>.lock`, created exclusively as git does.
 * The new content is written to the lock and renamed over `file` on
 * `commit`; `rollback` removes it. Until one of them, the lock is removed if
 * the process is interrupted. Another process holding the lock makes
 * `acquire` fail with a clear message instead of waiting or corrupting anything.
 */
export class GitLock {
  private fd: number | undefined
  private done = false

  private constructor(
    readonly file: string,
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd
  }

  static acquire(file: string): GitLock {
    const lock = `${file}.lock`
    removeOnSignal(lock)
    let fd: number
    try {
      fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666)
    } catch (err) {
      release(lock)
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SsmdError(`${lock} exists: another git process seems to be running in this repository; wait for it to finish, or remove the file if none is running`, {
          code: 'locked',
        })
      }
      throw err
    }
    return new GitLock(file, lock, fd)
  }

  /** Writes `content` (one buffer, or pieces written in order) to the lock (fsynced) and renames it over the file. */
  commit(content: Buffer | Buffer[]): void {
    if (this.done) throw new Error(`${this.path} was already released`)
    try {
      writeAll(this.fd!, Array.isArray(content) ? content : [content])
      fsyncSync(this.fd!)
      closeSync(this.fd!)
      this.fd = undefined
      renameSync(this.path, this.file)
      this.done = true
      release(this.path)
    } catch (err) {
      this.rollback()
      throw err
    }
  }

  rollback(): void {
    if (this.done) return
    this.done = true
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd)
      } catch {
        /* already closed */
      }
      this.fd = undefined
    }
    rmSync(this.path, { force: true })
    release(this.path)
  }
}
