/**
 * git's merge-conflict markers, as `git merge`/`rebase`/`stash pop` leave them
 * in a file they could not merge: a line starting with seven `<`, `|` (the
 * diff3 base), `=` or `>`. The `<`, `|` and `>` markers may carry a label
 * (`<<<<<<< HEAD`); `=======` stands alone. A CR before the line end is allowed
 * (files with CRLF line endings).
 */
const MARKER = /^(?:(<{7}|\|{7}|>{7})(?:[ \t][^\n]*)?|(={7}))\r?$/m

export interface ConflictMarker {
  /** The seven marker characters (`<<<<<<<`, `=======`, …). */
  marker: string
  line: number
  column: number
}

/** The first conflict marker of a text, or undefined when it has none. */
export function findConflictMarker(text: string): ConflictMarker | undefined {
  // Every marker holds seven identical characters: a cheap test rules out nearly every file.
  if (!text.includes('<<<<<<<') && !text.includes('=======') && !text.includes('>>>>>>>') && !text.includes('|||||||')) return undefined
  const m = MARKER.exec(text)
  if (!m) return undefined
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++
  return { marker: m[1] ?? m[2], line, column: 1 }
}

/** The one message for a file with conflict markers: what it is and how to resolve it. */
export function conflictMessage(found: ConflictMarker): string {
  return `unresolved merge conflict (git conflict marker '${found.marker}'); keep the lines you want, delete the marker lines, then 'git add' the file`
}
