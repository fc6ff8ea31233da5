/**
 * Name resolution, as capnp's compiler.c++ does it: looking names up through scopes, imports and
 * aliases (with the limits on alias chains and type sizes), and evaluating type expressions. Builds
 * on declarations.ts and generics.ts; knows nothing of values or of the nodes being built.
 */
import type { Expr, Span } from '../ast.js'
import { hexId } from '../ids.js'
import type { CapnpType } from '../model.js'
import { MAX_NESTING } from '../parser.js'
import { Declarations } from './declarations.js'
import { compileBrand, ctxChain, popTo, pushLevel, rebaseChain, substParams } from './generics.js'
import { BUILTINS, PRIMS, TYPE_KINDS, exprText, isPointer, type Ctx, type Level, type Ref, type Sym, type SymKind, type Unit } from './symbols.js'
import { BUILTIN_IDS, ResolvedNames } from '../identifiers.js'

/** The primitive types, held once however often they occur (frozen: nothing in a model is written to after compiling). */
const PRIMITIVE_TYPES = new Map<string, CapnpType>([...PRIMS, 'AnyPointer', 'AnyStruct', 'AnyList', 'Capability'].map(k => [k, Object.freeze({ kind: k } as CapnpType)]))

/** Largest type accepted, counted as its written-out parts (`P(List(Text), Text)` has 4). */

// ---- fileSourceInfo hook
const NODE_KINDS = new Set<SymKind>(['file', 'struct', 'enum', 'interface', 'const', 'annotation'])

/** The id capnp records for a name resolved to `r`: a node's, a file's or a built-in type's; none for generic parameters. */
function resolvedTypeId(r: Ref): string | undefined {
  if (r.k === 'sym') return NODE_KINDS.has(r.sym.kind) ? hexId(r.sym.id) : undefined
  if (r.k === 'file') return hexId(r.unit.sym.id)
  const builtin = r.k === 'builtin' ? BUILTIN_IDS[r.name] : r.k === 'type' ? BUILTIN_IDS[r.type.kind] : undefined
  return builtin === undefined ? undefined : String(builtin)
}
// ---- end of the fileSourceInfo hook
export const MAX_TYPE_PARTS = 4096

const CHAIN_MESSAGE = `Declaration reaches its target through more than ${MAX_NESTING} aliases or constants in a row; refer to the target directly.`

/** Unwinds a chain of aliases or constants that went past MAX_NESTING to where it started. */
class ChainTooLong extends Error {}

/** The second layer of the compiler: name resolution over the declarations. */
export class Resolver extends Declarations {
  // ------------------------------------------------------------------ name resolution
  protected lookup(name: string, ctx: Ctx): Ref | undefined {
    if (ctx.implicit) {
      const i = ctx.implicit.indexOf(name)
      if (i >= 0) return { k: 'implicit', index: i, name }
    }
    for (let s: Sym | undefined = ctx.scope; s; s = s.parent) {
      const m = s.members.get(name)
      if (m) return { k: 'sym', sym: m, applied: false, chain: pushLevel(popTo(ctxChain(ctx.scope), s), m) }
      if (s.genericParams) {
        const i = s.genericParams.indexOf(name)
        if (i >= 0) return { k: 'param', owner: s, index: i, name }
      }
    }
    if (BUILTINS.has(name)) return { k: 'builtin', name }
    return undefined
  }

  /** Follows `using` aliases. */
  protected deref(ref: Ref | undefined, at: Span, unit: Unit): Ref | undefined {
    if (ref && ref.k === 'sym' && (!ref.sym.unit.isMain || ref.sym.kind === 'using')) this.uses.push({ unit, line: at.line, col: at.col, sym: ref.sym })
    let guard = 0
    while (ref && ref.k === 'sym' && ref.sym.kind === 'using' && guard++ < 100) {
      ref = this.resolveUsing(ref.sym, at, unit)
    }
    return ref
  }

  /** How many aliases or constants are being resolved through one another right now. */
  private chain = 0

  /**
   * Runs one link of a chain of aliases or constants. Past MAX_NESTING links the chain unwinds to
   * its first link, which reports it once at `at`; every declaration on the way ends unresolved.
   */
  protected link<T>(at: Span, unit: Unit, fn: () => T, onTooLong: T): T {
    if (this.chain >= MAX_NESTING) throw new ChainTooLong()
    this.chain++
    try {
      return fn()
    } catch (err) {
      if (!(err instanceof ChainTooLong) || this.chain > 1) throw err
      this.reportLimit(unit, at, CHAIN_MESSAGE)
      return onTooLong
    } finally {
      this.chain--
    }
  }

  /** Reports of a limit (chain length, type size) so far: a declaration failing on one is refused. */
  private limitReports = 0
  /** aliases and constants that failed on a limit: their uses are not reported again */
  private readonly refused = new Set<Sym>()

  private reportLimit(unit: Unit, at: Span, message: string): void {
    this.limitReports++
    this.report(unit, at, message)
  }

  protected resolveUsing(sym: Sym, at: Span, unit: Unit): Ref | undefined {
    if (sym.state === 2) {
      if (this.refused.has(sym)) this.limitReports++
      return sym.usingRef
    }
    if (sym.state === 1) {
      this.report(unit, at, 'Declaration recursively depends on itself.')
      return undefined
    }
    sym.state = 1
    const before = this.limitReports
    let done = false
    try {
      const t = sym.decl.target
      sym.usingRef = this.link(at, unit, () => (t && sym.parent ? this.resolve(t, { scope: sym.parent }, sym.unit) : undefined), undefined)
      done = true
    } finally {
      sym.state = 2
      if (!done || (!sym.usingRef && this.limitReports > before)) this.refused.add(sym)
    }
    return sym.usingRef
  }

  // ---- fileSourceInfo hook: which names of the main file resolved to which declaration (identifiers.ts)
  private readonly resolvedNames = new ResolvedNames()

  protected resolve(e: Expr, ctx: Ctx, unit: Unit): Ref | undefined {
    const r = this.resolveExpr(e, ctx, unit)
    if (r && unit.isMain && e.k !== 'apply' && this.opts.sourceInfo !== false) {
      const typeId = resolvedTypeId(r)
      if (typeId !== undefined) this.resolvedNames.add(e, typeId)
    }
    return r
  }

  /** The names of the main file that resolved, with their byte ranges and ids, as capnp 1.x lists them in fileSourceInfo. */
  protected resolvedIdentifiers(text: string) {
    return this.resolvedNames.identifiers(text)
  }
  // ---- end of the fileSourceInfo hook

  private resolveExpr(e: Expr, ctx: Ctx, unit: Unit): Ref | undefined {
    switch (e.k) {
      case 'name': {
        const r = this.lookup(e.name, ctx)
        if (!r) {
          this.report(unit, e, `Not defined: ${e.name}`)
          return undefined
        }
        const before = this.limitReports
        const d = this.deref(r, e, unit)
        // like capnp, each use of an alias that failed (e.g. a failed import) is reported; one
        // refused for a limit was reported once, where the limit was passed
        if (!d && r.k === 'sym' && r.sym.kind === 'using' && this.limitReports === before) this.report(unit, e, `Not defined: ${e.name}`)
        return d
      }
      case 'absName': {
        let root: Sym = ctx.scope
        while (root.parent) root = root.parent
        const m = root.members.get(e.name)
        if (!m) {
          this.report(unit, e, `Not defined: ${e.name}`)
          return undefined
        }
        return this.deref({ k: 'sym', sym: m, applied: false, chain: pushLevel(popTo(ctxChain(ctx.scope), root), m) }, e, unit)
      }
      case 'import': {
        const u = this.loadImport(ctx.scope.unit, e.path)
        if (!u) {
          this.report(unit, e, `Import failed: ${e.path}`)
          return undefined
        }
        return { k: 'file', unit: u }
      }
      case 'member': {
        const parent = this.resolve(e.parent, ctx, unit)
        if (!parent) return undefined
        let members: Map<string, Sym> | undefined
        if (parent.k === 'file') members = parent.unit.sym.members
        else if (parent.k === 'sym') members = parent.sym.members
        const m = members?.get(e.name.name)
        if (!m) {
          this.report(unit, e.name, `'${exprText(e.parent)}' has no member named '${e.name.name}'`)
          return undefined
        }
        const base: Level[] = parent.k === 'sym' ? (parent.chain ?? []) : parent.k === 'file' ? [{ id: parent.unit.sym.id, pc: 0, inherited: true }] : []
        let r = this.deref({ k: 'sym', sym: m, applied: false, chain: pushLevel(base, m) }, e, unit)
        // an alias reached through a bound scope (`Gen(Text).Alias`) takes that scope's bindings
        if (m.kind === 'using' && r && r.k === 'sym' && r.chain) r = { ...r, chain: rebaseChain(r.chain, base) }
        if (r && r.k === 'param' && parent.k === 'sym' && parent.args && r.owner === parent.sym) {
          const bound = parent.args[r.index]
          if (bound) return { k: 'type', type: bound }
        }
        if (r && r.k === 'sym' && r.args && parent.k === 'sym' && parent.args) {
          const owner = hexId(parent.sym.id)
          const pargs = parent.args
          return { ...r, args: r.args.map(a => substParams(a, owner, pargs)) }
        }
        if (r && r.k === 'type' && parent.k === 'sym' && parent.args) {
          return { k: 'type', type: substParams(r.type, hexId(parent.sym.id), parent.args) }
        }
        return r
      }
      case 'apply': {
        const fn = this.resolve(e.fn, ctx, unit)
        if (!fn) return undefined
        if (fn.k === 'builtin') {
          if (fn.name !== 'List') {
            this.report(unit, e, 'Declaration does not accept generic parameters.')
            return undefined
          }
          const t = this.evalList(e, ctx, unit)
          return t ? { k: 'type', type: t } : undefined
        }
        if (fn.k === 'param' || fn.k === 'implicit') {
          // Like the official compiler, parameters applied to a generic parameter (`T(Text)`) are
          // checked as types and otherwise ignored: the field's type is the parameter itself.
          for (const p of e.params) if (!this.evalType(p.value, ctx, unit)) return undefined
          return fn
        }
        if (fn.k !== 'sym') {
          this.report(unit, e, 'Declaration does not accept generic parameters.')
          return undefined
        }
        if (fn.applied) {
          this.report(unit, e, 'Double-application of generic parameters.')
          return undefined
        }
        const params = fn.sym.genericParams
        if (!params) {
          this.report(unit, e, 'Declaration does not accept generic parameters.')
          return undefined
        }
        if (e.params.length < params.length) {
          this.report(unit, e, 'Not enough generic parameters.')
          return undefined
        }
        if (e.params.length > params.length) {
          this.report(unit, e, 'Too many generic parameters.')
          return undefined
        }
        const args: CapnpType[] = []
        for (const p of e.params) {
          const t = this.evalType(p.value, ctx, unit)
          if (!t) return undefined
          if (!isPointer(t)) {
            this.report(unit, p.value, 'Sorry, only pointer types can be used as generic parameters.')
            return undefined
          }
          args.push(t)
        }
        const chain = fn.chain && fn.chain.length ? [{ ...fn.chain[0], params: args }, ...fn.chain.slice(1)] : undefined
        return { k: 'sym', sym: fn.sym, applied: true, args, chain }
      }
      default:
        this.report(unit, e, `'${exprText(e)}' is not a name.`)
        return undefined
    }
  }

  /** `List(T)`; an alias of it (`using S = List(Bool)`) resolves to the same bound type. */
  private evalList(e: Expr & { k: 'apply' }, ctx: Ctx, unit: Unit): CapnpType | undefined {
    if (e.params.length !== 1) {
      if (e.params.length > 1) this.report(unit, e, 'Too many generic parameters.')
      this.report(unit, e.fn, "'List' requires exactly one parameter.")
      return undefined
    }
    const el = this.evalType(e.params[0].value, ctx, unit)
    if (!el) return undefined
    if (el.kind === 'AnyPointer' || el.kind === 'AnyStruct') {
      this.report(unit, e, `'List(${el.kind})' is not supported.`)
      return undefined
    }
    // capnp reads a generic parameter's number where it checks for AnyPointer (0) and AnyStruct
    // (1), so it refuses `List(T)` of a first or second parameter (of a type or of a method)
    if ((el.kind === 'param' || el.kind === 'implicit') && el.index < 2) {
      const kind = el.index === 0 ? 'AnyPointer' : 'AnyStruct'
      this.report(
        unit,
        e,
        `'List(${kind})' is not supported. capnp refuses a list of the first or second generic parameter; make the element a struct with a field of type ${el.name}.`,
      )
      return undefined
    }
    return { kind: 'List', element: el }
  }

  private symType(sym: Sym, args?: CapnpType[], chain?: Level[]): CapnpType {
    const name = sym.unit.isMain ? sym.path : `${sym.unit.display}:${sym.path}`
    const t: CapnpType = { kind: sym.kind as 'struct' | 'enum' | 'interface', id: hexId(sym.id), name }
    if (args && args.length) t.args = args
    const brand = chain ? compileBrand(chain) : undefined
    if (brand) t.brand = brand
    return t
  }

  evalType(e: Expr, ctx: Ctx, unit: Unit): CapnpType | undefined {
    const t = this.evalTypeUnchecked(e, ctx, unit)
    return t && this.withinBounds(t, e, unit) ? t : undefined
  }

  /** Refuses a type nested deeper than MAX_NESTING or larger than MAX_TYPE_PARTS written out (aliases compose). */
  private withinBounds(t: CapnpType, at: Span, unit: Unit): boolean {
    const s = typeShape(t)
    if (s.depth > MAX_NESTING) {
      this.reportLimit(unit, at, `Type nests deeper than ${MAX_NESTING} levels once its aliases are expanded; declare the inner parts as structs of their own.`)
      return false
    }
    if (s.parts > MAX_TYPE_PARTS) {
      this.reportLimit(unit, at, `Type expands to more than ${MAX_TYPE_PARTS} parts once its aliases are expanded; declare the inner parts as structs of their own.`)
      return false
    }
    return true
  }

  private evalTypeUnchecked(e: Expr, ctx: Ctx, unit: Unit): CapnpType | undefined {
    const ref = this.resolve(e, ctx, unit)
    if (!ref) return undefined
    switch (ref.k) {
      case 'builtin': {
        if (ref.name === 'List') {
          this.report(unit, e, "'List' requires exactly one parameter.")
          return undefined
        }
        return PRIMITIVE_TYPES.get(ref.name) ?? ({ kind: ref.name } as CapnpType)
      }
      case 'param':
        return { kind: 'param', scopeId: hexId(ref.owner.id), index: ref.index, name: ref.name }
      case 'implicit':
        return { kind: 'implicit', index: ref.index, name: ref.name }
      case 'type':
        return ref.type
      case 'file':
        this.report(unit, e, `'${exprText(e)}' is not a type.`)
        return undefined
      case 'sym':
        if (!TYPE_KINDS.has(ref.sym.kind)) {
          this.report(unit, e, `'${exprText(e)}' is not a type.`)
          return undefined
        }
        return this.symType(ref.sym, ref.args, ref.chain)
    }
  }

  /** Resolves a name without reporting (the value was checked already). */
  protected resolveQuiet(e: Expr, ctx: Ctx): Ref | undefined {
    this.quiet++
    try {
      return this.resolve(e, ctx, ctx.scope.unit)
    } finally {
      this.quiet--
    }
  }
}

/**
 * Depth and written-out size of a type. Types share parts (an alias used twice is one object), so
 * the result is remembered per object: the work is linear in the distinct parts, never in the
 * written-out size, which can grow exponentially (`using B = P(A, A)`, `using C = P(B, B)`, ...).
 */
const shapes = new WeakMap<CapnpType, { depth: number; parts: number }>()
function typeShape(t: CapnpType): { depth: number; parts: number } {
  const known = shapes.get(t)
  if (known) return known
  let depth = 0
  let parts = 0
  const add = (c: CapnpType): void => {
    const s = typeShape(c)
    depth = Math.max(depth, s.depth)
    parts += s.parts
  }
  if (t.kind === 'List') add(t.element)
  else if (t.kind === 'struct' || t.kind === 'interface' || t.kind === 'enum') {
    for (const a of t.args ?? []) add(a)
    for (const sc of t.brand?.scopes ?? []) for (const a of sc.bind ?? []) add(a)
  }
  const s = { depth: depth + 1, parts: Math.min(parts + 1, Number.MAX_SAFE_INTEGER) }
  shapes.set(t, s)
  return s
}
