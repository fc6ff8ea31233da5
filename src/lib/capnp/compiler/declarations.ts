/**
 * Files and their declarations, as capnp's compiler.c++ keeps them: loading files and imports,
 * registering every declaration in its scope (names, ids, unions and groups), and the diagnostics,
 * including which of an imported file's count. Knows nothing of resolving names or of values.
 */
import * as path from 'node:path'
import type { Decl, Expr, Ident, Span } from '../ast.js'
import { generateChildId, generateGroupId, generateRandomId, hexId, isValidId } from '../ids.js'
import { parseCapnp, type ParseResult } from '../parser.js'
import { stdFile } from '../std.js'
import {
  ENTITY_KINDS,
  MEMBER_DECLS,
  NO_MEMBERS,
  STREAM_PATH,
  TYPE_KINDS,
  minOrdinal,
  span,
  type CapnpDiagnostic,
  type CompileOptions,
  type Sym,
  type SymKind,
  type Unit,
} from './symbols.js'

const UNDERSCORE_MSG =
  "Cap'n Proto declaration names should use camelCase and must not contain underscores. " + '(Code generators may convert names to the appropriate style for the target language.)'

const stdParseCache = new Map<string, ParseResult>()
/** parses of imported files by their text (parse results are never changed after parsing) */
const importParseCache = new Map<string, ParseResult>()

/** The first layer of the compiler (resolve.ts, values.ts and translate.ts build on it, in that order). */
export class Declarations {
  /** every error found; `compile` keeps those of imported files that capnp reports (see usedDiagnostics) */
  diagnostics: CapnpDiagnostic[] = []
  /** diagnostics capnp reports whenever it reads the file (its parser's), used or not */
  private readonly parseLevel = new Set<CapnpDiagnostic>()
  /** names resolved to declarations of imported files: where (unit, position) and what */
  protected readonly uses: Array<{ unit: Unit; line: number; col: number; sym: Sym }> = []
  protected readonly units = new Map<string, Unit | null>()
  private readonly explicitIds = new Map<string, { span: Span; unit: Unit }>()

  constructor(protected readonly opts: CompileOptions) {}

  private readonly seenDiagnostics = new Set<string>()
  /** while above 0, nothing is reported (re-resolving what was checked already) */
  protected quiet = 0

  /** Reports an error in `unit` (the main file or an imported one), once per place and message. */
  protected report(unit: Unit | undefined, s: Span, message: string): void {
    const file = unit ? unit.display : this.opts.displayPath
    if (this.quiet > 0) return
    const key = `${file}:${s.line}:${s.col}:${message}`
    if (this.seenDiagnostics.has(key)) return
    this.seenDiagnostics.add(key)
    this.diagnostics.push({ file, line: s.line, column: s.col, endLine: s.endLine, endColumn: s.endCol, message })
  }

  /** Reports what capnp's parser reports: in an imported file, it counts even when nothing there is used. */
  private reportParse(unit: Unit, s: Span, message: string): void {
    const n = this.diagnostics.length
    this.report(unit, s, message)
    if (this.diagnostics.length > n) this.parseLevel.add(this.diagnostics[n])
  }

  // ------------------------------------------------------------------ units and symbols
  protected makeUnit(absPath: string, display: string, parse: ParseResult, isMain: boolean, text: string): Unit {
    const fileDecl = parse.file
    const unit: Unit = { absPath, display, parse, isMain, text, sym: undefined as unknown as Sym }
    let fileId = fileDecl.id?.value
    {
      if (fileId === undefined) {
        fileId = generateRandomId()
        this.reportParse(
          unit,
          { line: 1, col: 1, endLine: 1, endCol: 1 },
          `File does not declare an ID.  I've generated one for you.  Add this line to your file: ${hexId(fileId)};`.replace(': 0x', ': @0x'),
        )
      } else if (!isValidId(fileId)) {
        this.reportParse(unit, fileDecl.id as Span, "Invalid ID.  Please generate a new one with 'capnpc -i'.")
      }
    }
    const sym: Sym = {
      kind: 'file',
      name: '',
      decl: fileDecl,
      unit,
      members: NO_MEMBERS,
      id: fileId ?? 0n,
      explicitId: true,
      path: '',
      state: 0,
    }
    unit.sym = sym
    for (const e of parse.errors) if (!isMain) this.reportParse(unit, e, e.message)
    if (fileDecl.id) this.noteExplicitId(unit, fileDecl.id)
    this.registerScope(sym, fileDecl.nested, 'file')
    return unit
  }

  private noteExplicitId(unit: Unit, id: Span & { value: bigint }): void {
    const key = hexId(id.value)
    const prev = this.explicitIds.get(key)
    // a local copy of a bundled standard file (`c++.capnp` beside `/capnp/c++.capnp`) is that file
    if (prev && prev.unit !== unit && prev.unit.text === unit.text && prev.unit.sym?.decl.id === prev.span) return
    if (prev) {
      this.report(unit, id, `Duplicate ID @${key}.`)
      this.report(prev.unit, prev.span, `ID @${key} originally used here.`)
    } else {
      this.explicitIds.set(key, { span: id, unit })
    }
  }

  private addMember(scope: Sym, sym: Sym, nameSpan: Span): void {
    if (!sym.name) return
    const prev = scope.members.get(sym.name)
    if (prev) {
      this.report(scope.unit, nameSpan, `'${sym.name}' is already defined in this scope.`)
      this.report(scope.unit, prev.decl.name, `'${sym.name}' previously defined here.`)
      return
    }
    if (scope.members === NO_MEMBERS) scope.members = new Map()
    scope.members.set(sym.name, sym)
  }

  protected checkName(unit: Unit, name: Ident, isType: boolean): void {
    if (!name.name) return
    const c = name.name.charCodeAt(0)
    const upper = c >= 65 && c <= 90
    if (isType && !upper) this.report(unit, name, 'Type names must begin with a capital letter.')
    else if (!isType && upper) this.report(unit, name, 'Non-type names must begin with a lower-case letter.')
    if (name.name.includes('_')) this.report(unit, name, UNDERSCORE_MSG)
  }

  /**
   * Registers declarations of a body into `scope`. `ctx` is the kind of body. Node ids of nested
   * declarations derive from `nodeScope` (the nearest struct/interface/file); group ids from the
   * field index within the node being filled.
   */
  private registerScope(scope: Sym, decls: Decl[], ctx: 'file' | 'struct' | 'interface' | 'enum'): void {
    const unit = scope.unit
    const acc: Sym[] = []
    let unnamedUnion: Decl | undefined
    for (const d of decls) {
      if (d.kind === 'union' && !d.name.name) {
        if (ctx !== 'struct') {
          this.report(unit, d, "This kind of declaration doesn't belong here.")
          continue
        }
        unnamedUnion = this.registerUnnamedUnion(scope, d, unnamedUnion, acc)
        continue
      }
      if (MEMBER_DECLS.has(d.kind)) {
        if (ctx !== 'struct') {
          this.report(unit, d, "This kind of declaration doesn't belong here.")
          continue
        }
        this.registerMembers(scope, scope, [d], acc)
        continue
      }
      if (d.kind === 'enumerant') {
        if (ctx !== 'enum') {
          this.report(unit, d, "This kind of declaration doesn't belong here.")
          continue
        }
        this.checkName(unit, d.name, false)
        this.addMember(scope, this.newSym('enumerant', d, scope, scope.id, false), d.name)
        continue
      }
      if (d.kind === 'method') {
        if (ctx !== 'interface') {
          this.report(unit, d, "This kind of declaration doesn't belong here.")
          continue
        }
        this.checkName(unit, d.name, false)
        this.addMember(scope, this.newSym('method', d, scope, scope.id, false), d.name)
        continue
      }
      if (d.kind === 'file') continue
      if (ctx === 'enum') {
        this.report(unit, d, "This kind of declaration doesn't belong here.")
        continue
      }
      this.registerDecl(scope, d)
    }
    if (acc.length) this.finishMembers(scope, acc)
  }

  private newSym(kind: SymKind, d: Decl, parent: Sym, id: bigint, explicitId: boolean, name = d.name.name): Sym {
    const base = parent.path
    const sym: Sym = {
      kind,
      name,
      decl: d,
      parent,
      unit: parent.unit,
      members: NO_MEMBERS,
      id,
      explicitId,
      // fields, enumerants and methods are never named by their path: they keep none (a string each)
      path: kind === 'field' || kind === 'enumerant' || kind === 'method' ? '' : name ? (base ? `${base}.${name}` : name) : base,
      state: 0,
      // set later for most symbols: declared here so that every symbol has one shape
      codeOrder: undefined,
      fieldType: undefined,
    }
    return sym
  }

  private registerDecl(scope: Sym, d: Decl): void {
    const unit = scope.unit
    let name = d.name.name
    if (d.kind === 'using' && !name) {
      const t = d.target
      if (t && t.k === 'member') name = t.name.name
      else if (t && t.k === 'absName') name = t.name
      if (!t || t.k === 'name' || t.k === 'import' || t.k === 'error') {
        this.reportParse(unit, t ?? d, "'using' declaration without '=' must specify a named declaration from a different scope.")
      }
    }
    const id = d.id ? d.id.value : generateChildId(scope.id, name)
    if (d.id) {
      if (!isValidId(d.id.value)) this.reportParse(unit, d.id, "Invalid ID.  Please generate a new one with 'capnpc -i'.")
      this.noteExplicitId(unit, d.id)
    }
    const sym = this.newSym(d.kind as SymKind, d, scope, id, !!d.id, name)
    if (d.kind === 'struct' || d.kind === 'interface' || d.kind === 'enum') {
      this.checkName(unit, d.name, true)
      if (d.genericParams) sym.genericParams = d.genericParams.map(g => g.name)
      this.registerScope(sym, d.nested, d.kind)
    } else if (d.kind === 'const' || d.kind === 'annotation') {
      this.checkName(unit, d.name, false)
    } else if (d.kind === 'using' && d.name.name && d.name.name.includes('_')) {
      this.report(unit, d.name, UNDERSCORE_MSG)
    }
    this.addMember(scope, sym, d.kind === 'using' && !d.name.name && d.target ? d.target : d.name)
  }

  /** Registers fields/groups/unions into `lookupScope`; groups get their own scope (bodies deferred). */
  private registerMembers(lookupScope: Sym, _nodeSym: Sym, decls: Decl[], acc: Sym[]): void {
    const unit = lookupScope.unit
    for (const d of decls) {
      if (d.kind === 'field') {
        this.checkName(unit, d.name, false)
        const s = this.newSym('field', d, lookupScope, 0n, false)
        s.codeOrder = acc.length
        acc.push(s)
        this.addMember(lookupScope, s, d.name)
      } else if (d.kind === 'group' || d.kind === 'union') {
        if (!d.name.name) {
          this.report(unit, d, "This kind of declaration doesn't belong here.")
          continue
        }
        this.checkName(unit, d.name, false)
        const s = this.newSym(d.kind, d, lookupScope, 0n, false)
        s.codeOrder = acc.length
        acc.push(s)
        this.addMember(lookupScope, s, d.name)
        if (d.kind === 'union') this.checkUnionShape(unit, d)
        else if (!d.nested.some(m => MEMBER_DECLS.has(m.kind))) {
          this.report(unit, span(d.name, d.keyword ?? d.name), 'Group must have at least one member.')
        }
        if (d.ordinal) {
          if (d.kind === 'group') this.report(unit, d.ordinal, 'Groups cannot have ordinals.')
          else if (!d.ordinal.bang) {
            this.report(
              unit,
              d.ordinal,
              "As of Cap'n Proto v0.3, it is no longer necessary to assign numbers to unions. However, removing the number will break binary compatibility. If this is an old protocol and you need to retain compatibility, please add an exclamation point after the number to indicate that it is really needed, e.g. `foo @1! :union {`. If this is a new protocol or compatibility doesn't matter, just remove the @n entirely. Sorry for the inconvenience, and thanks for being an early adopter!  :)",
            )
          }
        }
      } else {
        this.report(unit, d, "This kind of declaration doesn't belong here.")
      }
    }
  }

  /**
   * Assigns group ids: the official compiler numbers a scope's fields by ordinal (groups by their
   * lowest member ordinal) and derives each group's id from its parent's id and that index.
   */
  private finishMembers(nodeSym: Sym, acc: Sym[]): void {
    const sorted = [...acc].sort((a, b) => minOrdinal(a.decl) - minOrdinal(b.decl) || (a.codeOrder ?? 0) - (b.codeOrder ?? 0))
    sorted.forEach((s, i) => {
      if (s.kind === 'group' || s.kind === 'union') s.id = generateGroupId(nodeSym.id, i)
      else s.id = nodeSym.id
    })
    for (const s of acc) {
      if (s.kind === 'group' || s.kind === 'union') this.registerGroupBody(s, s.decl.nested, s.kind === 'union')
    }
  }

  private registerGroupBody(group: Sym, decls: Decl[], isUnion: boolean): void {
    const unit = group.unit
    const acc: Sym[] = []
    let unnamedUnion: Decl | undefined
    for (const d of decls) {
      if (d.kind === 'union' && !d.name.name) {
        if (isUnion) {
          this.report(unit, d, 'Unions cannot contain unnamed unions.')
          continue
        }
        unnamedUnion = this.registerUnnamedUnion(group, d, unnamedUnion, acc)
      } else if (MEMBER_DECLS.has(d.kind)) {
        this.registerMembers(group, group, [d], acc)
      } else if (d.kind !== 'file') {
        this.report(unit, d, "This kind of declaration doesn't belong here.")
      }
    }
    this.finishMembers(group, acc)
  }

  /**
   * An unnamed union's members belong to the enclosing struct or group (one such union per scope).
   * Returns the scope's unnamed union after this one.
   */
  private registerUnnamedUnion(scope: Sym, d: Decl, previous: Decl | undefined, acc: Sym[]): Decl {
    if (previous) {
      this.report(scope.unit, d.keyword ?? d, 'An unnamed union is already defined in this scope.')
      this.report(scope.unit, previous.keyword ?? previous, 'Previously defined here.')
    }
    this.checkUnionShape(scope.unit, d)
    this.registerMembers(scope, scope, d.nested, acc)
    return previous ?? d
  }

  private checkUnionShape(unit: Unit, d: Decl): void {
    const count = d.nested.filter(m => MEMBER_DECLS.has(m.kind) && m.name.name).length
    if (count < 2) {
      this.report(unit, d.name.name ? span(d.name, d.keyword ?? d.name) : (d.keyword ?? d), 'Union must have at least two members.')
    }
  }

  // ------------------------------------------------------------------ imports
  protected resolveImportPath(from: Unit, p: string): { abs: string; std: boolean } | undefined {
    if (p.startsWith('/')) {
      if (stdFile(p) !== undefined) return { abs: p, std: true }
      for (const dir of this.opts.importDirs ?? []) {
        const abs = path.join(dir, p)
        if (this.readResolved({ abs, std: false }) !== undefined) return { abs, std: false }
      }
      if (!this.opts.rootDir) return undefined
      return { abs: path.join(this.opts.rootDir, p), std: false }
    }
    if (from.absPath.startsWith('/capnp/') && stdFile(from.absPath) !== undefined) {
      const abs = path.posix.join(path.posix.dirname(from.absPath), p)
      return stdFile(abs) !== undefined ? { abs, std: true } : undefined
    }
    const abs = path.resolve(path.dirname(from.absPath), p)
    if (this.opts.rootDir) {
      const rel = path.relative(path.resolve(this.opts.rootDir), abs)
      if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined
    }
    return { abs, std: false }
  }

  protected readResolved(r: { abs: string; std: boolean }): string | undefined {
    if (r.std) return stdFile(r.abs)
    try {
      return this.opts.readFile?.(r.abs)
    } catch {
      return undefined
    }
  }

  protected loadImport(from: Unit, p: string): Unit | undefined {
    const r = this.resolveImportPath(from, p)
    if (!r) return undefined
    const cached = this.units.get(r.abs)
    if (cached !== undefined) return cached ?? undefined
    const src = this.readResolved(r)
    if (src === undefined) {
      this.units.set(r.abs, null)
      return undefined
    }
    let parse: ParseResult | undefined
    if (r.std) {
      parse = stdParseCache.get(r.abs)
      if (!parse) {
        parse = parseCapnp(src)
        stdParseCache.set(r.abs, parse)
      }
    } else {
      // files imported by many others (validate, compile of a whole folder) are parsed once
      parse = importParseCache.get(src)
      if (!parse) {
        parse = parseCapnp(src)
        if (importParseCache.size >= 256) importParseCache.delete(importParseCache.keys().next().value as string)
        importParseCache.set(src, parse)
      }
    }
    let display: string
    // files under an import folder are named relative to it, as the official compiler names them
    const base = (this.opts.importDirs ?? []).find(d => !path.relative(d, r.abs).startsWith('..')) ?? this.opts.rootDir
    if (r.std) display = r.abs.slice(1)
    else if (base) display = path.relative(base, r.abs).split(path.sep).join('/')
    else display = r.abs
    const unit = this.makeUnit(r.abs, display, parse, false, src)
    this.units.set(r.abs, unit)
    return unit
  }
  private symsById?: Map<string, Sym>

  protected symById(id: string): Sym | undefined {
    // ids are unique per loaded set; build lazily and refresh on miss (imports may load later)
    const find = (): Sym | undefined => this.symsById?.get(id)
    let s = find()
    if (!s) {
      this.symsById = new Map()
      for (const u of this.units.values()) if (u) this.indexSyms(u.sym)
      s = find()
    }
    return s
  }

  private indexSyms(s: Sym): void {
    if (TYPE_KINDS.has(s.kind)) this.symsById?.set(hexId(s.id), s)
    for (const m of s.members.values()) if (m.parent === s) this.indexSyms(m)
  }

  /**
   * The diagnostics capnp reports: all of the main file's; of an imported file, its parser's and
   * those inside the declarations the main file uses, directly or through other declarations, an
   * alias or an enclosing scope (capnp compiles only those). An error in an unused declaration of
   * an import does not fail the file.
   */
  protected usedDiagnostics(main: Unit): CapnpDiagnostic[] {
    const byDisplay = new Map<string, Unit>()
    for (const u of this.units.values()) if (u && !u.isMain) byDisplay.set(u.display, u)
    if (byDisplay.size === 0) return this.diagnostics
    // the declarations compiled as one (nodes, and aliases), per unit, by where they start
    const entities = new Map<Unit, Sym[]>()
    for (const u of this.units.values()) if (u) entities.set(u, [u.sym])
    const collect = (scope: Sym): void => {
      for (const sym of scope.members.values()) {
        if (ENTITY_KINDS.has(sym.kind)) entities.get(sym.unit)?.push(sym)
        collect(sym)
      }
    }
    for (const u of this.units.values()) if (u) collect(u.sym)
    for (const list of entities.values()) list.sort((a, b) => a.decl.line - b.decl.line || a.decl.col - b.decl.col)
    const entityOf = (s: Sym): Sym => {
      let x = s
      while (!ENTITY_KINDS.has(x.kind) && x.parent) x = x.parent
      return x
    }
    const before = (l1: number, c1: number, l2: number, c2: number): boolean => l1 < l2 || (l1 === l2 && c1 <= c2)
    const contains = (sp: Span, line: number, col: number): boolean => before(sp.line, sp.col, line, col) && before(line, col, sp.endLine, sp.endCol)
    /** the innermost declaration holding a position; a declaration's name belongs to its scope (capnp checks names there) */
    const ownerAt = (unit: Unit, line: number, col: number): Sym => {
      const list = entities.get(unit) ?? [unit.sym]
      let lo = 0
      let hi = list.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (before(list[mid].decl.line, list[mid].decl.col, line, col)) lo = mid
        else hi = mid - 1
      }
      let x: Sym | undefined = list[lo]
      while (x && x.parent && (!contains(x.decl, line, col) || contains(x.decl.name, line, col))) x = entityOf(x.parent)
      return x ?? unit.sym
    }
    const edges = new Map<Sym, Sym[]>()
    for (const u of this.uses) {
      const from = ownerAt(u.unit, u.line, u.col)
      const list = edges.get(from)
      if (list) list.push(entityOf(u.sym))
      else edges.set(from, [entityOf(u.sym)])
    }
    const reached = new Set<Sym>()
    const stack: Sym[] = []
    const reach = (s: Sym): void => {
      if (reached.has(s)) return
      reached.add(s)
      stack.push(s)
    }
    for (const s of entities.get(main) ?? []) if (s.kind !== 'using') reach(s)
    while (stack.length) {
      const s = stack.pop() as Sym
      // a node is compiled with its scope; an alias is resolved where it is used
      if (s.kind !== 'using' && s.parent) reach(entityOf(s.parent))
      for (const t of edges.get(s) ?? []) reach(t)
    }
    return this.diagnostics.filter(d => {
      const u = byDisplay.get(d.file)
      return !u || d.file === main.display || this.parseLevel.has(d) || reached.has(ownerAt(u, d.line, d.column))
    })
  }
}

function findImportsIn(e: Expr | undefined, out: Set<string>): void {
  if (!e) return
  switch (e.k) {
    case 'import':
      out.add(e.path)
      break
    case 'list':
      for (const x of e.items) findImportsIn(x, out)
      break
    case 'tuple':
      for (const x of e.items) findImportsIn(x.value, out)
      break
    case 'apply':
      findImportsIn(e.fn, out)
      for (const x of e.params) findImportsIn(x.value, out)
      break
    case 'member':
      findImportsIn(e.parent, out)
      break
    default:
      break
  }
}

function findImportsInParams(pl: Decl['params'], out: Set<string>): void {
  if (!pl) return
  if (pl.k === 'params') {
    for (const p of pl.params) {
      findImportsIn(p.type, out)
      for (const a of p.annotations) findImportsIn(a.name, out)
    }
  } else if (pl.k === 'type') findImportsIn(pl.type, out)
  else out.add(STREAM_PATH)
}

/** Import paths a file's declarations use for types and annotations (not for values). */
export function findImports(d: Decl, out: Set<string>): void {
  switch (d.kind) {
    case 'using':
      findImportsIn(d.target, out)
      break
    case 'const':
    case 'field':
      findImportsIn(d.type, out)
      break
    case 'interface':
      for (const x of d.superclasses ?? []) findImportsIn(x, out)
      break
    case 'method':
      findImportsInParams(d.params, out)
      findImportsInParams(d.results, out)
      break
    default:
      break
  }
  for (const a of d.annotations) findImportsIn(a.name, out)
  for (const n of d.nested) findImports(n, out)
}
