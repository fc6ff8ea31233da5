/** Recursive-descent parser for Cap'n Proto schema files, with statement-level error recovery. */
import type { AnnotationApp, Decl, Expr, ExprParam, Ident, Ordinal, ParamDecl, ParamList, Span } from './ast.js'
import { lex, type Comment, type Token } from './lexer.js'
import { compact } from '../core/arrays.js'

export interface ParseError extends Span {
  message: string
}

export interface ParseResult {
  file: Decl
  errors: ParseError[]
}

const DECL_KEYWORDS = new Set(['struct', 'enum', 'interface', 'const', 'annotation', 'using'])

/**
 * The deepest nesting a file may use: braces, brackets, parentheses and each further part of a
 * qualified name or application (`a.b.c`, `Foo(X)`) count one level. The official compiler has no
 * limit and crashes on a few thousand levels; real schemas stay far below this one (Cap'n Proto's
 * own message reader stops at 64 levels too), and every later stage stays well inside the stack.
 */
export const MAX_NESTING = 64

export const NESTING_MESSAGE = `Nesting deeper than ${MAX_NESTING} levels (braces, brackets, parentheses and parts of qualified names count); declare the inner parts separately and refer to them by name.`

class Bail extends Error {}

/** The one empty annotation list and body that declarations without them share (never written to). */
const NO_ANNOTATIONS = Object.freeze([]) as readonly AnnotationApp[] as AnnotationApp[]
const NO_DECLS = Object.freeze([]) as readonly Decl[] as Decl[]
/** Thrown past every statement when the nesting limit is hit; the top-level statement is skipped. */
class TooDeep extends Error {}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file'
  if (t.kind === 'string') return 'string literal'
  return `'${t.text}'`
}

export function parseCapnp(src: string): ParseResult {
  const { tokens, comments, errors: lexErrors } = lex(src)
  const errors: ParseError[] = lexErrors.map(e => ({ ...e }))
  let p = 0
  let depth = 0
  // one string per distinct name: a file of many fields repeats the same few type and field names
  const names = new Map<string, string>()
  const intern = (s: string): string => {
    const known = names.get(s)
    if (known !== undefined) return known
    names.set(s, s)
    return s
  }

  /** One more level of nesting at token `t`; refuses (once, located) past MAX_NESTING. */
  const enter = (t: Token): void => {
    if (++depth <= MAX_NESTING) return
    errors.push({ message: NESTING_MESSAGE, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol })
    throw new TooDeep()
  }

  const peek = (k = 0): Token => tokens.at(Math.min(p + k, tokens.length - 1))
  const next = (): Token => tokens.at(p < tokens.length - 1 ? p++ : p)
  const isOp = (s: string, k = 0): boolean => {
    const t = peek(k)
    return t.kind === 'op' && t.text === s
  }
  const isKw = (s: string, k = 0): boolean => {
    const t = peek(k)
    return t.kind === 'ident' && t.text === s
  }
  const fail = (expected: string, t: Token = peek()): never => {
    errors.push({
      message: `Parse error: expected ${expected}, found ${describe(t)}.`,
      line: t.line,
      col: t.col,
      endLine: t.endLine,
      endCol: t.endCol,
    })
    throw new Bail()
  }
  const expectOp = (s: string, what = `'${s}'`): Token => {
    if (!isOp(s)) fail(what)
    return next()
  }
  const ident = (what = 'identifier'): Ident => {
    const t = peek()
    if (t.kind !== 'ident') fail(what)
    next()
    return { name: intern(t.text), line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
  }
  const last = (): Token => tokens.at(Math.max(0, p - 1))

  /** Skips to the end of the current statement. */
  const recover = (): void => {
    let depth = 0
    for (;;) {
      const t = peek()
      if (t.kind === 'eof') return
      if (t.kind === 'op') {
        if (t.text === '(' || t.text === '[') depth++
        else if ((t.text === ')' || t.text === ']') && depth > 0) depth--
        else if (depth === 0 && t.text === ';') {
          next()
          return
        } else if (depth === 0 && t.text === '}') {
          return
        } else if (depth === 0 && t.text === '{') {
          skipBlock()
          return
        }
      }
      next()
    }
  }
  const skipBlock = (): void => {
    let depth = 0
    for (;;) {
      const t = next()
      if (t.kind === 'eof') return
      if (t.kind === 'op' && t.text === '{') depth++
      else if (t.kind === 'op' && t.text === '}') {
        depth--
        if (depth <= 0) return
      }
    }
  }

  // ---------------------------------------------------------------- expressions
  const parseExpr = (): Expr => {
    const saved = depth
    try {
      return parseExprInner()
    } finally {
      depth = saved
    }
  }

  const parseExprInner = (): Expr => {
    const t = peek()
    let e: Expr
    if (t.kind === 'int') {
      next()
      e = { k: 'int', value: t.int ?? 0n, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
    } else if (t.kind === 'float') {
      next()
      e = { k: 'float', value: t.num ?? 0, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
    } else if (t.kind === 'string') {
      next()
      e = { k: 'string', value: t.str ?? '', bytes: t.bytes, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
    } else if (t.kind === 'binary') {
      next()
      e = { k: 'binary', value: t.bytes ?? new Uint8Array(), line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
    } else if (t.kind === 'op' && t.text === '-') {
      next()
      const v = peek()
      if (v.kind === 'int') {
        next()
        e = { k: 'int', value: -(v.int ?? 0n), line: t.line, col: t.col, endLine: v.endLine, endCol: v.endCol }
      } else if (v.kind === 'float') {
        next()
        e = { k: 'float', value: -(v.num ?? 0), line: t.line, col: t.col, endLine: v.endLine, endCol: v.endCol }
      } else if (v.kind === 'ident' && v.text === 'inf') {
        next()
        e = { k: 'float', value: -Infinity, line: t.line, col: t.col, endLine: v.endLine, endCol: v.endCol }
      } else {
        return fail("number after '-'", v)
      }
    } else if (t.kind === 'op' && t.text === '.') {
      next()
      const id = ident("identifier after '.'")
      e = { k: 'absName', name: id.name, line: t.line, col: t.col, endLine: id.endLine, endCol: id.endCol }
    } else if (t.kind === 'ident' && (t.text === 'import' || t.text === 'embed') && peek(1).kind === 'string') {
      next()
      const s = next()
      e =
        t.text === 'import'
          ? { k: 'import', path: s.str ?? '', line: t.line, col: t.col, endLine: s.endLine, endCol: s.endCol }
          : { k: 'embed', path: s.str ?? '', line: t.line, col: t.col, endLine: s.endLine, endCol: s.endCol }
    } else if (t.kind === 'ident') {
      next()
      e = { k: 'name', name: intern(t.text), line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
    } else if (t.kind === 'op' && t.text === '[') {
      enter(t)
      next()
      const items: Expr[] = []
      while (!isOp(']')) {
        items.push(parseExpr())
        if (isOp(',')) next()
        else if (!isOp(']')) fail("',' or ']'")
      }
      const end = next()
      e = { k: 'list', items: compact(items), line: t.line, col: t.col, endLine: end.endLine, endCol: end.endCol }
    } else if (t.kind === 'op' && t.text === '(') {
      enter(t)
      next()
      const items = parseParams()
      const end = last()
      e = { k: 'tuple', items, line: t.line, col: t.col, endLine: end.endLine, endCol: end.endCol }
    } else {
      return fail('expression', t)
    }
    // suffixes (each one a level deeper in the tree; parseExpr restores the depth)
    for (;;) {
      if (isOp('.') && peek(1).kind === 'ident') {
        enter(peek())
        next()
        const id = ident()
        e = { k: 'member', parent: e, name: id, line: e.line, col: e.col, endLine: id.endLine, endCol: id.endCol }
      } else if (isOp('(') && (e.k === 'name' || e.k === 'absName' || e.k === 'member' || e.k === 'import' || e.k === 'apply')) {
        enter(peek())
        next()
        const params = parseParams()
        const end = last()
        e = { k: 'apply', fn: e, params, line: e.line, col: e.col, endLine: end.endLine, endCol: end.endCol }
      } else {
        return e
      }
    }
  }

  /** Parses `a = 1, b` ... up to and including `)`. */
  const parseParams = (): ExprParam[] => {
    const items: ExprParam[] = []
    while (!isOp(')')) {
      const t = peek()
      if (t.kind === 'ident' && isOp('=', 1)) {
        next()
        next()
        const value = parseExpr()
        items.push({
          name: { name: intern(t.text), line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol },
          value,
          line: t.line,
          col: t.col,
          endLine: value.endLine,
          endCol: value.endCol,
        })
      } else {
        const value = parseExpr()
        items.push({ value, line: value.line, col: value.col, endLine: value.endLine, endCol: value.endCol })
      }
      if (isOp(',')) next()
      else if (!isOp(')')) fail("',' or ')'")
    }
    next()
    return compact(items)
  }

  const parseAnnotations = (): AnnotationApp[] => {
    if (!isOp('$')) return NO_ANNOTATIONS
    const out: AnnotationApp[] = []
    while (isOp('$')) {
      const d = next()
      const e = parseExpr()
      if (e.k === 'apply') {
        let value: Expr
        if (e.params.length === 0) value = { k: 'tuple', items: [], line: e.fn.line, col: e.fn.col, endLine: e.endLine, endCol: e.endCol }
        else if (e.params.length === 1 && !e.params[0].name) value = e.params[0].value
        else value = { k: 'tuple', items: e.params, line: e.params[0].line, col: e.params[0].col, endLine: e.endLine, endCol: e.endCol }
        out.push({ name: e.fn, value, line: d.line, col: d.col, endLine: e.endLine, endCol: e.endCol })
      } else {
        out.push({ name: e, line: d.line, col: d.col, endLine: e.endLine, endCol: e.endCol })
      }
    }
    return compact(out)
  }

  const parseOrdinal = (): Ordinal | undefined => {
    if (!isOp('@')) return undefined
    next()
    const t = peek()
    if (t.kind !== 'int') fail("ordinal number after '@'")
    next()
    let bang = false
    if (isOp('!')) {
      next()
      bang = true
    }
    return { value: Number(t.int ?? 0n), bang, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
  }

  const parseId = (): (Span & { value: bigint }) | undefined => {
    if (!isOp('@')) return undefined
    next()
    const t = peek()
    if (t.kind !== 'int') fail('ID (@0x...)')
    next()
    return { value: t.int ?? 0n, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
  }

  // every declaration has the same shape from the start (properties added later would each cost a
  // separate property store); most have no annotations and no body, and share one empty list each
  const newDecl = (kind: Decl['kind'], name: Ident, start: Span): Decl => ({
    kind,
    name,
    annotations: NO_ANNOTATIONS,
    nested: NO_DECLS,
    line: start.line,
    col: start.col,
    endLine: start.endLine,
    endCol: start.endCol,
    ordinal: undefined,
    type: undefined,
    defaultValue: undefined,
    doc: undefined,
    capnpDoc: undefined,
  })

  const finish = (d: Decl): Decl => {
    const l = last()
    d.endLine = l.endLine
    d.endCol = l.endCol
    return d
  }

  // Parses `{ statements }`; the opening brace has not been consumed.
  const parseBody = (d: Decl, ctx: BodyCtx): void => {
    const saved = depth
    try {
      if (isOp('{')) enter(peek())
      const open = expectOp('{')
      d.bodyLine = open.line
      const nested: Decl[] = []
      while (!isOp('}')) {
        if (peek().kind === 'eof') {
          fail("'}'")
        }
        const s = parseStatementSafe(ctx)
        if (s) nested.push(s)
      }
      next()
      if (nested.length > 0) d.nested = compact(nested)
    } finally {
      depth = saved
    }
  }

  const parseStatementSafe = (ctx: BodyCtx): Decl | undefined => {
    const before = p
    const savedDepth = depth
    try {
      return parseStatement(ctx)
    } catch (e) {
      if (!(e instanceof Bail)) throw e
      depth = savedDepth
      recover()
      if (p === before) next()
      return undefined
    }
  }

  const parseTypeExpr = (): Expr => {
    if (!isOp(':')) fail("':' followed by a type")
    next()
    return parseExpr()
  }

  const parseStatement = (ctx: BodyCtx): Decl | undefined => {
    const t = peek()
    if (t.kind === 'op' && t.text === '@' && ctx === 'file') {
      next()
      const idt = peek()
      if (idt.kind !== 'int') fail('file ID (@0x...)')
      next()
      expectOp(';')
      const d = newDecl('file', { name: '', line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }, t)
      d.id = { value: idt.int ?? 0n, line: idt.line, col: idt.col, endLine: idt.endLine, endCol: idt.endCol }
      finish(d)
      d.kind = 'file'
      ;(d as StatementExtra).fileIdStatement = true
      return d
    }
    if (t.kind === 'op' && t.text === '$' && ctx === 'file') {
      const anns = parseAnnotations()
      expectOp(';')
      const d = newDecl('file', { name: '', line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }, t)
      d.annotations = anns
      ;(d as StatementExtra).fileAnnotationStatement = true
      return finish(d)
    }
    if (t.kind !== 'ident') {
      return fail('declaration', t)
    }
    const n1 = peek(1)
    const memberLike = n1.kind === 'op' && (n1.text === '@' || n1.text === ':')
    if (DECL_KEYWORDS.has(t.text) && !memberLike) {
      next()
      switch (t.text) {
        case 'struct':
          return parseStructLike('struct', t)
        case 'interface':
          return parseStructLike('interface', t)
        case 'enum':
          return parseStructLike('enum', t)
        case 'const': {
          const name = ident('constant name')
          const d = newDecl('const', name, t)
          d.id = parseId()
          d.type = parseTypeExpr()
          expectOp('=', "'=' followed by the constant's value")
          d.defaultValue = parseExpr()
          d.annotations = parseAnnotations()
          expectOp(';')
          return finish(d)
        }
        case 'annotation': {
          const name = ident('annotation name')
          const d = newDecl('annotation', name, t)
          d.id = parseId()
          expectOp('(', "'(' followed by the annotation's targets")
          d.targets = []
          while (!isOp(')')) {
            const tt = peek()
            if (tt.kind === 'op' && tt.text === '*') {
              next()
              d.targets.push({ name: '*', line: tt.line, col: tt.col, endLine: tt.endLine, endCol: tt.endCol })
            } else {
              d.targets.push(ident('annotation target'))
            }
            if (isOp(',')) next()
            else if (!isOp(')')) fail("',' or ')'")
          }
          next()
          d.type = parseTypeExpr()
          d.annotations = parseAnnotations()
          expectOp(';')
          return finish(d)
        }
        case 'using': {
          let name: Ident = { name: '', line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
          if (peek().kind === 'ident' && isOp('=', 1)) {
            name = ident()
            next()
          }
          const d = newDecl('using', name, t)
          d.target = parseExpr()
          expectOp(';')
          return finish(d)
        }
      }
    }
    if (t.text === 'union' && (isOp('{', 1) || isOp('$', 1))) {
      next()
      const d = newDecl('union', { name: '', line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }, t)
      d.keyword = pos(t)
      d.annotations = parseAnnotations()
      parseBody(d, 'union')
      return finish(d)
    }
    // members
    next()
    const name: Ident = { name: intern(t.text), line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol }
    if (ctx === 'enum') {
      const d = newDecl('enumerant', name, t)
      d.ordinal = parseOrdinal()
      if (!d.ordinal) fail("'@' followed by the enumerant number")
      d.annotations = parseAnnotations()
      expectOp(';')
      return finish(d)
    }
    if (ctx === 'interface') {
      const d = newDecl('method', name, t)
      d.ordinal = parseOrdinal()
      if (!d.ordinal) fail("'@' followed by the method number")
      if (isOp('[')) {
        next()
        d.implicitParams = []
        while (!isOp(']')) {
          d.implicitParams.push(ident('type parameter name'))
          if (isOp(',')) next()
          else if (!isOp(']')) fail("',' or ']'")
        }
        next()
      }
      if (isKw('stream')) {
        const st = next()
        errors.push({ message: "'stream' can only appear after '->', not before.", line: st.line, col: st.col, endLine: st.endLine, endCol: st.endCol })
        d.params = { k: 'stream', line: st.line, col: st.col, endLine: st.endLine, endCol: st.endCol }
      } else {
        d.params = parseParamList()
      }
      if (isOp('->')) {
        next()
        if (isKw('stream') && !isOp('.', 1) && !isOp('(', 1)) {
          const st = next()
          d.results = { k: 'stream', line: st.line, col: st.col, endLine: st.endLine, endCol: st.endCol }
        } else {
          d.results = parseParamList()
        }
      }
      d.annotations = parseAnnotations()
      expectOp(';')
      return finish(d)
    }
    // field, union or group
    const ordinal = parseOrdinal()
    let colon = false
    if (isOp(':')) {
      next()
      colon = true
    }
    if ((isKw('union') || isKw('group')) && (isOp('{', 1) || isOp('$', 1))) {
      const kw = next()
      const d = newDecl(kw.text === 'union' ? 'union' : 'group', name, t)
      d.keyword = pos(kw)
      d.ordinal = ordinal
      if (!colon) {
        const at = ordinal ?? name
        errors.push({
          message:
            kw.text === 'union'
              ? "As of Cap'n Proto v0.3, the 'union' keyword should be prefixed with a colon for named unions, e.g. `foo :union {`."
              : "Parse error: expected ':' before 'group'.",
          line: at.line,
          col: at.col,
          endLine: at.endLine,
          endCol: at.endCol,
        })
      }
      d.annotations = parseAnnotations()
      parseBody(d, kw.text === 'union' ? 'union' : 'group')
      return finish(d)
    }
    if (!colon) fail(ordinal ? "':' followed by the field type" : "'@' followed by the field number")
    if (!ordinal) {
      // the official compiler refuses a field without a number (`more :Text;`)
      errors.push({ message: "Parse error: expected '@' followed by the field number before ':'.", line: name.line, col: name.col, endLine: name.endLine, endCol: name.endCol })
    }
    const d = newDecl('field', name, t)
    d.ordinal = ordinal
    d.type = parseExpr()
    if (isOp('=')) {
      next()
      d.defaultValue = parseExpr()
    }
    d.annotations = parseAnnotations()
    expectOp(';')
    return finish(d)
  }

  const parseParamList = (): ParamList => {
    if (isOp('(')) {
      enter(peek())
      const open = next()
      const params: ParamDecl[] = []
      while (!isOp(')')) {
        const name = ident('parameter name')
        const type = parseTypeExpr()
        let defaultValue: Expr | undefined
        if (isOp('=')) {
          next()
          defaultValue = parseExpr()
        }
        const annotations = parseAnnotations()
        const end = last()
        params.push({ name, type, defaultValue, annotations, line: name.line, col: name.col, endLine: end.endLine, endCol: end.endCol })
        if (isOp(',')) next()
        else if (!isOp(')')) fail("',' or ')'")
      }
      const close = next()
      depth--
      return { k: 'params', params: compact(params), line: open.line, col: open.col, endLine: close.endLine, endCol: close.endCol }
    }
    const type = parseExpr()
    return { k: 'type', type, line: type.line, col: type.col, endLine: type.endLine, endCol: type.endCol }
  }

  const parseStructLike = (kind: 'struct' | 'interface' | 'enum', kw: Token): Decl => {
    const name = ident(`${kind} name`)
    const d = newDecl(kind, name, kw)
    // The official grammar accepts the explicit id before or after the generic parameters:
    // `interface Persistent @0x… (SturdyRef, Owner)` as well as `struct Map(K, V) @0x…`.
    d.id = parseId()
    if (kind !== 'enum' && isOp('(')) {
      next()
      d.genericParams = []
      while (!isOp(')')) {
        d.genericParams.push(ident('type parameter name'))
        if (isOp(',')) next()
        else if (!isOp(')')) fail("',' or ')'")
      }
      next()
    }
    d.id ??= parseId()
    if (kind === 'interface' && isKw('extends')) {
      next()
      expectOp('(')
      d.superclasses = parseParams().map(x => x.value)
    }
    d.annotations = parseAnnotations()
    parseBody(d, kind)
    return finish(d)
  }

  // ---------------------------------------------------------------- file
  const file: Decl = {
    kind: 'file',
    name: { name: '', line: 1, col: 1, endLine: 1, endCol: 1 },
    annotations: [],
    nested: [],
    line: 1,
    col: 1,
    endLine: 1,
    endCol: 1,
  }
  const statements: Decl[] = []
  while (peek().kind !== 'eof') {
    if (isOp('}')) {
      const t = next()
      errors.push({ message: "Parse error: unexpected '}'.", line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol })
      continue
    }
    const before = p
    try {
      const s = parseStatementSafe('file')
      if (s) statements.push(s)
    } catch (e) {
      if (!(e instanceof TooDeep)) throw e
      // skip the whole statement, however deep, without recursion
      depth = 0
      p = before
      recover()
      if (p === before) next()
    }
  }
  for (const s of statements) {
    const x = s as StatementExtra
    if (x.fileIdStatement) {
      if (file.id) {
        errors.push({ message: 'File ID already declared.', ...pos(s.id as Span) })
      } else {
        file.id = s.id
      }
    } else if (x.fileAnnotationStatement) {
      for (const a of s.annotations) file.annotations.push(a)
    } else {
      file.nested.push(s)
    }
  }
  const lastTok = tokens.at(tokens.length - 1)
  file.endLine = lastTok.endLine
  file.endCol = lastTok.endCol
  attachDocComments(file, comments, lastTok.endLine)
  return { file, errors }
}

type BodyCtx = 'file' | 'struct' | 'union' | 'group' | 'enum' | 'interface'

interface StatementExtra extends Decl {
  fileIdStatement?: boolean
  fileAnnotationStatement?: boolean
}

declare module './ast.js' {
  interface Decl {
    /** line of the opening brace, for doc comment attachment */
    bodyLine?: number
  }
}

function pos(s: Span): Span {
  return { line: s.line, col: s.col, endLine: s.endLine, endCol: s.endCol }
}

/**
 * Doc comments: a comment on the same line after the declaration's `;` / `{` plus the comment lines
 * directly below it (the Cap'n Proto convention); otherwise the comment block directly above.
 */
function attachDocComments(file: Decl, comments: Comment[], lines: number): void {
  if (comments.length === 0) return
  // indexed by line number: a comment-heavy file costs a slot per line, not a map entry
  const byLine = new Array<Comment | undefined>(lines + 2).fill(undefined)
  for (const c of comments) byLine[c.line] = c
  const lineClaimed = new Uint8Array(lines + 2)
  const claimed = {
    has: (l: number): boolean => l >= 0 && l < lineClaimed.length && lineClaimed[l] === 1,
    add: (l: number): void => {
      if (l >= 0 && l < lineClaimed.length) lineClaimed[l] = 1
    },
  }
  const visit = (d: Decl): void => {
    if (d.kind === 'file' && d.id) {
      // the file's own doc comment follows its id statement
      const lines: string[] = []
      const same = byLine[d.id.endLine]
      if (same && same.trailing) {
        lines.push(same.text)
        claimed.add(d.id.endLine)
      }
      for (let l = d.id.endLine + 1; ; l++) {
        const c = byLine[l]
        if (!c || c.trailing) break
        lines.push(c.text)
        claimed.add(l)
      }
      if (lines.length > 0) d.capnpDoc = lines.join('\n')
    }
    if (d.kind !== 'file') {
      const termLine = d.bodyLine ?? d.endLine
      const lines: string[] = []
      let l = termLine
      const same = byLine[l]
      // a member ending on the `{` line owns that line's comment (capnp attaches it after the member's `;`)
      const memberOnBraceLine = d.bodyLine !== undefined && d.nested.some(c => (c.bodyLine ?? c.endLine) === d.bodyLine)
      if (!memberOnBraceLine && same && same.trailing && !claimed.has(l)) {
        lines.push(same.text)
        claimed.add(l)
      }
      l = termLine + 1
      for (; !memberOnBraceLine;) {
        const c = byLine[l]
        if (!c || c.trailing || claimed.has(l)) break
        lines.push(c.text)
        claimed.add(l)
        l++
      }
      if (lines.length === 0 && d.bodyLine !== undefined) {
        // a block without a comment after its `{` may carry one after its `}`
        const close = byLine[d.endLine]
        if (close && close.trailing && !claimed.has(d.endLine)) {
          lines.push(close.text)
          claimed.add(d.endLine)
        }
        for (let k = d.endLine + 1; ; k++) {
          const c = byLine[k]
          if (!c || c.trailing || claimed.has(k)) break
          lines.push(c.text)
          claimed.add(k)
        }
      }
      if (lines.length > 0) d.capnpDoc = lines.join('\n')
      if (lines.length === 0) {
        const above: string[] = []
        l = d.line - 1
        for (;;) {
          const c = byLine[l]
          if (!c || c.trailing || claimed.has(l)) break
          above.push(c.text)
          l--
        }
        if (above.length > 0) {
          for (let k = d.line - above.length; k < d.line; k++) claimed.add(k)
          for (let k = above.length - 1; k >= 0; k--) lines.push(above[k])
        }
      }
      if (lines.length > 0) d.doc = lines.map(x => (x.endsWith('\r') ? x.slice(0, -1) : x)).join('\n')
    }
    for (const c of d.nested) visit(c)
  }
  visit(file)
}
