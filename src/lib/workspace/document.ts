import { readBounded } from '../io/read.js'
import type { RealPaths } from '../io/real-paths.js'
import { MAX_FILE_BYTES, oversizeMessage, parseYamlBytes, type ReadProblem } from '../yaml/read.js'
import { SourceLocator, type Position } from '../yaml/locate.js'
import type { EnvironmentData, FeedData, PolicyData, SchemaData } from '../spec/types.generated.js'

export type DocumentKind = 'feed' | 'schema' | 'environment' | 'policy'

/** One YAML file of the repository, read once. */
export class SsmdDocument<T = unknown> {
  /** Name from the file name (without .yaml / .yml). */
  readonly name: string
  /** Path relative to the ssmd root, with forward slashes. */
  readonly file: string
  readonly absPath: string
  readonly kind: DocumentKind
  private textValue?: string
  private readonly lazyText: boolean
  /** The parsed content; undefined when the file could not be read as YAML. */
  readonly data?: T
  /** Why the file could not be read (syntax, unsafe content). */
  readonly problem?: ReadProblem
  /** True when the file was not read at all (not a regular file, a symlink leading outside, too large): `problem` says why. */
  readonly refused: boolean
  /**
   * Facts computed from this document's content alone (e.g. its contract
   * violations), memoised here and kept by the validation cache between runs.
   */
  readonly memo: Record<string, unknown>
  private locator?: SourceLocator

  constructor(
    kind: DocumentKind,
    name: string,
    file: string,
    absPath: string,
    parsed: { text?: string; data?: unknown; problem?: ReadProblem; lazyText?: boolean; refused?: boolean },
    memo: Record<string, unknown> = {},
  ) {
    this.kind = kind
    this.name = name
    this.file = file
    this.absPath = absPath
    this.textValue = parsed.text
    this.lazyText = parsed.lazyText === true
    this.data = parsed.data as T | undefined
    this.problem = parsed.problem
    this.refused = parsed.refused === true
    this.memo = memo
  }

  /**
   * The decoded text. A document from the validation cache reads its file only
   * when something needs the text (locating a finding), which is rare.
   */
  get text(): string | undefined {
    if (this.textValue === undefined && this.lazyText) {
      const r = readBounded(this.absPath, { maxBytes: MAX_FILE_BYTES, display: this.file })
      this.textValue = r.bytes ? parseYamlBytes(r.bytes).text : undefined
    }
    return this.textValue
  }

  /**
   * Reads and parses one document. Only a regular file inside the root is read
   * (bounded by the 1 MiB limit while reading); anything else becomes a located
   * problem, and the file is never opened.
   */
  static read<T>(kind: DocumentKind, name: string, file: string, absPath: string, root?: string, realPaths?: RealPaths): SsmdDocument<T> {
    const r = readBounded(absPath, { maxBytes: MAX_FILE_BYTES, display: file, root, realPaths })
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
    return new SsmdDocument<T>(kind, name, file, absPath, parseYamlBytes(r.bytes))
  }

  /** True when the document parsed to a mapping. */
  get isObject(): boolean {
    return typeof this.data === 'object' && this.data !== null && !Array.isArray(this.data)
  }

  /** line:col of the value (or key) at a JSON Pointer; 1:1 when the text is unavailable. */
  locate(pointer: string, at: 'key' | 'value' = 'value'): Position {
    if (this.text === undefined) return { line: 1, column: 1 }
    this.locator ??= new SourceLocator(this.text)
    return this.locator.locate(pointer, at)
  }
}

export type FeedDocument = SsmdDocument<FeedData>
export type SchemaDocument = SsmdDocument<SchemaData>
export type EnvironmentDocument = SsmdDocument<EnvironmentData>
export type PolicyDocument = SsmdDocument<PolicyData>
