import { deepEqual } from '../core/deep-equal.js'
import type { EditOp, EditPath } from './edit.js'

export interface Change {
  /** JSON Pointer of the changed value. */
  path: string
  from?: unknown
  to?: unknown
}

const pointer = (path: EditPath) => '/' + path.map(p => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')

/**
 * The edits turning the mapping at `path` from `before` into `after`, one key
 * at a time so untouched keys keep their text; a missing mapping is set whole.
 */
export function mapEdits(path: EditPath, before: Record<string, unknown> | undefined, after: Record<string, unknown>, ops: EditOp[], changes: Change[]): void {
  if (before === undefined || before === null || typeof before !== 'object') {
    ops.push({ op: 'set', path, value: compact(after) })
    changes.push({ path: pointer(path), to: compact(after) })
    return
  }
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue
    if (!deepEqual(before[k], v)) {
      ops.push({ op: 'set', path: [...path, k], value: v })
      changes.push({ path: pointer([...path, k]), ...(before[k] === undefined ? {} : { from: before[k] }), to: v })
    }
  }
  for (const k of Object.keys(before)) {
    if (!(k in after) || after[k] === undefined) {
      ops.push({ op: 'delete', path: [...path, k] })
      changes.push({ path: pointer([...path, k]), from: before[k] })
    }
  }
}

/** A copy without undefined values (they would not survive a write and re-read). */
export function compact<T extends Record<string, unknown>>(obj: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v
  return out as T
}
