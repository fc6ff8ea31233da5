/**
 * Node translation, as capnp's node-translator.c++ does it: turning each declaration of a file into
 * model nodes (structs with their layout, groups and unions, enums, interfaces and their parameter
 * structs, constants, annotations) and checking ordinals. Builds on values.ts and everything below.
 */
import type { Decl, Ident, Span } from '../ast.js'
import { generateMethodParamsId, hexId } from '../ids.js'
import { layoutParams, layoutStruct, type FieldSize, type StructLayout } from '../layout.js'
import type { CapnpEnumerant, CapnpField, CapnpMethod, CapnpNode, CapnpType } from '../model.js'
import { compact } from '../../core/arrays.js'
import { bindImplicit, compileBrand, ctxChain } from './generics.js'
import { MEMBER_DECLS, STREAM_PATH, TYPE_KINDS, exprText, minOrdinal, type Ctx, type Sym, type Unit } from './symbols.js'
import { ValueCompiler, zeroLit } from './values.js'

const TARGETS = new Set(['file', 'struct', 'field', 'union', 'group', 'enum', 'enumerant', 'interface', 'method', 'param', 'annotation', 'const', '*'])

/** The fourth layer of the compiler: the model's nodes, file by file. */
export class Translator extends ValueCompiler {
  private nodes: CapnpNode[] = []
  protected externalNames: Record<string, string> = {}

  /** the unit whose nodes are being built (locations name its file) */
  private current?: Unit

  private loc(s: Span): { file: string; line: number; column: number } {
    return { file: this.locFile(), line: s.line, column: s.col }
  }

  private locFile(): string {
    return this.current ? this.current.display : this.opts.displayPath
  }

  protected analyzeUnit(unit: Unit): CapnpNode[] {
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

  protected collectNames(s: Sym): void {
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
    // The usual case, @0, @1, … in code order: nothing to report, so nothing to copy and sort.
    let inOrder = ords.length <= 65535
    for (let i = 0; inOrder && i < ords.length; i++) inOrder = ords[i].value === i
    if (inOrder) return
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
