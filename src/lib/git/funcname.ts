import { SsmdError } from '../core/errors.js'
import type { AttrValue } from './attributes.js'
import type { GitConfig } from './config.js'

/** Returns the text git puts after `@@ … @@` for a line of the old file, or undefined when the line is not a "function" line. */
export type FuncLine = (line: string) => string | undefined

/** git's func_line buffer: a hunk header's context is cut to this many bytes. */
const FUNC_LINE_BYTES = 80

/** git's isspace (its own ctype: space, tab, LF, CR — not VT or FF). */
function trimGitSpace(b: Buffer): Buffer {
  let end = b.length
  while (end > 0 && (b[end - 1] === 0x20 || b[end - 1] === 0x09 || b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--
  return b.subarray(0, end)
}

/** Cut to git's 80 bytes, then trailing spaces dropped (a character split by the cut is shown as U+FFFD, where git prints the raw bytes). */
function funcText(text: string): string {
  return trimGitSpace(Buffer.from(text, 'utf8').subarray(0, FUNC_LINE_BYTES)).toString('utf8')
}

/**
 * git's default (xdiff's def_ff): a line starting with an ASCII letter, `_`
 * or `$`, with its line feed, cut to 80 bytes and trailing blanks removed.
 */
export const defaultFuncLine: FuncLine = line => {
  const c = line.charCodeAt(0)
  if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24)) return undefined
  return funcText(line + '\n')
}

/**
 * How git would show a path in `git diff`, from its `diff` attribute and the
 * `diff.<driver>.*` settings: as binary (`-diff`, `binary`,
 * `diff.<driver>.binary=true`), as text whatever its bytes (`diff`), and with
 * which hunk-header function line (`diff.<driver>.xfuncname` or `funcname`,
 * else git's default).
 */
export interface DiffDriver {
  /** true/false forces binary or text; undefined: git decides from the bytes. */
  binary?: boolean
  funcLine: FuncLine
}

export function diffDriver(config: GitConfig, attr: AttrValue): DiffDriver {
  if (attr === false) return { binary: true, funcLine: defaultFuncLine }
  if (attr === true) return { binary: false, funcLine: defaultFuncLine }
  if (typeof attr !== 'string') return { funcLine: defaultFuncLine }
  const key = (name: string) => `diff.${attr}.${name}`
  const binary = config.getBool(key('binary'))
  const xfuncname = config.get(key('xfuncname'))
  const funcname = config.get(key('funcname'))
  let funcLine = defaultFuncLine
  if (xfuncname !== undefined) funcLine = regexFuncLine(xfuncname, true, key('xfuncname'))
  else if (funcname !== undefined) funcLine = regexFuncLine(funcname, false, key('funcname'))
  return { binary: binary === true ? true : undefined, funcLine }
}

/**
 * git's ff_regexp: the patterns are tried in order on the line without its
 * line ending; the first that matches decides — a `!` pattern means "not a
 * function line" — and the text is the first group if it took part, else
 * the whole match, cut to 80 bytes with trailing blanks removed.
 */
function regexFuncLine(value: string, extended: boolean, setting: string): FuncLine {
  const parts = value.split('\n')
  const regs = parts.map((raw, i) => {
    const negate = raw.startsWith('!')
    if (negate && i === parts.length - 1)
      throw new SsmdError(`${setting}: the last expression must not be negated ('${raw}'), as git requires; fix the setting`, { code: 'invalid' })
    const source = negate ? raw.slice(1) : raw
    try {
      return { negate, re: new RegExp(extended ? posixToJs(source) : posixToJs(breToEre(source))) }
    } catch {
      throw new SsmdError(`${setting}: invalid regular expression '${source}' (git refuses it too); fix the setting`, { code: 'invalid' })
    }
  })
  return line => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    for (const { negate, re } of regs) {
      const m = re.exec(text)
      if (!m) continue
      if (negate) return undefined
      return funcText(m[1] !== undefined ? m[1] : m[0])
    }
    return undefined
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
}

/**
 * A POSIX extended regular expression as a JavaScript one: bracket
 * expressions (`[[:alpha:]_]`, `]` first, backslash literal inside) and GNU's
 * `\<`, `\>` word boundaries translated; the rest of ERE is JavaScript's
 * syntax. (POSIX picks the longest of alternatives, JavaScript the first: the
 * same for the usual "which line starts a section" patterns.)
 */
export function posixToJs(ere: string): string {
  let out = ''
  for (let i = 0; i < ere.length; i++) {
    const c = ere[i]
    if (c === '\\' && i + 1 < ere.length) {
      const n = ere[++i]
      out += n === '<' ? '\\b(?=\\w)' : n === '>' ? '\\b(?<=\\w)' : '\\' + n
    } else if (c === '[') {
      let j = i + 1
      let body = ''
      let negate = false
      if (ere[j] === '^') {
        negate = true
        j++
      }
      let first = true
      for (; j < ere.length; j++) {
        const d = ere[j]
        if (d === ']' && !first) break
        first = false
        if (d === '[' && ere[j + 1] === ':') {
          const close = ere.indexOf(':]', j + 2)
          const name = close === -1 ? undefined : ere.slice(j + 2, close)
          if (name === undefined || POSIX_CLASSES[name] === undefined) throw new Error(`unknown class ${name}`)
          body += POSIX_CLASSES[name]
          j = close + 1
        } else if (d === '\\' || d === ']' || d === '[' || d === '^') {
          body += '\\' + d
        } else {
          body += d
        }
      }
      if (j >= ere.length) throw new Error('unterminated bracket expression')
      out += `[${negate ? '^' : ''}${body}]`
      i = j
    } else {
      out += c
    }
  }
  return out
}

/** A POSIX basic regular expression (with GNU's `\+`, `\?`, `\|`) as an extended one. */
function breToEre(bre: string): string {
  let out = ''
  for (let i = 0; i < bre.length; i++) {
    const c = bre[i]
    if (c === '\\' && i + 1 < bre.length) {
      const n = bre[++i]
      out += '(){}|+?'.includes(n) ? n : '\\' + n
    } else if ('(){}|+?'.includes(c)) {
      out += '\\' + c
    } else if (c === '[') {
      const end = bre.indexOf(']', bre[i + 1] === ']' ? i + 2 : bre[i + 1] === '^' && bre[i + 2] === ']' ? i + 3 : i + 1)
      const close = end === -1 ? bre.length - 1 : end
      out += bre.slice(i, close + 1)
      i = close
    } else if (c === '*' && (i === 0 || out.endsWith('(') || out === '^')) {
      out += '\\*'
    } else {
      out += c
    }
  }
  return out
}
