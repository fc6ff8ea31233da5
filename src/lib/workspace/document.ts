import { sep } from 'node:path'
import { readBounded, readListed } from '../io/read.js'
import type { RealPaths } from '../io/real-paths.js'
import { decodeYamlText, MAX_FILE_BYTES, oversizeMessage, parseYamlBytes, type ReadProblem } from '../yaml/read.js'
import { SourceLocator, type Position } from '../yaml/locate.js'
import type { EnvironmentData, FeedData, PolicyData, SchemaData } from '../spec/types.generated.js'

export type DocumentKind = 'feed' | 'schema' | 'environment' | 'policy'

/**
 * What rules across files read of a document, kept when its data is released
 * (see SsmdDocument.release): whether it is a mapping, and for an environment
 * the feed and schema it names, for a feed its status. Strings only: any other
 * value is the contract's finding, not a reference.
 */
export interface DocumentFacts {
  isObject: boolean
  feed?: string
  schema?: string
  status?: string
  /** A feed's versions with usable dates, as JSON `[[index, id, from, to | null], …]` (see feedVersionDates). */
  dates?: string
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The facts of a document's content. `share` makes the strings kept (by
 * default one shared copy each, see own); the second thread, which posts
 * them at once, keeps them as they are (the main thread shares them as it
 * takes them, ownFacts).
 */
export function factsOf(kind: DocumentKind, data: unknown, share: (s: string) => string = own): DocumentFacts {
  if (!isMapping(data)) return { isObject: false }
  if (kind === 'environment') return makeFacts(true, typeof data.feed === 'string' ? share(data.feed) : undefined, typeof data.schema === 'string' ? share(data.schema) : undefined)
  if (kind === 'feed') {
    const status = typeof data.status === 'string' ? share(data.status) : undefined
    return makeFacts(true, undefined, undefined, status, Array.isArray(data.versions) ? encodeDates(data.versions) : undefined)
  }
  return { isObject: true }
}

/**
 * A document's facts, made in one literal where the usual facts are there (an
 * environment's feed and schema, a feed's status and dates): an object
 * literal has room for its own properties only, and each one added later goes
 * to a separate property array (a hundred thousand facts are kept, whether
 * made from a document or from the validation cache's columns).
 */
export function makeFacts(isObject: boolean, feed?: string, schema?: string, status?: string, dates?: string): DocumentFacts {
  if (status === undefined && dates === undefined) {
    if (feed !== undefined && schema !== undefined) return { isObject, feed, schema }
  } else if (feed === undefined && schema === undefined && status !== undefined && dates !== undefined) return { isObject, status, dates }
  const facts: DocumentFacts = { isObject }
  if (feed !== undefined) facts.feed = feed
  if (schema !== undefined) facts.schema = schema
  if (status !== undefined) facts.status = status
  if (dates !== undefined) facts.dates = dates
  return facts
}

const isDate = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)

/** The dates of a feed's versions, kept as a fact: rules across files ask which version is in effect. */
function encodeDates(versions: unknown[]): string {
  const out: Array<[number, string, string, string | null]> = []
  versions.forEach((v, i) => {
    if (!isMapping(v) || !isDate(v.effective_from) || (v.effective_to !== undefined && (!isDate(v.effective_to) || v.effective_to < v.effective_from))) return
    out.push([i, String(v.version), v.effective_from, (v.effective_to as string | undefined) ?? null])
  })
  return JSON.stringify(out)
}

/** A feed's versions with their dates, from its facts (entries without usable dates are left out). */
export function feedVersionDates(facts: DocumentFacts): Array<{ index: number; version: string; effective_from: string; effective_to?: string }> {
  if (facts.dates === undefined) return []
  return (JSON.parse(facts.dates) as Array<[number, string, string, string | null]>).map(([index, version, from, to]) => ({
    index,
    version,
    effective_from: from,
    ...(to === null ? {} : { effective_to: to }),
  }))
}

/** Facts made elsewhere (another thread, see CheckedDocument) from their parts, with their strings shared as facts made here share them. */
export function ownFacts(isObject: boolean, feed?: string, schema?: string, status?: string, dates?: string): DocumentFacts {
  const str = (v: string | undefined) => (v === undefined ? undefined : own(v))
  return makeFacts(isObject, str(feed), str(schema), str(status), dates)
}

const owned = new Map<string, string>()

/**
 * The string, as one shared copy that holds no memory of the text it was
 * parsed from: a value the YAML parser sliced out of a file's text keeps the
 * whole text alive, facts outlive the text by design, and thousands of
 * environments name the same few feeds and schemas.
 */
function own(s: string): string {
  let copy = owned.get(s)
  if (copy === undefined) {
    if (owned.size >= 100_000) owned.clear()
    copy = Buffer.from(s, 'utf8').toString('utf8')
    owned.set(copy, copy)
  }
  return copy
}

/** Kinds whose data a validation run may release once the per-file rules have run (the many; schemas and the policy stay). */
const RELEASABLE: ReadonlySet<DocumentKind> = new Set(['feed', 'environment'])

/**
 * A document read, parsed and checked by the rules that read one file at a
 * time somewhere else (the worker that reads documents in parallel, see
 * validate/parallel-read.ts): what is left of it once that work is done,
 * as a validation cache entry keeps it.
 */
export interface CheckedDocument {
  problem?: ReadProblem
  /** Its memo: the per-file findings, contract findings and facts. */
  memo: Record<string, unknown>
  /** For the validation cache: the stat data before and after the read, as [size, mtimeMs, ctimeMs, ino, mode]. */
  before?: ArrayLike<number>
  after?: ArrayLike<number>
  /** For the validation cache: SHA-256 of the bytes read. */
  digest?: Uint8Array
}

/** Where documents are read from before the workspace reads them itself: a file it has no answer for is read as usual. */
export interface DocumentPrefetch {
  take(kind: DocumentKind, name: string, file: string): CheckedDocument | undefined
}

/** SsmdDocument's flags: its absolute path is composed from the root it holds; read (not deferred); text, data to be read again when asked for; not read at all (see refused). */
const UNDER = 1
const LOADED = 2
const LAZY_TEXT = 4
const LAZY_DATA = 8
const REFUSED = 16

/** What reads a deferred document: the workspace. */
export interface DocumentSource {
  read(kind: DocumentKind, name: string, file: string): SsmdDocument
}

/** Where a document is read again from: the root it must stay inside, and the real paths known so far (shared). */
export interface RereadFrom {
  root?: string
  realPaths?: RealPaths
  /** How many documents were read again through this (for tests and `-v`). */
  reads?: number
  /** Where the data of a document that does not hold it comes from first (the validation cache's kept data); undefined: read the file again. */
  held?: (file: string, absPath: string) => { data: unknown } | undefined
  /**
   * Set when `remember` changed the memo of a document read through this (the
   * validation cache is then written). One flag for all of them, not a mark on
   * each memo: a fifth property would move every memo's properties out of the
   * object into an array of their own.
   */
  changed?: { memo: boolean }
}

interface Parsed {
  text?: string
  data?: unknown
  problem?: ReadProblem
  /** The text is not held: read the file again when it is needed. */
  lazyText?: boolean
  refused?: boolean
  /** The data is not held either (a validation cache entry): read and parse the file again when it is needed. */
  lazyData?: boolean
}

/**
 * One YAML file of the repository, read once. A document can also be
 * deferred (read on first use: listing a folder reads nothing) and, in a
 * validation run, released (its data and text dropped once the per-file
 * rules have run, its facts kept); either way reading `data` or `text` later
 * reads the file again, so every consumer always sees the file's content.
 */
export class SsmdDocument<T = unknown> {
  /** Name from the file name (without .yaml / .yml). */
  readonly name: string
  /** Path relative to the ssmd root, with forward slashes. */
  readonly file: string
  readonly kind: DocumentKind
  /** The absolute path, or (for a document of a listed folder) the root it is below: composed when asked for. */
  #abs: string
  /** UNDER, LOADED, LAZY_TEXT, LAZY_DATA and REFUSED: one field, not five (130,000 documents at N = 20,000). */
  #bits = 0
  #load?: DocumentSource
  #from?: RereadFrom
  #text?: string
  #data?: T
  #problem?: ReadProblem
  #memo: Record<string, unknown>
  #locator?: SourceLocator

  /** `from`: where the file can be read again (its root), for a document whose data is released or not held. */
  constructor(kind: DocumentKind, name: string, file: string, absPath: string, parsed: Parsed, memo: Record<string, unknown> = {}, from?: RereadFrom) {
    this.kind = kind
    this.name = name
    this.file = file
    this.#abs = absPath
    this.#memo = memo
    this.#from = from
    this.#adopt(parsed)
    this.#bits |= LOADED
  }

  /**
   * A document of `root` read on first use by `load.read` (which returns the
   * document as read). Its absolute path is composed when asked for: a large
   * repository has a hundred thousand of them, and the path is rarely needed.
   */
  static deferred<T>(kind: DocumentKind, name: string, file: string, root: string, load: DocumentSource): SsmdDocument<T> {
    const doc = new SsmdDocument<T>(kind, name, file, root, {})
    doc.#bits = UNDER
    doc.#load = load
    return doc
  }

  /** A document another thread read and checked (see CheckedDocument): its data and text are read again when asked for. */
  static checked<T>(kind: DocumentKind, name: string, file: string, absPath: string, checked: CheckedDocument, from: RereadFrom): SsmdDocument<T> {
    return new SsmdDocument<T>(kind, name, file, absPath, { problem: checked.problem, lazyData: true, lazyText: true }, checked.memo, from)
  }

  /** True while a deferred document has not been read. */
  get pending(): boolean {
    return (this.#bits & LOADED) === 0
  }

  get absPath(): string {
    return (this.#bits & UNDER) !== 0 ? `${this.#abs}${sep}${this.file}` : this.#abs
  }

  #adopt(p: Parsed): void {
    this.#text = p.text
    this.#data = p.data as T | undefined
    this.#problem = p.problem
    this.#bits = (this.#bits & (UNDER | LOADED)) | (p.lazyText === true ? LAZY_TEXT : 0) | (p.lazyData === true ? LAZY_DATA : 0) | (p.refused === true ? REFUSED : 0)
  }

  #ensure(): void {
    if ((this.#bits & LOADED) !== 0) return
    this.#bits |= LOADED
    const read = this.#load!.read(this.kind, this.name, this.file)
    this.#load = undefined
    this.#memo = read.#memo
    this.#from = read.#from
    this.#text = read.#text
    this.#data = read.#data as T | undefined
    this.#problem = read.#problem
    this.#bits = (this.#bits & (UNDER | LOADED)) | (read.#bits & (LAZY_TEXT | LAZY_DATA | REFUSED))
    // The document as read is dropped; its memo object lives on here.
  }

  /** The parsed content; undefined when the file could not be read as YAML. */
  get data(): T | undefined {
    this.#ensure()
    if ((this.#bits & LAZY_DATA) !== 0) {
      this.#bits &= ~LAZY_DATA
      const from = this.#from
      const held = from?.held?.(this.file, this.absPath)
      if (held !== undefined) {
        this.#data = held.data as T | undefined
        return this.#data
      }
      if (from) from.reads = (from.reads ?? 0) + 1
      const again = from ? SsmdDocument.read(this.kind, this.name, this.file, this.absPath, from.root, from.realPaths) : undefined
      if (again) {
        this.#data = again.#data as T | undefined
        this.#text ??= again.#text
      }
    }
    return this.#data
  }

  /** Why the file could not be read (syntax, unsafe content). */
  get problem(): ReadProblem | undefined {
    this.#ensure()
    return this.#problem
  }

  /** True when the file was not read at all (not a regular file, a symlink leading outside, too large): `problem` says why. */
  get refused(): boolean {
    this.#ensure()
    return (this.#bits & REFUSED) !== 0
  }

  /**
   * Facts computed from this document's content alone (e.g. its contract
   * violations, its per-file findings), memoised here and kept by the
   * validation cache between runs. Read-only: set entries with `remember`.
   */
  get memo(): Readonly<Record<string, unknown>> {
    this.#ensure()
    return this.#memo
  }

  /** Sets a memo entry (see `memo`), marking it changed (RereadFrom.changed) so the validation cache is written. */
  remember(key: string, value: unknown): void {
    this.#ensure()
    this.#memo[key] = value
    const changed = this.#from?.changed
    if (changed) changed.memo = true
  }

  /** What rules across files read of this document; available after the data is released. */
  get facts(): DocumentFacts {
    return this.factsWith()
  }

  /** The facts (see `facts`); when they are made here, their strings kept by `share` (see factsOf). */
  factsWith(share?: (s: string) => string): DocumentFacts {
    const memo = this.memo
    let facts = memo.facts as DocumentFacts | undefined
    if (facts === undefined) {
      facts = factsOf(this.kind, this.data, share)
      this.remember('facts', facts)
    }
    return facts
  }

  /**
   * Drops the text of a document whose per-file work is done, and the data of
   * a feed or environment (its facts are kept), so a run over many files holds only what
   * rules across files need. Reading `data` or `text` afterwards reads the
   * file again. A document that cannot be read again keeps everything.
   */
  release(): void {
    if ((this.#bits & LOADED) === 0 || this.#from === undefined || (this.#bits & REFUSED) !== 0) return
    this.#text = undefined
    this.#bits |= LAZY_TEXT
    this.#locator = undefined
    if (!RELEASABLE.has(this.kind)) return
    void this.facts
    this.#data = undefined
    this.#bits |= LAZY_DATA
  }

  /**
   * The decoded text. A document from the validation cache reads its file only
   * when something needs the text (locating a finding), which is rare.
   */
  get text(): string | undefined {
    this.#ensure()
    if (this.#text === undefined && (this.#bits & LAZY_TEXT) !== 0) {
      // Read as the document was: inside its root (a file swapped for a link leading out meanwhile is not read).
      const r = readBounded(this.absPath, { maxBytes: MAX_FILE_BYTES, display: this.file, root: this.#from?.root, realPaths: this.#from?.realPaths })
      // The text only: parsing it again would be wasted (the data, if wanted, is read separately).
      this.#text = r.bytes ? decodeYamlText(r.bytes) : undefined
      this.#bits &= ~LAZY_TEXT
    }
    return this.#text
  }

  /**
   * Reads and parses one document. Only a regular file inside the root is read
   * (bounded by the 1 MiB limit while reading); anything else becomes a located
   * problem, and the file is never opened. `listed`: the folder's listing says
   * the file is a regular file, so it is opened without a stat first (readListed).
   */
  static read<T>(kind: DocumentKind, name: string, file: string, absPath: string, root?: string, realPaths?: RealPaths, listed = false): SsmdDocument<T> {
    const options = { maxBytes: MAX_FILE_BYTES, display: file, root, realPaths }
    const r = listed ? readListed(absPath, options) : readBounded(absPath, options)
    if (r.refusal) {
      const { kind: why, message, size } = r.refusal
      const problem: ReadProblem =
        why === 'too-large' && size !== undefined
          ? { rule: 'yaml/unsafe', line: 1, column: 1, message: oversizeMessage(size) }
          : why === 'missing' || why === 'unreadable'
            ? { rule: 'yaml/syntax', line: 1, column: 1, message: `cannot read file: ${message}` }
            : { rule: 'yaml/unsafe', line: 1, column: 1, message }
      return new SsmdDocument<T>(kind, name, file, absPath, { problem, refused: true })
    }
    return new SsmdDocument<T>(kind, name, file, absPath, parseYamlBytes(r.bytes), {}, { root, realPaths })
  }

  /** True when the document parsed to a mapping. */
  get isObject(): boolean {
    this.#ensure()
    if ((this.#bits & LAZY_DATA) !== 0) return this.facts.isObject
    return isMapping(this.#data)
  }

  /** line:col of the value (or key) at a JSON Pointer; 1:1 when the text is unavailable. */
  locate(pointer: string, at: 'key' | 'value' = 'value'): Position {
    if (this.text === undefined) return { line: 1, column: 1 }
    this.#locator ??= new SourceLocator(this.text)
    return this.#locator.locate(pointer, at)
  }
}

export type FeedDocument = SsmdDocument<FeedData>
export type SchemaDocument = SsmdDocument<SchemaData>
export type EnvironmentDocument = SsmdDocument<EnvironmentData>
export type PolicyDocument = SsmdDocument<PolicyData>
