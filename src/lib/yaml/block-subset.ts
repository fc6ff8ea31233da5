/*
 * A fast reader for the plain block YAML that ssmd's files are almost always
 * written in: indented mappings and sequences of one-line scalars, comments,
 * quoted strings without escapes and one-line flow sequences of plain values.
 *
 * It is not a second YAML parser: for any text outside that subset it gives
 * up (returns NOT_SUBSET), and js-yaml reads the file as before. For text
 * inside it, the result is exactly what js-yaml's load with the core schema
 * gives (test/lib/yaml-block-subset.test.ts compares the two on generated
 * documents and on every YAML file of the repository and its fixtures):
 * plain scalars are resolved by js-yaml's own core-schema types (null, bool,
 * int, float, in js-yaml's order), keys are stored as js-yaml stores them,
 * and anything js-yaml would refuse or read differently (duplicate keys,
 * tabs, anchors, aliases, tags, block scalars, multi-line scalars, escapes,
 * non-printable characters, odd indentation) is left to js-yaml, which then
 * also gives the error message.
 *
 * Why: reading is most of a cold `validate` run, and js-yaml walks the text
 * a character at a time; this reader works a line at a time with the
 * engine's string search. See docs/performance.md.
 */
import jsYaml from 'js-yaml'
import { grown } from '../core/arrays.js'

/** What `readBlockSubset` returns for text outside the subset. */
export const NOT_SUBSET: unique symbol = Symbol('not in the block subset')

interface ScalarType {
  tag: string
  resolve(data: string): boolean
  construct(data: string): unknown
}

/** js-yaml's implicit types of the core schema, in the order js-yaml tries them. */
let implicit: readonly ScalarType[] | undefined

/** The core schema's implicit types whose first characters NON_STRING_FIRST lists, in js-yaml's order. */
const KNOWN_TAGS = ['tag:yaml.org,2002:null', 'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float']
/**
 * What a null, bool, int or float of the core schema can start with (`~`,
 * `null`, `true`, `False`, `-1`, `+2`, `0x1f`, `.5`, `.inf`, `.NaN`): a plain
 * scalar that starts with anything else is a string, and none of js-yaml's
 * resolvers needs to look at it (most values: names, URLs, words). Used only
 * when js-yaml's types are exactly those four (stringsByFirst).
 */
const NON_STRING_FIRST = new Uint8Array(128)
for (const c of '~nNtTfF-+.0123456789') NON_STRING_FIRST[c.charCodeAt(0)] = 1
let stringsByFirst = false

/** Anything js-yaml refuses as non-printable (its PATTERN_NON_PRINTABLE), and tabs, carriage returns, NEL, line and paragraph separators and byte-order marks: left to js-yaml. */
// eslint-disable-next-line no-control-regex -- the control characters are what this pattern finds
const REFUSED = /[\t\r\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/

/** Characters a plain scalar may not start with in the subset (YAML indicators, and a few left to js-yaml), by character code. */
const NOT_PLAIN_FIRST = new Uint8Array(128)
for (const c of '-?:,[]{}#&*!|>\'"%@`') NOT_PLAIN_FIRST[c.charCodeAt(0)] = 1

/** Keys seen to stay strings under the core schema (the same few dozen names recur in every file), up to a bound. */
const plainKeys = new Set<string>()
const MAX_PLAIN_KEYS = 4096

/** Text that is printable ASCII and line feeds only: nothing in it can be refused (the common case, tested first). */
const NOT_PLAIN_ASCII = /[^\n\x20-\x7e]/

/** YAML's white space in a line is the space (tabs are left to js-yaml): not what String.prototype.trim takes. */
const LEADING_SPACES = /^ +/
const ONLY_SPACES = /^ *$/

/** What may follow a quoted string, `[…]` or `{}` on its line: nothing, or spaces and a comment. */
const END_OF_LINE = /^(?: +(?:#.*)?)?$/

/** Deeper nesting is left to js-yaml (which reports a document nested too deeply to read). */
const MAX_DEPTH = 64

/**
 * The lines of the text being read, as offsets into it (no string per line):
 * where each line's content starts (after its indentation), where the line
 * ends, and its indentation. The arrays are kept from one read to the next
 * unless a file had more lines than KEPT_LINES.
 */
const KEPT_LINES = 1 << 16
let starts = new Int32Array(256)
let ends = new Int32Array(256)
let indents = new Int32Array(256)

class GiveUp extends Error {}

function giveUp(): never {
  throw new GiveUp()
}

/**
 * The value js-yaml's core-schema load gives for `text`, or NOT_SUBSET when
 * `text` is not plain block YAML of the kind described above (nothing is
 * reported: js-yaml then reads it). The document must be a mapping or a
 * sequence.
 */
export function readBlockSubset(text: string): unknown {
  if (NOT_PLAIN_ASCII.test(text) && REFUSED.test(text)) return NOT_SUBSET
  let count = 0
  let from = 0
  while (from <= text.length) {
    let to = text.indexOf('\n', from)
    if (to === -1) to = text.length
    let at = from
    while (at < to && text.charCodeAt(at) === 0x20) at++
    if (at < to && text.charCodeAt(at) !== 0x23 /* # */) {
      // Document markers and directives.
      if (at === from && (text.startsWith('---', at) || text.startsWith('...', at) || text.charCodeAt(at) === 0x25) /* % */) return NOT_SUBSET
      // One more than the lines: the end of the list is a line of its own.
      if (count + 1 >= starts.length) growLines(count + 2)
      starts[count] = at
      ends[count] = to
      indents[count] = at - from
      count++
    }
    from = to + 1
  }
  if (count === 0 || indents[0] !== 0) return NOT_SUBSET
  // Ends the list: less indented than any line, so each reader stops at it as at the end of a block. (Reading past
  // the end of an array makes V8 throw away the optimised code of the hot loops here: every index stays below it.)
  starts[count] = text.length
  ends[count] = text.length
  indents[count] = -1
  if (implicit === undefined) {
    implicit = (jsYaml.CORE_SCHEMA as unknown as { compiledImplicit: ScalarType[] }).compiledImplicit
    stringsByFirst = implicit.length === KNOWN_TAGS.length && implicit.every((t, i) => t.tag === KNOWN_TAGS[i])
  }
  try {
    const reader = new Reader(text, starts, ends, indents, implicit)
    const value = reader.node(0, 0)
    return reader.at === count ? value : NOT_SUBSET
  } catch (error) {
    if (error instanceof GiveUp || error instanceof RangeError) return NOT_SUBSET
    throw error
  } finally {
    if (starts.length > KEPT_LINES) {
      starts = new Int32Array(256)
      ends = new Int32Array(256)
      indents = new Int32Array(256)
    }
  }
}

function growLines(needed: number): void {
  let size = starts.length * 2
  while (size < needed) size *= 2
  starts = grown(starts, size)
  ends = grown(ends, size)
  indents = grown(indents, size)
}

class Reader {
  /** The current line. */
  at = 0

  constructor(
    private readonly text: string,
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
    private readonly indents: Int32Array,
    private readonly types: readonly ScalarType[],
  ) {}

  /** The block node whose first line is the current one, indented `indent` (a mapping or a sequence). */
  node(indent: number, depth: number): unknown {
    if (depth > MAX_DEPTH) giveUp()
    const line = this.at
    if (this.indents[line] !== indent) giveUp()
    return this.isItem(line) ? this.sequence(indent, depth) : this.mapping(indent, this.starts[line], depth)
  }

  /** `- ` or a lone `-` opens a sequence item. */
  private isItem(line: number): boolean {
    const start = this.starts[line]
    return this.text.charCodeAt(start) === 0x2d /* - */ && (start + 1 === this.ends[line] || this.text.charCodeAt(start + 1) === 0x20)
  }

  /** The value after `key:` with nothing else on the line: a nested block, or null. */
  private nested(parentIndent: number, depth: number): unknown {
    const next = this.at
    const indent = this.indents[next]
    if (indent < parentIndent) return null
    if (indent === parentIndent) {
      // `key:` followed by `- item` at the key's own indentation (a compact sequence): left to js-yaml.
      if (this.isItem(next)) giveUp()
      return null
    }
    return this.node(indent, depth + 1)
  }

  /** After a scalar value: the next line must not be indented more (a continuation, or an error js-yaml reports). */
  private endOfScalar(indent: number): void {
    if (this.indents[this.at] > indent) giveUp()
  }

  private sequence(indent: number, depth: number): unknown[] {
    const out: unknown[] = []
    const text = this.text
    for (let line = this.at; this.indents[line] === indent && this.isItem(line); line = this.at) {
      const start = this.starts[line]
      const end = this.ends[line]
      let content = start + 1
      while (content < end && text.charCodeAt(content) === 0x20) content++
      if (keyEnd(text, content, end) !== -1) {
        // `- key: value`: a mapping whose keys are in the column of this first key (it starts on this line).
        out.push(this.mapping(indent + (content - start), content, depth + 1))
        continue
      }
      this.at++
      if (content === end || text.charCodeAt(content) === 0x23 /* # */) {
        // An empty item is null only when no block follows; js-yaml can then take a less indented line into it.
        const next = this.indents[this.at]
        if (next <= indent) giveUp()
        out.push(this.node(next, depth + 1))
      } else {
        out.push(this.value(content, end))
        this.endOfScalar(indent)
      }
    }
    if (this.indents[this.at] > indent) giveUp()
    return out
  }

  /** A mapping at `indent` starting on the current line; its first pair starts at `from` (the line's content, or what follows a sequence item's dash). */
  private mapping(indent: number, from: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) giveUp()
    const out: Record<string, unknown> = {}
    const text = this.text
    for (;;) {
      const end = this.ends[this.at]
      const colon = keyEnd(text, from, end)
      if (colon === -1) giveUp()
      const key = text.slice(from, colon)
      if (key === '__proto__' || Object.hasOwn(out, key) || this.resolvesToNonString(key)) giveUp()
      this.at++
      let start = colon + 1
      while (start < end && text.charCodeAt(start) === 0x20) start++
      if (start === end || text.charCodeAt(start) === 0x23 /* # */) {
        out[key] = this.nested(indent, depth)
      } else {
        out[key] = this.value(start, end)
        this.endOfScalar(indent)
      }
      const next = this.at
      const nextIndent = this.indents[next]
      if (nextIndent < indent) return out
      if (nextIndent > indent) giveUp()
      if (this.isItem(next)) giveUp()
      from = this.starts[next]
    }
  }

  /**
   * js-yaml turns a plain key into its core-schema value before using it as a property name: keep only keys that
   * stay themselves. A key starts with a letter or `_` (keyEnd): with the usual types, only one starting like
   * `null`, `true` or `false` can be anything else.
   */
  private resolvesToNonString(key: string): boolean {
    const first = key.charCodeAt(0)
    if (stringsByFirst && NON_STRING_FIRST[first] === 0) return false
    if (plainKeys.has(key)) return false
    for (const t of this.types) if (t.resolve(key)) return true
    if (plainKeys.size < MAX_PLAIN_KEYS) plainKeys.add(key)
    return false
  }

  /** A value from `start` (not a space, not a comment) to the end of its line at `end`. */
  private value(start: number, end: number): unknown {
    const text = this.text
    const c = text.charCodeAt(start)
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) return this.quoted(text.slice(start, end), c)
    if (c === 0x5b /* [ */) return this.flowSequence(text.slice(start, end))
    if (c === 0x7b /* { */) {
      if (text.startsWith('{}', start) && END_OF_LINE.test(text.slice(start + 2, end))) return {}
      giveUp()
    }
    // A ` #` starts a comment.
    let raw = text.slice(start, end)
    const comment = raw.indexOf(' #')
    if (comment !== -1) raw = raw.slice(0, comment)
    return this.plain(raw, false)
  }

  /** A plain scalar (comment already removed), resolved as js-yaml resolves it. */
  private plain(text: string, inFlow: boolean): unknown {
    // Spaces only: JavaScript's trim would also take U+00A0, U+3000 and the like, which YAML keeps.
    let length = text.length
    while (length > 0 && text.charCodeAt(length - 1) === 0x20) length--
    const value = length === text.length ? text : text.slice(0, length)
    if (value === '') giveUp()
    const first = value.charCodeAt(0)
    if (first < 128 && NOT_PLAIN_FIRST[first] === 1) giveUp()
    // (A ` #` is gone already: a comment in a block value, refused in a flow sequence.)
    if (value.includes(': ') || value.charCodeAt(length - 1) === 0x3a /* : */) giveUp()
    if (inFlow && /[[\]{},:]/.test(value)) giveUp()
    if (stringsByFirst && first < 128 && NON_STRING_FIRST[first] === 0) return value
    for (const t of this.types) if (t.resolve(value)) return t.construct(value)
    return value
  }

  /** A one-line quoted string with no escapes, then at most a comment. */
  private quoted(text: string, quote: number): string {
    let value: string
    let end: number
    if (quote === 0x22 /* " */) {
      end = text.indexOf('"', 1)
      if (end === -1) giveUp()
      value = text.slice(1, end)
      if (value.includes('\\')) giveUp()
    } else {
      end = 1
      for (;;) {
        end = text.indexOf("'", end)
        if (end === -1) giveUp()
        if (end + 1 === text.length || text.charCodeAt(end + 1) !== 0x27 /* ' */) break
        end += 2
      }
      value = text.slice(1, end).replaceAll("''", "'")
    }
    if (!END_OF_LINE.test(text.slice(end + 1))) giveUp()
    return value
  }

  /** `[a, b, c]` on one line, of plain values. */
  private flowSequence(text: string): unknown[] {
    const close = text.indexOf(']')
    if (close === -1) giveUp()
    if (!END_OF_LINE.test(text.slice(close + 1))) giveUp()
    const inner = text.slice(1, close)
    if (ONLY_SPACES.test(inner)) return []
    if (/["'#&*!|>%@`]/.test(inner)) giveUp()
    return inner.split(',').map(item => this.plain(item.replace(LEADING_SPACES, ''), true))
  }
}

/**
 * Where the `:` after a key that starts at `from` is (before the line's `end`),
 * or -1: keys the subset takes are plain, start with a letter or `_`, hold
 * letters, digits and `_.-/`, and are followed by `:` and a space or the end of
 * the line.
 */
function keyEnd(text: string, from: number, end: number): number {
  const first = text.charCodeAt(from)
  if (!((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a) || first === 0x5f)) return -1
  let i = from + 1
  for (; i < end; i++) {
    const c = text.charCodeAt(i)
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d || c === 0x2f)) break
  }
  if (i === end || text.charCodeAt(i) !== 0x3a /* : */) return -1
  return i + 1 === end || text.charCodeAt(i + 1) === 0x20 ? i : -1
}
