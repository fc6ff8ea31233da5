/**
 * Cap'n Proto schema-language front end: parse, check and model `.capnp` files with no external
 * compiler, compare two versions structurally, and render a human-readable structure.
 */
import * as path from 'node:path'
import { Compiler, type CapnpDiagnostic } from './compiler.js'
import type { CapnpModel } from './model.js'
import { readBounded } from '../io/read.js'

export type { CapnpDiagnostic } from './compiler.js'
export type { CapnpModel, CapnpNode, CapnpField, CapnpEnumerant, CapnpMethod, CapnpType, CapnpNodeKind, PrimitiveName } from './model.js'
export { typeToString, typeKey } from './model.js'
export { parseCapnp } from './parser.js'
export type { Decl, Expr, Span } from './ast.js'
export { compareCapnp, type CapnpChange } from './compare.js'
export { renderStructure, structureModel, type StructureEntry } from './render.js'
export { generateChildId, generateGroupId, generateMethodParamsId, hexId } from './ids.js'
export { STD_FILES } from './std.js'

export interface CapnpLoadResult {
  ok: boolean
  model?: CapnpModel
  diagnostics: CapnpDiagnostic[]
}

export interface CheckOptions {
  /** Reads an imported or embedded file by absolute path; return undefined when missing or not allowed. */
  readImport?: (absPath: string) => string | undefined
  /** Reads a file embedded as `Data` byte for byte; without it, the UTF-8 encoding of readImport's text is embedded. */
  readImportBytes?: (absPath: string) => Uint8Array | undefined
  /** Keep what a CodeGeneratorRequest's fileSourceInfo needs (default true; validation needs none of it). */
  sourceInfo?: boolean
  /** Relative imports must resolve inside this directory. */
  rootDir?: string
  /** Absolute path of the file on disk (defaults to `file` resolved against rootDir or the cwd). */
  absPath?: string
  /** Folders absolute imports resolve against before rootDir (like `capnp -I`). */
  importDirs?: string[]
}

function sortDiagnostics(d: CapnpDiagnostic[], main: string): CapnpDiagnostic[] {
  // the checked file's own problems first, then those of the files it imports
  const rank = (x: CapnpDiagnostic): string => (x.file === main ? '' : x.file)
  return d.sort((a, b) => (rank(a) === rank(b) ? a.line - b.line || a.column - b.column : rank(a) < rank(b) ? -1 : 1))
}

/** Checks schema source text. `file` is used as given in diagnostics and display names. */
export function checkCapnpSource(source: string, file: string, options: CheckOptions = {}): CapnpLoadResult {
  const absPath = options.absPath ?? (path.isAbsolute(file) ? file : path.resolve(options.rootDir ?? process.cwd(), file))
  const compiler = new Compiler({
    absPath,
    displayPath: file,
    rootDir: options.rootDir,
    readFile: options.readImport,
    readBytes: options.readImportBytes,
    importDirs: options.importDirs?.map(d => path.resolve(d)),
    sourceInfo: options.sourceInfo,
  })
  const model = compiler.compile(source)
  const diagnostics = sortDiagnostics(compiler.diagnostics, file)
  return { ok: diagnostics.length === 0, model, diagnostics }
}

/** A regular file inside `root`, read bounded (never a FIFO or device, never through a symlink leaving it). */
function readCapnpBytes(abs: string, display: string, root: string): Buffer {
  const r = readBounded(abs, { maxBytes: 8 * 1024 * 1024, display, root })
  if (r.refusal) throw new Error(r.refusal.message)
  return r.bytes
}

function readCapnpText(abs: string, display: string, root: string): string {
  return readCapnpBytes(abs, display, root).toString('utf8')
}

/** Reads and checks a file from disk; relative imports and embeds must stay inside `rootDir`. */
export function loadCapnpFile(
  absPath: string,
  options: { rootDir: string; displayPath?: string; source?: string; onRead?: (absPath: string, found: boolean) => void; importDirs?: string[]; sourceInfo?: boolean },
): CapnpLoadResult {
  const display = options.displayPath ?? absPath
  let source: string
  try {
    // Callers that already read the bytes (to hash them) pass the text, so the file is read once.
    source = options.source ?? readCapnpText(absPath, display, path.resolve(options.rootDir))
  } catch (err) {
    return {
      ok: false,
      diagnostics: [{ file: display, line: 1, column: 1, message: `Cannot read file: ${(err as Error).message}` }],
    }
  }
  const root = path.resolve(options.rootDir)
  const readImportBytes = (p: string): Buffer | undefined => {
    const rel = path.relative(root, p)
    if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined
    try {
      const bytes = readCapnpBytes(p, p, root)
      options.onRead?.(p, true)
      return bytes
    } catch {
      options.onRead?.(p, false)
      return undefined
    }
  }
  const readImport = (p: string): string | undefined => readImportBytes(p)?.toString('utf8')
  return checkCapnpSource(source, display, {
    readImport,
    readImportBytes,
    rootDir: root,
    absPath: path.resolve(absPath),
    importDirs: options.importDirs,
    sourceInfo: options.sourceInfo,
  })
}
