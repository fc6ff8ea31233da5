/*
 * How the validation cache lays out its entries on disk: in columns, not one
 * object per file. A repository has tens of thousands of feeds and
 * environments, and what is kept of each is small (stat data, facts, usually
 * no findings); as objects, reading them back costs more than everything else
 * a run with nothing changed does. Columns of numbers and strings deserialise
 * about twenty times faster, and an entry becomes an object only when its file
 * is looked up. Schemas and the policy, whose data is kept, stay whole objects.
 */
import { grown } from '../core/arrays.js'
import type { ReadProblem } from '../yaml/read.js'
import { makeFacts, type DocumentFacts } from './document.js'

export interface Entry {
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
  mode: number
  /** SHA-256 of the content the entry was made from (32 bytes): a file whose stat data changed is still a hit when its content has this digest. */
  digest?: Uint8Array
  /**
   * The git blob id (20 bytes) of that content, when git's index proved it
   * (see BlobIds in cache.ts): a fresh checkout whose index entry has the same id is
   * a hit without reading the file.
   */
  blob?: Uint8Array
  /** Made within the racy window (see cache.ts): its stat data alone prove nothing, the content must match. */
  racy?: boolean
  /**
   * False for a feed or environment: its parsed data is not kept (its per-file
   * findings and its facts are, in `memo`), and is read again only if needed.
   */
  dataKept: boolean
  data?: unknown
  problem?: ReadProblem
  /** Per-file facts computed from the content (see SsmdDocument.memo). */
  memo: Record<string, unknown>
}

/** The entries, column by column (index i is the i-th file). */
export interface Columns {
  files: string[]
  /** size, mtimeMs, ctimeMs, ino, mode of each file. */
  stamps: Float64Array
  /** Each file's content digest (DIGEST bytes at i * DIGEST; see the HAS_DIGEST flag). */
  digests: Uint8Array
  /** Each file's git blob id (BLOB bytes at i * BLOB; see the HAS_BLOB flag). */
  blobs: Uint8Array
  /** Entries whose data is kept, whole: data, problem, memo. */
  kept: Map<number, { data: unknown; problem?: ReadProblem; memo: Record<string, unknown> }>
  /** The other entries' read problems, memo parts and facts. */
  problems: Map<number, ReadProblem>
  flags: Uint8Array
  /** The list of rules most entries' findings were made by; others in fileRulesOther. */
  fileRules: string
  fileRulesOther: Map<number, string>
  findings: Map<number, unknown[]>
  contract: Map<number, unknown[]>
  feed: Array<string | undefined>
  schema: Array<string | undefined>
  status: Array<string | undefined>
  dates: Array<string | undefined>
  /** Memo keys this layout does not know (kept as they are). */
  rest: Map<number, Record<string, unknown>>
}

const CONTRACT = 1
const FINDINGS = 2
const FACTS = 4
const IS_OBJECT = 8
const FILE_RULES = 16
const HAS_DIGEST = 32
const RACY = 64
const HAS_BLOB = 128
/** In a run's EntryColumns only (never written: the columns keep such entries in `kept`). */
const DATA_KEPT = 256
/** Bytes of a git blob id (SHA-1). */
export const BLOB = 20
/** Bytes of a content digest (SHA-256). */
export const DIGEST = 32
const KNOWN = new Set(['contract', 'findings', 'facts', 'fileRules'])
/** Stat fields per entry in the stamps column. */
export const STAMP = 5

/**
 * The entries of one run, kept in columns as they are made: stat data, digests
 * and blob ids in typed arrays, the memo by reference. As one object (and two
 * small buffers) per file, the run that writes the cache held several hundred
 * bytes more per file than one without it, and its garbage collector copied
 * them all from the young generation.
 */
export class EntryColumns {
  private readonly files: string[] = []
  private readonly at = new Map<string, number>()
  private stamps = new Float64Array(STAMP * 256)
  private digests = new Uint8Array(DIGEST * 256)
  private blobs = new Uint8Array(BLOB * 256)
  private flags = new Uint16Array(256)
  private readonly memos: Array<Record<string, unknown>> = []
  /** Data of entries whose data is kept, and read problems, by index. */
  private readonly data = new Map<number, unknown>()
  private readonly problems = new Map<number, ReadProblem>()

  get size(): number {
    return this.files.length
  }

  /** Keeps `e` as the entry of `file` (replacing one kept before). */
  set(file: string, e: Entry): void {
    let i = this.at.get(file)
    if (i === undefined) {
      i = this.files.length
      if (i === this.flags.length) this.grow()
      this.files.push(file)
      this.memos.push(e.memo)
      this.at.set(file, i)
    } else {
      this.memos[i] = e.memo
      this.data.delete(i)
      this.problems.delete(i)
    }
    const o = i * STAMP
    const s = this.stamps
    s[o] = e.size
    s[o + 1] = e.mtimeMs
    s[o + 2] = e.ctimeMs
    s[o + 3] = e.ino
    s[o + 4] = e.mode
    let flags = e.racy === true ? RACY : 0
    if (e.digest !== undefined && e.digest.length === DIGEST) {
      this.digests.set(e.digest, i * DIGEST)
      flags |= HAS_DIGEST
    }
    if (e.blob !== undefined && e.blob.length === BLOB) {
      this.blobs.set(e.blob, i * BLOB)
      flags |= HAS_BLOB
    }
    if (e.dataKept) {
      flags |= DATA_KEPT
      this.data.set(i, e.data)
    }
    if (e.problem !== undefined) this.problems.set(i, e.problem)
    this.flags[i] = flags
  }

  /** The content digest kept for `file`. */
  digest(file: string): Uint8Array | undefined {
    const i = this.at.get(file)
    return i !== undefined && (this.flags[i] & HAS_DIGEST) !== 0 ? this.digests.slice(i * DIGEST, (i + 1) * DIGEST) : undefined
  }

  /** Whether the entry of `file` keeps its data. */
  dataKept(file: string): boolean {
    const i = this.at.get(file)
    return i !== undefined && (this.flags[i] & DATA_KEPT) !== 0
  }

  /** The content digests of the entries `keep` accepts that do not keep their data, by file. */
  digestsOf(keep: (memo: Record<string, unknown>, dataKept: boolean) => boolean): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>()
    for (let i = 0; i < this.files.length; i++) {
      const f = this.flags[i]
      if ((f & DATA_KEPT) === 0 && (f & HAS_DIGEST) !== 0 && keep(this.memos[i], false)) out.set(this.files[i], this.digests.slice(i * DIGEST, (i + 1) * DIGEST))
    }
    return out
  }

  /** Each entry's memo, and whether its data is kept. */
  *memoEntries(): Generator<[memo: Record<string, unknown>, dataKept: boolean]> {
    for (let i = 0; i < this.files.length; i++) yield [this.memos[i], (this.flags[i] & DATA_KEPT) !== 0]
  }

  /** The columns written to disk, of the entries `keep` accepts (given each entry's memo and whether its data is kept). */
  encode(keep: (memo: Record<string, unknown>, dataKept: boolean) => boolean): Columns {
    const chosen: number[] = []
    for (let i = 0; i < this.files.length; i++) if (keep(this.memos[i], (this.flags[i] & DATA_KEPT) !== 0)) chosen.push(i)
    const n = chosen.length
    // Every entry kept (the usual case): the number columns are views of this run's own, not copies
    // (12 MB at N = 20,000, allocated when the run's memory is at its highest).
    const all = n === this.files.length
    const c: Columns = {
      files: [],
      stamps: all ? this.stamps.subarray(0, n * STAMP) : new Float64Array(n * STAMP),
      digests: all ? this.digests.subarray(0, n * DIGEST) : new Uint8Array(n * DIGEST),
      blobs: all ? this.blobs.subarray(0, n * BLOB) : new Uint8Array(n * BLOB),
      kept: new Map(),
      problems: new Map(),
      flags: new Uint8Array(n),
      fileRules: '',
      fileRulesOther: new Map(),
      findings: new Map(),
      contract: new Map(),
      feed: new Array<string | undefined>(n),
      schema: new Array<string | undefined>(n),
      status: new Array<string | undefined>(n),
      dates: new Array<string | undefined>(n),
      rest: new Map(),
    }
    // The most common rule list is stored once.
    const counts = new Map<string, number>()
    for (const i of chosen) {
      const r = this.memos[i].fileRules
      if (typeof r === 'string') counts.set(r, (counts.get(r) ?? 0) + 1)
    }
    for (const [r, k] of counts) if (k > (counts.get(c.fileRules) ?? 0)) c.fileRules = r
    for (let j = 0; j < n; j++) {
      const i = chosen[j]
      c.files.push(this.files[i])
      if (!all) {
        c.stamps.set(this.stamps.subarray(i * STAMP, (i + 1) * STAMP), j * STAMP)
        c.digests.set(this.digests.subarray(i * DIGEST, (i + 1) * DIGEST), j * DIGEST)
        c.blobs.set(this.blobs.subarray(i * BLOB, (i + 1) * BLOB), j * BLOB)
      }
      let flags = this.flags[i] & (RACY | HAS_DIGEST | HAS_BLOB)
      const m = this.memos[i]
      const problem = this.problems.get(i)
      if ((this.flags[i] & DATA_KEPT) !== 0) {
        c.kept.set(j, { data: this.data.get(i), ...(problem === undefined ? {} : { problem }), memo: m })
        c.flags[j] = flags
        continue
      }
      if (problem !== undefined) c.problems.set(j, problem)
      if (Array.isArray(m.contract)) {
        flags |= CONTRACT
        if (m.contract.length > 0) c.contract.set(j, m.contract)
      }
      if (Array.isArray(m.findings)) {
        flags |= FINDINGS
        if (m.findings.length > 0) c.findings.set(j, m.findings)
      }
      if (typeof m.fileRules === 'string') {
        flags |= FILE_RULES
        if (m.fileRules !== c.fileRules) c.fileRulesOther.set(j, m.fileRules)
      }
      const facts = m.facts as DocumentFacts | undefined
      if (typeof facts === 'object' && facts !== null) {
        flags |= FACTS | (facts.isObject ? IS_OBJECT : 0)
        c.feed[j] = facts.feed
        c.schema[j] = facts.schema
        c.status[j] = facts.status
        c.dates[j] = facts.dates
      }
      // Built only for a memo with keys this layout does not know (rare): no array per entry.
      let rest: Record<string, unknown> | undefined
      for (const k in m) {
        if (KNOWN.has(k) && (k !== 'facts' || (typeof m.facts === 'object' && m.facts !== null))) continue
        rest ??= {}
        rest[k] = m[k]
      }
      if (rest !== undefined) c.rest.set(j, rest)
      c.flags[j] = flags
    }
    return c
  }

  private grow(): void {
    const n = this.flags.length * 2
    this.stamps = grown(this.stamps, n * STAMP)
    this.digests = grown(this.digests, n * DIGEST)
    this.blobs = grown(this.blobs, n * BLOB)
    this.flags = grown(this.flags, n)
  }
}

/** The columns' shape, checked before any entry is used; false for anything foreign. */
export function wellFormed(c: Columns): boolean {
  if (typeof c !== 'object' || c === null || !Array.isArray(c.files)) return false
  const n = c.files.length
  const maps = [c.kept, c.problems, c.fileRulesOther, c.findings, c.contract, c.rest]
  if (!(c.stamps instanceof Float64Array) || c.stamps.length !== n * STAMP || !(c.flags instanceof Uint8Array) || c.flags.length !== n) return false
  if (!(c.digests instanceof Uint8Array) || c.digests.length !== n * DIGEST) return false
  if (!(c.blobs instanceof Uint8Array) || c.blobs.length !== n * BLOB) return false
  if (maps.some(m => !(m instanceof Map)) || typeof c.fileRules !== 'string') return false
  if (![c.feed, c.schema, c.status, c.dates].every(a => Array.isArray(a) && a.length === n)) return false
  for (const k of c.kept.values()) if (typeof k !== 'object' || k === null || typeof k.memo !== 'object' || k.memo === null) return false
  return c.files.every(f => typeof f === 'string')
}

/** The entry at index i, as an object. */
export function decodeEntry(c: Columns, i: number): Entry {
  const s = c.stamps
  const o = i * STAMP
  // Built field by field (no spreads): this runs for every file of every run.
  const entry: Entry = { size: s[o], mtimeMs: s[o + 1], ctimeMs: s[o + 2], ino: s[o + 3], mode: s[o + 4], dataKept: false, memo: EMPTY_MEMO }
  const flags = c.flags[i]
  if (flags & HAS_DIGEST) entry.digest = c.digests.subarray(i * DIGEST, (i + 1) * DIGEST)
  if (flags & HAS_BLOB) entry.blob = c.blobs.subarray(i * BLOB, (i + 1) * BLOB)
  if (flags & RACY) entry.racy = true
  const kept = c.kept.get(i)
  if (kept) {
    entry.dataKept = true
    entry.data = kept.data
    if (kept.problem !== undefined) entry.problem = kept.problem
    entry.memo = kept.memo
    return entry
  }
  const rest = c.rest.get(i)
  const memo: Record<string, unknown> = rest === undefined ? {} : { ...rest }
  if (flags & CONTRACT) memo.contract = c.contract.get(i) ?? NONE
  if (flags & FINDINGS) memo.findings = c.findings.get(i) ?? NONE
  if (flags & FILE_RULES) memo.fileRules = c.fileRulesOther.get(i) ?? c.fileRules
  if (flags & FACTS) memo.facts = makeFacts((flags & IS_OBJECT) !== 0, c.feed[i], c.schema[i], c.status[i], c.dates[i])
  entry.memo = memo
  const problem = c.problems.get(i)
  if (problem !== undefined) entry.problem = problem
  return entry
}

const EMPTY_MEMO: Record<string, unknown> = {}
/** An empty list, shared (never modified: memo values are replaced, not changed). */
const NONE: unknown[] = Object.freeze([]) as unknown as unknown[]
