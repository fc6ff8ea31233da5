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

/**
 * The width tables are fitted to: `COLUMNS` when set to a positive number,
 * else the terminal's width when `stream` is one. Piped output without
 * `COLUMNS` has no limit (like gh and kubectl), so scripts see whole values.
 */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  const env = process.env.COLUMNS?.trim() ?? ''
  if (/^\d+$/.test(env) && Number(env) > 0) return Number(env)
  return stream.isTTY && stream.columns > 0 ? stream.columns : undefined
}

export interface TableOptions {
  /** Columns of free text that may be cut short (with …) to fit `width`, the widest first. Default: none. */
  flex?: number[]
  /** Columns left out, last listed first, when the table cannot fit even with the flex columns cut. Default: none. */
  optional?: number[]
  /** The width to fit; default `outputWidth()` (none when piped without COLUMNS). */
  width?: number
}

/** Narrowest a flex column is cut to. */
const MIN_FLEX = 12

/** `s` cut to `width` visible characters, the last one an ellipsis (colour dropped from a cut cell). */
function truncate(s: string, width: number): string {
  if (visibleLength(s) <= width) return s
  const chars = [...s.replace(ANSI, '')]
  return chars.length <= width ? chars.join('') : chars.slice(0, Math.max(0, width - 1)).join('') + '…'
}

/**
 * Aligned columns with a header row, two spaces apart; the last column is not
 * padded. With a width to fit (see outputWidth), the widest `flex` column is cut
 * with … until the table fits or every flex column is at its narrowest, then
 * `optional` columns are left out; identifiers in other columns are never cut.
 */
export function table(headers: string[], rows: string[][], options: TableOptions = {}): string {
  // Cells come from user files and may hold numbers, lists or null where text was expected.
  rows = rows.map(r => r.map(c => cell(typeof c === 'string' ? c : c === undefined || c === null ? '' : typeof c === 'object' ? JSON.stringify(c) : String(c))))
  let columns = headers.map((_, i) => i)
  const limit = options.width ?? outputWidth()
  const natural = columns.map(i => Math.max(visibleLength(headers[i]), ...rows.map(r => visibleLength(r[i] ?? ''))))
  const fit = (cols: number[]) => {
    const widths = new Map(cols.map(i => [i, natural[i]]))
    if (limit === undefined) return widths
    const total = () => [...widths.values()].reduce((a, b) => a + b, 0) + 2 * (cols.length - 1)
    for (;;) {
      const over = total() - limit
      if (over <= 0) break
      const flex = (options.flex ?? []).filter(i => widths.has(i))
      const floor = (i: number) => Math.min(natural[i], Math.max(MIN_FLEX, visibleLength(headers[i])))
      const widest = flex.filter(i => widths.get(i)! > floor(i)).sort((a, b) => widths.get(b)! - widths.get(a)!)[0]
      if (widest === undefined) return undefined
      const next = flex.filter(i => i !== widest).reduce((m, i) => Math.max(m, widths.get(i)!), 0)
      // Cut the widest down to the next widest (or as far as needed, or to its floor), then look again.
      widths.set(widest, Math.max(floor(widest), widths.get(widest)! - over, Math.min(next, widths.get(widest)! - 1)))
    }
    return widths
  }
  let widths = fit(columns)
  for (const drop of [...(options.optional ?? [])].reverse()) {
    if (widths) break
    columns = columns.filter(i => i !== drop)
    widths = fit(columns)
  }
  // Still too wide with every optional column gone: the flex columns at their floor, the rest whole.
  widths ??= new Map(columns.map(i => [i, (options.flex ?? []).includes(i) ? Math.min(natural[i], Math.max(MIN_FLEX, visibleLength(headers[i]))) : natural[i]]))
  const line = (cells: string[]) =>
    columns
      .map((i, n) => {
        const c = truncate(cells[i] ?? '', widths.get(i)!)
        return n === columns.length - 1 ? c : c + ' '.repeat(widths.get(i)! - visibleLength(c))
      })
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
