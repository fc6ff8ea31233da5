/*
 * The validation cache: what reading and checking one file produced, kept in
 * `<root>/.ssmd/cache/` between runs: its read problem, its per-file facts
 * (contract violations, the findings of the rules that look at one file only,
 * what rules across files need to know of it) and, for schemas and the policy,
 * its parsed data. Feeds and environments are the many: their data is not
 * kept, and a command that needs it reads the file again.
 *
 * A cached entry is used only when the file's stat data is exactly what it was
 * (size, mtime, ctime, inode, mode — the fields git's index keys files by).
 * When a file was modified so close to the moment it was read that a later
 * change could keep the same timestamps ("racily clean", as git calls it), the
 * entry also holds a hash of the content, and it is used only after the
 * content has been read and found identical. The code that produced the cache
 * (ssmd's build, see currentKey) is part of its key; a cache written under
 * another key, or one that is truncated, corrupt or foreign, is ignored and
 * rebuilt, never trusted. Rules that look across files always run anew.
 */
import { createHash } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deserialize, serialize } from 'node:v8'
import { CACHE_DIR, ensureSsmdIgnore, refuseSsmdDirWrite, SSMD_DIR, ssmdDirProblem, ssmdDirUsable, writeFileAtomic } from '../io/atomic.js'
import { MAX_FILE_BYTES, parseYamlBytes } from '../yaml/read.js'
import { checkReadable } from '../io/read.js'
import type { RealPaths } from '../io/real-paths.js'
import { MEMO_CHANGED, SsmdDocument, type DocumentKind, type RereadFrom } from './document.js'
import { decodeEntry, encodeEntries, wellFormed, type Columns, type Entry } from './cache-codec.js'

const MAGIC = Buffer.from('ssmd-cache\u0001\n')
const FORMAT = 4
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

/** A keyed table of facts kept by the cache: entries used (got or set) in a run are kept, the rest dropped. */
export interface FactTable {
  get(key: string): unknown
  set(key: string, value: unknown): void
  /** Says that the value at `key` was changed in place, so the cache is written. */
  changed(key: string): void
}

export function cacheDir(root: string): string {
  return join(root, CACHE_DIR)
}

const CACHE_FILE = 'documents.bin'

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

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

const sameStat = (e: Entry, st: Stats) => sameStamp(e, st)

/**
 * Reads the whole file through an open descriptor, expecting what `st` (the
 * stat made just before) says; `stable` when the descriptor's stat data after
 * the read is still exactly that. Anything else (not a regular file any more,
 * replaced, grown, changed while read) is left to the bounded read.
 */
function readStable(abs: string, st: Stats): { bytes: Buffer; st: Stats; stable: boolean } | undefined {
  if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined
  let fd: number
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  try {
    // At most one byte more than stat said is read: a file that grew meanwhile is left to the bounded read.
    const buf = Buffer.allocUnsafe(st.size + 1)
    let total = 0
    for (let n = -1; n !== 0 && total <= st.size; total += n) n = readSync(fd, buf, total, st.size + 1 - total, null)
    const after = fstatSync(fd)
    if (!after.isFile() || total > st.size) return undefined
    const stable = after.ino === st.ino && after.size === st.size && after.mtimeMs === st.mtimeMs && after.ctimeMs === st.ctimeMs && total === st.size
    return { bytes: buf.subarray(0, total), st: after, stable }
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
  private readonly fresh = new Map<string, Entry>()
  private readonly oldTables = new Map<string, Map<string, unknown>>()
  private readonly freshTables = new Map<string, Map<string, unknown>>()
  private dirty = false
  /** `.ssmd` or `.ssmd/cache` is a symlink (or not a folder): the cache is neither read nor written. */
  private readonly off: boolean
  /** Hits and misses of this run, for tests and `-v`. */
  readonly stats = { hits: 0, misses: 0, verified: 0 }

  /**
   * `keepData`: keep every document's parsed data, feeds' and environments'
   * too. A run with plugins hands every document's data to them, and reading
   * it from the cache is cheaper than parsing every file again.
   */
  constructor(
    readonly root: string,
    private readonly options: { keepData?: boolean } = {},
  ) {
    this.file = join(cacheDir(root), CACHE_FILE)
    this.off = !ssmdDirUsable(root, CACHE_DIR)
    if (this.off) return
    // A `.ssmd/.gitignore` left empty or cut short (a full disk, an old ssmd) is repaired before anything else.
    if (ssmdDirProblem(root) === undefined && isFolder(join(root, SSMD_DIR))) {
      try {
        ensureSsmdIgnore(root)
      } catch {
        // Read-only or full: the cache is not written either (save() needs the same file first).
      }
    }
    const payload = load(this.file)
    if (payload) {
      this.columns = payload.entries
      payload.entries.files.forEach((f, i) => this.old.set(f, i))
      for (const [k, v] of payload.tables) this.oldTables.set(k, v)
    } else this.dirty = true
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
      get: key => into.get(key) ?? old.get(key),
      set: (key, value) => {
        if (old.get(key) !== value) this.dirty = true
        into.set(key, value)
      },
      changed: key => {
        if (into.has(key)) this.dirty = true
      },
    }
  }

  /** The document at `file`, from the cache when its stat data (and, for racy entries, content) proves it unchanged. */
  read(kind: DocumentKind, name: string, file: string, abs: string, realPaths?: RealPaths): SsmdDocument {
    // Type, root and size first: anything but a small regular file inside the root is read (refused) uncached.
    const check = checkReadable(abs, { maxBytes: MAX_FILE_BYTES, display: file, root: this.root, realPaths })
    if (check.refusal) return SsmdDocument.read(kind, name, file, abs, this.root, realPaths)
    const st = check.st
    const at = this.old.get(file)
    const entry = at === undefined ? undefined : decodeEntry(this.columns!, at)
    if (entry && sameStat(entry, st) && (entry.dataKept || (!this.options.keepData && complete(entry.memo)))) {
      if (entry.hash === undefined) {
        this.stats.hits++
        return this.keep(file, entry, this.fromEntry(kind, name, file, abs, entry, realPaths))
      }
      const got = readStable(abs, st)
      if (got && got.stable && sha256(got.bytes) === entry.hash) {
        this.stats.verified++
        const settledNow = settled(got.st)
        const next: Entry = settledNow ? { ...entry, hash: undefined } : entry
        if (settledNow) this.dirty = true
        return this.keep(file, next, this.fromEntry(kind, name, file, abs, entry, realPaths))
      }
    }
    this.stats.misses++
    const got = readStable(abs, st)
    if (!got) return SsmdDocument.read(kind, name, file, abs, this.root, realPaths)
    const parsed = parseYamlBytes(got.bytes)
    const reread = this.from(realPaths)
    if (!got.stable) return new SsmdDocument(kind, name, file, abs, parsed, {}, reread)
    // The text is not kept: only a file with findings needs it again (to locate them), and it is read then.
    const doc = new SsmdDocument(kind, name, file, abs, { data: parsed.data, problem: parsed.problem, lazyText: true }, {}, reread)
    const dataKept = kind === 'schema' || kind === 'policy' || this.options.keepData === true
    const fresh: Entry = {
      ...stampOf(got.st),
      ...(settled(got.st) ? {} : { hash: sha256(got.bytes) }),
      dataKept,
      ...(dataKept ? { data: parsed.data } : {}),
      problem: parsed.problem,
      memo: doc.memo,
    }
    this.dirty = true
    return this.keep(file, fresh, doc)
  }

  private fromEntry(kind: DocumentKind, name: string, file: string, abs: string, entry: Entry, realPaths?: RealPaths): SsmdDocument {
    const held = entry.dataKept ? { data: entry.data, problem: entry.problem, lazyText: true } : { lazyData: true, problem: entry.problem, lazyText: true }
    return new SsmdDocument(kind, name, file, abs, held, entry.memo, this.from(realPaths))
  }

  #from?: RereadFrom

  /** Documents whose data was not kept and had to be read again in this run. */
  get rereads(): number {
    return this.#from?.reads ?? 0
  }

  /** One RereadFrom for every document of the run. */
  private from(realPaths?: RealPaths): RereadFrom {
    if (this.#from === undefined || this.#from.realPaths !== realPaths) this.#from = { root: this.root, realPaths }
    return this.#from
  }

  private keep(file: string, entry: Entry, doc: SsmdDocument): SsmdDocument {
    this.fresh.set(file, entry)
    return doc
  }

  /**
   * Writes the cache: the entries of the files read in this run (files not read
   * are dropped, so the cache never outgrows the repository). Best effort: a
   * read-only checkout simply runs without a cache.
   */
  save(): void {
    if (this.off) return
    for (const [file, entry] of this.fresh) {
      if ((entry.memo as Record<symbol, unknown>)[MEMO_CHANGED]) this.dirty = true
      // An entry without data is of use only with the per-file findings and facts of a full run.
      if (!entry.dataKept && !complete(entry.memo)) this.fresh.delete(file)
    }
    const tablesShrank = [...this.oldTables].some(([name, t]) => (this.freshTables.get(name)?.size ?? 0) !== t.size)
    if (!this.dirty && !tablesShrank && this.fresh.size === this.old.size) return
    const payload = serialize({ format: FORMAT, key: currentKey(), entries: encodeEntries(this.fresh), tables: this.freshTables } satisfies Payload)
    const sum = createHash('sha256').update(payload).digest()
    try {
      // Writes .ssmd/.gitignore first and refuses a symlinked .ssmd or .ssmd/cache (see ssmdSubdir).
      writeFileAtomic(this.root, this.file, Buffer.concat([MAGIC, sum, payload]))
    } catch {
      // No cache this time.
    }
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

/** The payload, or undefined when the file is missing, truncated, corrupt, foreign or from another ssmd. */
function load(file: string): Payload | undefined {
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
  const sum = bytes.subarray(MAGIC.length, MAGIC.length + 32)
  const payload = bytes.subarray(MAGIC.length + 32)
  if (!createHash('sha256').update(payload).digest().equals(sum)) return undefined
  let value: unknown
  try {
    value = deserialize(payload)
  } catch {
    return undefined
  }
  const p = value as Payload
  if (typeof p !== 'object' || p === null || p.format !== FORMAT || p.key !== currentKey() || !wellFormed(p.entries) || !(p.tables instanceof Map)) return undefined
  for (const t of p.tables.values()) if (!(t instanceof Map)) return undefined
  return p
}

/** `ssmd cache clear`: removes the cache folder. */
export function clearCache(root: string): boolean {
  // `rm -r .ssmd/cache` through a symlinked .ssmd would delete a folder outside the repository.
  refuseSsmdDirWrite(root, CACHE_DIR)
  const dir = cacheDir(root)
  let existed = false
  try {
    existed = statSync(dir).isDirectory()
  } catch {
    existed = false
  }
  rmSync(dir, { recursive: true, force: true })
  return existed
}
