/**
 * git's wildmatch (wildmatch.c) and its path patterns (dir.c), byte for
 * byte: the one matcher behind `.gitignore`, `info/exclude`,
 * `core.excludesFile`, `.gitattributes` and `includeIf` conditions.
 *
 * Patterns and names are matched as UTF-8 bytes, as git matches them.
 * `*` and `?` never match `/` with WM_PATHNAME; `**` between slashes (or at
 * either end) matches any number of folders; `[...]` classes (`!` or `^` to
 * negate, ranges, `[:digit:]` and the other POSIX names) never match `/`
 * with WM_PATHNAME; `\` escapes the next character. A malformed class (no
 * closing `]`, an unknown `[:name:]`) makes the whole pattern match nothing,
 * as in git.
 */

export const WM_CASEFOLD = 1
export const WM_PATHNAME = 2

const WM_MATCH = 0
const WM_NOMATCH = 1
const WM_ABORT_ALL = -1
const WM_ABORT_TO_STARSTAR = -2

type Bytes = Uint8Array

const SLASH = 0x2f
const STAR = 0x2a
const BACKSLASH = 0x5c

const isAsciiUpper = (c: number) => c >= 0x41 && c <= 0x5a
const isAsciiLower = (c: number) => c >= 0x61 && c <= 0x7a
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isAlpha = (c: number) => isAsciiUpper(c) || isAsciiLower(c)
const lower = (c: number) => (isAsciiUpper(c) ? c + 0x20 : c)
const isGlobSpecial = (c: number) => c === STAR || c === 0x3f || c === 0x5b || c === BACKSLASH

/** The POSIX classes as git's wildmatch tests them (ASCII only, git's own ctype). */
const CLASSES: Record<string, (c: number) => boolean> = {
  alnum: c => isAlpha(c) || isDigit(c),
  alpha: isAlpha,
  blank: c => c === 0x20 || c === 0x09,
  cntrl: c => c < 0x20 || c === 0x7f,
  digit: isDigit,
  graph: c => c > 0x20 && c < 0x7f,
  lower: isAsciiLower,
  print: c => c >= 0x20 && c < 0x7f,
  punct: c => c > 0x20 && c < 0x7f && !isAlpha(c) && !isDigit(c),
  space: c => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d,
  upper: isAsciiUpper,
  xdigit: c => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
}

function bytes(s: string | Bytes): Bytes {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s
}

/** Whether `text` matches `pattern` (git's `wildmatch(pattern, text, flags) == 0`). */
export function wildmatch(pattern: string | Bytes, text: string | Bytes, flags = 0): boolean {
  return dowild(bytes(pattern), 0, bytes(text), 0, flags) === WM_MATCH
}

function dowild(p: Bytes, pi: number, t: Bytes, ti: number, flags: number): number {
  const P = (i: number) => (i < p.length ? p[i] : 0)
  const T = (i: number) => (i < t.length ? t[i] : 0)
  const fold = flags & WM_CASEFOLD
  const patternStart = pi
  for (; P(pi) !== 0; ti++, pi++) {
    let pCh = P(pi)
    let tCh = T(ti)
    if (tCh === 0 && pCh !== STAR) return WM_ABORT_ALL
    if (fold) {
      tCh = lower(tCh)
      pCh = lower(pCh)
    }
    switch (pCh) {
      case BACKSLASH:
        // Literal match with the next character (a trailing backslash matches nothing).
        // (git does not fold the escaped character.)
        pCh = P(++pi)
        if (tCh !== pCh) return WM_NOMATCH
        continue
      case 0x3f: // '?'
        if (flags & WM_PATHNAME && tCh === SLASH) return WM_NOMATCH
        continue
      case STAR: {
        let matchSlash: boolean
        if (P(++pi) === STAR) {
          const prev = pi - 2
          while (P(++pi) === STAR) {
            /* skip the run */
          }
          if ((prev < patternStart || P(prev) === SLASH) && (P(pi) === 0 || P(pi) === SLASH || (P(pi) === BACKSLASH && P(pi + 1) === SLASH))) {
            // `**/` also matches no folder at all: try the rest right here.
            if (P(pi) === SLASH && dowild(p, pi + 1, t, ti, flags) === WM_MATCH) return WM_MATCH
            matchSlash = true
          } else {
            matchSlash = !(flags & WM_PATHNAME)
          }
        } else {
          matchSlash = !(flags & WM_PATHNAME)
        }
        if (P(pi) === 0) {
          // A trailing `**` matches everything; a trailing `*` only what has no more slashes.
          if (!matchSlash && t.indexOf(SLASH, ti) !== -1) return WM_NOMATCH
          return WM_MATCH
        }
        if (!matchSlash && P(pi) === SLASH) {
          // One `*` followed by a slash matches up to the next folder.
          const slash = t.indexOf(SLASH, ti)
          if (slash === -1) return WM_NOMATCH
          // Both slashes are consumed by the loop's increment.
          ti = slash
          continue
        }
        for (;;) {
          if (tCh === 0) break
          if (!isGlobSpecial(P(pi))) {
            // Skip ahead to the next occurrence of the literal that follows the star.
            const want = fold ? lower(P(pi)) : P(pi)
            for (;;) {
              tCh = T(ti)
              if (tCh === 0 || (!matchSlash && tCh === SLASH)) break
              if (fold) tCh = lower(tCh)
              if (tCh === want) break
              ti++
            }
            if (tCh !== want) return WM_NOMATCH
          }
          const matched = dowild(p, pi, t, ti, flags)
          if (matched !== WM_NOMATCH) {
            if (!matchSlash || matched !== WM_ABORT_TO_STARSTAR) return matched
          } else if (!matchSlash && tCh === SLASH) {
            return WM_ABORT_TO_STARSTAR
          }
          tCh = T(++ti)
          if (fold) tCh = lower(tCh)
        }
        return WM_ABORT_ALL
      }
      case 0x5b: {
        // '['
        pCh = P(++pi)
        if (pCh === 0x5e) pCh = 0x21 // '^' negates like '!'
        const negated = pCh === 0x21
        if (negated) pCh = P(++pi)
        let prevCh = 0
        let matched = false
        do {
          if (pCh === 0) return WM_ABORT_ALL
          if (pCh === BACKSLASH) {
            pCh = P(++pi)
            if (pCh === 0) return WM_ABORT_ALL
            if (tCh === pCh) matched = true
          } else if (pCh === 0x2d && prevCh && P(pi + 1) && P(pi + 1) !== 0x5d) {
            // a range prev-next
            pCh = P(++pi)
            if (pCh === BACKSLASH) {
              pCh = P(++pi)
              if (pCh === 0) return WM_ABORT_ALL
            }
            if (tCh <= pCh && tCh >= prevCh) matched = true
            else if (fold && isAsciiLower(tCh)) {
              const up = tCh - 0x20
              if (up <= pCh && up >= prevCh) matched = true
            }
            pCh = 0
          } else if (pCh === 0x5b && P(pi + 1) === 0x3a) {
            // [:name:]
            const s = (pi += 2)
            while ((pCh = P(pi)) !== 0 && pCh !== 0x5d) pi++
            if (pCh === 0) return WM_ABORT_ALL
            const len = pi - s - 1
            if (len < 0 || P(pi - 1) !== 0x3a) {
              // No ":]": an ordinary '[' in the set.
              pi = s - 2
              pCh = 0x5b
              if (tCh === pCh) matched = true
              continue
            }
            const name = Buffer.from(p.subarray(s, s + len)).toString('latin1')
            const test = Object.prototype.hasOwnProperty.call(CLASSES, name) ? CLASSES[name] : undefined
            if (!test) return WM_ABORT_ALL
            if (test(tCh) || (fold && name === 'upper' && isAsciiLower(tCh))) matched = true
            pCh = 0
          } else if (tCh === pCh) {
            matched = true
          }
        } while (((prevCh = pCh), (pCh = P(++pi))) !== 0x5d)
        if (matched === negated || (flags & WM_PATHNAME && tCh === SLASH)) return WM_NOMATCH
        continue
      }
      default:
        if (tCh !== pCh) return WM_NOMATCH
        continue
    }
  }
  return ti < t.length ? WM_NOMATCH : WM_MATCH
}

export const PATTERN_NEGATIVE = 1
export const PATTERN_MUSTBEDIR = 2
const PATTERN_NODIR = 4
const PATTERN_ENDSWITH = 8

/** Length of the literal start of a pattern, before its first glob character (dir.c's simple_length). */
function simpleLength(p: Bytes): number {
  let i = 0
  while (i < p.length && !isGlobSpecial(p[i])) i++
  return i
}

function bytesEqual(a: Bytes, ai: number, b: Bytes, bi: number, len: number, fold: boolean): boolean {
  for (let k = 0; k < len; k++) {
    const x = a[ai + k]
    const y = b[bi + k]
    if (x !== y && !(fold && lower(x) === lower(y))) return false
  }
  return true
}

/**
 * One line of a `.gitignore` or `.gitattributes` file, parsed as git's
 * parse_path_pattern does, and matched as dir.c's match_basename /
 * match_pathname do: a pattern without a slash matches the name's last
 * component at any depth; one with a slash (other than a trailing one)
 * matches the whole path relative to the folder of the file it came from.
 */
export class PathPattern {
  readonly flags: number
  private readonly pattern: Bytes
  private readonly noWildcardLen: number

  /** `raw` without its line ending; `base` is the git path of the folder holding the pattern file ('' at the top). */
  constructor(
    raw: string | Bytes,
    readonly base = '',
  ) {
    let p = bytes(raw)
    let flags = 0
    if (p[0] === 0x21) {
      flags |= PATTERN_NEGATIVE
      p = p.subarray(1)
    }
    if (p.length && p[p.length - 1] === SLASH) {
      p = p.subarray(0, -1)
      flags |= PATTERN_MUSTBEDIR
    }
    if (!p.includes(SLASH)) flags |= PATTERN_NODIR
    this.noWildcardLen = Math.min(simpleLength(p), p.length)
    if (p[0] === STAR && simpleLength(p.subarray(1)) === p.length - 1) flags |= PATTERN_ENDSWITH
    this.pattern = p
    this.flags = flags
  }

  get negative(): boolean {
    return (this.flags & PATTERN_NEGATIVE) !== 0
  }

  get mustBeDir(): boolean {
    return (this.flags & PATTERN_MUSTBEDIR) !== 0
  }

  /** Whether the git path `path` (a folder when `isDir`) matches; `ignoreCase` is core.ignoreCase. */
  matches(path: string, isDir: boolean, ignoreCase = false): boolean {
    if (this.mustBeDir && !isDir) return false
    const name = bytes(path)
    if (this.flags & PATTERN_NODIR) {
      const slash = name.lastIndexOf(SLASH)
      return this.matchBasename(name.subarray(slash + 1), ignoreCase)
    }
    return this.matchPathname(name, ignoreCase)
  }

  private matchBasename(basename: Bytes, fold: boolean): boolean {
    const p = this.pattern
    if (this.noWildcardLen === p.length) return p.length === basename.length && bytesEqual(p, 0, basename, 0, p.length, fold)
    if (this.flags & PATTERN_ENDSWITH) return p.length - 1 <= basename.length && bytesEqual(p, 1, basename, basename.length - (p.length - 1), p.length - 1, fold)
    return wildmatch(p, basename, fold ? WM_CASEFOLD : 0)
  }

  private matchPathname(path: Bytes, fold: boolean): boolean {
    let p = this.pattern
    let prefix = this.noWildcardLen
    if (p[0] === SLASH) {
      p = p.subarray(1)
      prefix--
    }
    const base = bytes(this.base)
    const baseLen = base.length
    if (path.length < baseLen + 1 || (baseLen && path[baseLen] !== SLASH) || !bytesEqual(path, 0, base, 0, baseLen, fold)) return false
    let name = baseLen ? path.subarray(baseLen + 1) : path
    if (prefix > 0) {
      if (prefix > name.length) return false
      if (!bytesEqual(p, 0, name, 0, prefix, fold)) return false
      p = p.subarray(prefix)
      name = name.subarray(prefix)
      if (p.length === 0 && name.length === 0) return true
    }
    return wildmatch(p, name, WM_PATHNAME | (fold ? WM_CASEFOLD : 0))
  }
}

/**
 * The lines of a pattern file as git reads them (add_patterns_from_buffer):
 * a UTF-8 byte order mark skipped, lines split at LF with a CR before it
 * dropped, blank lines and `#` comments skipped, unescaped trailing spaces
 * trimmed.
 */
export function patternLines(content: Buffer): Buffer[] {
  let buf = content
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3)
  const out: Buffer[] = []
  let start = 0
  for (let i = 0; i <= buf.length; i++) {
    if (i < buf.length && buf[i] !== 0x0a) continue
    let line = buf.subarray(start, i)
    start = i + 1
    if (line.length === 0 || line[0] === 0x23) continue
    if (i < buf.length && line[line.length - 1] === 0x0d) line = line.subarray(0, -1)
    out.push(trimTrailingSpaces(line))
  }
  return out
}

function trimTrailingSpaces(line: Buffer): Buffer {
  let lastSpace = -1
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === 0x20) {
      if (lastSpace === -1) lastSpace = i
    } else if (c === BACKSLASH) {
      i++
      if (i >= line.length) return line
      lastSpace = -1
    } else {
      lastSpace = -1
    }
  }
  return lastSpace === -1 ? line : line.subarray(0, lastSpace)
}
