/** JSON-able semantic model of a Cap'n Proto schema file (ids are `0x`-prefixed 16-digit hex strings). */

export type PrimitiveName = 'Void' | 'Bool' | 'Int8' | 'Int16' | 'Int32' | 'Int64' | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'Float32' | 'Float64' | 'Text' | 'Data'

export type CapnpType =
  | { kind: PrimitiveName }
  | { kind: 'List'; element: CapnpType }
  | { kind: 'struct' | 'enum' | 'interface'; id: string; name: string; args?: CapnpType[]; brand?: CapnpBrand }
  | { kind: 'AnyPointer' | 'AnyStruct' | 'AnyList' | 'Capability' }
  | { kind: 'param'; scopeId: string; index: number; name: string }
  | { kind: 'implicit'; index: number; name: string }

/** Generic bindings of a type reference, as the official compiler records them (leaf scope first). */
export interface CapnpBrand {
  scopes: Array<{ scopeId: string; inherit?: true; bind?: CapnpType[] }>
}

/**
 * A compiled value (field default, constant, annotation argument) as the wire will carry it.
 * Integers are decimal strings (64-bit safe), floats may be 'inf', '-inf' or 'nan', data is hex.
 */
export type CapnpLit =
  | { k: 'void' }
  | { k: 'bool'; v: boolean }
  | { k: 'int'; v: string }
  | { k: 'float'; v: number | 'inf' | '-inf' | 'nan' }
  | { k: 'enum'; v: number }
  /** `hex`: the exact bytes when they are not the UTF-8 of `v` (escaped bytes) */
  | { k: 'text'; v: string; hex?: string }
  | { k: 'data'; v: string }
  | { k: 'list'; items: Array<{ type: CapnpType; value: CapnpLit }> }
  | { k: 'struct'; id: string; fields: Array<{ name: string; type?: CapnpType; value: CapnpLit }> }
  | { k: 'null' }

export interface CapnpValue {
  type: CapnpType
  lit: CapnpLit
}

/** An annotation applied to a declaration, with its value. */
export interface CapnpAnnotationUse {
  id: string
  brand?: CapnpBrand
  value: CapnpValue
}

export type CapnpNodeKind = 'file' | 'struct' | 'enum' | 'interface' | 'const' | 'annotation'

export interface CapnpLocation {
  file: string
  line: number
  column: number
}

export interface CapnpField extends CapnpLocation {
  name: string
  codeOrder: number
  /** explicit ordinal; null for groups and named unions (unless a union has a retroactive `@N!`) */
  ordinal: number | null
  /** union discriminant when the field is a member of a union of its node */
  discriminant: number | null
  /** slot type; absent for groups */
  type?: CapnpType
  /** id of the group node for groups and named unions */
  groupId?: string
  /** 'group' or 'union' for group fields */
  groupKind?: 'group' | 'union'
  /** canonical text of the explicit default value */
  defaultValue?: string
  doc?: string
  /** the doc comment as the official compiler records it (only comments after the declaration) */
  capnpDoc?: string
  /** slot offset, in multiples of the field's size (pointer fields: pointer index) */
  offset?: number
  /** the compiled default (explicit or the type's zero) */
  defaultLit?: CapnpLit
  annotations?: CapnpAnnotationUse[]
}

export interface CapnpEnumerant extends CapnpLocation {
  name: string
  ordinal: number
  codeOrder?: number
  doc?: string
  /** the doc comment as the official compiler records it (only comments after the declaration) */
  capnpDoc?: string
  annotations?: CapnpAnnotationUse[]
}

export interface CapnpMethod extends CapnpLocation {
  name: string
  ordinal: number
  codeOrder: number
  paramStructType: string
  resultStructType: string
  /** params/results declared inline (their structs are nodes of this model) */
  inlineParams: boolean
  inlineResults: boolean
  streaming: boolean
  doc?: string
  /** the doc comment as the official compiler records it (only comments after the declaration) */
  capnpDoc?: string
  implicitParams?: string[]
  paramBrand?: CapnpBrand
  resultBrand?: CapnpBrand
  annotations?: CapnpAnnotationUse[]
}

export interface CapnpNode extends CapnpLocation {
  id: string
  explicitId: boolean
  kind: CapnpNodeKind
  /** path of names inside the file, e.g. `Foo.Bar`, `Iface.method$Params`; '' for the file */
  path: string
  /** `<file>:<path>` like the official compiler's displayName */
  displayName: string
  scopeId: string
  isGroup?: boolean
  isUnion?: boolean
  isParamStruct?: boolean
  genericParams?: string[]
  fields?: CapnpField[]
  /** number of union members directly in this node (0 when it has no union) */
  discriminantCount?: number
  enumerants?: CapnpEnumerant[]
  methods?: CapnpMethod[]
  superclasses?: CapnpType[]
  /** const / annotation type */
  type?: CapnpType
  value?: string
  targets?: string[]
  nestedIds: string[]
  /** names under which the nested nodes were declared (same order as nestedIds) */
  nestedNames?: string[]
  doc?: string
  /** the doc comment as the official compiler records it (only comments after the declaration) */
  capnpDoc?: string
  /** this node or an enclosing scope has generic parameters */
  isGeneric?: boolean
  annotations?: CapnpAnnotationUse[]
  /** struct layout (the same for a struct and all its groups) */
  dataWordCount?: number
  pointerCount?: number
  discriminantOffset?: number
  /** const value, compiled */
  valueLit?: CapnpLit
}

export interface CapnpModel {
  file: string
  fileId: string
  /** nodes of this file, in declaration order (file node first) */
  nodes: CapnpNode[]
  /** nodes of every file this one imports, directly or not (file node first for each) */
  importedNodes?: CapnpNode[]
  /** display names of nodes of imported files that this file references, by id */
  externalNames: Record<string, string>
  imports: string[]
  /** the imports code generators need (capnp's RequestedFile.imports): path as written, file id */
  requestImports?: Array<{ name: string; id: string }>
  /** the names of this file that resolved to a declaration, in source order (capnp 1.x's fileSourceInfo) */
  identifiers?: CapnpIdentifiers
}

/**
 * Names in a file and the declarations they resolved to, one per index: byte range and the
 * declaration's id, or a built-in type's (see identifiers.ts).
 */
export interface CapnpIdentifiers {
  startByte: number[]
  endByte: number[]
  typeId: string[]
}

export function typeToString(t: CapnpType): string {
  switch (t.kind) {
    case 'List':
      return `List(${typeToString(t.element)})`
    case 'struct':
    case 'enum':
    case 'interface':
      return t.args && t.args.length ? `${t.name}(${t.args.map(typeToString).join(', ')})` : t.name
    case 'param':
    case 'implicit':
      return t.name
    default:
      return t.kind
  }
}

/** A key identifying a type's wire meaning (ids instead of names). */
export function typeKey(t: CapnpType): string {
  switch (t.kind) {
    case 'List':
      return `List(${typeKey(t.element)})`
    case 'struct':
    case 'enum':
    case 'interface':
      return t.args && t.args.length ? `${t.kind}:${t.id}(${t.args.map(typeKey).join(',')})` : `${t.kind}:${t.id}`
    case 'param':
      return `param:${t.scopeId}:${t.index}`
    case 'implicit':
      return `implicit:${t.index}`
    default:
      return t.kind
  }
}
