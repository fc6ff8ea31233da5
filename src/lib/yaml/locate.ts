import { createRequire } from 'node:module'
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml'

type YamlModule = typeof import('yaml')
let yamlModule: YamlModule | undefined
/** The `yaml` package costs ~70 ms to load: only files with findings to locate pay for it. */
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule
  return yamlModule
}

export interface Position {
  line: number
  column: number
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return []
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/**
 * Finds line:col for JSON Pointers in one YAML text. Built lazily: only files
 * that have findings pay for the second (position-keeping) parse.
 */
export class SourceLocator {
  private doc?: Document
  private lines?: LineCounter
  private readonly keyIndex = new WeakMap<object, Map<string, Pair>>()
  constructor(private readonly text: string) {}

  /** Position of the value at `pointer`, or of its key with `at: 'key'`; the nearest existing ancestor when absent. */
  locate(pointer: string, at: 'key' | 'value' = 'value'): Position {
    if (!this.doc) {
      const { LineCounter, parseDocument } = yaml()
      this.lines = new LineCounter()
      try {
        this.doc = parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: false, strict: false })
      } catch {
        return { line: 1, column: 1 }
      }
    }
    let node: unknown = this.doc.contents
    let keyNode: unknown
    for (const seg of pointerSegments(pointer)) {
      let next: unknown
      let nextKey: unknown
      const { isMap, isSeq } = yaml()
      if (isMap(node)) {
        const pair = this.pairOf(node, seg)
        if (pair) {
          next = pair.value ?? pair.key
          nextKey = pair.key
        }
      } else if (isSeq(node)) {
        next = node.items[Number(seg)]
      }
      if (next === undefined || next === null) break
      node = next
      keyNode = nextKey
    }
    const target = (at === 'key' && keyNode ? keyNode : node) as Node | undefined
    const offset = target?.range?.[0] ?? 0
    const p = this.lines!.linePos(offset)
    return { line: p.line, column: p.col }
  }

  /** The first pair of a mapping with this key, through an index built once per mapping (a file may have thousands of findings). */
  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.keyIndex.get(map)
    if (!index) {
      index = new Map()
      for (const p of map.items) {
        if (!yaml().isPair(p)) continue
        const k = yaml().isScalar(p.key) ? String((p.key as { value: unknown }).value) : String(p.key)
        if (!index.has(k)) index.set(k, p)
      }
      this.keyIndex.set(map, index)
    }
    return index.get(key)
  }
}
