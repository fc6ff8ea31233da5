import { escapeControl } from '../core/text.js'

/** Colour only on a TTY; NO_COLOR disables and FORCE_COLOR forces it. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  const force = process.env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  return Boolean(stream.isTTY)
}

const wrap =
  (open: number, close: number) =>
  (s: string, on = colorEnabled()) =>
    on ? `\u001b[${open}m${s}\u001b[${close}m` : s
export const red = wrap(31, 39)
export const green = wrap(32, 39)
export const yellow = wrap(33, 39)
export const cyan = wrap(36, 39)
export const dim = wrap(2, 22)
export const bold = wrap(1, 22)

// eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour sequences this strips
const ANSI = /\u001b\[[0-9;]*m/g
export const visibleLength = (s: string) => s.replace(ANSI, '').length

/** One cell or value of a table: control characters (a newline in a file name, an escape sequence) escaped. */
const cell = (s: string) => escapeControl(s, { keepSgr: true })

/** Aligned columns with a header row; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  // Cells come from user files and may hold numbers, lists or null where text was expected.
  rows = rows.map(r => r.map(c => cell(typeof c === 'string' ? c : c === undefined || c === null ? '' : typeof c === 'object' ? JSON.stringify(c) : String(c))))
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map(r => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c))))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/** `key: value` lines with aligned values; undefined values are skipped. */
export function details(pairs: Array<[string, unknown]>, indent = ''): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
  const width = Math.max(0, ...shown.map(([k]) => k.length))
  return shown.map(([k, v]) => `${indent}${(k + ':').padEnd(width + 1)} ${cell(Array.isArray(v) ? v.join(', ') : String(v))}`).join('\n')
}
