/**
 * capnp 1.x's `RequestedFile.fileSourceInfo`: every name of a file that resolved to a declaration
 * (a type, an annotation, a constant, a file through `import`, a built-in type), with its byte
 * range in the file, as an editor's "go to definition" needs it. The compiler records which
 * expression resolved to what; this turns them into capnp's identifiers.
 */
import type { Span } from './ast.js'
import type { CapnpIdentifier } from './model.js'

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
 * The identifiers of `text` from the resolved name spans (lines and columns in characters, end
 * exclusive), in source order: by start byte, an inner name (`Foo` of `Foo.Bar`) before the
 * expression holding it. Byte offsets count UTF-8 bytes from the start of the file, as capnp's do.
 */
export function identifiersOf(text: string, resolved: Array<{ span: Span; typeId: string }>): CapnpIdentifier[] {
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
  return resolved
    .map(r => ({ startByte: at(r.span.line, r.span.col), endByte: at(r.span.endLine, r.span.endCol), typeId: r.typeId }))
    .sort((a, b) => a.startByte - b.startByte || a.endByte - b.endByte)
}
