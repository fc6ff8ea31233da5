import jsYaml from 'js-yaml'
import { isMap, isPair, isScalar, isSeq, parseDocument, Scalar, type Document, type Node, type Pair } from 'yaml'
import { deepEqual } from '../core/deep-equal.js'
import { formatScalar, renderEntryLines, renderItemLines } from './render.js'

export { deepEqual }

export type EditPath = Array<string | number>
export type EditOp = { op: 'set'; path: EditPath; value: unknown } | { op: 'delete'; path: EditPath } | { op: 'append'; path: EditPath; value: unknown }

class Unsupported extends Error {}

/** An edit that cannot be made without changing content it was not asked to change. */
export class EditError extends Error {}

/**
 * Applies edits to YAML text, touching only the bytes of the edited nodes:
 * comments, key order, quoting and blank lines elsewhere stay as they were.
 * Each edit is checked by re-reading the result; if a layout is too unusual for
 * a surgical splice, the edit goes through the `yaml` document model instead.
 */
/** The preferred order of keys in the mapping at a path (for placing new keys), if known. */
export type KeyOrder = (path: EditPath) => readonly string[] | undefined

export function applyEdits(text: string, ops: EditOp[], keyOrder?: KeyOrder): string {
  let current = text
  for (const op of ops) {
    const before = load(current)
    const expected = applyToData(structuredClone(before), op)
    let next: string | undefined
    try {
      next = spliceEdit(current, op, keyOrder)
      if (!deepEqual(load(next), expected)) next = undefined
    } catch {
      // No splice, or spliced text that does not read back: try the document model.
      next = undefined
    }
    if (next === undefined) {
      let same = false
      try {
        next = modelEdit(current, op)
        same = deepEqual(load(next), expected)
      } catch {
        same = false
      }
      if (!same) throw new EditError(`could not apply the edit at /${op.path.join('/')} without changing other content`)
    }
    current = next!
  }
  return current
}

function load(text: string): unknown {
  return jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA })
}

export function applyToData(data: unknown, op: EditOp): unknown {
  if (op.path.length === 0) throw new Error('empty edit path')
  const root = (data ?? {}) as Record<string | number, unknown>
  let node = root
  const last = op.path[op.path.length - 1]
  for (const seg of op.path.slice(0, -1)) {
    if (node[seg] === undefined || node[seg] === null) {
      if (op.op === 'delete') return root
      node[seg] = {}
    }
    node = node[seg] as Record<string | number, unknown>
  }
  if (op.op === 'set') node[last] = op.value
  else if (op.op === 'append') {
    if (!Array.isArray(node[last])) node[last] = []
    ;(node[last] as unknown[]).push(op.value)
  } else if (Array.isArray(node)) node.splice(Number(last), 1)
  else delete node[last]
  return root
}

// ---- surgical edits -------------------------------------------------------

function parse(text: string): Document {
  return parseDocument(text, { uniqueKeys: false })
}

function lookup(doc: Document, path: EditPath): { node?: unknown; pair?: Pair } {
  let node: unknown = doc.contents
  let pair: Pair | undefined
  for (const seg of path) {
    pair = undefined
    if (isMap(node)) {
      pair = node.items.find(p => isScalar(p.key) && String(p.key.value) === String(seg)) as Pair | undefined
      node = pair ? pair.value : undefined
      if (!pair) return {}
    } else if (isSeq(node)) {
      node = node.items[Number(seg)]
      if (node === undefined) return {}
    } else return {}
  }
  return { node, pair }
}

const eolOf = (text: string) => (text.includes('\r\n') ? '\r\n' : '\n')

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

/** Offset of the line break ending the line that holds `end - 1` (before any `\r`), or text length. */
function lineEnd(text: string, end: number): number {
  let i = text.indexOf('\n', Math.max(end - 1, 0))
  if (i === -1) i = text.length
  if (i > 0 && text[i - 1] === '\r') i--
  return i
}

function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset)
}

function nodeEnd(node: unknown): number {
  const r = (node as Node).range
  if (!r) throw new Unsupported()
  return r[1]
}

function spliceEdit(text: string, op: EditOp, keyOrder?: KeyOrder): string {
  const doc = parse(text)
  if (doc.errors.length > 0) throw new Unsupported()
  const eol = eolOf(text)
  const parentPath = op.path.slice(0, -1)
  const key = op.path[op.path.length - 1]
  const parent = lookup(doc, parentPath).node

  if (op.op === 'append') {
    const seq = lookup(doc, op.path).node
    if (seq === undefined || seq === null) return spliceEdit(text, { op: 'set', path: op.path, value: [op.value] })
    if (isSeq(seq) && seq.flow && isScalarValue(op.value)) return insertIntoFlow(text, seq, formatScalar(op.value))
    if (!isSeq(seq) || seq.flow || seq.items.length === 0) throw new Unsupported()
    const first = seq.items[0] as Node
    const dash = text.lastIndexOf('-', first.range![0])
    const dashCol = columnOf(text, dash)
    const lastItem = seq.items[seq.items.length - 1]
    const at = lineEnd(text, nodeEnd(lastItem))
    const lines = renderItemLines(op.value, dashCol)
    return text.slice(0, at) + eol + lines.join(eol) + text.slice(at)
  }

  if (op.op === 'set') {
    if (parent === undefined || parent === null) {
      if (parentPath.length === 0) throw new Unsupported()
      return spliceEdit(text, { op: 'set', path: parentPath, value: { [key]: op.value } }, keyOrder)
    }
    const existing = lookup(doc, op.path)
    if (existing.node !== undefined && isScalar(existing.node) && (op.value === null || typeof op.value !== 'object')) {
      const [start, end] = existing.node.range!
      return text.slice(0, start) + formatLike(existing.node, op.value) + text.slice(end)
    }
    if (existing.node !== undefined || existing.pair) throw new Unsupported()
    if (isMap(parent) && parent.flow && isScalarValue(op.value)) {
      return insertIntoFlow(text, parent, `${key}: ${formatScalar(op.value)}`)
    }
    if (!isMap(parent) || parent.flow || parent.items.length === 0) throw new Unsupported()
    const firstKey = parent.items[0].key as Node
    const indent = columnOf(text, firstKey.range![0])
    const after = pairToInsertAfter(parent.items as Pair[], String(key), keyOrder?.(parentPath))
    const at = lineEnd(text, nodeEnd(after.value ?? after.key))
    const lines = renderEntryLines(String(key), op.value, indent)
    return text.slice(0, at) + eol + lines.join(eol) + text.slice(at)
  }

  // delete
  const target = lookup(doc, op.path)
  if (target.node === undefined && !target.pair) return text
  if ((isMap(parent) || isSeq(parent)) && parent.flow) {
    const index = isMap(parent) ? parent.items.indexOf(target.pair!) : Number(key)
    return removeFromFlow(text, parent as Node & { items: unknown[] }, index)
  }
  if (isMap(parent)) {
    const pair = target.pair!
    const keyStart = (pair.key as Node).range![0]
    const start = lineStart(text, keyStart)
    if (text.slice(start, keyStart).trim() !== '') throw new Unsupported()
    return removeLines(text, start, nodeEnd(pair.value ?? pair.key))
  }
  if (isSeq(parent) && !parent.flow) {
    const item = target.node as Node
    const dash = text.lastIndexOf('-', item.range![0])
    const start = lineStart(text, dash)
    if (text.slice(start, dash).trim() !== '') throw new Unsupported()
    return removeLines(text, start, nodeEnd(item))
  }
  throw new Unsupported()
}

const isScalarValue = (v: unknown) => v === null || typeof v !== 'object'

/** Adds one entry before the closing bracket of a flow collection: `{a: 1}` → `{a: 1, b: 2}`. */
function insertIntoFlow(text: string, node: Node & { items: unknown[] }, entry: string): string {
  const close = node.range![1] - 1
  if (text[close] !== '}' && text[close] !== ']') throw new Unsupported()
  let at = close
  while (at > 0 && /[ \t]/.test(text[at - 1])) at--
  const sep = node.items.length === 0 ? '' : ', '
  return text.slice(0, at) + sep + entry + text.slice(at)
}

/** Removes one entry of a flow collection with its separator: `{a: 1, b: 2}` → `{a: 1}`. */
function removeFromFlow(text: string, node: Node & { items: unknown[] }, index: number): string {
  const start = (item: unknown) => {
    const n = (isPair(item) ? item.key : item) as Node | null
    if (!n?.range) throw new Unsupported()
    return n.range[0]
  }
  const end = (item: unknown) => nodeEnd(isPair(item) ? (item.value ?? item.key) : item)
  const { items } = node
  if (index < 0 || index >= items.length) throw new Unsupported()
  if (items.length === 1) {
    const [open, close] = [node.range![0], node.range![1] - 1]
    if (!'{['.includes(text[open]) || !'}]'.includes(text[close])) throw new Unsupported()
    return text.slice(0, open + 1) + text.slice(close)
  }
  if (index < items.length - 1) return text.slice(0, start(items[index])) + text.slice(start(items[index + 1]))
  return text.slice(0, end(items[index - 1])) + text.slice(end(items[index]))
}

/** New keys go after the last existing key that precedes them in the preferred order; else at the end. */
function pairToInsertAfter(pairs: Pair[], key: string, order: readonly string[] | undefined): Pair {
  const last = pairs[pairs.length - 1]
  const rank = order?.indexOf(key) ?? -1
  if (!order || rank === -1) return last
  let best: Pair | undefined
  for (const p of pairs) {
    const r = order.indexOf(isScalar(p.key) ? String(p.key.value) : '')
    if (r !== -1 && r < rank) best = p
  }
  return best ?? last
}

function removeLines(text: string, start: number, end: number): string {
  let stop = lineEnd(text, end)
  if (text[stop] === '\r') stop++
  if (text[stop] === '\n') stop++
  return text.slice(0, start) + text.slice(stop)
}

function formatLike(node: Scalar, value: unknown): string {
  if (typeof value === 'string') {
    if (node.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(value)
    if (node.type === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`
  }
  return formatScalar(value)
}

// ---- fallback through the document model ----------------------------------

function modelEdit(text: string, op: EditOp): string {
  const doc = parse(text)
  if (op.op === 'set') doc.setIn(op.path, doc.createNode(op.value))
  else if (op.op === 'delete') doc.deleteIn(op.path)
  else {
    const seq = doc.getIn(op.path)
    if (isSeq(seq)) seq.add(doc.createNode(op.value))
    else doc.setIn(op.path, doc.createNode([op.value]))
  }
  const out = doc.toString({ lineWidth: 0 })
  return eolOf(text) === '\r\n' ? out.replace(/\r?\n/g, '\r\n') : out
}
