import { readFileSync } from 'node:fs'
import { parseYamlBytes, type ReadProblem } from '../yaml/read.js'
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
    parsed: { text?: string; data?: unknown; problem?: ReadProblem; lazyText?: boolean },
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
    this.memo = memo
  }

  /**
   * The decoded text. A document from the validation cache reads its file only
   * when something needs the text (locating a finding), which is rare.
   */
  get text(): string | undefined {
    if (this.textValue === undefined && this.lazyText) {
      try {
        this.textValue = parseYamlBytes(readFileSync(this.absPath)).text
      } catch {
        this.textValue = undefined
      }
    }
    return this.textValue
  }

  static read<T>(kind: DocumentKind, name: string, file: string, absPath: string): SsmdDocument<T> {
    let bytes: Buffer
    try {
      bytes = readFileSync(absPath)
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory, not a YAML file' : (error as Error).message
      return new SsmdDocument<T>(kind, name, file, absPath, { problem: { rule: 'yaml/syntax', line: 1, column: 1, message: `cannot read file: ${reason}` } })
    }
    return new SsmdDocument<T>(kind, name, file, absPath, parseYamlBytes(bytes))
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
