import { builtinRule, isObj, jsonPointer } from './util.js'

/** JSON Pointers of every integer beyond ±(2^53 − 1) in a document (a pointer is built only for a hit). */
function unsafeIntegers(data: unknown): string[] {
  // Nearly every document has none: look first without keeping a path.
  if (!holdsUnsafeInteger(data)) return []
  const out: string[] = []
  const keys: Array<string | number> = []
  const walk = (node: unknown): void => {
    if (typeof node === 'number') {
      if (Number.isInteger(node) && !Number.isSafeInteger(node)) out.push(jsonPointer(keys))
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        keys.push(i)
        walk(node[i])
        keys.pop()
      }
    } else if (isObj(node)) {
      for (const k of Object.keys(node)) {
        keys.push(k)
        walk(node[k])
        keys.pop()
      }
    }
  }
  walk(data)
  return out
}

/** Whether any integer under `node` is unsafe: a walk of every document, so it allocates nothing (no key lists, no callbacks). */
function holdsUnsafeInteger(node: unknown): boolean {
  if (typeof node === 'number') return Number.isInteger(node) && !Number.isSafeInteger(node)
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (holdsUnsafeInteger(node[i])) return true
  } else if (isObj(node)) {
    // The documents' objects are plain (Object.prototype has no enumerable keys): for…in visits their own keys.
    for (const k in node) if (holdsUnsafeInteger(node[k])) return true
  }
  return false
}

/** The literal as written at line:col (the parsed number has already lost digits). */
function literalAt(text: string | undefined, line: number, column: number): string | undefined {
  if (text === undefined) return undefined
  let start = 0
  for (let l = 1; l < line; l++) {
    start = text.indexOf('\n', start) + 1
    if (start === 0) return undefined
  }
  return /^[-+]?[0-9][0-9_.eE+-]*/.exec(text.slice(start + column - 1, start + column + 400))?.[0]
}

/**
 * The YAML reader, like JavaScript, JSON consumers and etcd clients, holds
 * numbers as doubles: an integer beyond 2^53 − 1 silently loses digits. The
 * message quotes the literal from the source text, not the rounded value.
 */
export default builtinRule({
  meta: {
    id: 'yaml/unsafe-integer',
    uses: ['source'],
    severity: 'error',
    scope: 'file',
    description: 'Integers fit in ±(2^53 − 1), so every reader gets the exact value.',
    messages: {
      unsafe: '{{literal}} is beyond 2^53 − 1 (9007199254740991) and cannot be read exactly (it would become {{read}}); use a smaller number, or quote it if it is an identifier',
    },
  },
  document(doc, ctx) {
    if (doc.data === undefined || typeof doc.data !== 'object' || doc.data === null) return
    for (const path of unsafeIntegers(doc.data)) {
      const source = ctx.source(doc)
      const at = source.locate(path)
      const literal = literalAt(source.text, at.line, at.column)
      const read = literal === undefined ? '' : String(Number(literal.replace(/_/g, '')))
      ctx.report({ path, messageId: 'unsafe', data: { literal: literal ?? 'this integer', read: read || 'another number' } })
    }
  },
})
