/** Levenshtein distance, small and allocation-light: names are short. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  const prev = new Array<number>(b.length + 1)
  for (let j = 0; j <= b.length; j++) prev[j] = j
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]
}

/** The closest candidate within a distance that scales with the word, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  const limit = Math.max(2, Math.floor(word.length / 3))
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    const prefix = c.startsWith(word) || word.startsWith(c)
    const score = prefix && Math.min(c.length, word.length) >= 4 ? Math.min(d, limit) : d
    if (score <= limit && score < bestDistance) {
      best = c
      bestDistance = score
    }
  }
  return best
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const s = closest(word, candidates)
  return s === undefined ? '' : `; did you mean '${s}'?`
}

/** True when `s` holds a C0 control character (U+0000–U+001F: NUL, tab, line breaks, ESC, …). */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true
  return false
}

/** `1 file`, `2 files`; `many` for irregular plurals (`plural(n, 'hash', 'hashes')`). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${pluralWord(n, word, many)}`
}

/** The word alone, agreeing with `n`: `pluralWord(n, 'uses', 'use')`, `pluralWord(n, 'it', 'them')`. */
export function pluralWord(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** True when `s` holds a character escapeControl would escape (C0, DEL, C1, line separators, bidirectional overrides). */
export function hasTerminalControl(s: string): boolean {
  CONTROL.lastIndex = 0
  return CONTROL.test(s)
}

// eslint-disable-next-line no-control-regex
const SGR = /^\u001b\[[0-9;]*m/

/**
 * Text for a terminal: control characters (C0, DEL, C1, line separators and
 * bidirectional overrides) shown as `\uXXXX`, so a file name or message cannot
 * move the cursor, retitle the window, fake a line or reorder what is read.
 * `keepNewlines` keeps line feeds and tabs (multi-line output); `keepSgr` keeps
 * colour sequences (ssmd's own styling).
 */
export function escapeControl(text: string, options: { keepNewlines?: boolean; keepSgr?: boolean } = {}): string {
  CONTROL.lastIndex = 0
  if (!CONTROL.test(text)) return text
  return text.replace(CONTROL, (ch: string, offset: number) => {
    if (options.keepNewlines && (ch === '\n' || ch === '\t')) return ch
    if (options.keepSgr && ch === '\u001b' && SGR.test(text.slice(offset, offset + 16))) return ch
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}
