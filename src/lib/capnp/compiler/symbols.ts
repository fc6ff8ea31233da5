/**
 * The compiler's shared vocabulary: files (units), declarations (symbols), references and brand
 * levels, and the small helpers over them. Types and pure functions only; imports no compiler module.
 */
import type { Decl, Expr, Span } from '../ast.js'
import type { CapnpType } from '../model.js'
import type { ParseResult } from '../parser.js'

export interface CapnpDiagnostic {
  file: string
  line: number
  column: number
  endLine?: number
  endColumn?: number
  message: string
}

export interface CompileOptions {
  /** absolute path of the file (used to resolve relative imports and embeds) */
  absPath: string
  /** path used in diagnostics and display names */
  displayPath: string
  /** imports must stay inside this directory; absolute non-standard imports resolve against it */
  rootDir?: string
  readFile?: (absPath: string) => string | undefined
  /** reads an embedded file's bytes (for `Data` embeds); defaults to the UTF-8 bytes of readFile */
  readBytes?: (absPath: string) => Uint8Array | undefined
  /** folders that absolute imports (`/x/y.capnp`) resolve against, in order, before rootDir (like `capnp -I`) */
  importDirs?: string[]
  /**
   * Record which names resolved to what, for the request's fileSourceInfo (default true). Validation
   * turns it off: it never builds a request, and a large file resolves a name every few bytes.
   */
  sourceInfo?: boolean
}

export type SymKind = 'file' | 'struct' | 'enum' | 'interface' | 'const' | 'annotation' | 'using' | 'field' | 'union' | 'group' | 'enumerant' | 'method'

export interface Unit {
  absPath: string
  display: string
  parse: ParseResult
  sym: Sym
  isMain: boolean
  /** source text (two files with one id are one file when their text is the same) */
  text: string
}

export interface Sym {
  kind: SymKind
  name: string
  decl: Decl
  parent?: Sym
  unit: Unit
  members: Map<string, Sym>
  id: bigint
  explicitId: boolean
  /** `Outer.Inner`; '' for the file and for fields, enumerants and methods */
  path: string
  genericParams?: string[]
  /** resolution state for using/const (0 = not started, 1 = in progress, 2 = done) */
  state: number
  usingRef?: Ref
  constType?: CapnpType | null
  annType?: CapnpType | null
  /** for groups/unions: index among the parent's fields */
  codeOrder?: number
  /** a field's type once evaluated (null: it has none or it failed) */
  fieldType?: CapnpType | null
}

/**
 * The members of a declaration that has none (fields, enumerants, methods: most declarations of a
 * large file): one shared map that refuses writes; addMember gives a scope its own on its first member.
 */
class NoMembers extends Map<string, Sym> {
  override set(): this {
    throw new Error('internal: a member was added to a declaration that has no members of its own')
  }
}
export const NO_MEMBERS: Map<string, Sym> = new NoMembers()

export type Ref =
  | { k: 'sym'; sym: Sym; applied: boolean; args?: CapnpType[]; chain?: Level[] }
  | { k: 'builtin'; name: string }
  | { k: 'param'; owner: Sym; index: number; name: string }
  | { k: 'implicit'; index: number; name: string }
  | { k: 'file'; unit: Unit }
  /** a type already bound through a generic brand, e.g. `Alias.Foo` where `Alias = Gen(Text)` */
  | { k: 'type'; type: CapnpType }

/**
 * One scope of a brand (the generic bindings a type reference carries), leaf first: the scope's
 * id, its number of generic parameters, whether its parameters are inherited from the scope being
 * compiled, and the parameters bound to it.
 */
export interface Level {
  id: bigint
  pc: number
  inherited: boolean
  params?: CapnpType[]
}

export const NODE_SCOPES = new Set<SymKind>(['file', 'struct', 'interface', 'enum', 'const', 'annotation'])

export interface Ctx {
  scope: Sym
  implicit?: string[]
}

export const PRIMS = new Set<string>(['Void', 'Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64', 'Text', 'Data'])
export const BUILTINS = new Set<string>([...PRIMS, 'List', 'AnyPointer', 'AnyStruct', 'AnyList', 'Capability'])

export const TYPE_KINDS = new Set<SymKind>(['struct', 'enum', 'interface'])
export const MEMBER_DECLS = new Set(['field', 'union', 'group'])
/** what capnp compiles as one: nodes (with their members) and aliases */
export const ENTITY_KINDS = new Set<SymKind>(['file', 'struct', 'enum', 'interface', 'const', 'annotation', 'using'])

export const STREAM_PATH = '/capnp/stream.capnp'

export function exprText(e: Expr): string {
  switch (e.k) {
    case 'name':
      return e.name
    case 'absName':
      return '.' + e.name
    case 'member':
      return `${exprText(e.parent)}.${e.name.name}`
    case 'apply':
      return `${exprText(e.fn)}(${e.params.map(p => (p.name ? p.name.name + ' = ' : '') + exprText(p.value)).join(', ')})`
    case 'import':
      return `import ${JSON.stringify(e.path)}`
    case 'embed':
      return `embed ${JSON.stringify(e.path)}`
    case 'int':
      return e.value.toString()
    case 'float':
      return Number.isNaN(e.value) ? 'nan' : e.value === Infinity ? 'inf' : e.value === -Infinity ? '-inf' : String(e.value)
    case 'string':
      return JSON.stringify(e.value)
    case 'binary':
      return '0x"' + Buffer.from(e.value).toString('hex') + '"'
    case 'list':
      return `[${e.items.map(exprText).join(', ')}]`
    case 'tuple':
      return `(${e.items.map(p => (p.name ? p.name.name + ' = ' : '') + exprText(p.value)).join(', ')})`
    default:
      return '?'
  }
}

export function isPointer(t: CapnpType): boolean {
  return !(PRIMS.has(t.kind) && t.kind !== 'Text' && t.kind !== 'Data') && t.kind !== 'enum'
}

export function span(a: Span, b: Span): Span {
  return { line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol }
}

export function minOrdinal(d: Decl): number {
  if (d.kind === 'field') return d.ordinal ? d.ordinal.value : Infinity
  if (d.kind === 'union' && d.ordinal) return d.ordinal.value
  let min = Infinity
  for (const m of d.nested) if (MEMBER_DECLS.has(m.kind)) min = Math.min(min, minOrdinal(m))
  return min
}
