/**
 * capnp 1.x's `RequestedFile.fileSourceInfo`: every name of a file that resolved to a declaration
 * (a type, an annotation, a constant, a file through `import`, a built-in type), with its byte
 * range in the file, as an editor's "go to definition" needs it. The compiler records which
 * expression resolved to what; this turns them into capnp's identifiers.
 */
import { grown } from '../core/arrays.js'
import type { Span } from './ast.js'
import type { CapnpIdentifiers } from './model.js'

/**
 * capnp's ids of its built-in types: 1000 plus the type's place in grammar.capnp's `Declaration`
 * union (`builtinVoid` is its 14th member), which capnp uses so that built-ins have ids too.
 */
export const BUILTIN_IDS: Readonly<Record<string, number>> = {
  Void: 1014,
  Bool: 1015,
  Int8: 1016,
  Int16: 1017,
  Int32: 1018,
  Int64: 1019,
  UInt8: 1020,
  UInt16: 1021,
  UInt32: 1022,
  UInt64: 1023,
  Float32: 1024,
  Float64: 1025,
  Text: 1026,
  Data: 1027,
  List: 1028,
  AnyPointer: 1030,
  AnyStruct: 1031,
  AnyList: 1032,
  Capability: 1033,
}

/**
 * The names resolved in one file, recorded compactly (a large file resolves one name every few
 * bytes): four numbers of position per name and its target's id, interned. A name resolved twice
 * (a value checked again) is recorded twice and kept once.
 */
export class ResolvedNames {
  private spans = new Int32Array(256)
  private ids: string[] = []
  private readonly interned = new Map<string, string>()

  add(s: Span, typeId: string): void {
    const n = this.ids.length
    if (n * 4 + 4 > this.spans.length) this.spans = grown(this.spans, this.spans.length * 2)
    const at = n * 4
    this.spans[at] = s.line
    this.spans[at + 1] = s.col
    this.spans[at + 2] = s.endLine
    this.spans[at + 3] = s.endCol
    let id = this.interned.get(typeId)
    if (id === undefined) this.interned.set(typeId, (id = typeId))
    this.ids.push(id)
  }

  /**
   * The identifiers of `text`, in source order: by start byte, an inner name (`Foo` of `Foo.Bar`)
   * before the expression holding it. Lines and columns count characters (end exclusive); byte
   * offsets count UTF-8 bytes from the start of the file, as capnp's do. Frees the record.
   */
  identifiers(text: string): CapnpIdentifiers {
    const lineStarts = [0]
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1)
    const ascii = Buffer.byteLength(text) === text.length
    // byte offset of each line's start, for files that are not plain ASCII
    const lineBytes = ascii ? lineStarts : lineStarts.map((s, i) => (i === 0 ? 0 : Buffer.byteLength(text.slice(lineStarts[i - 1], s))))
    if (!ascii) for (let i = 1; i < lineBytes.length; i++) lineBytes[i] += lineBytes[i - 1]
    const at = (line: number, col: number): number => {
      const start = lineStarts[line - 1] ?? text.length
      return ascii ? start + col - 1 : (lineBytes[line - 1] ?? 0) + Buffer.byteLength(text.slice(start, start + col - 1))
    }
    const n = this.ids.length
    const starts = new Uint32Array(n)
    const ends = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      starts[i] = at(this.spans[i * 4], this.spans[i * 4 + 1])
      ends[i] = at(this.spans[i * 4 + 2], this.spans[i * 4 + 3])
    }
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => starts[a] - starts[b] || ends[a] - ends[b])
    const out: CapnpIdentifiers = { startByte: [], endByte: [], typeId: [] }
    for (const i of order) {
      const last = out.startByte.length - 1
      if (last >= 0 && out.startByte[last] === starts[i] && out.endByte[last] === ends[i]) continue
      out.startByte.push(starts[i])
      out.endByte.push(ends[i])
      out.typeId.push(this.ids[i])
    }
    this.spans = new Int32Array(0)
    this.ids = []
    return out
  }
}
