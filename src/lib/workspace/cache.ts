/*
 * The validation cache: what reading and checking one file produced, kept in
 * `<root>/.ssmd/cache/` between runs: its read problem, its per-file facts
 * (contract violations, the findings of the rules that look at one file only,
 * what rules across files need to know of it) and, for schemas and the policy,
 * its parsed data. Feeds and environments are the many: their data is not
 * kept, and a command that needs it reads the file again.
 *
 * Two strategies decide whether an entry still describes its file:
 *
 * - `metadata` (the default): the file's stat data (size, mtime, ctime, inode,
 *   mode — the fields git's index keys files by) prove it unchanged without
 *   reading it. When they differ (a fresh checkout, a restored cache, a
 *   `touch`), the file is read and the entry is still used when the content's
 *   SHA-256 is the one it was made from; its stat data are then refreshed. A
 *   file modified so close to the moment it was read that a later change
 *   could keep the same timestamps ("racily clean", as git calls it) is always
 *   checked by content. In a git repository, a file whose stat data are the
 *   ones git's index holds for it is known by its blob id without being read
 *   (see BlobIds, git/blob-ids.ts): a fresh clone with a restored cache reads no file whose
 *   entry has that blob id.
 * - `content`: stat data are never trusted; every file is read and its digest
 *   compared (as ESLint's `--cache-strategy content`).
 *
 * The code that produced the cache (ssmd's build, see currentKey) is part of
 * its key; a cache written under another key, or one that is truncated,
 * corrupt or foreign, is ignored and rebuilt, never trusted. Rules that look
 * across files always run anew. Paths inside the cache are relative to the
 * root, so a cache moved to another checkout of the repository (CI restoring
 * it, see cacheLocation) is used there.
 */
import crypto, { createHash } from 'node:crypto'
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, type Stats } from 'node:fs'
import { endianness } from 'node:os'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DefaultSerializer, deserialize } from 'node:v8'
import { CACHE_DIR, ensureSsmdIgnore, refuseSsmdDirWrite, SSMD_DIR, ssmdDirProblem, ssmdDirUsable, writeFileAtomic, writeUserFileAtomic } from '../io/atomic.js'
import { UsageError } from '../core/errors.js'
import { boundHeapGrowth } from '../core/heap.js'
import { MAX_FILE_BYTES, parseYamlBytes } from '../yaml/read.js'
import { checkReadable, folderOutside, readBounded } from '../io/read.js'
import type { RealPaths } from '../io/real-paths.js'
import { SsmdDocument, type CheckedDocument, type DocumentKind, type RereadFrom } from './document.js'
import { decodeEntry, DIGEST, EntryColumns, STAMP, wellFormed, type Columns, type Entry } from './cache-codec.js'

const MAGIC = Buffer.from('ssmd-cache\u0001\n')
const FORMAT = 10
/** A file modified less than this before it was read may change again without changing its timestamps. */
const RACY_MS = 2500

interface Payload {
  format: number
  key: string
  entries: Columns
  /** Other per-file facts (e.g. parsed definition files), by table name. */
  tables: Map<string, Map<string, unknown>>
}

/** The stat data a cached fact depends on. */
export interface Stamp {
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
  mode: number
}

/** A file's stamp, or null when it does not exist. */
export function fileStamp(abs: string): Stamp | null {
  try {
    return stampOf(statSync(abs))
  } catch {
    return null
  }
}

/** The stat fields git's index (and this cache) key a file by. */
export function stampOf(st: Stamp): Stamp {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode }
}

export function sameStamp(a: Stamp | null, b: Stamp | null): boolean {
  if (a === null || b === null) return a === b
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.mode === b.mode
}

/** True when the file was last changed long enough ago that a further change must show in its stat data. */
export function settled(s: Stamp): boolean {
  return Date.now() - Math.max(s.mtimeMs, s.ctimeMs) > RACY_MS
}

/**
 * An entry: stat data `st`, the rest of `from`. Written out field by field:
 * spreading two objects into a new one costs V8 a generic copy, about 3 µs an
 * entry, a tenth of a second for a first run at N = 5,000.
 */
function entryOf(st: Stamp, from: Omit<Entry, keyof Stamp | 'racy' | 'blob'>, racy: boolean | undefined, blob: Uint8Array | undefined): Entry {
  return {
    size: st.size,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    ino: st.ino,
    mode: st.mode,
    digest: from.digest,
    blob,
    racy,
    dataKept: from.dataKept,
    data: from.data,
    problem: from.problem,
    memo: from.memo,
  }
}

/** A keyed table of facts kept by the cache: entries used (got or set) in a run are kept, the rest dropped. */
export interface FactTable {
  get(key: string): unknown
  set(key: string, value: unknown): void
  /** Says that the value at `key` was changed in place, so the cache is written. */
  changed(key: string): void
  /**
   * Sets a value that differs from the kept one only by new stat data of a file
   * git's index proved unchanged: kept when the cache is written, but not a
   * reason to write it (see DocumentCache.save).
   */
  restamp(key: string, value: unknown): void
  /** Whether unchanged stat data prove an entry's file unchanged (strategy `metadata`), or only its content does. */
  readonly trustStat: boolean
  /**
   * The blob id (hex) git's index proves for the root-relative `file` whose
   * stat data (lstat) are `st` (see BlobIds); undefined when it proves nothing,
   * and always with strategy `content`. For a file whose stat data proved nothing.
   */
  blobId(file: string, st: Stamp): string | undefined
}

export const CACHE_STRATEGIES = ['metadata', 'content'] as const
export type CacheStrategy = (typeof CACHE_STRATEGIES)[number]

/** The environment variable naming a cache folder outside the repository (as --cache-location). */
export const CACHE_LOCATION_ENV = 'SSMD_CACHE_LOCATION'

/** The default cache folder: `<root>/.ssmd/cache`. */
export function cacheDir(root: string): string {
  return join(root, CACHE_DIR)
}

/**
 * The cache folder: `--cache-location` (relative to the current folder), else
 * SSMD_CACHE_LOCATION, else `<root>/.ssmd/cache`. A folder given by the user
 * must be a folder of this user's that other users cannot write to (a cache
 * decides which findings are shown); it is created when missing.
 */
export function cacheLocation(root: string, flag?: string, env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): string {
  const given = flag ?? (env[CACHE_LOCATION_ENV] === '' ? undefined : env[CACHE_LOCATION_ENV])
  if (given === undefined) return cacheDir(root)
  const source = flag === undefined ? CACHE_LOCATION_ENV : '--cache-location'
  const dir = resolve(cwd, given)
  let st: Stats
  try {
    st = statSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return dir
    throw new UsageError(`${source} ${given}: cannot use it (${(error as NodeJS.ErrnoException).code}); name a folder ssmd can read and write`)
  }
  if (!st.isDirectory()) throw new UsageError(`${source} ${given}: not a folder; name a folder (created when missing) to keep the validation cache in`)
  if (process.platform !== 'win32') {
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      throw new UsageError(`${source} ${given}: the folder belongs to another user; use a folder of your own (the cache decides which findings are shown)`)
    }
    if ((st.mode & 0o002) !== 0) {
      throw new UsageError(`${source} ${given}: the folder is writable by every user; use a folder of your own, e.g. ${join(given, 'ssmd')} (created when missing)`)
    }
  }
  return dir
}

const CACHE_FILE = 'documents.bin'
/** The documents' data for runs with plugins (see KeptData), beside the cache file. */
const DATA_FILE = 'documents-data.bin'

let codeKey: string | undefined

/**
 * The identity of the code that produced a cache: the build id written by
 * `npm run build` (a hash of every built file), or, when running from the
 * TypeScript sources, a hash of every source file under src/lib, with the
 * Node.js version and its ICU and time-zone data. Any change to ssmd, however
 * small, or to the Node.js running it starts a new cache.
 */
function currentKey(): string {
  if (codeKey !== undefined) return codeKey
  let id: string
  try {
    id = readFileSync(new URL('../../generated/build-id', import.meta.url), 'utf8').trim()
  } catch {
    const h = createHash('sha256')
    const lib = fileURLToPath(new URL('..', import.meta.url))
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else h.update(p.slice(lib.length)).update('\0').update(readFileSync(p)).update('\0')
      }
    }
    walk(lib)
    id = `src:${h.digest('hex')}`
  }
  // Node.js and its time-zone data too: rules whose findings are kept check names against Intl's zones.
  codeKey = `${FORMAT}:${id}:${process.version}:${process.versions.tz ?? ''}:${process.versions.icu ?? ''}`
  return codeKey
}

/** Node.js's one-shot hash (20.12 and later): no Hash object per file, which a run over every file of a fresh checkout feels in its GC time. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash
export const sha256 = (bytes: Uint8Array): Buffer => (oneShot ? oneShot('sha256', bytes, 'buffer') : createHash('sha256').update(bytes).digest())

const sameStat = (e: Entry, st: Stats) => sameStamp(e, st)

/** True when `digest` is the entry's content digest. */
function sameDigest(e: Entry, digest: Uint8Array): boolean {
  const d = e.digest
  if (d === undefined || d.length !== DIGEST) return false
  for (let i = 0; i < DIGEST; i++) if (d[i] !== digest[i]) return false
  return true
}

/**
 * Files whose stat data did not prove them before git's index is read: below
 * that, reading and hashing the few changed files costs less than reading an
 * index of tens of thousands of entries.
 */
const INDEX_AFTER = 32

/**
 * Knows a file's content without reading it: the git blob id that git's index
 * proves for a root-relative file with these stat data (git/blob-ids.ts), or
 * undefined when it proves nothing.
 */
export interface BlobIds {
  idFor(file: string, st: Stamp): Uint8Array | undefined
  /** The ids still of use once every document (YAML file) has been read: those of the other files. */
  withoutYaml?(): BlobIds
}

/** What decides whether an entry is used, and where the cache file is. */
export interface CacheOptions {
  /** Opens the blob ids of the repository holding the root (undefined: none); called at most once, when needed. */
  blobIds?: () => BlobIds | undefined
  /** Read git's index once more than this many files' stat data proved nothing (default INDEX_AFTER; 0: from the first). */
  indexAfter?: number
  /** `metadata` (default): stat data, then content where they differ; `content`: content only. */
  strategy?: CacheStrategy
  /** The cache folder (see cacheLocation); default `<root>/.ssmd/cache`. */
  location?: string
}

/** A stamp sent as numbers, [size, mtimeMs, ctimeMs, ino, mode] (see CheckedDocument). */
function stampFrom(s: ArrayLike<number>): Stamp {
  return { size: s[0], mtimeMs: s[1], ctimeMs: s[2], ino: s[3], mode: s[4] }
}

/**
 * Reads the whole file through an open descriptor, expecting what `known` (the
 * stat made just before; without it, the descriptor's own) says; `stable`
 * when the descriptor's stat data after the read is still exactly that.
 * Anything else (not a regular file any more, replaced, grown, changed while
 * read) is left to the bounded read.
 */
export function readStable(abs: string, known?: Stats): { bytes: Buffer; st: Stats; before: Stats; stable: boolean } | undefined {
  if (known !== undefined && (!known.isFile() || known.size > MAX_FILE_BYTES)) return undefined
  // Without stat data (a file listed as regular): not through a symlink, and the stat data from the descriptor.
  if (known === undefined && constants.O_NOFOLLOW === undefined) return undefined
  let fd: number
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | (known === undefined ? constants.O_NOFOLLOW : 0))
  } catch {
    return undefined
  }
  try {
    const st = known ?? fstatSync(fd)
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined
    // What stat said, and no more: a file that grew meanwhile is found by the stat after the read (one read
    // call per file, not a second one to see the end) and left to the bounded read.
    const buf = Buffer.allocUnsafe(st.size)
    let total = 0
    for (let n = -1; n !== 0 && total < st.size; total += n) n = readSync(fd, buf, total, st.size - total, null)
    const after = fstatSync(fd)
    if (!after.isFile() || after.size > st.size) return undefined
    const stable = after.ino === st.ino && after.size === st.size && after.mtimeMs === st.mtimeMs && after.ctimeMs === st.ctimeMs && total === st.size
    return { bytes: buf.subarray(0, total), st: after, before: st, stable }
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

export class DocumentCache {
  private readonly file: string
  /** The entries read from disk: each file's index into the columns. */
  private readonly old = new Map<string, number>()
  private columns?: Columns
  /** The entries of this run, in columns as they are made (see EntryColumns). */
  private readonly fresh = new EntryColumns()
  private readonly oldTables = new Map<string, Map<string, unknown>>()
  private readonly freshTables = new Map<string, Map<string, unknown>>()
  private dirty = false
  /** `.ssmd` or `.ssmd/cache` is a symlink (or not a folder) and the cache lives there: it is neither read nor written. */
  private readonly off: boolean
  /** The documents' data for plugins, when kept (see the constructor). */
  private readonly kept?: KeptData
  /**
   * What this run made of the cache, for tests and `-v`: `hits`, entries whose
   * stat data proved them unchanged; `verified`, racy entries whose content
   * matched; `content`, entries whose stat data differed (or were not
   * trusted) but whose content matched; `indexed`, entries whose stat data
   * differed but whose blob id is the one git's index proves for the file (not
   * read); `misses`, files read and checked anew.
   */
  readonly stats = { hits: 0, misses: 0, verified: 0, content: 0, indexed: 0 }
  readonly strategy: CacheStrategy
  /** The cache folder. */
  readonly dir: string

  /**
   * `keepData`: keep every document's parsed data, feeds' and environments'
   * too, in a file of its own (KeptData). A run with plugins hands every
   * document's data to them when they must run, and reading it from there is
   * cheaper than parsing every file again; a run whose plugins' results are
   * reused never reads it, so its cache costs what a run without plugins does.
   */
  constructor(
    readonly root: string,
    private readonly options: { keepData?: boolean } & CacheOptions = {},
  ) {
    this.strategy = options.strategy ?? 'metadata'
    this.dir = options.location ?? cacheDir(root)
    this.file = join(this.dir, CACHE_FILE)
    // A folder the user named (--cache-location) was checked by cacheLocation(); .ssmd/ is checked here.
    this.off = this.dir === cacheDir(root) && !ssmdDirUsable(root, CACHE_DIR)
    if (this.off) return
    // A `.ssmd/.gitignore` left empty or cut short (a full disk, an old ssmd) is repaired before anything else.
    if (ssmdDirProblem(root) === undefined && isFolder(join(root, SSMD_DIR))) {
      try {
        ensureSsmdIgnore(root)
      } catch {
        // Read-only or full: the cache is not written either (save() needs the same file first).
      }
    }
    if (options.keepData === true) this.kept = new KeptData(join(this.dir, DATA_FILE))
    const payload = load(this.file)
    if (payload) {
      this.columns = payload.entries
      payload.entries.files.forEach((f, i) => this.old.set(f, i))
      shareStrings(payload.entries)
      for (const [k, v] of payload.tables) this.oldTables.set(k, v)
    } else this.dirty = true
  }

  /**
   * The path `file` as this cache already holds it (the key of its entry), so
   * that a document, this run's entries and the cache's map share one string
   * instead of holding a copy each (130,000 paths at N = 20,000); `file`
   * itself when the cache has no entry for it.
   */
  path(file: string): string {
    const i = this.old.get(file)
    return i === undefined ? file : this.columns!.files[i]
  }

  /** A table of other per-file facts; the caller checks each entry's validity itself (see Stamp). */
  table(name: string): FactTable {
    const old = this.oldTables.get(name) ?? new Map<string, unknown>()
    let fresh = this.freshTables.get(name)
    if (!fresh) {
      fresh = new Map()
      this.freshTables.set(name, fresh)
    }
    const into = fresh
    return {
      trustStat: this.strategy === 'metadata',
      blobId: (file, st) => {
        if (this.strategy !== 'metadata') return undefined
        this.unproven++
        const id = this.blobIds()?.idFor(file, st)
        return id === undefined ? undefined : Buffer.from(id).toString('hex')
      },
      get: key => into.get(key) ?? old.get(key),
      set: (key, value) => {
        if (old.get(key) !== value) this.dirty = true
        into.set(key, value)
      },
      changed: key => {
        if (into.has(key)) this.dirty = true
      },
      restamp: (key, value) => {
        into.set(key, value)
      },
    }
  }

  /** The document at `file`, from the cache when its stat data or its content prove it unchanged (see the strategies above). */
  read(kind: DocumentKind, name: string, file: string, abs: string, realPaths?: RealPaths, listed = false): SsmdDocument {
    const options = { maxBytes: MAX_FILE_BYTES, display: file, root: this.root, realPaths }
    const at = this.old.get(file)
    // No entry and listed as a regular file (a first run): read at once, the stat data from the open descriptor (no lstat).
    const early = listed && at === undefined && folderOutside(abs, options) === undefined ? readStable(abs) : undefined
    let st: Stats
    if (early) st = early.before
    else {
      // Type, root and size first: anything but a small regular file inside the root is read (refused) uncached.
      const check = checkReadable(abs, options)
      if (check.refusal) return SsmdDocument.read(kind, name, file, abs, this.root, realPaths)
      st = check.st
    }
    const decoded = at === undefined ? undefined : decodeEntry(this.columns!, at)
    const entry = decoded && (decoded.dataKept || complete(decoded.memo)) ? decoded : undefined
    const statSame = entry !== undefined && sameStat(entry, st)
    // The warm path: nothing read, nothing hashed.
    if (entry && statSame && entry.racy !== true && this.strategy === 'metadata') {
      this.stats.hits++
      return this.keep(file, entry, this.fromEntry(kind, name, file, abs, entry, realPaths))
    }
    this.unproven++
    // A fresh checkout: git's index knows the content by its blob id, and nothing is read.
    if (entry && !statSame && entry.blob !== undefined && this.strategy === 'metadata') {
      const id = this.blobIds()?.idFor(file, st)
      if (id !== undefined && Buffer.compare(id, entry.blob) === 0) {
        this.stats.indexed++
        // The new stat data are kept once settled, but alone they do not make the cache be written (see save).
        const next = settled(st) ? entryOf(st, entry, false, entry.blob) : entry
        return this.keep(file, next, this.fromEntry(kind, name, file, abs, entry, realPaths))
      }
    }
    const got = early ?? readStable(abs, st)
    if (!got) {
      this.stats.misses++
      return SsmdDocument.read(kind, name, file, abs, this.root, realPaths)
    }
    const digest = got.stable ? sha256(got.bytes) : undefined
    if (entry && digest && sameDigest(entry, digest)) {
      if (statSame && this.strategy === 'metadata') this.stats.verified++
      else this.stats.content++
      // Once the file has settled, its new stat data are kept, so that the next run (metadata) takes
      // the warm path. Until then the entry stays as it was (a later run checks the content again)
      // and the cache is not rewritten for it, as git leaves a racily clean index entry.
      let next = entry
      if (settled(got.st) && (!sameStat(entry, got.st) || entry.racy === true)) {
        next = entryOf(got.st, entry, false, entry.blob)
        this.restamped++
      }
      if (entry.blob === undefined && got.stable) {
        const blob = this.blobIds()?.idFor(file, st)
        if (blob !== undefined) {
          next = entryOf(next, next, next.racy, blob)
          this.dirty = true
        }
      }
      return this.keep(file, next, this.fromEntry(kind, name, file, abs, entry, realPaths))
    }
    this.stats.misses++
    const parsed = parseYamlBytes(got.bytes)
    const reread = this.from(realPaths)
    if (!digest) return new SsmdDocument(kind, name, file, abs, parsed, {}, reread)
    // The text is not kept: only a file with findings needs it again (to locate them), and it is read then.
    const doc = new SsmdDocument(kind, name, file, abs, { data: parsed.data, problem: parsed.problem, lazyText: true }, {}, reread)
    const dataKept = kind === 'schema' || kind === 'policy'
    if (!dataKept) this.kept?.put(file, digest, parsed.data)
    return this.keepNew(file, doc, st, stampOf(got.st), { digest, dataKept, data: dataKept ? parsed.data : undefined, problem: parsed.problem })
  }

  /**
   * The entry of a file read anew in this run, kept (and the cache written):
   * `before`, its stat data when it was opened, `after`, when the read ended
   * (stable: the same). The bytes read are the blob git's index names for the
   * file when the index holds those stat data.
   */
  private keepNew(file: string, doc: SsmdDocument, before: Stamp, after: Stamp, read: Pick<Entry, 'digest' | 'dataKept' | 'data' | 'problem'>): SsmdDocument {
    const blob = this.blobIds()?.idFor(file, before)
    this.dirty = true
    return this.keep(file, entryOf(after, { digest: read.digest, dataKept: read.dataKept, data: read.data, problem: read.problem, memo: doc.memo }, !settled(after), blob), doc)
  }

  /** True when the cache has no entry for `file` (a first run reads and checks it anew). */
  isNew(file: string): boolean {
    return !this.old.has(file)
  }

  /** Whether the run keeps every document's data (for plugins, see KeptData). */
  get keepsData(): boolean {
    return this.kept !== undefined
  }

  /**
   * A file with no entry, read (between two stats that agree), hashed, parsed
   * and checked in another thread: its entry is made as `read` makes one for
   * such a file, and the document holds what the checks left (CheckedDocument).
   */
  adopt(kind: DocumentKind, name: string, file: string, abs: string, checked: CheckedDocument, realPaths?: RealPaths): SsmdDocument {
    const { before, after, digest } = checked
    if (before === undefined || after === undefined || digest === undefined || this.old.has(file) || this.kept !== undefined) {
      throw new Error(`internal error: ${file} was checked elsewhere without what its cache entry needs`)
    }
    this.unproven++
    this.stats.misses++
    const doc = SsmdDocument.checked(kind, name, file, abs, checked, this.from(realPaths))
    return this.keepNew(file, doc, stampFrom(before), stampFrom(after), { digest, dataKept: false, data: undefined, problem: checked.problem })
  }

  private fromEntry(kind: DocumentKind, name: string, file: string, abs: string, entry: Entry, realPaths?: RealPaths): SsmdDocument {
    const held = entry.dataKept ? { data: entry.data, problem: entry.problem, lazyText: true } : { lazyData: true, problem: entry.problem, lazyText: true }
    return new SsmdDocument(kind, name, file, abs, held, entry.memo, this.from(realPaths))
  }

  /** SHA-256 of the content the document at `file` was read from in this run, when it was read through the cache. */
  contentDigest(file: string): Uint8Array | undefined {
    return this.fresh.digest(file)
  }

  #from?: RereadFrom
  /** Set by a document of this run whose memo a rule changed (see RereadFrom.changed). */
  private readonly changed = { memo: false }
  /** Files of this run whose stat data proved nothing (see INDEX_AFTER). */
  private unproven = 0
  /** Entries whose content was read and matched, kept with their new stat data (see save). */
  private restamped = 0
  #blobIds?: BlobIds | null

  /** Set once every document has been read (see readingDone). */
  #read = false

  /** git's index blob ids, read once enough files needed them (null: no usable index). */
  private blobIds(): BlobIds | undefined {
    if (this.#blobIds === undefined) {
      if (this.options.blobIds === undefined || this.unproven <= (this.options.indexAfter ?? INDEX_AFTER)) return undefined
      const ids = this.options.blobIds()
      this.#blobIds = (this.#read ? ids?.withoutYaml?.() : ids) ?? null
    }
    return this.#blobIds ?? undefined
  }

  /**
   * Every document of the workspace has been read: of git's index blob ids only
   * those of the other files are kept (definition files and the secret scan ask
   * for them); the documents' ones, which only reading needs, are let go (about
   * 14 MB at 142,000 tracked files, held otherwise to the end of the run, where
   * its memory is highest). A later read of a document is read and hashed.
   */
  readingDone(): void {
    this.#read = true
    if (this.#blobIds) this.#blobIds = this.#blobIds.withoutYaml?.()
  }

  /** The git index blob ids held (for tests). */
  get heldBlobIds(): BlobIds | undefined {
    return this.#blobIds ?? undefined
  }

  /** Documents whose data was not kept and had to be read again in this run. */
  get rereads(): number {
    return this.#from?.reads ?? 0
  }

  /** One RereadFrom for every document of the run. */
  private from(realPaths?: RealPaths): RereadFrom {
    if (this.#from === undefined || this.#from.realPaths !== realPaths) {
      const from: RereadFrom = { root: this.root, realPaths, changed: this.changed }
      if (this.kept !== undefined) from.held = (file, abs) => this.heldData(file, abs, from)
      this.#from = from
    }
    return this.#from
  }

  /**
   * The data of a document whose data the entry does not hold, for a run with
   * plugins: from KeptData when it has the data of the content this run's entry
   * was made from, else read and parsed again (as a document rereads itself),
   * and kept for later runs when the bytes read are that content.
   */
  private heldData(file: string, abs: string, from: RereadFrom): { data: unknown } | undefined {
    const digest = this.fresh.digest(file)
    if (this.kept === undefined || digest === undefined || this.fresh.dataKept(file)) return undefined
    const held = this.kept.get(file, digest)
    if (held !== undefined) return held
    const r = readBounded(abs, { maxBytes: MAX_FILE_BYTES, display: file, root: this.root, realPaths: from.realPaths })
    if (r.bytes === undefined) return undefined
    from.reads = (from.reads ?? 0) + 1
    const { data } = parseYamlBytes(r.bytes)
    if (Buffer.compare(digest, sha256(r.bytes)) === 0) this.kept.put(file, digest, data)
    return { data }
  }

  private keep(file: string, entry: Entry, doc: SsmdDocument): SsmdDocument {
    this.fresh.set(file, entry)
    return doc
  }

  /**
   * Writes the cache: the entries of the files read in this run (files not read
   * are dropped, so the cache never outgrows the repository). Best effort: a
   * read-only checkout simply runs without a cache.
   *
   * New stat data of files proven unchanged are no reason of their own to
   * write it where the next run proves them again for less than the write
   * costs: those git's index proved (a fresh checkout with a restored cache,
   * as in CI, where the next job has a checkout of its own anyway), and up to
   * INDEX_AFTER files read and hashed (what a run reads before it opens the
   * index). When the cache is written for another reason, it takes their new
   * stat data too.
   */
  save(): void {
    if (this.off) return
    // An entry without data is of use only with the per-file findings and facts of a full run.
    const useful = (memo: Record<string, unknown>, dataKept: boolean) => dataKept || complete(memo)
    if (this.changed.memo || this.restamped > (this.options.indexAfter ?? INDEX_AFTER)) this.dirty = true
    let kept = 0
    for (const [memo, dataKept] of this.fresh.memoEntries()) if (useful(memo, dataKept)) kept++
    this.kept?.save(this.fresh.digestsOf(useful), (file, chunks) => this.write(file, chunks))
    const tablesShrank = [...this.oldTables].some(([name, t]) => (this.freshTables.get(name)?.size ?? 0) !== t.size)
    if (!this.dirty && !tablesShrank && kept === this.old.size) return
    // Written part by part as it is serialised (see payloadChunks): the payload is never held whole (tens of MB at N = 20,000).
    const entries = this.fresh.encode(useful)
    this.write(this.file, () => payloadChunks(currentKey(), entries, this.freshTables))
  }

  /** Writes one file of the cache, atomically, part by part as `chunks` makes them. Best effort: a read-only checkout simply runs without a cache. */
  private write(file: string, chunks: () => Iterable<Uint8Array>): void {
    try {
      if (this.dir === cacheDir(this.root)) {
        // Writes .ssmd/.gitignore first and refuses a symlinked .ssmd or .ssmd/cache (see ssmdSubdir).
        writeFileAtomic(this.root, file, chunks)
      } else {
        // A folder of the user's (CI's cache folder): the temporary file is staged beside the target and renamed over it.
        mkdirSync(this.dir, { recursive: true, mode: 0o700 })
        writeUserFileAtomic(file, chunks)
      }
    } catch {
      // No cache this time.
    }
  }
}

/**
 * The documents' data kept for runs with plugins, in DATA_FILE: by file, the
 * content digest it was parsed from and the data. Read from disk only when a
 * run asks for a document's data (its plugins must run); written when this
 * run parsed data it did not hold, or when it holds entries of files this run
 * did not read or read with other content.
 */
class KeptData {
  private held?: Map<string, [Uint8Array, unknown]>
  private readonly added = new Map<string, [Uint8Array, unknown]>()

  constructor(private readonly file: string) {}

  private loaded(): Map<string, [Uint8Array, unknown]> {
    if (this.held === undefined) {
      const v = loadValue(this.file) as { format?: unknown; key?: unknown; data?: unknown } | undefined
      const ok = typeof v === 'object' && v !== null && v.format === FORMAT && v.key === currentKey() && v.data instanceof Map
      this.held = ok ? (v.data as Map<string, [Uint8Array, unknown]>) : new Map()
    }
    return this.held
  }

  /** The data parsed from the content with this digest, when kept. */
  get(file: string, digest: Uint8Array): { data: unknown } | undefined {
    const got = this.added.get(file) ?? this.loaded().get(file)
    return Array.isArray(got) && got[0] instanceof Uint8Array && Buffer.compare(got[0], digest) === 0 ? { data: got[1] } : undefined
  }

  put(file: string, digest: Uint8Array, data: unknown): void {
    this.added.set(file, [digest, data])
  }

  /** Keeps the data of this run's entries (`wanted`: the content digest of each entry the cache keeps without its data), when it changed. */
  save(wanted: ReadonlyMap<string, Uint8Array>, write: (file: string, chunks: () => Iterable<Uint8Array>) => void): void {
    const stale =
      this.held !== undefined &&
      [...this.held].some(([file, [digest]]) => {
        const d = wanted.get(file)
        return d === undefined || Buffer.compare(d, digest) !== 0
      })
    if (this.added.size === 0 && !stale) return
    const data = new Map<string, [Uint8Array, unknown]>()
    for (const [file, digest] of wanted) {
      const got = this.get(file, digest)
      if (got !== undefined) data.set(file, [digest, got.data])
    }
    write(this.file, () => sealedChunks([serialized({ format: FORMAT, key: currentKey(), data })]))
  }
}

/** True when a memo holds what a run needs of a document whose data is not kept: its per-file findings and its facts. */
function complete(memo: Record<string, unknown>): boolean {
  return Array.isArray(memo.findings) && typeof memo.facts === 'object' && memo.facts !== null
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * The parts of a cache file (see sealedChunks), or undefined when the file is
 * missing, truncated, corrupt or foreign.
 */
function readParts(file: string): Buffer[] | undefined {
  let bytes: Buffer
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    try {
      const st = fstatSync(fd)
      if (!st.isFile() || st.size < MAGIC.length + 32 || st.size > 2 ** 31) return undefined
      bytes = Buffer.alloc(st.size)
      let off = 0
      while (off < bytes.length) {
        const n = readSync(fd, bytes, off, bytes.length - off, off)
        if (n === 0) return undefined
        off += n
      }
    } finally {
      closeSync(fd)
    }
  } catch {
    return undefined
  }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined
  const body = bytes.subarray(MAGIC.length, bytes.length - 32)
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(bytes.subarray(bytes.length - 32))
  )
    return undefined
  const parts: Buffer[] = []
  for (let off = 0; off < body.length;) {
    if (off + 4 > body.length) return undefined
    const n = body.readUInt32LE(off)
    if (off + 4 + n > body.length) return undefined
    parts.push(body.subarray(off + 4, off + 4 + n))
    off += 4 + n
  }
  return parts
}

/** A part of a cache file made chunk by chunk (see textColumn): its length in bytes, then its chunks. */
interface ChunkedPart {
  length: number
  chunks: Iterable<Uint8Array>
}

/**
 * A cache file, chunk by chunk: MAGIC; then `parts`, each a 4-byte length
 * (little-endian) and its bytes; then the SHA-256 of everything between MAGIC
 * and it. Each part is made, hashed and written before the next is asked for,
 * so writing a file never holds it whole; each chunk is written before the
 * next is made (a chunked part reuses one buffer).
 */
function* sealedChunks(parts: Iterable<Uint8Array | ChunkedPart>): Generator<Uint8Array> {
  const hash = createHash('sha256')
  yield MAGIC
  for (const part of parts) {
    const length = Buffer.alloc(4)
    length.writeUInt32LE(part.length)
    hash.update(length)
    yield length
    if (part instanceof Uint8Array) {
      hash.update(part)
      yield part
      continue
    }
    let written = 0
    for (const chunk of part.chunks) {
      hash.update(chunk)
      written += chunk.length
      yield chunk
    }
    if (written !== part.length) throw new Error(`cache part: ${written} bytes made, ${part.length} announced`)
  }
  yield hash.digest()
}

/** Marks an entry without a string in a text column. */
const NO_STRING = 0xffffffff
/** The buffer a text column is written through. */
const TEXT_CHUNK = 64 * 1024

/**
 * A column of strings (or undefined) as a part: for each entry, its UTF-8
 * length (4 bytes, little-endian; NO_STRING for undefined) and its bytes,
 * made through one reused buffer. Serialised by V8 instead, each column was a
 * buffer of its own (20 MB at N = 20,000, all still uncollected when the
 * cache was written, at the run's highest memory).
 */
function textColumn(column: ReadonlyArray<string | undefined>): ChunkedPart {
  let length = 0
  for (const v of column) length += 4 + (v === undefined ? 0 : Buffer.byteLength(v))
  return {
    length,
    chunks: (function* () {
      const buf = Buffer.allocUnsafe(TEXT_CHUNK)
      let off = 0
      for (const v of column) {
        const n = v === undefined ? 0 : Buffer.byteLength(v)
        if (off + 4 + n > TEXT_CHUNK && off > 0) {
          yield buf.subarray(0, off)
          off = 0
        }
        if (4 + n > TEXT_CHUNK) {
          const own = Buffer.allocUnsafe(4 + n)
          own.writeUInt32LE(n)
          own.write(v!, 4)
          yield own
          continue
        }
        buf.writeUInt32LE(v === undefined ? NO_STRING : n, off)
        if (v !== undefined) buf.write(v, off + 4)
        off += 4 + n
      }
      if (off > 0) yield buf.subarray(0, off)
    })(),
  }
}

/** The strings of a text column's part (see textColumn); throws when it is malformed. */
function readTextColumn(bytes: Buffer): Array<string | undefined> {
  const out: Array<string | undefined> = []
  for (let off = 0; off < bytes.length;) {
    if (off + 4 > bytes.length) throw new Error('text column')
    const n = bytes.readUInt32LE(off)
    off += 4
    if (n === NO_STRING) {
      out.push(undefined)
      continue
    }
    if (off + n > bytes.length) throw new Error('text column')
    out.push(bytes.toString('utf8', off, off + n))
    off += n
  }
  return out
}

/** One value as a part of a cache file (V8 serialization). */
function serialized(v: unknown): Uint8Array {
  const serializer = new DefaultSerializer()
  serializer.writeHeader()
  serializer.writeValue(v)
  return serializer.releaseBuffer()
}

/** The value a one-part cache file holds (see KeptData), or undefined when it cannot be read or is not one this ssmd wrote. */
function loadValue(file: string): unknown {
  const parts = readParts(file)
  if (parts?.length !== 1) return undefined
  try {
    return deserialize(parts[0])
  } catch {
    return undefined
  }
}

/** The payload, or undefined when the file is missing, truncated, corrupt, foreign or from another ssmd. */
function load(file: string): Payload | undefined {
  const parts = readParts(file)
  if (parts === undefined || parts.length < 2) return undefined
  try {
    const head = deserialize(parts[0]) as { format?: unknown; key?: unknown; endianness?: unknown; raw?: unknown; text?: unknown; columns?: unknown; tables?: unknown }
    if (typeof head !== 'object' || head === null || head.format !== FORMAT || head.key !== currentKey() || head.endianness !== endianness()) return undefined
    const { raw, text } = head
    if (!Array.isArray(raw) || !raw.every(r => RAW_COLUMNS.includes(r)) || typeof head.columns !== 'number' || typeof head.tables !== 'number') return undefined
    if (!Array.isArray(text) || !text.every(r => TEXT_COLUMNS.includes(r))) return undefined
    if (parts.length !== 1 + raw.length + text.length + head.columns + head.tables) return undefined
    // A large repository's cache: V8's heap growth is bounded before its columns are deserialised. Bounded
    // later (once the documents are listed), the limit set at the collection that deserialising causes
    // (several times what is live) stays, and a warm run's heap grows to it (see boundHeapGrowth).
    const stamps = raw.indexOf('stamps')
    if (stamps >= 0) boundHeapGrowth(parts[1 + stamps].length / Float64Array.BYTES_PER_ELEMENT / STAMP)
    // Only the columns' own keys are taken (a null prototype: no key of a part can reach Object.prototype).
    const entries = Object.create(null) as Record<string, unknown>
    raw.forEach((name: (typeof RAW_COLUMNS)[number], i) => {
      const bytes = parts[1 + i]
      // Copied out of the file's buffer (which is then let go), into arrays of their own alignment.
      if (name === 'stamps') {
        if (bytes.length % 8 !== 0) throw new Error('stamps')
        const stamps = new Float64Array(bytes.length / 8)
        new Uint8Array(stamps.buffer).set(bytes)
        entries[name] = stamps
      } else entries[name] = new Uint8Array(bytes)
    })
    text.forEach((name: (typeof TEXT_COLUMNS)[number], i) => {
      entries[name] = readTextColumn(parts[1 + raw.length + i])
    })
    const columnsEnd = 1 + raw.length + text.length + head.columns
    // A map column comes in batches (see batches): they are merged.
    for (const part of parts.slice(1 + raw.length + text.length, columnsEnd)) {
      const value = deserialize(part) as Record<string, unknown>
      if (typeof value !== 'object' || value === null) return undefined
      for (const k of Object.keys(value)) {
        const had = entries[k]
        const v = value[k]
        if (had === undefined) entries[k] = v
        else if (had instanceof Map && v instanceof Map) for (const [i, x] of v) had.set(i, x)
        else return undefined
      }
    }
    const tables = new Map<string, Map<string, unknown>>()
    for (const part of parts.slice(columnsEnd)) {
      const batch = deserialize(part) as { table?: unknown; entries?: unknown } | null
      if (typeof batch !== 'object' || batch === null || typeof batch.table !== 'string' || !(batch.entries instanceof Map)) return undefined
      let t = tables.get(batch.table)
      if (t === undefined) tables.set(batch.table, (t = new Map()))
      for (const [k, v] of batch.entries as Map<string, unknown>) t.set(k, v)
    }
    const p: Payload = { format: FORMAT, key: head.key, entries: entries as unknown as Columns, tables: tables as Payload['tables'] }
    if (!wellFormed(p.entries)) return undefined
    return p
  } catch {
    return undefined
  }
}

/**
 * Makes equal strings of the facts' columns one string: deserialising makes a
 * string per entry, and 100,000 environments name a few thousand feeds and
 * schemas (about 6 MB of copies at N = 20,000).
 */
function shareStrings(c: Columns): void {
  for (const column of [c.feed, c.schema, c.status, c.dates]) {
    const seen = new Map<string, string>()
    for (let i = 0; i < column.length; i++) {
      const v = column[i]
      if (v === undefined) continue
      const first = seen.get(v)
      if (first === undefined) seen.set(v, v)
      else column[i] = first
    }
  }
}

/** Columns of strings, written as their UTF-8 bytes through one buffer (see textColumn): paths, feeds, schemas, statuses, dates. */
const TEXT_COLUMNS = ['files', 'feed', 'schema', 'status', 'dates'] as const

/** Columns of numbers, written as their bytes (no serialisation, no copy): stat data, digests, blob ids, flags. */
const RAW_COLUMNS = ['stamps', 'digests', 'blobs', 'flags'] as const

/** Entries of a map column or fact table per serialised part (see batches). */
const BATCH = 256

/**
 * A map's entries, BATCH at a time (at least one batch, empty for an empty
 * map): serialised whole, the data of the schemas (3.7 MB at N = 20,000) and
 * the parsed definitions (5.9 MB) were a buffer each, made when the run's
 * memory is at its highest.
 */
function* batches<K, V>(map: ReadonlyMap<K, V>): Generator<Map<K, V>> {
  let batch = new Map<K, V>()
  for (const [k, v] of map) {
    batch.set(k, v)
    if (batch.size === BATCH) {
      yield batch
      batch = new Map()
    }
  }
  if (batch.size > 0 || map.size === 0) yield batch
}

const batchCount = (map: ReadonlyMap<unknown, unknown>) => Math.max(1, Math.ceil(map.size / BATCH))

/**
 * The validation cache's parts (see sealedChunks): a header (format, key, byte
 * order, the raw and text columns, the number of serialised column parts and
 * of table parts), the raw columns' bytes as they are in memory, the text
 * columns through one buffer (see textColumn), each other column serialised
 * on its own (a map column BATCH entries a part), the fact tables BATCH
 * entries a part — so writing the cache holds at most one part's serialised
 * bytes, not the whole file.
 */
function* payloadChunks(key: string, entries: Columns, tables: Map<string, Map<string, unknown>>): Generator<Uint8Array> {
  const others = (Object.keys(entries) as Array<keyof Columns>).filter(k => !(RAW_COLUMNS as readonly string[]).includes(k) && !(TEXT_COLUMNS as readonly string[]).includes(k))
  const parts = (k: keyof Columns) => {
    const v = entries[k]
    return v instanceof Map ? batchCount(v) : 1
  }
  const columns = others.reduce((n, k) => n + parts(k), 0)
  const tableParts = [...tables.values()].reduce((n, t) => n + batchCount(t), 0)
  yield* sealedChunks(
    (function* () {
      yield serialized({ format: FORMAT, key, endianness: endianness(), raw: RAW_COLUMNS, text: TEXT_COLUMNS, columns, tables: tableParts })
      for (const k of RAW_COLUMNS) {
        const a = entries[k]
        yield new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
      }
      for (const k of TEXT_COLUMNS) yield textColumn(entries[k])
      for (const k of others) {
        const v = entries[k]
        if (v instanceof Map) for (const batch of batches(v as Map<unknown, unknown>)) yield serialized({ [k]: batch })
        else yield serialized({ [k]: v })
      }
      for (const [table, t] of tables) for (const batch of batches(t)) yield serialized({ table, entries: batch })
    })(),
  )
}

/**
 * `ssmd cache clear`: removes the cache. The default folder (`.ssmd/cache`) is
 * removed whole; in a folder the user named only ssmd's cache files are removed
 * (the folder may hold other tools' caches).
 */
export function clearCache(root: string, location?: string): boolean {
  const dir = location ?? cacheDir(root)
  if (dir === cacheDir(root)) {
    // `rm -r .ssmd/cache` through a symlinked .ssmd would delete a folder outside the repository.
    refuseSsmdDirWrite(root, CACHE_DIR)
  } else {
    let existed = false
    for (const name of [CACHE_FILE, DATA_FILE]) {
      const file = join(dir, name)
      try {
        existed ||= statSync(file).isFile()
      } catch {
        // Not there.
      }
      rmSync(file, { force: true })
    }
    return existed
  }
  let existed = false
  try {
    existed = statSync(dir).isDirectory()
  } catch {
    existed = false
  }
  rmSync(dir, { recursive: true, force: true })
  return existed
}

/** A path for the cache to keep: relative to the root when inside it (so the cache moves with the repository), else as it is. */
export function portablePath(root: string, abs: string): string {
  const rel = relative(root, abs)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : abs
}

/** The absolute path of a path kept by portablePath. */
export function absolutePath(root: string, kept: string): string {
  return isAbsolute(kept) ? kept : join(root, kept)
}

/** SHA-256 of a file's content (hex), or null when it cannot be read as a regular file. */
export function contentDigest(abs: string): string | null {
  try {
    const st = statSync(abs)
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return null
    return createHash('sha256').update(readFileSync(abs)).digest('hex')
  } catch {
    return null
  }
}
