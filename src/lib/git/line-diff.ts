/** Line diffs (Myers) rendered as unified diffs and diffstat counts. */

export interface Edit {
  op: ' ' | '-' | '+'
  /** Line text without its line feed. */
  line: string
  /** The line has no line feed (last line of a file without one). */
  noEol?: boolean
}

export interface Lines {
  lines: string[]
  /** The last line has no terminating line feed. */
  noEol: boolean
}

export function splitLines(text: string): Lines {
  if (text === '') return { lines: [], noEol: false }
  const lines = text.split('\n')
  const noEol = lines[lines.length - 1] !== ''
  if (!noEol) lines.pop()
  return { lines, noEol }
}

/** Edits above this many differences fall back to "replace the middle" instead of a minimal diff. */
const MAX_D = 2000

/** The shortest edit script from `a` to `b` (Myers 1986), common prefix and suffix trimmed first. */
export function diffLines(aText: string, bText: string): Edit[] {
  const A = splitLines(aText)
  const B = splitLines(bText)
  // Compare with the eol marker so "x" and "x\n" at the end differ, as in git.
  const a = A.lines.map((l, i) => (A.noEol && i === A.lines.length - 1 ? l + '\0noeol' : l))
  const b = B.lines.map((l, i) => (B.noEol && i === B.lines.length - 1 ? l + '\0noeol' : l))
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const middle = myers(a.slice(start, endA), b.slice(start, endB))
  const edits: Edit[] = []
  const push = (op: Edit['op'], raw: string) => {
    const noEol = raw.endsWith('\0noeol')
    edits.push(noEol ? { op, line: raw.slice(0, -6), noEol } : { op, line: raw })
  }
  for (let i = 0; i < start; i++) push(' ', a[i])
  for (const e of middle) push(e.op, e.line)
  for (let i = endA; i < a.length; i++) push(' ', a[i])
  return edits
}

function myers(a: string[], b: string[]): Edit[] {
  const n = a.length
  const m = b.length
  if (n === 0) return b.map(line => ({ op: '+', line }))
  if (m === 0) return a.map(line => ({ op: '-', line }))
  const max = n + m
  const offset = max + 1
  const v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  let found = false
  for (let d = 0; d <= max && d <= MAX_D; d++) {
    // Keep only the frontier the next step reads (diagonals -d-1 … d+1).
    trace.push(v.slice(offset - d - 1, offset + d + 2))
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v[offset + k] = x
      if (x >= n && y >= m) {
        found = true
        break
      }
    }
    if (found) break
  }
  if (!found) return [...a.map(line => ({ op: '-' as const, line })), ...b.map(line => ({ op: '+' as const, line }))]
  // Walk back through the saved frontiers.
  const edits: Edit[] = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d > 0; d--) {
    const frontier = trace[d]
    const at = (k: number) => frontier[k + d + 1]
    const k = x - y
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1
    const prevX = at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      x--
      y--
      edits.push({ op: ' ', line: a[x] })
    }
    if (x === prevX) edits.push({ op: '+', line: b[--y] })
    else edits.push({ op: '-', line: a[--x] })
  }
  while (x > 0 && y > 0) {
    x--
    y--
    edits.push({ op: ' ', line: a[x] })
  }
  return edits.reverse()
}

export function countChanges(edits: Edit[]): { insertions: number; deletions: number } {
  let insertions = 0
  let deletions = 0
  for (const e of edits) {
    if (e.op === '+') insertions++
    else if (e.op === '-') deletions++
  }
  return { insertions, deletions }
}

/**
 * Unified-diff hunks (`@@ -a,b +c,d @@ func` …) with `context` lines around
 * each change. `func` is git's hunk-header context: the last line of the old
 * file before the hunk for which `funcLine` gives a text (git's default: a
 * line starting with a letter, `_` or `$`); none when `funcLine` is omitted.
 */
export function unifiedHunks(edits: Edit[], context = 3, funcLine?: (line: string) => string | undefined): string[] {
  const out: string[] = []
  const changed = edits.map((e, i) => (e.op === ' ' ? -1 : i)).filter(i => i >= 0)
  if (changed.length === 0) return out
  // Group changes whose context windows touch.
  const groups: Array<[number, number]> = []
  for (const i of changed) {
    const last = groups[groups.length - 1]
    if (last && i - last[1] <= 2 * context + 1) last[1] = i
    else groups.push([i, i])
  }
  // Line numbers before each edit.
  const aLine: number[] = []
  const bLine: number[] = []
  let la = 0
  let lb = 0
  for (const e of edits) {
    aLine.push(la)
    bLine.push(lb)
    if (e.op !== '+') la++
    if (e.op !== '-') lb++
  }
  const oldLines = edits.filter(e => e.op !== '+').map(e => e.line)
  // As xdiff does: search back from the hunk's first line down to where the previous search started, keeping the last text found.
  let searchedTo = -1
  let func = ''
  const header = (start: number): string => {
    if (!funcLine) return ''
    for (let l = start - 1; l > searchedTo; l--) {
      const text = funcLine(oldLines[l])
      if (text !== undefined) {
        func = text
        break
      }
    }
    searchedTo = start - 1
    return func ? ` ${func}` : ''
  }
  for (const [first, lastChange] of groups) {
    const from = Math.max(0, first - context)
    const to = Math.min(edits.length - 1, lastChange + context)
    let aCount = 0
    let bCount = 0
    const body: string[] = []
    for (let i = from; i <= to; i++) {
      const e = edits[i]
      if (e.op !== '+') aCount++
      if (e.op !== '-') bCount++
      body.push(e.op + e.line)
      if (e.noEol) body.push('\\ No newline at end of file')
    }
    const range = (start: number, count: number) => (count === 1 ? `${start + 1}` : `${count === 0 ? start : start + 1},${count}`)
    out.push(`@@ -${range(aLine[from], aCount)} +${range(bLine[from], bCount)} @@${header(aLine[from])}`, ...body)
  }
  return out
}

/** A text that git would call binary: a NUL byte in the first 8000 bytes. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0)
}
