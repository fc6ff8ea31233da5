import { hasControlChar } from '../core/text.js'

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TIME = /^\d{2}:\d{2}$/
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i
/** Strings a YAML 1.1 or 1.2 reader would take as a number (so they need quotes); `100MB` is not one. */
const NUMERIC = /^([-+]?(\d[\d_]*\.?[\d_]*([eE][-+]?\d+)?|\.\d[\d_]*([eE][-+]?\d+)?|\.inf)|\.nan|0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+|[-+]?\d+(:[0-5]?\d)+(\.\d*)?)$/i
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`\s]/

/** Formats a scalar the way ssmd writes it: dates plain, times quoted, ambiguous strings quoted. */
export function formatScalar(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'boolean' || typeof value === 'number') return String(value)
  const s = String(value)
  if (DATE.test(s)) return s
  if (
    s === '' ||
    TIME.test(s) ||
    RESERVED.test(s) ||
    NUMERIC.test(s) ||
    INDICATOR.test(s) ||
    /\s$/.test(s) ||
    s.includes(': ') ||
    s.includes(' #') ||
    s.endsWith(':') ||
    hasControlChar(s) ||
    /[\u007f\u2028\u2029\ufeff]/.test(s)
  ) {
    return JSON.stringify(s)
  }
  return s
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isScalar = (v: unknown) => v === null || typeof v !== 'object'

/** Block-style lines for a mapping, `indent` spaces deep; scalar lists stay on one line. */
export function renderMapLines(map: Record<string, unknown>, indent: number): string[] {
  const pad = ' '.repeat(indent)
  const lines: string[] = []
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue
    lines.push(...renderEntryLines(key, value, indent))
  }
  if (lines.length === 0) lines.push(`${pad}{}`)
  return lines
}

export function renderEntryLines(key: string, value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent)
  if (isScalar(value)) return [`${pad}${key}: ${formatScalar(value)}`]
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return [`${pad}${key}: [${value.map(formatScalar).join(', ')}]`]
    return [`${pad}${key}:`, ...value.flatMap(item => renderItemLines(item, indent + 2))]
  }
  if (isPlainObject(value) && Object.keys(value).length === 0) return [`${pad}${key}: {}`]
  return [`${pad}${key}:`, ...renderMapLines(value as Record<string, unknown>, indent + 2)]
}

/** One sequence item with its dash at `indent`. */
export function renderItemLines(item: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent)
  if (isScalar(item)) return [`${pad}- ${formatScalar(item)}`]
  if (Array.isArray(item)) return [`${pad}- [${item.map(formatScalar).join(', ')}]`]
  const inner = renderMapLines(item as Record<string, unknown>, indent + 2)
  return [`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1)]
}

/** A whole new document, keys in the order given. */
export function renderDocument(data: Record<string, unknown>): string {
  return renderMapLines(data, 0).join('\n') + '\n'
}
