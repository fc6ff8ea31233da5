/**
 * Semantic analysis of Cap'n Proto schema files: scopes and name resolution, imports, node ids,
 * ordinals, unions/groups, generics, values and annotations. Produces a CapnpModel and diagnostics.
 */
import type { AnnotationApp, Decl, Expr, Ident, Span } from './ast.js'
import { generateMethodParamsId, hexId } from './ids.js'
import { layoutParams, layoutStruct, type FieldSize, type StructLayout } from './layout.js'
import type { CapnpAnnotationUse, CapnpLit, CapnpEnumerant, CapnpField, CapnpMethod, CapnpModel, CapnpNode, CapnpType, PrimitiveName } from './model.js'
import { typeKey, typeToString } from './model.js'
import { parseCapnp } from './parser.js'
import { compact } from '../core/arrays.js'
import { findImports } from './compiler/declarations.js'
import { Resolver } from './compiler/resolve.js'
import { bindImplicit, bindInherited, compileBrand, ctxChain, substChain, substParams } from './compiler/generics.js'
import { MEMBER_DECLS, STREAM_PATH, TYPE_KINDS, exprText, isPointer, minOrdinal, type Ctx, type Sym, type Unit } from './compiler/symbols.js'

export type { CapnpDiagnostic } from './compiler/symbols.js'

const INT_RANGES: Record<string, [bigint, bigint]> = {
  Int8: [-128n, 127n],
  Int16: [-32768n, 32767n],
  Int32: [-2147483648n, 2147483647n],
  Int64: [-(1n << 63n), (1n << 63n) - 1n],
  UInt8: [0n, 255n],
  UInt16: [0n, 65535n],
  UInt32: [0n, 4294967295n],
  UInt64: [0n, (1n << 64n) - 1n],
}
/** How capnp sees a constant of type `t` when it converts it: a number of which kind, or not a number. */
function numberClass(t: CapnpType): 'int' | 'float' | undefined {
  if (t.kind in INT_RANGES || t.kind === 'enum') return 'int'
  if (t.kind === 'Float32' || t.kind === 'Float64') return 'float'
  return undefined
}

/** A constant's compiled value as a value of type `t` (capnp converts numbers; see checkConstRef). */
function convertLit(lit: CapnpLit, t: CapnpType): CapnpLit {
  if (lit.k === 'enum' && t.kind in INT_RANGES) return { k: 'int', v: String(lit.v) }
  if ((lit.k === 'int' || lit.k === 'enum') && (t.kind === 'Float32' || t.kind === 'Float64')) return { k: 'float', v: Number(lit.v) }
  return lit
}

const TARGETS = new Set(['file', 'struct', 'field', 'union', 'group', 'enum', 'enumerant', 'interface', 'method', 'param', 'annotation', 'const', '*'])

/**
 * Values the model holds once however often they occur (frozen: nothing in a model is written to
 * after compiling): the default of a field without an explicit one, and an empty annotation list.
 * A file of many fields would otherwise hold a copy of each per field.
 */
const NO_ANNOTATION_USES = Object.freeze([]) as readonly CapnpAnnotationUse[] as CapnpAnnotationUse[]
const ZERO = {
  void: Object.freeze<CapnpLit>({ k: 'void' }),
  bool: Object.freeze<CapnpLit>({ k: 'bool', v: false }),
  int: Object.freeze<CapnpLit>({ k: 'int', v: '0' }),
  float: Object.freeze<CapnpLit>({ k: 'float', v: 0 }),
  enum: Object.freeze<CapnpLit>({ k: 'enum', v: 0 }),
  null: Object.freeze<CapnpLit>({ k: 'null' }),
}

export class Compiler extends Resolver {
  compile(source: string): CapnpModel | undefined {
    const parse = parseCapnp(source)
    const main = this.makeUnit(this.opts.absPath, this.opts.displayPath, parse, true, source)
    this.units.set(this.opts.absPath, main)
    for (const e of parse.errors) this.report(main, e, e.message)
    try {
      const model = this.analyze(main)
      this.diagnostics = this.usedDiagnostics(main)
      return model
    } catch (err) {
      // Never throw on bad input: surface internal failures as a diagnostic.
      this.report(main, { line: 1, col: 1, endLine: 1, endCol: 1 }, `Internal error while analyzing schema: ${(err as Error).message}`)
      return undefined
    }
  }

  // ------------------------------------------------------------------ values
  private constTypeOf(sym: Sym): CapnpType | undefined {
    if (sym.constType !== undefined) return sym.constType ?? undefined
    sym.constType = null
    const t = sym.decl.type && sym.parent ? this.evalType(sym.decl.type, { scope: sym.parent }, sym.unit) : undefined
    sym.constType = t ?? null
    return t
  }

  private checkConstValue(sym: Sym, at: Span = sym.decl.name, unit: Unit = sym.unit): void {
    if (sym.state !== 0) return
    sym.state = 1
    try {
      this.link(
        at,
        unit,
        () => {
          const t = this.constTypeOf(sym)
          if (t && sym.decl.defaultValue && sym.parent) {
            this.checkValue(sym.decl.defaultValue, t, { scope: sym.parent }, sym.unit)
          }
        },
        undefined,
      )
    } finally {
      sym.state = 2
    }
  }

  /** Checks that `e` is a valid value of type `t`; returns its canonical text. */
  checkValue(e: Expr, t: CapnpType, ctx: Ctx, unit: Unit): string | undefined {
    const mismatch = (what: string): undefined => {
      this.report(unit, e, `Type mismatch; expected ${what}.`)
      return undefined
    }
    if (e.k === 'error') return undefined
    if (e.k === 'name' && e.name === 'null') {
      if (!isPointer(t)) {
        this.report(unit, e, "Only pointer parameters can declare their default as 'null'.")
        return undefined
      }
      return 'null'
    }
    if (e.k === 'embed') {
      if (t.kind !== 'Text' && t.kind !== 'Data' && t.kind !== 'struct') {
        this.report(unit, e, 'Embeds can only be used when Text, Data, or a struct is expected.')
        return undefined
      }
      const r = this.resolveImportPath(ctx.scope.unit, e.path)
      const content = r ? this.readResolved(r) : undefined
      if (content === undefined) {
        this.report(unit, e, `Couldn't read file for embed: ${e.path}`)
        return undefined
      }
      return exprText(e)
    }
    // constant references
    if (e.k === 'absName' || e.k === 'member' || (e.k === 'name' && !this.isLiteralName(e.name, t))) {
      return this.checkConstRef(e, t, ctx, unit)
    }
    const k = t.kind
    if (k === 'Void') {
      if ((e.k === 'name' && e.name === 'void') || (e.k === 'tuple' && e.items.length === 0)) return 'void'
      return mismatch('Void')
    }
    if (k === 'Bool') {
      if (e.k === 'name' && (e.name === 'true' || e.name === 'false')) return e.name
      return mismatch('Bool')
    }
    if (k in INT_RANGES) {
      if (e.k !== 'int') return mismatch(k)
      const [lo, hi] = INT_RANGES[k]
      if (e.value < -(1n << 63n)) {
        this.report(unit, e, 'Integer is too big to be negative.')
        return undefined
      }
      if (e.value < lo || e.value > hi) {
        this.report(unit, e, 'Integer value out of range.')
        return undefined
      }
      return e.value.toString()
    }
    if (k === 'Float32' || k === 'Float64') {
      if (e.k === 'int') return e.value.toString()
      if (e.k === 'float') return exprText(e)
      if (e.k === 'name' && (e.name === 'inf' || e.name === 'nan')) return e.name
      return mismatch(k)
    }
    if (k === 'Text') {
      if (e.k === 'string') return JSON.stringify(e.value)
      return mismatch('Text')
    }
    if (k === 'Data') {
      if (e.k === 'binary') return exprText(e)
      if (e.k === 'string') return '0x"' + Buffer.from(e.value, 'utf8').toString('hex') + '"'
      return mismatch('Data')
    }
    if (t.kind === 'List') {
      if (e.k !== 'list') return mismatch(typeToString(t))
      const parts: string[] = []
      for (const item of e.items) parts.push(this.checkValue(item, t.element, ctx, unit) ?? '?')
      return `[${parts.join(', ')}]`
    }
    if (t.kind === 'enum') {
      if (e.k !== 'name') return mismatch(typeToString(t))
      const sym = this.symById(t.id)
      if (sym && !sym.members.has(e.name)) {
        this.report(unit, e, `Enum type '${typeToString(t)}' has no value named '${e.name}'.`)
        return undefined
      }
      return e.name
    }
    if (t.kind === 'struct') {
      const sym = this.symById(t.id)
      if (e.k !== 'tuple') {
        // implied first field: `Foo = "x"` sets the struct's first field
        const first = sym ? this.firstField(sym) : undefined
        if (!first) return mismatch(typeToString(t))
        const ft = first.kind === 'field' ? this.fieldType(first, t) : undefined
        if (!ft) return mismatch('group')
        return this.checkValue(e, ft, ctx, unit)
      }
      return sym ? this.checkStructValue(e, sym, ctx, unit, t) : exprText(e)
    }
    if (t.kind === 'interface') return mismatch(typeToString(t))
    // AnyPointer, params: accept any value
    return exprText(e)
  }

  private isLiteralName(name: string, t: CapnpType): boolean {
    if (name === 'true' || name === 'false' || name === 'void' || name === 'inf' || name === 'nan' || name === 'null') return true
    return t.kind === 'enum'
  }

  private checkStructValue(e: Expr & { k: 'tuple' }, sym: Sym, ctx: Ctx, unit: Unit, st: CapnpType | undefined): string {
    const parts: string[] = []
    for (const item of e.items) {
      if (!item.name) {
        this.report(unit, item.value, 'Missing field name.')
        continue
      }
      const f = sym.members.get(item.name.name)
      if (!f || !MEMBER_DECLS.has(f.kind)) {
        this.report(unit, item.name, `Struct has no field named '${item.name.name}'.`)
        continue
      }
      if (f.kind === 'group' || f.kind === 'union') {
        if (item.value.k !== 'tuple') {
          const first = this.firstField(f)
          const ft = first && first.kind === 'field' ? this.fieldType(first, st) : undefined
          if (item.value.k === 'name' && !this.lookup(item.value.name, ctx) && !['true', 'false', 'void', 'inf', 'nan', 'null'].includes(item.value.name)) {
            this.report(unit, item.value, `Not defined: ${item.value.name}`)
          } else if (!ft) {
            this.report(unit, item.value, 'Type mismatch; expected group.')
          } else {
            parts.push(`${item.name.name} = ${this.checkValue(item.value, ft, ctx, unit) ?? '?'}`)
          }
          continue
        }
        parts.push(`${item.name.name} = ${this.checkStructValue(item.value, f, ctx, unit, st)}`)
        continue
      }
      const ft = this.fieldType(f, st)
      if (!ft) continue
      parts.push(`${item.name.name} = ${this.checkValue(item.value, ft, ctx, unit) ?? '?'}`)
    }
    return `(${parts.join(', ')})`
  }

  /** The field an implied-first-field value sets: the member with the lowest ordinal (as capnp does). */
  private firstField(sym: Sym): Sym | undefined {
    let best: Sym | undefined
    let bestOrd = Infinity
    for (const m of sym.members.values()) {
      if (m.parent !== sym || !MEMBER_DECLS.has(m.kind)) continue
      const o = minOrdinal(m.decl)
      if (o < bestOrd) {
        best = m
        bestOrd = o
      }
    }
    return best
  }

  private fieldType(f: Sym, st: CapnpType | undefined): CapnpType | undefined {
    let t = f.fieldType
    if (t === undefined) {
      t = f.decl.type ? (this.evalType(f.decl.type, { scope: f.parent as Sym }, f.unit) ?? null) : null
      f.fieldType = t
    }
    if (!t) return undefined
    // substitute generic parameters of the enclosing struct when bound
    if (st && st.kind === 'struct' && st.brand) {
      // the bindings of the struct and of its enclosing generic scopes
      // (a nested type that inherits a bound scope gets that scope's bindings: the default of a field
      // reached through aliases, `G(A, B).Alias = (inner = (foo = ...))`, sees `foo` as an A)
      for (const sc of st.brand.scopes) if (sc.bind) t = bindInherited(substParams(t, sc.scopeId, sc.bind), sc.scopeId, sc.bind)
      return t
    }
    if (st && st.kind === 'struct' && st.args) return substParams(t, st.id, st.args)
    return t
  }

  private checkConstRef(e: Expr, t: CapnpType, ctx: Ctx, unit: Unit): string | undefined {
    if (e.k === 'name') {
      const r = this.lookup(e.name, ctx)
      const d = r ? this.deref(r, e, unit) : undefined
      if (!r) {
        this.report(unit, e, `Not defined: ${e.name}`)
        return undefined
      }
      if (d && d.k === 'sym' && d.sym.kind === 'const') {
        this.report(unit, e, `Constant names must be qualified to avoid confusion.  Please replace '${e.name}' with '.${e.name}', if that's what you intended.`)
        return undefined
      }
      this.report(unit, e, `'${e.name}' does not refer to a constant.`)
      return undefined
    }
    const r = this.resolve(e, ctx, unit)
    if (!r) return undefined
    if (r.k !== 'sym' || r.sym.kind !== 'const') {
      // enumerant reference through its enum type, e.g. `Foo.bar` for an enum-typed field
      if (r.k === 'sym' && r.sym.kind === 'enumerant' && t.kind === 'enum' && r.sym.parent && hexId(r.sym.parent.id) === t.id) {
        return r.sym.name
      }
      this.report(unit, e, `'${exprText(e)}' does not refer to a constant.`)
      return undefined
    }
    const c = r.sym
    if (c.state === 1) {
      this.report(c.unit, c.decl.name, 'Declaration recursively depends on itself.')
      return undefined
    }
    this.checkConstValue(c, e, unit)
    const ct = this.constTypeOf(c)
    if (!ct) return exprText(e)
    // A number converts as capnp converts it: an integer or an enumerant's number to any integer
    // type in range or to a float, a float to a float. An enum constant is a number there, so it
    // is not a value of its own enum type.
    const from = numberClass(ct)
    if (from && (t.kind in INT_RANGES || t.kind === 'Float32' || t.kind === 'Float64')) {
      if (from === 'float' && t.kind in INT_RANGES) return this.mismatch(unit, e, t)
      if (t.kind in INT_RANGES) {
        const v = this.constNumber(c, ct)
        const [lo, hi] = INT_RANGES[t.kind]
        if (v !== undefined && (v < lo || v > hi)) {
          this.report(unit, e, 'Integer value out of range.')
          return undefined
        }
      }
      return exprText(e)
    }
    if (ct.kind === 'enum' || !this.assignable(ct, t)) return this.mismatch(unit, e, t)
    return exprText(e)
  }

  private mismatch(unit: Unit, e: Expr, t: CapnpType): undefined {
    this.report(unit, e, `Type mismatch; expected ${typeToString(t)}.`)
    return undefined
  }

  /**
   * The integer value of an integer or enum constant (undefined when it does not compile); one
   * out of its own range was reported there and counts as the nearest bound, as in capnp.
   */
  private constNumber(c: Sym, ct: CapnpType): bigint | undefined {
    const lit = c.decl.defaultValue && c.parent ? this.toLit(c.decl.defaultValue, ct, { scope: c.parent }) : undefined
    if (lit?.k === 'enum') return BigInt(lit.v)
    if (lit?.k !== 'int') return undefined
    const v = BigInt(lit.v)
    const range = INT_RANGES[ct.kind]
    return range ? (v < range[0] ? range[0] : v > range[1] ? range[1] : v) : v
  }

  private assignable(from: CapnpType, to: CapnpType): boolean {
    if (to.kind === 'AnyPointer' || to.kind === 'param' || to.kind === 'implicit') return isPointer(from) || from.kind === 'param'
    if (to.kind === 'AnyStruct') return from.kind === 'struct' || from.kind === 'AnyStruct'
    if (to.kind === 'AnyList') return from.kind === 'List' || from.kind === 'AnyList'
    if (from.kind === 'List' && to.kind === 'List') return this.assignable(from.element, to.element)
    if ((from.kind === 'struct' || from.kind === 'enum' || from.kind === 'interface') && from.kind === to.kind) {
      return from.id === (to as { id: string }).id
    }
    return typeKey(from) === typeKey(to)
  }

  // ------------------------------------------------------------------ annotations
  private checkAnnotations(anns: AnnotationApp[], target: string, ctx: Ctx, unit: Unit): CapnpAnnotationUse[] {
    if (anns.length === 0) return NO_ANNOTATION_USES
    const uses: CapnpAnnotationUse[] = []
    for (const a of anns) {
      const r = this.resolve(a.name, ctx, unit)
      if (!r) continue
      const text = exprText(a.name)
      if (r.k !== 'sym' || r.sym.kind !== 'annotation') {
        this.report(unit, a.name, `'${text}' is not an annotation.`)
        continue
      }
      const decl = r.sym.decl
      const targets = (decl.targets ?? []).map(x => x.name)
      if (!targets.includes('*') && !targets.includes(target)) {
        this.report(unit, a.name, `'${text}' cannot be applied to this kind of declaration.`)
        continue
      }
      const annSym = r.sym
      if (annSym.annType === undefined) {
        annSym.annType = null
        annSym.annType = decl.type && annSym.parent ? (this.evalType(decl.type, { scope: annSym.parent }, annSym.unit) ?? null) : null
      }
      // an annotation declared in a generic scope takes its value type from the bindings used
      const t = annSym.annType && r.chain ? substChain(annSym.annType, r.chain) : annSym.annType
      if (!t) continue
      const use: CapnpAnnotationUse = { id: hexId(annSym.id), value: { type: t, lit: { k: 'void' } } }
      const brand = r.chain ? compileBrand(r.chain) : undefined
      if (brand) use.brand = brand
      uses.push(use)
      if (!a.value) {
        if (t.kind !== 'Void') {
          this.report(unit, a.name, `'${text}' requires a value.`)
          use.value.lit = zeroLit(t)
        }
        continue
      }
      if (this.checkValue(a.value, t, ctx, unit) !== undefined) use.value.lit = this.toLit(a.value, t, ctx) ?? zeroLit(t)
    }
    return compact(uses)
  }

  // ------------------------------------------------------------------ compiled values
  /**
   * The compiled form of a value already checked against type `t` (see checkValue): what the
   * official compiler writes into a schema Value. Undefined for what ssmd cannot compile.
   */
  private readonly constLits = new Map<Sym, CapnpLit | undefined>()

  toLit(e: Expr, t: CapnpType, ctx: Ctx, depth = 0): CapnpLit | undefined {
    if (depth > 64) return undefined
    if (e.k === 'name' && e.name === 'null') return { k: 'null' }
    if (e.k === 'embed') {
      const r = this.resolveImportPath(ctx.scope.unit, e.path)
      if (!r) return undefined
      if (t.kind === 'Text') {
        const text = this.readResolved(r)
        return text === undefined ? undefined : { k: 'text', v: text }
      }
      if (t.kind === 'Data') {
        const bytes = r.std ? undefined : this.opts.readBytes?.(r.abs)
        const b =
          bytes ??
          (() => {
            const text = this.readResolved(r)
            return text === undefined ? undefined : new TextEncoder().encode(text)
          })()
        return b ? { k: 'data', v: Buffer.from(b).toString('hex') } : undefined
      }
      return undefined
    }
    if (e.k === 'absName' || e.k === 'member' || (e.k === 'name' && !this.isLiteralName(e.name, t))) {
      const r = e.k === 'name' ? undefined : this.resolveQuiet(e, ctx)
      if (!r || r.k !== 'sym') return undefined
      if (r.sym.kind === 'enumerant') return { k: 'enum', v: r.sym.decl.ordinal?.value ?? 0 }
      if (r.sym.kind !== 'const' || !r.sym.decl.defaultValue || !r.sym.parent) return undefined
      // a constant's value is compiled once however many values refer to it
      let lit: CapnpLit | undefined
      if (this.constLits.has(r.sym)) lit = this.constLits.get(r.sym)
      else {
        const ct = this.constTypeOf(r.sym)
        lit = ct ? this.toLit(r.sym.decl.defaultValue, ct, { scope: r.sym.parent }, depth + 1) : undefined
        this.constLits.set(r.sym, lit)
      }
      return lit && convertLit(lit, t)
    }
    switch (t.kind) {
      case 'Void':
        return { k: 'void' }
      case 'Bool':
        return e.k === 'name' ? { k: 'bool', v: e.name === 'true' } : undefined
      case 'Int8':
      case 'Int16':
      case 'Int32':
      case 'Int64':
      case 'UInt8':
      case 'UInt16':
      case 'UInt32':
      case 'UInt64':
        return e.k === 'int' ? { k: 'int', v: e.value.toString() } : undefined
      case 'Float32':
      case 'Float64':
        if (e.k === 'int') return { k: 'float', v: Number(e.value) }
        if (e.k === 'float') return { k: 'float', v: Number.isNaN(e.value) ? 'nan' : e.value === Infinity ? 'inf' : e.value === -Infinity ? '-inf' : e.value }
        if (e.k === 'name') return { k: 'float', v: e.name === 'inf' ? 'inf' : 'nan' }
        return undefined
      case 'Text':
        return e.k === 'string' ? { k: 'text', v: e.value, ...(e.bytes ? { hex: Buffer.from(e.bytes).toString('hex') } : {}) } : undefined
      case 'Data':
        if (e.k === 'binary') return { k: 'data', v: Buffer.from(e.value).toString('hex') }
        if (e.k === 'string') return { k: 'data', v: Buffer.from(e.bytes ?? Buffer.from(e.value, 'utf8')).toString('hex') }
        return undefined
      case 'List': {
        if (e.k !== 'list') return undefined
        const items: Array<{ type: CapnpType; value: CapnpLit }> = []
        for (const item of e.items) {
          const v = this.toLit(item, t.element, ctx, depth + 1)
          if (!v) return undefined
          items.push({ type: t.element, value: v })
        }
        return { k: 'list', items: compact(items) }
      }
      case 'enum': {
        if (e.k !== 'name') return undefined
        const m = this.symById(t.id)?.members.get(e.name)
        return m && m.kind === 'enumerant' ? { k: 'enum', v: m.decl.ordinal?.value ?? 0 } : undefined
      }
      case 'struct': {
        const sym = this.symById(t.id)
        if (!sym) return undefined
        return this.structLit(e, sym, t, ctx, depth)
      }
      default:
        return undefined
    }
  }

  private structLit(e: Expr, sym: Sym, st: CapnpType, ctx: Ctx, depth: number): CapnpLit | undefined {
    const fields: Array<{ name: string; type?: CapnpType; value: CapnpLit }> = []
    const assign = (f: Sym, value: Expr): boolean => {
      if (f.kind === 'group' || f.kind === 'union') {
        const v = this.structLit(value, f, st, ctx, depth + 1)
        if (!v) return false
        fields.push({ name: f.name, value: v })
        return true
      }
      const ft = this.fieldType(f, st)
      const v = ft ? this.toLit(value, ft, ctx, depth + 1) : undefined
      if (!ft || !v) return false
      fields.push({ name: f.name, type: ft, value: v })
      return true
    }
    if (e.k !== 'tuple') {
      // implied first field
      const first = this.firstField(sym)
      if (!first || !assign(first, e)) return undefined
    } else {
      for (const item of e.items) {
        const f = item.name ? sym.members.get(item.name.name) : undefined
        if (!f || !MEMBER_DECLS.has(f.kind) || !assign(f, item.value)) return undefined
      }
    }
    return { k: 'struct', id: hexId(sym.id), fields: compact(fields) }
  }

  // ------------------------------------------------------------------ model building
  private nodes: CapnpNode[] = []
  private externalNames: Record<string, string> = {}

  /** the unit whose nodes are being built (locations name its file) */
  private current?: Unit

  private loc(s: Span): { file: string; line: number; column: number } {
    return { file: this.locFile(), line: s.line, column: s.col }
  }

  private locFile(): string {
    return this.current ? this.current.display : this.opts.displayPath
  }

  /**
   * Analyzes the main file, then every file it imports (directly or not); which of the imported
   * files' errors count is decided afterwards (usedDiagnostics).
   */
  private analyze(unit: Unit): CapnpModel {
    const nodes = this.analyzeUnit(unit)
    const importedNodes: CapnpNode[] = []
    const done = new Set<Unit>([unit])
    for (let again = true; again;) {
      again = false
      for (const u of [...this.units.values()]) {
        if (!u || done.has(u)) continue
        done.add(u)
        again = true
        importedNodes.push(...this.analyzeUnit(u))
      }
    }
    const imports: string[] = []
    for (const [abs, u] of this.units) if (u && !u.isMain) imports.push(u.display || abs)
    for (const u of this.units.values()) {
      if (!u || u.isMain) continue
      this.collectNames(u.sym)
    }
    // the imports a code generator needs (type references, not values), as capnp lists them
    const names = new Set<string>()
    findImports(unit.parse.file, names)
    const requestImports: Array<{ name: string; id: string }> = []
    for (const name of [...names].sort()) {
      const u = this.loadImport(unit, name)
      if (u) requestImports.push({ name, id: hexId(u.sym.id) })
    }
    return {
      file: this.opts.displayPath,
      fileId: hexId(unit.sym.id),
      nodes,
      importedNodes,
      externalNames: this.externalNames,
      imports,
      requestImports,
    }
  }

  private analyzeUnit(unit: Unit): CapnpNode[] {
    this.nodes = []
    this.current = unit
    const fileSym = unit.sym
    const fileNode: CapnpNode = {
      id: hexId(fileSym.id),
      explicitId: true,
      kind: 'file',
      path: '',
      displayName: unit.display,
      scopeId: hexId(0n),
      nestedIds: [],
      ...this.loc(fileSym.decl.id ?? fileSym.decl),
    }
    if (fileSym.decl.capnpDoc !== undefined) fileNode.capnpDoc = fileSym.decl.capnpDoc
    this.nodes.push(fileNode)
    fileNode.annotations = this.checkAnnotations(fileSym.decl.annotations, 'file', { scope: fileSym }, unit)
    for (const d of fileSym.decl.nested) {
      const s = d.name.name ? fileSym.members.get(d.name.name) : undefined
      if (d.kind === 'using') this.analyzeUsing(d, fileSym)
      if (!s || s.decl !== d) continue
      const n = this.analyzeDecl(s)
      if (n) {
        fileNode.nestedIds.push(n.id)
        ;(fileNode.nestedNames ??= []).push(d.name.name)
      }
    }
    const nodes = this.nodes
    this.current = undefined
    return nodes
  }

  private collectNames(s: Sym): void {
    if (s.kind !== 'using' && s.kind !== 'field' && s.kind !== 'enumerant' && s.kind !== 'method') {
      this.externalNames[hexId(s.id)] = s.path ? `${s.unit.display}:${s.path}` : s.unit.display
    }
    for (const m of s.members.values()) if (m.parent === s && (TYPE_KINDS.has(m.kind) || m.kind === 'const' || m.kind === 'annotation')) this.collectNames(m)
  }

  private analyzeUsing(d: Decl, scope: Sym): void {
    const s = d.name.name ? scope.members.get(d.name.name) : undefined
    if (s && s.decl === d) {
      this.resolveUsing(s, d.target ?? d, scope.unit)
    } else if (d.target && !d.name.name) {
      const sym = [...scope.members.values()].find(m => m.decl === d)
      if (sym) this.resolveUsing(sym, d.target, scope.unit)
      else this.resolve(d.target, { scope }, scope.unit)
    }
  }

  private baseNode(s: Sym, kind: CapnpNode['kind']): CapnpNode {
    const n: CapnpNode = {
      id: hexId(s.id),
      explicitId: s.explicitId,
      kind,
      path: s.path,
      displayName: `${s.unit.display}:${s.path}`,
      scopeId: hexId(s.parent ? s.parent.id : 0n),
      nestedIds: [],
      ...this.loc(s.decl.name.name ? s.decl.name : s.decl),
    }
    if (s.decl.doc) n.doc = s.decl.doc
    if (s.decl.capnpDoc !== undefined) n.capnpDoc = s.decl.capnpDoc
    n.isGeneric = ctxChain(s).some(l => l.pc > 0)
    return n
  }

  private analyzeDecl(s: Sym): CapnpNode | undefined {
    const unit = s.unit
    const d = s.decl
    const ctx: Ctx = { scope: s.parent as Sym }
    switch (s.kind) {
      case 'struct': {
        const n = this.baseNode(s, 'struct')
        n.isGroup = false
        if (s.genericParams) n.genericParams = s.genericParams
        this.nodes.push(n)
        n.annotations = this.checkAnnotations(d.annotations, 'struct', ctx, unit)
        const fieldSyms = memberSyms(s, d.nested)
        const layout = layoutStruct(d.nested, fd => {
          const fs = fieldSyms.get(fd)
          return fs ? fieldSize(this.fieldType(fs, undefined)) : 'void'
        })
        n.dataWordCount = layout.dataWordCount
        n.pointerCount = layout.pointerCount
        this.fillStruct(n, s, d.nested, false, layout, 'root')
        this.checkOrdinals(unit, collectFieldOrdinals(d.nested), true)
        this.nestedDecls(n, s)
        return n
      }
      case 'enum': {
        const n = this.baseNode(s, 'enum')
        this.nodes.push(n)
        n.annotations = this.checkAnnotations(d.annotations, 'enum', ctx, unit)
        const ens: CapnpEnumerant[] = []
        const ords: Array<{ value: number; span: Span }> = []
        for (const m of d.nested) {
          if (m.kind !== 'enumerant' || !m.ordinal) continue
          const annotations = this.checkAnnotations(m.annotations, 'enumerant', { scope: s }, unit)
          const e: CapnpEnumerant = {
            name: m.name.name,
            ordinal: m.ordinal.value,
            codeOrder: ens.length,
            annotations,
            file: this.locFile(),
            line: m.name.line,
            column: m.name.col,
          }
          if (m.doc) e.doc = m.doc
          if (m.capnpDoc !== undefined) e.capnpDoc = m.capnpDoc
          ens.push(e)
          ords.push({ value: m.ordinal.value, span: m.ordinal })
        }
        this.checkOrdinals(unit, ords, false)
        // like the official compiler, list members by number (code order is kept separately)
        n.enumerants = compact(ens.sort((a, b) => a.ordinal - b.ordinal))
        return n
      }
      case 'interface': {
        const n = this.baseNode(s, 'interface')
        if (s.genericParams) n.genericParams = s.genericParams
        this.nodes.push(n)
        n.annotations = this.checkAnnotations(d.annotations, 'interface', ctx, unit)
        n.superclasses = []
        for (const sc of d.superclasses ?? []) {
          const t = this.evalType(sc, { scope: s }, unit)
          if (t && t.kind !== 'interface') this.report(unit, sc, `'${exprText(sc)}' is not an interface.`)
          else if (t) n.superclasses.push(t)
        }
        n.methods = []
        const ords: Array<{ value: number; span: Span }> = []
        let codeOrder = 0
        for (const m of d.nested) {
          if (m.kind !== 'method' || !m.ordinal) continue
          ords.push({ value: m.ordinal.value, span: m.ordinal })
          n.methods.push(this.analyzeMethod(s, m, codeOrder++))
        }
        this.checkOrdinals(unit, ords, false)
        n.methods.sort((a, b) => a.ordinal - b.ordinal || a.codeOrder - b.codeOrder)
        this.nestedDecls(n, s)
        return n
      }
      case 'const': {
        const n = this.baseNode(s, 'const')
        this.nodes.push(n)
        n.annotations = this.checkAnnotations(d.annotations, 'const', ctx, unit)
        const t = this.constTypeOf(s)
        if (t) n.type = t
        if (t) n.valueLit = (d.defaultValue && this.toLit(d.defaultValue, t, ctx)) || zeroLit(t)
        if (s.state === 0) {
          s.state = 1
          if (t && d.defaultValue) {
            const v = this.checkValue(d.defaultValue, t, ctx, unit)
            if (v !== undefined) n.value = v
          }
          s.state = 2
        } else if (d.defaultValue) {
          n.value = exprText(d.defaultValue)
        }
        return n
      }
      case 'annotation': {
        const n = this.baseNode(s, 'annotation')
        this.nodes.push(n)
        n.annotations = this.checkAnnotations(d.annotations, 'annotation', ctx, unit)
        n.targets = []
        for (const tg of d.targets ?? []) {
          if (!TARGETS.has(tg.name)) this.report(unit, tg, `'${tg.name}' is not a valid annotation target.`)
          else n.targets.push(tg.name)
        }
        if (d.type) {
          const t = this.evalType(d.type, ctx, unit)
          if (t) n.type = t
        }
        return n
      }
      default:
        return undefined
    }
  }

  private nestedDecls(n: CapnpNode, s: Sym): void {
    for (const m of s.decl.nested) {
      if (m.kind === 'using') {
        this.analyzeUsing(m, s)
        continue
      }
      if (!['struct', 'enum', 'interface', 'const', 'annotation'].includes(m.kind)) continue
      const sym = s.members.get(m.name.name)
      if (!sym || sym.decl !== m) continue
      const c = this.analyzeDecl(sym)
      if (c) {
        n.nestedIds.push(c.id)
        ;(n.nestedNames ??= []).push(m.name.name)
      }
    }
  }

  /** Fills the field list of a struct or group node from its member declarations. */
  private fillStruct(n: CapnpNode, s: Sym, decls: Decl[], isUnion: boolean, layout: StructLayout, key: Decl | 'root'): void {
    if (layout.discriminants.has(key)) n.discriminantOffset = layout.discriminants.get(key)
    const unit = s.unit
    const fields: CapnpField[] = []
    const unionMembers: Array<{ field: CapnpField; min: number }> = []
    const fieldMin = new Map<CapnpField, number>()
    const visit = (ds: Decl[], inUnion: boolean): void => {
      for (const d of ds) {
        if (d.kind === 'union' && !d.name.name) {
          if (isUnion) continue
          // like capnp, annotations on an unnamed union are checked but recorded nowhere
          this.checkAnnotations(d.annotations, 'union', { scope: s }, unit)
          visit(d.nested, true)
          continue
        }
        if (!MEMBER_DECLS.has(d.kind) || !d.name.name) continue
        const m = s.members.get(d.name.name)
        if (!m || m.decl !== d) continue
        let f: CapnpField
        if (d.kind === 'field') {
          // a field's properties are all known before it is made, so that it is made in one piece
          // (properties added afterwards would each take room in a separate property store)
          const ordinal = d.ordinal ? d.ordinal.value : null
          const annotations = this.checkAnnotations(d.annotations, 'field', { scope: s }, unit)
          const offset = layout.offsets.get(d) ?? 0
          const t = d.type ? this.fieldType(m, undefined) : undefined
          const [file, line, column, codeOrder] = [this.locFile(), d.name.line, d.name.col, fields.length]
          if (t) {
            f = { name: d.name.name, codeOrder, ordinal, discriminant: null, file, line, column, annotations, offset, type: t, defaultLit: zeroLit(t) }
            if (d.defaultValue) {
              const v = this.checkValue(d.defaultValue, t, { scope: s }, unit)
              f.defaultValue = v ?? exprText(d.defaultValue)
              if (v !== undefined) f.defaultLit = this.toLit(d.defaultValue, t, { scope: s }) ?? f.defaultLit
            }
          } else {
            f = { name: d.name.name, codeOrder, ordinal, discriminant: null, file, line, column, annotations, offset }
          }
          if (d.doc) f.doc = d.doc
          if (d.capnpDoc !== undefined) f.capnpDoc = d.capnpDoc
        } else {
          f = {
            name: d.name.name,
            codeOrder: fields.length,
            ordinal: null,
            discriminant: null,
            file: this.locFile(),
            line: d.name.line,
            column: d.name.col,
          }
          if (d.doc) f.doc = d.doc
          if (d.capnpDoc !== undefined) f.capnpDoc = d.capnpDoc
          f.groupId = hexId(m.id)
          if (d.kind === 'union' && d.ordinal) f.ordinal = d.ordinal.value
          f.groupKind = d.kind === 'union' ? 'union' : 'group'
          f.annotations = this.checkAnnotations(d.annotations, d.kind, { scope: s }, unit)
          const gn = this.baseNode(m, 'struct')
          gn.isGroup = true
          if (d.kind === 'union') gn.isUnion = true
          gn.dataWordCount = layout.dataWordCount
          gn.pointerCount = layout.pointerCount
          this.nodes.push(gn)
          this.fillStruct(gn, m, d.nested, d.kind === 'union', layout, d)
          if (d.kind === 'union' && d.ordinal) this.checkRetroUnion(unit, d)
        }
        fields.push(f)
        fieldMin.set(f, minOrdinal(d))
        if (inUnion) unionMembers.push({ field: f, min: minOrdinal(d) })
      }
    }
    visit(decls, isUnion)
    fields.sort((a, b) => (fieldMin.get(a) ?? Infinity) - (fieldMin.get(b) ?? Infinity) || a.codeOrder - b.codeOrder)
    const sorted = [...unionMembers].sort((a, b) => a.min - b.min || a.field.codeOrder - b.field.codeOrder)
    sorted.forEach((u, i) => {
      u.field.discriminant = i
    })
    n.fields = compact(fields)
    n.discriminantCount = unionMembers.length
  }

  private checkRetroUnion(unit: Unit, d: Decl): void {
    const o = d.ordinal as Span & { value: number }
    const below = d.nested.filter(m => MEMBER_DECLS.has(m.kind) && minOrdinal(m) < o.value).length
    if (below > 1) {
      this.report(unit, o, 'Union ordinal, if specified, must be greater than no more than one of its member ordinals (i.e. there can only be one field retroactively unionized).')
    }
  }

  private checkOrdinals(unit: Unit, ords: Array<{ value: number; span: Span }>, _struct: boolean): void {
    const sorted = ords.map((o, i) => ({ ...o, i })).sort((a, b) => a.value - b.value || a.i - b.i)
    let expected = 0
    let prev: { value: number; span: Span } | undefined
    for (const o of sorted) {
      if (prev && o.value === prev.value) {
        this.report(unit, o.span, 'Duplicate ordinal number.')
        this.report(unit, prev.span, `Ordinal @${prev.value} originally used here.`)
        continue
      }
      if (o.value > expected) {
        this.report(unit, o.span, `Skipped ordinal @${expected}.  Ordinals must be sequential with no holes.`)
      }
      if (o.value > 65534) this.report(unit, o.span, 'Ordinal too large.')
      expected = o.value + 1
      prev = o
    }
  }

  private analyzeMethod(iface: Sym, m: Decl, codeOrder: number): CapnpMethod {
    const unit = iface.unit
    const ctx: Ctx = { scope: iface, implicit: m.implicitParams?.map(x => x.name) }
    const ordinal = m.ordinal ? m.ordinal.value : 0
    const methodAnns = this.checkAnnotations(m.annotations, 'method', ctx, unit)
    const method: CapnpMethod = {
      name: m.name.name,
      ordinal,
      codeOrder,
      paramStructType: hexId(0n),
      resultStructType: hexId(0n),
      inlineParams: false,
      inlineResults: false,
      streaming: false,
      ...this.loc(m.name),
      implicitParams: (m.implicitParams ?? []).map(x => x.name),
      annotations: methodAnns,
    }
    // an inline parameter list's struct carries the interface's own brand (its scopes inherit)
    const ifaceBrand = compileBrand(ctxChain(iface))
    if (m.doc) method.doc = m.doc
    if (m.capnpDoc !== undefined) method.capnpDoc = m.capnpDoc
    const side = (pl: Decl['params'], isResults: boolean): string => {
      if (!pl || pl.k === 'params') {
        const id = generateMethodParamsId(iface.id, ordinal, isResults)
        const suffix = isResults ? '$Results' : '$Params'
        const p = `${iface.path}.${m.name.name}${suffix}`
        const n: CapnpNode = {
          id: hexId(id),
          explicitId: false,
          kind: 'struct',
          path: p,
          displayName: `${unit.display}:${p}`,
          scopeId: hexId(0n),
          isGroup: false,
          isParamStruct: true,
          nestedIds: [],
          fields: [],
          discriminantCount: 0,
          ...this.loc(pl ?? m.name),
        }
        if (m.implicitParams?.length) n.genericParams = m.implicitParams.map(x => x.name)
        n.isGeneric = ctxChain(iface).some(l => l.pc > 0) || !!m.implicitParams?.length
        const types = new Map<object, CapnpType | undefined>()
        const seen = new Map<string, Ident>()
        ;(pl?.params ?? []).forEach((pd, i) => {
          this.checkName(unit, pd.name, false)
          const prev = seen.get(pd.name.name)
          if (prev) {
            this.report(unit, pd.name, `'${pd.name.name}' is already defined in this scope.`)
            this.report(unit, prev, `'${pd.name.name}' previously defined here.`)
          } else seen.set(pd.name.name, pd.name)
          const annotations = this.checkAnnotations(pd.annotations, 'param', ctx, unit)
          const f: CapnpField = {
            name: pd.name.name,
            codeOrder: i,
            ordinal: i,
            discriminant: null,
            file: this.locFile(),
            line: pd.name.line,
            column: pd.name.col,
            annotations,
          }
          const t0 = this.evalType(pd.type, ctx, unit)
          // implicit method parameters become the parameter struct's own generic parameters
          const t = t0 && m.implicitParams?.length ? bindImplicit(t0, n.id) : t0
          types.set(pd, t)
          if (t) {
            f.type = t
            f.defaultLit = zeroLit(t)
            if (pd.defaultValue) {
              const v = this.checkValue(pd.defaultValue, t, ctx, unit)
              f.defaultValue = v ?? exprText(pd.defaultValue)
              if (v !== undefined && v !== 'null') f.defaultLit = this.toLit(pd.defaultValue, t, ctx) ?? f.defaultLit
            }
          }
          n.fields?.push(f)
        })
        const pl2 = layoutParams(pl?.params ?? [], pd => fieldSize(types.get(pd)))
        n.dataWordCount = pl2.dataWordCount
        n.pointerCount = pl2.pointerCount
        ;(pl?.params ?? []).forEach((pd, i) => {
          const f = n.fields?.[i]
          if (f) f.offset = pl2.offsets.get(pd) ?? 0
        })
        if (isResults) method.resultBrand = ifaceBrand
        else method.paramBrand = ifaceBrand
        this.nodes.push(n)
        return n.id
      }
      if (pl.k === 'stream') {
        if (!isResults) return hexId(0n)
        method.streaming = true
        const su = this.loadImport(unit, STREAM_PATH)
        const sr = su?.sym.members.get('StreamResult')
        if (!sr) {
          this.report(
            unit,
            pl,
            "A method declaration uses streaming, but '/capnp/stream.capnp' is not found in the import path. This is a standard file that should always be installed with the Cap'n Proto compiler.",
          )
          return hexId(0n)
        }
        return hexId(sr.id)
      }
      const t = this.evalType(pl.type, ctx, unit)
      if (!t) return hexId(0n)
      if (t.kind !== 'struct') {
        this.report(unit, pl.type, `'${exprText(pl.type)}' is not a struct type.`)
        return hexId(0n)
      }
      if (t.brand) {
        if (isResults) method.resultBrand = t.brand
        else method.paramBrand = t.brand
      }
      return t.id
    }
    method.paramStructType = side(m.params, false)
    method.inlineParams = !m.params || m.params.k === 'params'
    method.resultStructType = side(m.results, true)
    method.inlineResults = !m.results || m.results.k === 'params'
    return method
  }
}

/** log2 of a slot's size in bits, or whether it is a pointer or Void (as the layout needs it). */
function fieldSize(t: CapnpType | undefined): FieldSize {
  if (!t) return 'void'
  switch (t.kind) {
    case 'Void':
      return 'void'
    case 'Bool':
      return 0
    case 'Int8':
    case 'UInt8':
      return 3
    case 'Int16':
    case 'UInt16':
    case 'enum':
      return 4
    case 'Int32':
    case 'UInt32':
    case 'Float32':
      return 5
    case 'Int64':
    case 'UInt64':
    case 'Float64':
      return 6
    default:
      return 'pointer'
  }
}

/** The default of a field without an explicit one: zero, or a null pointer. */
function zeroLit(t: CapnpType): CapnpLit {
  switch (t.kind) {
    case 'Void':
      return ZERO.void
    case 'Bool':
      return ZERO.bool
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'Int64':
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
    case 'UInt64':
      return ZERO.int
    case 'Float32':
    case 'Float64':
      return ZERO.float
    case 'enum':
      return ZERO.enum
    default:
      return ZERO.null
  }
}

/**
 * The symbols of a struct's members (its groups' and unions' too) by declaration, for its layout:
 * made per struct and dropped after, not kept for every declaration of the file. A member whose
 * name is taken (an error already) has none, as it has no place in the model either.
 */
function memberSyms(scope: Sym, decls: Decl[], out = new Map<Decl, Sym>()): Map<Decl, Sym> {
  for (const d of decls) {
    if (d.kind === 'union' && !d.name.name) {
      memberSyms(scope, d.nested, out)
      continue
    }
    if (!MEMBER_DECLS.has(d.kind)) continue
    const m = scope.members.get(d.name.name)
    if (!m || m.decl !== d) continue
    out.set(d, m)
    if (d.kind !== 'field') memberSyms(m, d.nested, out)
  }
  return out
}

/** All field ordinals of a struct, including those inside its groups and unions. */
function collectFieldOrdinals(decls: Decl[]): Array<{ value: number; span: Span }> {
  const out: Array<{ value: number; span: Span }> = []
  const visit = (ds: Decl[]): void => {
    for (const d of ds) {
      if (d.kind === 'field' && d.ordinal) out.push({ value: d.ordinal.value, span: d.ordinal })
      else if (d.kind === 'union' || d.kind === 'group') {
        if (d.kind === 'union' && d.ordinal) out.push({ value: d.ordinal.value, span: d.ordinal })
        visit(d.nested)
      }
    }
  }
  visit(decls)
  return out
}

export type { PrimitiveName }
