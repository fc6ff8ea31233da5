/**
 * Semantic analysis of Cap'n Proto schema files, producing a CapnpModel and diagnostics. The entry
 * only wires the layers of compiler/ (declarations → resolve → values → translate, with symbols.ts
 * and generics.ts beneath them) and runs a compile; it holds no analysis of its own.
 */
import { hexId } from './ids.js'
import type { CapnpModel, CapnpNode, PrimitiveName } from './model.js'
import { parseCapnp } from './parser.js'
import { findImports } from './compiler/declarations.js'
import type { Unit } from './compiler/symbols.js'
import { Translator } from './compiler/translate.js'

export type { CapnpDiagnostic } from './compiler/symbols.js'

/** Compiles one file (and what it imports); `diagnostics` holds what capnp would report. */
export class Compiler extends Translator {
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
      ...(this.opts.sourceInfo === false ? {} : { identifiers: this.resolvedIdentifiers(unit.text) }),
    }
  }
}

export type { PrimitiveName }
