/**
 * git's wildmatch with WM_PATHNAME, as a regular expression: `*` and `?`
 * never match `/`; `**` between slashes (or at either end) matches any
 * number of folders; `[...]` classes (with `!` or `^` to negate); `\` escapes.
 * Used for `.gitattributes` patterns and `includeIf` conditions.
 */
export function wildmatchRegex(pattern: string, options: { ignoreCase?: boolean } = {}): RegExp {
  let out = ''
  const p = pattern
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '*') {
      let j = i
      while (p[j] === '*') j++
      if (j - i >= 2 && (i === 0 || p[i - 1] === '/') && (j === p.length || p[j] === '/')) {
        if (j === p.length) {
          out += '.*'
          i = j - 1
        } else {
          out += '(?:.*/)?'
          i = j
        }
      } else {
        out += '[^/]*'
        i = j - 1
      }
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '[') {
      const cls = parseClass(p, i)
      if (cls) {
        out += cls.regex
        i = cls.end
      } else {
        out += '\\['
      }
    } else if (c === '\\' && i + 1 < p.length) {
      out += escapeRe(p[++i])
    } else {
      out += escapeRe(c)
    }
  }
  return new RegExp(`^${out}$`, options.ignoreCase ? 'is' : 's')
}

const POSIX: Record<string, string> = {
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

function parseClass(p: string, start: number): { regex: string; end: number } | undefined {
  let i = start + 1
  let negate = false
  if (p[i] === '!' || p[i] === '^') {
    negate = true
    i++
  }
  let body = ''
  let first = true
  for (; i < p.length; i++) {
    const c = p[i]
    if (c === ']' && !first) return { regex: negate ? `(?!/)[^${body}]` : `[${body}]`, end: i }
    first = false
    if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2)
      const name = close === -1 ? undefined : p.slice(i + 2, close)
      if (name !== undefined && POSIX[name] !== undefined) {
        body += POSIX[name]
        i = close + 1
        continue
      }
    }
    if (c === '\\' && i + 1 < p.length) body += escapeClass(p[++i])
    else if (c === '-' && body && p[i + 1] !== ']') body += '-'
    else body += escapeClass(c)
  }
  return undefined
}

function escapeClass(c: string): string {
  return /[\]\\^-]/.test(c) ? `\\${c}` : c
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c
}
