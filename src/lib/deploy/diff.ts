/**
 * Field-level difference between two renderings of an environment (what etcd
 * holds and what git renders): one change per leaf that differs, named by a
 * YAML-style path (`transport.url`, `keys.archive.required`,
 * `feed.capture_locations[0].region`), old → new. Pure: no etcd, no terminal.
 */
import { deepEqual } from '../core/deep-equal.js'
import { canonicalJson } from './layout.js'

export interface FieldChange {
  /** YAML-style path of the value; '' for the whole content (it is not an object on one side). */
  path: string
  kind: 'add' | 'change' | 'delete'
  /** The old value (absent for add). */
  from?: unknown
  /** The new value (absent for delete). */
  to?: unknown
}

type Segment = string | number

const BARE = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** `transport.url`, `keys["a.b"].required`, `feed.capture_locations[0]`: a key that is not a plain word is quoted. */
export function fieldPath(segments: readonly Segment[]): string {
  let out = ''
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`
    else if (BARE.test(s)) out += out === '' ? s : `.${s}`
    else out += `[${JSON.stringify(s)}]`
  }
  return out
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Every leaf that differs between `before` and `after`, in path order. Objects
 * are compared key by key (a key only on one side is one add or delete of its
 * whole value); arrays element by element (extra elements are added or
 * deleted at the end); anything else, or values of different types, is one
 * change. `undefined` members count as absent.
 */
export function diffContent(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = []
  walk(before, after, [], out)
  return out
}

function walk(before: unknown, after: unknown, path: Segment[], out: FieldChange[]): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    for (const k of keys) {
      const b = before[k]
      const a = after[k]
      if (b === undefined && a === undefined) continue
      if (b === undefined) out.push({ path: fieldPath([...path, k]), kind: 'add', to: a })
      else if (a === undefined) out.push({ path: fieldPath([...path, k]), kind: 'delete', from: b })
      else walk(b, a, [...path, k], out)
    }
    return
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length)
    for (let i = 0; i < n; i++) {
      if (i >= after.length) out.push({ path: fieldPath([...path, i]), kind: 'delete', from: before[i] })
      else if (i >= before.length) out.push({ path: fieldPath([...path, i]), kind: 'add', to: after[i] })
      else walk(before[i], after[i], [...path, i], out)
    }
    return
  }
  if (!deepEqual(before, after)) out.push({ path: fieldPath(path), kind: 'change', from: before, to: after })
}

/** A value as shown in a diff line: JSON, one line, object keys sorted (strings quoted, so '' and ' ' stay visible). */
export function shownValue(value: unknown): string {
  return value === undefined ? '(none)' : canonicalJson(value)
}

export interface DiffStyle {
  /** Wraps removed text (red on a terminal). */
  removed: (s: string) => string
  /** Wraps added text (green on a terminal). */
  added: (s: string) => string
}

const plain: DiffStyle = { removed: s => s, added: s => s }

/**
 * One line per change, indented: `~ transport.url: "a" → "b"`, `+ cache.max_size: "4GB"`,
 * `- keys.archive: {…}`. Old values go through `style.removed`, new ones through `style.added`.
 */
export function diffLines(changes: readonly FieldChange[], style: DiffStyle = plain, indent = '  '): string[] {
  return changes.map(c => {
    const path = c.path === '' ? '(whole content)' : c.path
    if (c.kind === 'add') return style.added(`${indent}+ ${path}: ${shownValue(c.to)}`)
    if (c.kind === 'delete') return style.removed(`${indent}- ${path}: ${shownValue(c.from)}`)
    return `${indent}~ ${path}: ${style.removed(shownValue(c.from))} → ${style.added(shownValue(c.to))}`
  })
}

/** `transport.url, cache.max_size and 3 more`: the paths of a change list in a few words. */
export function pathsInBrief(changes: readonly FieldChange[], max = 3): string {
  const paths = changes.map(c => (c.path === '' ? '(whole content)' : c.path))
  if (paths.length <= max) return paths.join(', ')
  return `${paths.slice(0, max).join(', ')} and ${paths.length - max} more`
}
