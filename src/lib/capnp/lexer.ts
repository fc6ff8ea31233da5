/**
 * Tokenizer for the Cap'n Proto schema language. Positions are 1-based; end columns are exclusive.
 *
 * Tokens are stored compactly (a kind byte and two offsets each, in typed arrays) and handed out as
 * objects only when the parser looks at them; lines and columns come from a table of line starts,
 * and literal values (numbers, decoded strings, bytes) are computed when asked for. A file of
 * millions of tokens therefore costs a few bytes per token, not an object each.
 */
import { grown } from '../core/arrays.js'

export interface Span {
  line: number
  col: number
  endLine: number
  endCol: number
}

export type TokenKind = 'ident' | 'int' | 'float' | 'string' | 'binary' | 'op' | 'eof'

export interface Token extends Span {
  kind: TokenKind
  text: string
  /** integer value (int), parsed string (string), number (float), bytes (binary) */
  readonly int?: bigint
  readonly num?: number
  readonly str?: string
  readonly bytes?: Uint8Array
  /** index into the source */
  offset: number
}

export interface Comment {
  line: number
  /** true when the comment shares its line with code before it */
  trailing: boolean
  text: string
}

export interface LexError extends Span {
  message: string
}

export interface LexResult {
  tokens: TokenList
  comments: Comment[]
  errors: LexError[]
}

const KINDS: TokenKind[] = ['ident', 'int', 'float', 'string', 'binary', 'op', 'eof']
const K_IDENT = 0
const K_INT = 1
const K_FLOAT = 2
const K_STRING = 3
const K_BINARY = 4
const K_OP = 5
const K_EOF = 6

function isOpChar(c: number): boolean {
  // !$%&*+-./:<=>?@^|~
  return (
    c === 33 ||
    c === 36 ||
    c === 37 ||
    c === 38 ||
    c === 42 ||
    c === 43 ||
    c === 45 ||
    c === 46 ||
    c === 47 ||
    c === 58 ||
    c === 60 ||
    c === 61 ||
    c === 62 ||
    c === 63 ||
    c === 64 ||
    c === 94 ||
    c === 124 ||
    c === 126
  )
}
function isPunct(c: number): boolean {
  // ()[]{},;
  return c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125 || c === 44 || c === 59
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57)
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', "'": "'", '"': '"', '\\': '\\', '?': '?' }

/** The bytes of a string literal, in a buffer that doubles as it fills (amortised linear). */
class ByteBuilder {
  private buf = new Uint8Array(64)
  private len = 0

  private room(extra: number): void {
    if (this.len + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  byte(b: number): void {
    this.room(1)
    this.buf[this.len++] = b
  }

  /** Appends the UTF-8 encoding of `s` (a lone surrogate becomes U+FFFD, as Buffer encodes it). */
  text(s: string): void {
    this.room(s.length * 3)
    this.len += Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.length).write(s, this.len, 'utf8')
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

/** Offsets of the first character of each line: line `l` (1-based) starts at `starts[l - 1]`. */
class LineTable {
  readonly starts: Int32Array
  readonly count: number
  /** the last line found, where the next lookup usually is (the parser reads forwards) */
  private cursor = 0

  constructor(src: string) {
    let starts = new Int32Array(Math.max(16, (src.length >> 6) + 1))
    let count = 1
    starts[0] = 0
    for (let at = src.indexOf('\n'); at !== -1; at = src.indexOf('\n', at + 1)) {
      if (count === starts.length) starts = grown(starts, starts.length * 2)
      starts[count++] = at + 1
    }
    this.starts = starts
    this.count = count
  }

  /** Index (0-based) of the line holding `offset`. */
  index(offset: number): number {
    const s = this.starts
    let c = this.cursor
    if (s[c] <= offset && (c + 1 === this.count || offset < s[c + 1])) return c
    if (c + 1 < this.count && s[c + 1] <= offset && (c + 2 >= this.count || offset < s[c + 2])) return (this.cursor = c + 1)
    let lo = 0
    let hi = this.count - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (s[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    c = lo
    return (this.cursor = c)
  }

  line(offset: number): number {
    return this.index(offset) + 1
  }

  span(start: number, end: number): Span {
    const a = this.index(start)
    const col = start - this.starts[a] + 1
    const b = this.index(end)
    return { line: a + 1, col, endLine: b + 1, endCol: end - this.starts[b] + 1 }
  }
}

/**
 * Reads the string token at `at` (a double-quoted string or a block-text line, then more block-text
 * lines, and more double-quoted strings once one part was read, separated only by whitespace) and
 * returns where it ends. With `out`, also decodes its value: strings are byte strings (escapes give
 * raw bytes, other characters their UTF-8 encoding). Runs of plain characters are copied as slices
 * and each part is joined once, so the work is linear however many escapes the literal holds.
 */
function scanString(src: string, at: number, err: ((message: string, start: number, end: number) => void) | undefined, out?: { parts: string[]; bytes: ByteBuilder }): number {
  const n = src.length
  let i = at
  /** reads the double-quoted string at i; false when it is unterminated (its text is then left out) */
  const readQuoted = (): boolean => {
    const start = i
    i++ // opening quote
    const parts: string[] = []
    let run = i
    const flush = (): void => {
      if (out && run < i) {
        const text = src.slice(run, i)
        parts.push(text)
        out.bytes.text(text)
      }
    }
    while (i < n) {
      const ch = src.charCodeAt(i)
      if (ch === 34) {
        flush()
        i++
        out?.parts.push(parts.join(''))
        return true
      }
      if (ch === 10) break
      if (ch !== 92) {
        i++
        continue
      }
      flush()
      const e = src[i + 1]
      i += 2
      const simple = e === undefined ? undefined : SIMPLE_ESCAPES[e]
      if (simple !== undefined) {
        if (out) {
          parts.push(simple)
          out.bytes.byte(simple.charCodeAt(0))
        }
      } else if (e === 'x') {
        const h0 = i
        while (i - h0 < 2 && i < n && isHex(src.charCodeAt(i))) i++
        if (i === h0) err?.('Invalid escape sequence.', i - 2, i)
        else if (out) {
          const b = parseInt(src.slice(h0, i), 16)
          parts.push(String.fromCharCode(b))
          out.bytes.byte(b)
        }
      } else if (e !== undefined && e >= '0' && e <= '7') {
        const o0 = i - 1
        while (i - o0 < 3 && i < n && src[i] >= '0' && src[i] <= '7') i++
        if (out) {
          const b = parseInt(src.slice(o0, i), 8) & 0xff
          parts.push(String.fromCharCode(b))
          out.bytes.byte(b)
        }
      } else {
        err?.('Invalid escape sequence.', i - 2, i)
      }
      run = i
    }
    flush()
    err?.('Unterminated string literal.', start, i)
    return false
  }
  let read = 0
  if (src.charCodeAt(i) === 34 && readQuoted()) read++
  for (;;) {
    let j = i
    while (j < n) {
      const ch = src.charCodeAt(j)
      if (ch === 10 || ch === 32 || ch === 9 || ch === 13) j++
      else break
    }
    const c = src.charCodeAt(j)
    if (c === 96) {
      // block text: the rest of the line, with its newline
      i = j
      let k = i + 1
      while (k < n && src.charCodeAt(k) !== 10) k++
      if (out) {
        const lineText = src.slice(i + 1, k).replace(/\r$/, '') + '\n'
        out.parts.push(lineText)
        out.bytes.text(lineText)
      }
      i = k
      read++
      continue
    }
    if (c === 34 && read > 0) {
      i = j
      if (readQuoted()) read++
      continue
    }
    return i
  }
}

/** Bytes of a binary literal `0x"..."` (hex digits, whitespace between them ignored). */
function binaryBytes(text: string): Uint8Array {
  const hex: number[] = []
  for (let k = 3; k < text.length; k++) if (isHex(text.charCodeAt(k))) hex.push(parseInt(text[k], 16))
  const bytes = new Uint8Array(hex.length >> 1)
  for (let k = 0; k < bytes.length; k++) bytes[k] = (hex[2 * k] << 4) | hex[2 * k + 1]
  return bytes
}

/** Value of an integer literal: decimal, `0x` hexadecimal or `0` octal (0 when malformed, an error already). */
function intValue(text: string): bigint {
  if (text.length > 1 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X')) return text.length > 2 ? BigInt('0x' + text.slice(2)) : 0n
  if (text.length > 1 && text[0] === '0') return /^[0-7]+$/.test(text) ? BigInt('0o' + text.slice(1)) : 0n
  return BigInt(text)
}

/** A token as the parser sees it, made on demand from the compact list; values are computed when read. */
class LazyToken implements Token {
  readonly kind: TokenKind
  readonly text: string
  readonly line: number
  readonly col: number
  readonly endLine: number
  readonly endCol: number
  readonly offset: number
  private decoded?: { str: string; bytes: Uint8Array }

  constructor(
    private readonly src: string,
    kind: number,
    start: number,
    end: number,
    where: Span,
  ) {
    this.kind = KINDS[kind]
    this.text = src.slice(start, end)
    this.offset = start
    this.line = where.line
    this.col = where.col
    this.endLine = where.endLine
    this.endCol = where.endCol
  }

  get int(): bigint | undefined {
    return this.kind === 'int' ? intValue(this.text) : undefined
  }

  get num(): number | undefined {
    return this.kind === 'float' ? Number(this.text) : undefined
  }

  private decode(): { str: string; bytes: Uint8Array } | undefined {
    if (this.kind !== 'string') return undefined
    if (!this.decoded) {
      const out = { parts: [] as string[], bytes: new ByteBuilder() }
      scanString(this.src, this.offset, undefined, out)
      this.decoded = { str: out.parts.join(''), bytes: out.bytes.done() }
    }
    return this.decoded
  }

  get str(): string | undefined {
    return this.decode()?.str
  }

  get bytes(): Uint8Array | undefined {
    if (this.kind === 'binary') return binaryBytes(this.text)
    return this.decode()?.bytes
  }
}

/** The tokens of a file: a kind and the start and end offsets of each, in typed arrays. */
export class TokenList {
  private kinds = new Uint8Array(64)
  private starts = new Int32Array(64)
  private ends = new Int32Array(64)
  length = 0
  /** the last few tokens handed out, so that looking ahead and back makes no new objects */
  private readonly recent: (LazyToken | undefined)[] = new Array<LazyToken | undefined>(16)

  constructor(
    private readonly src: string,
    private readonly lines: LineTable,
  ) {}

  push(kind: number, start: number, end: number): void {
    if (this.length === this.kinds.length) {
      const size = this.kinds.length * 2
      this.kinds = grown(this.kinds, size)
      this.starts = grown(this.starts, size)
      this.ends = grown(this.ends, size)
    }
    this.kinds[this.length] = kind
    this.starts[this.length] = start
    this.ends[this.length] = end
    this.length++
  }

  at(index: number): Token {
    const slot = index & 15
    const cached = this.recent[slot]
    if (cached && this.starts[index] === cached.offset && KINDS[this.kinds[index]] === cached.kind) return cached
    const start = this.starts[index]
    const end = this.ends[index]
    const t = new LazyToken(this.src, this.kinds[index], start, end, this.lines.span(start, end))
    this.recent[slot] = t
    return t
  }
}

export function lex(src: string): LexResult {
  const lines = new LineTable(src)
  const tokens = new TokenList(src, lines)
  const comments: Comment[] = []
  const errors: LexError[] = []
  const n = src.length
  let i = 0
  /** end of the last token: a comment on its line is trailing */
  let lastCodeEnd = -1

  const err = (message: string, start: number, end: number): void => {
    errors.push({ message, ...lines.span(start, end) })
  }

  while (i < n) {
    const c = src.charCodeAt(i)
    // a UTF-8 byte-order mark counts as white space, at the start of the file or between tokens, as in capnp
    if (c === 10 || c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xfeff) {
      i++
      continue
    }
    if (c === 35) {
      // comment
      let j = src.indexOf('\n', i + 1)
      if (j === -1) j = n
      let text = src.slice(i + 1, j)
      if (text.startsWith(' ')) text = text.slice(1)
      // a CRLF file's `\r` stays in the comment text, as capnp keeps it in doc comments
      const line = lines.line(i)
      comments.push({ line, trailing: lastCodeEnd >= 0 && lines.line(lastCodeEnd) === line, text })
      i = j
      continue
    }
    const start = i
    const push = (kind: number): void => {
      tokens.push(kind, start, i)
      lastCodeEnd = i
    }
    if (isIdentStart(c)) {
      i++
      while (i < n && isIdentPart(src.charCodeAt(i))) i++
      push(K_IDENT)
      continue
    }
    if (isDigit(c)) {
      if (c === 48 && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        // capnp's prefix is a lowercase 0x only; it stops at the X
        if (src[i + 1] === 'X') err("Parse error: hexadecimal literals start with a lowercase '0x'.", i + 1, i + 2)
        if (src[i + 2] === '"') {
          // binary literal 0x"..."
          i += 3
          let digits = 0
          let ok = true
          while (i < n && src.charCodeAt(i) !== 34) {
            const ch = src.charCodeAt(i)
            if (ch === 10) {
              ok = false
              break
            }
            if (isHex(ch)) digits++
            else if (!(ch === 32 || ch === 9 || ch === 13)) ok = false
            i++
          }
          if (ok && digits === 0 && src.charCodeAt(i) === 34) {
            // capnp wants at least one byte, and stops at the closing quote
            err('Parse error: a data literal 0x"…" needs at least one byte; write "" for empty Data.', i, i + 1)
            ok = true
            digits = 2
          }
          if (src.charCodeAt(i) === 34) i++
          else ok = false
          if (!ok || digits % 2 !== 0) err('Invalid binary literal.', start, i)
          push(K_BINARY)
          continue
        }
        i += 2
        while (i < n && isHex(src.charCodeAt(i))) i++
        if (i === start + 2) err('Invalid hexadecimal literal.', start, i)
        push(K_INT)
        continue
      }
      while (i < n && isDigit(src.charCodeAt(i))) i++
      let isFloat = false
      if (src[i] === '.' && isDigit(src.charCodeAt(i + 1))) {
        isFloat = true
        i++
        while (i < n && isDigit(src.charCodeAt(i))) i++
      }
      if ((src[i] === 'e' || src[i] === 'E') && (isDigit(src.charCodeAt(i + 1)) || ((src[i + 1] === '+' || src[i + 1] === '-') && isDigit(src.charCodeAt(i + 2))))) {
        isFloat = true
        i += 2
        while (i < n && isDigit(src.charCodeAt(i))) i++
      }
      if (isFloat) push(K_FLOAT)
      else {
        if (i - start > 1 && c === 48 && !/^[0-7]+$/.test(src.slice(start, i))) err('Invalid octal literal.', start, i)
        push(K_INT)
      }
      continue
    }
    if (c === 34 || c === 96) {
      // double-quoted string or block text, possibly concatenated with more of either
      i = scanString(src, i, err)
      push(K_STRING)
      continue
    }
    if (isOpChar(c)) {
      i++
      while (i < n && isOpChar(src.charCodeAt(i))) i++
      push(K_OP)
      continue
    }
    if (isPunct(c)) {
      i++
      push(K_OP)
      continue
    }
    // Unknown character
    i++
    err(`Unexpected character '${src[start]}'.`, start, i)
  }
  tokens.push(K_EOF, n, n)
  return { tokens, comments, errors }
}
