/** Syntax tree of a Cap'n Proto schema file. Every node carries a source span. */
import type { Span } from './lexer.js'

export type { Span }

export interface Ident extends Span {
  name: string
}

export type Expr =
  | (Span & { k: 'int'; value: bigint })
  | (Span & { k: 'float'; value: number })
  /** `bytes`: the literal's exact bytes (escapes are raw bytes, other characters UTF-8) */
  | (Span & { k: 'string'; value: string; bytes?: Uint8Array })
  | (Span & { k: 'binary'; value: Uint8Array })
  /** relative name (`Foo`, `true`, `inf`, ...) */
  | (Span & { k: 'name'; name: string })
  /** absolute name `.Foo` */
  | (Span & { k: 'absName'; name: string })
  | (Span & { k: 'import'; path: string })
  | (Span & { k: 'embed'; path: string })
  | (Span & { k: 'member'; parent: Expr; name: Ident })
  | (Span & { k: 'apply'; fn: Expr; params: ExprParam[] })
  | (Span & { k: 'list'; items: Expr[] })
  | (Span & { k: 'tuple'; items: ExprParam[] })
  | (Span & { k: 'error' })

export interface ExprParam extends Span {
  name?: Ident
  value: Expr
}

export interface AnnotationApp extends Span {
  name: Expr
  value?: Expr
}

export type DeclKind = 'file' | 'struct' | 'enum' | 'interface' | 'const' | 'annotation' | 'using' | 'field' | 'union' | 'group' | 'enumerant' | 'method'

export interface Ordinal extends Span {
  value: number
  /** `@N!` */
  bang: boolean
}

export interface ParamDecl extends Span {
  name: Ident
  type: Expr
  defaultValue?: Expr
  annotations: AnnotationApp[]
}

export type ParamList = (Span & { k: 'params'; params: ParamDecl[] }) | (Span & { k: 'type'; type: Expr }) | (Span & { k: 'stream' })

export interface Decl extends Span {
  kind: DeclKind
  /** '' for unnamed unions and the file */
  name: Ident
  id?: Span & { value: bigint }
  ordinal?: Ordinal
  genericParams?: Ident[]
  /** field / const / annotation / param type */
  type?: Expr
  defaultValue?: Expr
  annotations: AnnotationApp[]
  nested: Decl[]
  doc?: string
  /** the comments after the declaration only (what the official compiler keeps) */
  capnpDoc?: string
  /** annotation targets (lowercase keywords or '*') */
  targets?: Ident[]
  /** method parts */
  implicitParams?: Ident[]
  params?: ParamList
  results?: ParamList
  /** interface extends(...) */
  superclasses?: Expr[]
  /** using target */
  target?: Expr
  /** the `union` / `group` keyword of a union or group member */
  keyword?: Span
}
