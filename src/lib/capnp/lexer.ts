/** Tokenizer for the Cap'n Proto schema language. Positions are 1-based; end columns are exclusive. */

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
  int?: bigint
  num?: number
  str?: string
  bytes?: Uint8Array
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
  tokens: Token[]
  comments: Comment[]
  errors: LexError[]
}

const OP_CHARS = new Set('!$%&*+-./:<=>?@^|~'.split(''))

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

export function lex(src: string): LexResult {
  const tokens: Token[] = []
  const comments: Comment[] = []
  const errors: LexError[] = []
  const n = src.length
  let i = 0
  let line = 1
  let lineStart = 0
  let lastCodeLine = 0

  const col = (at: number): number => at - lineStart + 1
  const err = (message: string, l: number, c: number, el: number, ec: number): void => {
    errors.push({ message, line: l, col: c, endLine: el, endCol: ec })
  }

  // Reads a double-quoted string starting at i (which points at the quote); returns the decoded value.
  // Strings are byte strings: escapes give raw bytes, other characters their UTF-8 encoding.
  // Runs of plain characters are copied as slices and the value is joined once at the end, so the
  // work is linear in the literal's length however many escapes it holds.
  let bytes = new ByteBuilder()
  const readQuoted = (): string | undefined => {
    const startLine = line
    const startCol = col(i)
    i++ // opening quote
    const out: string[] = []
    let run = i
    const flush = (): void => {
      if (run < i) {
        const text = src.slice(run, i)
        out.push(text)
        bytes.text(text)
      }
    }
    while (i < n) {
      const ch = src.charCodeAt(i)
      if (ch === 34) {
        flush()
        i++
        return out.join('')
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
        out.push(simple)
        bytes.byte(simple.charCodeAt(0))
      } else if (e === 'x') {
        const h0 = i
        while (i - h0 < 2 && i < n && isHex(src.charCodeAt(i))) i++
        if (i === h0) err('Invalid escape sequence.', line, col(i - 2), line, col(i))
        else {
          const b = parseInt(src.slice(h0, i), 16)
          out.push(String.fromCharCode(b))
          bytes.byte(b)
        }
      } else if (e !== undefined && e >= '0' && e <= '7') {
        const o0 = i - 1
        while (i - o0 < 3 && i < n && src[i] >= '0' && src[i] <= '7') i++
        const b = parseInt(src.slice(o0, i), 8) & 0xff
        out.push(String.fromCharCode(b))
        bytes.byte(b)
      } else {
        err('Invalid escape sequence.', line, col(i - 2), line, col(i))
      }
      run = i
    }
    flush()
    err('Unterminated string literal.', startLine, startCol, line, col(i))
    return undefined
  }

  while (i < n) {
    const c = src.charCodeAt(i)
    if (c === 10) {
      i++
      line++
      lineStart = i
      continue
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++
      continue
    }
    if (c === 35) {
      // comment
      let j = i + 1
      while (j < n && src.charCodeAt(j) !== 10) j++
      let text = src.slice(i + 1, j)
      if (text.startsWith(' ')) text = text.slice(1)
      comments.push({ line, trailing: lastCodeLine === line, text: text.replace(/\r$/, '') })
      i = j
      continue
    }
    const startLine = line
    const startCol = col(i)
    const start = i
    const push = (kind: TokenKind, extra: Partial<Token> = {}): void => {
      tokens.push({
        kind,
        text: src.slice(start, i),
        line: startLine,
        col: startCol,
        endLine: line,
        endCol: col(i),
        offset: start,
        ...extra,
      })
      lastCodeLine = line
    }
    if (isIdentStart(c)) {
      i++
      while (i < n && isIdentPart(src.charCodeAt(i))) i++
      push('ident')
      continue
    }
    if (isDigit(c)) {
      if (c === 48 && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        if (src[i + 2] === '"') {
          // binary literal 0x"..."
          i += 3
          const hex: string[] = []
          let ok = true
          while (i < n && src[i] !== '"') {
            const ch = src.charCodeAt(i)
            if (ch === 10) {
              ok = false
              break
            }
            if (isHex(ch)) hex.push(src[i])
            else if (!(ch === 32 || ch === 9 || ch === 13)) ok = false
            i++
          }
          if (src[i] === '"') i++
          else ok = false
          if (!ok || hex.length % 2 !== 0) {
            err('Invalid binary literal.', startLine, startCol, line, col(i))
          }
          const bytes = new Uint8Array(hex.length >> 1)
          for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(hex[2 * k] + hex[2 * k + 1], 16)
          push('binary', { bytes })
          continue
        }
        i += 2
        while (i < n && isHex(src.charCodeAt(i))) i++
        const digits = src.slice(start + 2, i)
        if (digits.length === 0) err('Invalid hexadecimal literal.', startLine, startCol, line, col(i))
        push('int', { int: digits.length ? BigInt('0x' + digits) : 0n })
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
      const text = src.slice(start, i)
      if (isFloat) {
        push('float', { num: Number(text) })
      } else if (text.length > 1 && text[0] === '0') {
        if (!/^[0-7]+$/.test(text)) err('Invalid octal literal.', startLine, startCol, line, col(i))
        push('int', { int: /^[0-7]+$/.test(text) ? BigInt('0o' + text.slice(1)) : 0n })
      } else {
        push('int', { int: BigInt(text) })
      }
      continue
    }
    if (c === 34) {
      // double-quoted string, possibly concatenated with block-text lines
      const parts: string[] = []
      bytes = new ByteBuilder()
      const first = readQuoted()
      if (first !== undefined) parts.push(first)
      i = concatStrings(parts)
      push('string', { str: parts.join(''), bytes: bytes.done() })
      continue
    }
    if (c === 96) {
      const parts: string[] = []
      bytes = new ByteBuilder()
      i = concatStrings(parts)
      push('string', { str: parts.join(''), bytes: bytes.done() })
      continue
    }
    if (OP_CHARS.has(src[i])) {
      i++
      while (i < n && OP_CHARS.has(src[i])) i++
      push('op')
      continue
    }
    if ('()[]{},;'.includes(src[i])) {
      i++
      push('op')
      continue
    }
    // Unknown character
    i++
    err(`Unexpected character '${src[start]}'.`, startLine, startCol, line, col(i))
  }
  tokens.push({ kind: 'eof', text: '', line, col: col(i), endLine: line, endCol: col(i), offset: n })
  return { tokens, comments, errors }

  // Consumes following block-text lines (`...) and double-quoted strings, separated only by whitespace/newlines.
  function concatStrings(parts: string[]): number {
    for (;;) {
      let j = i
      let l = line
      let ls = lineStart
      while (j < n) {
        const ch = src.charCodeAt(j)
        if (ch === 10) {
          j++
          l++
          ls = j
        } else if (ch === 32 || ch === 9 || ch === 13) j++
        else break
      }
      if (src[j] === '`') {
        i = j
        line = l
        lineStart = ls
        let k = i + 1
        while (k < n && src.charCodeAt(k) !== 10) k++
        const lineText = src.slice(i + 1, k).replace(/\r$/, '') + '\n'
        parts.push(lineText)
        bytes.text(lineText)
        i = k
        continue
      }
      if (src[j] === '"' && parts.length > 0) {
        i = j
        line = l
        lineStart = ls
        const s = readQuoted()
        if (s !== undefined) parts.push(s)
        continue
      }
      return i
    }
  }
}
