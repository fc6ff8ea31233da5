/**
 * Values and defaults, as the value-compiling parts of capnp's node-translator.c++: checking a
 * value against its type (constants, defaults, annotation values), then compiling it into the
 * model's literal form. Builds on resolve.ts and generics.ts; builds no nodes.
 */
import type { AnnotationApp, Expr, Span } from '../ast.js'
import { hexId } from '../ids.js'
import type { CapnpAnnotationUse, CapnpLit, CapnpType } from '../model.js'
import { typeKey, typeToString } from '../model.js'
import { compact } from '../../core/arrays.js'
import { bindInherited, compileBrand, substChain, substParams } from './generics.js'
import { Resolver } from './resolve.js'
import { MEMBER_DECLS, exprText, isPointer, minOrdinal, type Ctx, type Sym, type Unit } from './symbols.js'

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

/** The third layer of the compiler: values over the resolved names. */
export class ValueCompiler extends Resolver {
  // ------------------------------------------------------------------ values
  protected constTypeOf(sym: Sym): CapnpType | undefined {
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

  protected fieldType(f: Sym, st: CapnpType | undefined): CapnpType | undefined {
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
  protected checkAnnotations(anns: AnnotationApp[], target: string, ctx: Ctx, unit: Unit): CapnpAnnotationUse[] {
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
}

/** The default of a field without an explicit one: zero, or a null pointer. */
export function zeroLit(t: CapnpType): CapnpLit {
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
