import type { BlobIds, Stamp } from '../workspace/cache.js'
import { Attributes } from './attributes.js'
import { EXT_INTENT_TO_ADD, EXT_SKIP_WORKTREE, GitIndex, type IndexEntry } from './index-file.js'
import { openRepository, ssmdGitPaths } from './repo.js'

/** Extended flag of an entry added with `git add -N`: it names no content yet. */
const FLAG_ASSUME_VALID = 0x8000
/** Attributes under which the work-tree bytes may differ from the blob git stored (see cleanBlob). */
const CONVERTING = ['text', 'crlf', 'eol', 'filter', 'ident', 'working-tree-encoding']
const S_IFMT = 0o170000
const S_IFREG = 0o100000

/**
 * The blob ids git's index holds for the files of an ssmd root, usable as the
 * key of a file's content without reading the file: where an index entry's
 * stat data (sizes, times, inode, a regular file's mode) are exactly the
 * file's, and the entry is not racily clean (changed no earlier than the index
 * was written), git itself takes the file to hold the blob's content — this
 * is how `git status` knows a file is unchanged.
 *
 * It holds only where git converts nothing between the work tree and the
 * blob: the blob is the *cleaned* content, so with `core.autocrlf`, a `text`,
 * `eol` or `crlf` attribute (two files with different line endings can clean
 * to one blob), a `filter`, `ident` or `working-tree-encoding`, the id is not
 * given. Entries marked assume-unchanged or skip-worktree (git does not look
 * at their files), added with `-N`, or in conflict are not used either. Any
 * problem reading the repository just means no ids.
 */
export class IndexBlobIds implements BlobIds {
  private constructor(
    /** Each usable entry's row in `stats` and `oids`, by path. */
    private readonly rows: PathRows,
    /** The entries' 40-byte stat blocks (ctime, mtime, dev, ino, mode, uid, gid, size), row after row. */
    private readonly stats: Buffer,
    /** The entries' blob ids, 20 bytes each. */
    private readonly oids: Buffer,
    private readonly indexMtimeNs: bigint,
    private readonly attributes: Attributes,
    private readonly prefix: string,
  ) {
    this.indexSec = Number(indexMtimeNs / 1_000_000_000n)
    this.indexNsec = Number(indexMtimeNs % 1_000_000_000n)
  }

  private readonly indexSec: number
  private readonly indexNsec: number
  /** Folders in which some attributes file sets an attribute that converts (see Attributes.anyIn). */
  private readonly attributed = new Map<string, boolean>()

  /**
   * The ids for the files under `root`, or undefined when there is no usable index (no repository, an unsupported one, conversions configured).
   * Only the entries that can prove a file are kept, in columns: the index's own entry objects (one per tracked file)
   * are not held for the rest of the run.
   */
  static open(root: string): IndexBlobIds | undefined {
    try {
      const repo = openRepository(root)
      const autocrlf = (repo.config.get('core.autocrlf') ?? 'false').trim().toLowerCase()
      if (autocrlf !== 'false' && autocrlf !== 'no' && autocrlf !== 'off' && autocrlf !== '0' && autocrlf !== '') return undefined
      const index = GitIndex.read(repo.indexFile, ssmdGitPaths(repo))
      if (index.mtimeNs === 0n) return undefined
      const conflicted = new Set<string>()
      for (const e of index.entries) if (((e.flags >> 12) & 3) !== 0) conflicted.add(e.path)
      const usable = index.entries.filter(e => ((e.flags >> 12) & 3) === 0 && !conflicted.has(e.path) && usableEntry(e))
      const rows = new PathRows(usable.map(e => e.path))
      const stats = Buffer.allocUnsafe(usable.length * 40)
      const oids = Buffer.allocUnsafe(usable.length * 20)
      usable.forEach((e, i) => {
        e.stat.copy(stats, i * 40, 0, 40)
        oids.write(e.oid, i * 20, 20, 'hex')
      })
      return new IndexBlobIds(rows, stats, oids, index.mtimeNs, new Attributes(repo), repo.prefix)
    } catch {
      return undefined
    }
  }

  /**
   * The blob id (20 bytes) of the root-relative `file` whose stat data (taken
   * with lstat: a symbolic link never matches) are `st`, when the index proves
   * the file holds that blob; undefined otherwise.
   */
  idFor(file: string, st: Stamp): Buffer | undefined {
    const path = this.prefix ? `${this.prefix}/${file}` : file
    const row = this.rows.get(path)
    if (row === undefined) return undefined
    const s = this.stats
    const o = row * 40
    if ((st.mode & S_IFMT) !== S_IFREG || s.readUInt32BE(o + 36) !== st.size || s.readUInt32BE(o + 20) !== st.ino % 2 ** 32) return undefined
    // Node computes its …Ms fields as sec * 1e3 + nsec / 1e6: the same arithmetic gives the same double.
    const ctimeMs = s.readUInt32BE(o) * 1e3 + s.readUInt32BE(o + 4) / 1e6
    const mtimeSec = s.readUInt32BE(o + 8)
    const mtimeNsec = s.readUInt32BE(o + 12)
    if (ctimeMs !== st.ctimeMs || mtimeSec * 1e3 + mtimeNsec / 1e6 !== st.mtimeMs) return undefined
    // Racily clean (git's is_racy_timestamp): changed no earlier than the index was written.
    if (mtimeSec > this.indexSec || (mtimeSec === this.indexSec && mtimeNsec >= this.indexNsec)) return undefined
    const dir = path.slice(0, Math.max(0, path.lastIndexOf('/')))
    let attributed = this.attributed.get(dir)
    if (attributed === undefined) {
      attributed = this.attributes.anyIn(dir)
      this.attributed.set(dir, attributed)
    }
    if (attributed) {
      const attrs = this.attributes.get(path)
      for (const name of CONVERTING) {
        const v = attrs[name]
        if (v !== undefined && v !== false) return undefined
      }
    }
    return this.oids.subarray(row * 20, row * 20 + 20)
  }

  /**
   * The same ids without the entries of YAML files: once every document has
   * been read, what may still ask is a definition file or another file of the
   * ssmd folders (the secret scan), a few thousand rows of the index's tens of
   * thousands, kept to the end of the run at a fraction of the memory.
   */
  withoutYaml(): IndexBlobIds {
    const keep: number[] = []
    const paths: string[] = []
    for (let r = 0; r < this.rows.length; r++) {
      const path = this.rows.path(r)
      if (path.endsWith('.yaml') || path.endsWith('.yml')) continue
      keep.push(r)
      paths.push(path)
    }
    const stats = Buffer.allocUnsafe(keep.length * 40)
    const oids = Buffer.allocUnsafe(keep.length * 20)
    keep.forEach((r, i) => {
      this.stats.copy(stats, i * 40, r * 40, r * 40 + 40)
      this.oids.copy(oids, i * 20, r * 20, r * 20 + 20)
    })
    return new IndexBlobIds(new PathRows(paths), stats, oids, this.indexMtimeNs, this.attributes, this.prefix)
  }
}

/**
 * Paths to rows (a path's index in the list it was made from), without a
 * string and a map entry per path: the paths' UTF-8 bytes in one buffer and an
 * open-addressing table of rows by the bytes' hash. The blob ids live as long
 * as the validation cache does, to the end of the run; as a Map of the index's
 * path strings they held about 13 MB of heap at 142,000 tracked files, at the
 * run's highest memory. With the same path twice, the later row wins.
 */
export class PathRows {
  private readonly bytes: Buffer
  /** Row r's bytes are bytes[starts[r], starts[r + 1]). */
  private readonly starts: Uint32Array
  /** Row + 1 in the slot of its hash (0: empty); a power of two at least twice the rows. */
  private readonly slots: Int32Array
  private scratch = Buffer.allocUnsafe(1024)

  constructor(paths: readonly string[]) {
    this.starts = new Uint32Array(paths.length + 1)
    let total = 0
    paths.forEach((p, r) => {
      this.starts[r] = total
      total += Buffer.byteLength(p)
    })
    this.starts[paths.length] = total
    this.bytes = Buffer.allocUnsafe(total)
    paths.forEach((p, r) => this.bytes.write(p, this.starts[r]))
    let size = 16
    while (size < paths.length * 2) size *= 2
    this.slots = new Int32Array(size)
    for (let r = 0; r < paths.length; r++) {
      const s = this.probe(this.bytes, this.starts[r], this.starts[r + 1])
      this.slots[s] = r + 1
    }
  }

  /** The number of rows. */
  get length(): number {
    return this.starts.length - 1
  }

  /** The path of row `r`. */
  path(r: number): string {
    return this.bytes.toString('utf8', this.starts[r], this.starts[r + 1])
  }

  /** The row of `path`, or undefined. */
  get(path: string): number | undefined {
    if (path.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(path.length * 3)
    const n = this.scratch.write(path)
    const row = this.slots[this.probe(this.scratch, 0, n)] - 1
    return row < 0 ? undefined : row
  }

  /** The slot holding the path whose bytes are key[from, to), or the empty slot where it would go. */
  private probe(key: Buffer, from: number, to: number): number {
    // FNV-1a over the bytes.
    let h = 0x811c9dc5
    for (let i = from; i < to; i++) h = Math.imul(h ^ key[i], 0x01000193)
    const mask = this.slots.length - 1
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const r = this.slots[s] - 1
      if (r < 0) return s
      const a = this.starts[r]
      const b = this.starts[r + 1]
      if (b - a === to - from && this.bytes.compare(key, from, to, a, b) === 0) return s
    }
  }
}

/** An entry that can prove a file's content: a regular file's, not assume-unchanged, skip-worktree or intent-to-add. */
function usableEntry(e: IndexEntry): boolean {
  if (e.flags & FLAG_ASSUME_VALID || e.extended & (EXT_SKIP_WORKTREE | EXT_INTENT_TO_ADD)) return false
  const mode = e.stat.readUInt32BE(24)
  return mode === 0o100644 || mode === 0o100755
}
