/**
 * Compiling a schema version to a CodeGeneratorRequest (what `capnp compile -o-` writes) and
 * generating language bindings from it, with no Cap'n Proto toolchain installed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { loadCapnpFile, type CapnpDiagnostic, type CapnpModel } from '../../capnp/index.js'
import { buildCodeGeneratorRequest } from '../../capnp/request.js'
import { SsmdError } from '../../core/errors.js'
import { repairGeneratedTypeScript, type EsRequest } from './capnp-es-fixes.js'
import { definitionRef, resolveDefinition } from './files.js'
import type { SchemaData } from '../../spec/types.generated.js'
import { parseSchemaRef } from '../input.js'
import { findSchemaVersion, orderedVersions } from './lifecycle.js'

export interface CompiledSchema {
  name: string
  version: string
  /** the definition file, relative to the ssmd root */
  display: string
  /** the file's name in the request: relative to schemas/, as `capnp compile --src-prefix=schemas` names it */
  requestName: string
  model: CapnpModel
  request: Uint8Array
}

/** `trade`, `trade:v2` or `trade@v2`. */
export function parseCompileRef(arg: string): { name: string; version?: string } {
  return parseSchemaRef(arg.replace('@', ':'), { requireVersion: false })
}

/** One line per problem: `file:line:col: message`. */
export function diagnosticLines(diagnostics: CapnpDiagnostic[], schemasPrefix: string): string[] {
  return diagnostics.map(d => `${d.file.startsWith(schemasPrefix) ? d.file : `${schemasPrefix}${d.file}`}:${d.line}:${d.column}: ${d.message}`)
}

/**
 * Compiles the definition of `name` at `versionId` (default: the highest version) to a request.
 * Imports resolve inside schemas/; the bundled standard files serve `/capnp/...`.
 */
export function compileSchemaVersion(root: string, name: string, schema: SchemaData, versionId?: string, options: { withImports?: boolean } = {}): CompiledSchema {
  if (schema.format !== 'capnp') throw new SsmdError(`only capnp schemas compile to a CodeGeneratorRequest; '${name}' is ${schema.format}`)
  const versions = orderedVersions(schema)
  const chosen = versionId === undefined ? versions[versions.length - 1] : findSchemaVersion(name, schema, versionId)
  if (!chosen) throw new SsmdError(`schema '${name}' has no versions`)
  const ref = definitionRef(schema, chosen.version)
  if (!ref) throw new SsmdError(`${name}:${chosen.version.version} names no definition file`)
  const resolved = resolveDefinition(root, ref)
  if (!resolved.abs) throw new SsmdError(resolved.problem?.message ?? `cannot read ${resolved.display}`)
  const schemasDir = join(root, 'schemas')
  const requestName = relative(schemasDir, resolved.abs).split(sep).join('/')
  let source: string
  try {
    source = readFileSync(resolved.abs, 'utf8')
  } catch (error) {
    throw new SsmdError(`cannot read ${resolved.display}: ${(error as Error).message}`)
  }
  const r = loadCapnpFile(resolved.abs, { rootDir: schemasDir, displayPath: requestName, source })
  if (!r.ok || !r.model) {
    // lead with an error itself, not with a note pointing at an earlier place ("… originally used here.")
    const ordered = [...r.diagnostics.filter(d => !/ here\.$/.test(d.message)), ...r.diagnostics.filter(d => / here\.$/.test(d.message))]
    const lines = diagnosticLines(ordered, 'schemas/')
    throw new SsmdError(
      `${lines[0] ?? `${resolved.display} does not compile`}${lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''}; see ssmd validate)` : ''}`,
    )
  }
  const models = [r.model]
  if (options.withImports) {
    // the files it imports (not the bundled /capnp/ ones) are requested too, so each gets bindings
    for (const file of r.model.imports) {
      if (file.startsWith('capnp/')) continue
      const abs = join(schemasDir, file)
      const imported = loadCapnpFile(abs, { rootDir: schemasDir, displayPath: file })
      if (imported.ok && imported.model) models.push(imported.model)
    }
  }
  return {
    name,
    version: chosen.version.version,
    display: resolved.display,
    requestName,
    model: r.model,
    request: buildCodeGeneratorRequest(models),
  }
}

export type BindingLanguage = 'ts' | 'js' | 'dts'

/**
 * capnp-es's code generator runs on the TypeScript compiler, which ssmd does not
 * install: it is an optional peer dependency (23 MB, for this one command), so
 * a user who never generates bindings never downloads it. Without it, one line
 * says how to add it; nothing is fetched behind the user's back (offline-safe).
 */
async function requireTypeScript(): Promise<void> {
  try {
    await import('typescript')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new SsmdError(
      "schema generate needs the TypeScript compiler, which is not installed with ssmd (only this command uses it): run 'npm install --global typescript@5' beside a global ssmd, or 'npm install --save-dev typescript@5' in the project that has ssmd; nothing written",
    )
  }
}

/**
 * Bindings for a compiled schema through capnp-es's code generator: file name (as capnp-es names
 * it, relative to the output folder) to content.
 */
export async function generateBindings(compiled: CompiledSchema, lang: BindingLanguage): Promise<Map<string, string>> {
  await requireTypeScript()
  let compileAll: typeof import('capnp-es/compiler').compileAll
  try {
    ;({ compileAll } = await import('capnp-es/compiler'))
  } catch (error) {
    throw new SsmdError(`the code generator could not be loaded: ${(error as Error).message}`)
  }
  // The generated code imports 'capnp-es': type-check it against the copy ssmd ships, wherever
  // the output goes. capnp-es prints type errors on stdout; keep them for the error message.
  const capnpEs = dirname(createRequire(import.meta.url).resolve('capnp-es'))
  const capnp = await import('capnp-es')
  const schema = await import('capnp-es/capnp/schema')
  refuseUnresolvableImports(compiled, capnpEs, capnp, schema)
  const printed: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => {
    printed.push(args.map(String).join(' '))
  }
  let files: Map<string, string>
  try {
    // TypeScript first, whatever the language: capnp-es's known faults are repaired in it, and
    // JavaScript and declarations are then emitted from the repaired sources
    ;({ files } = await compileAll(Buffer.from(compiled.request), { ts: true, js: false, dts: false }))
  } catch (error) {
    const first = printed.find(l => l.trim() !== '')
    throw new SsmdError(`generating ${lang} bindings for ${compiled.display} failed: ${first ?? (error as Error).message}`)
  } finally {
    console.log = log
  }
  const req = new capnp.Message(compiled.request, false).getRoot(schema.CodeGeneratorRequest)
  repairGeneratedTypeScript(files, req as unknown as EsRequest, schema.Type_Which, compiled.display)
  // nothing that does not compile is written: the sources are type-checked together first
  const problem = await typeCheckGenerated(files, capnpEs)
  if (problem) throw new SsmdError(`the TypeScript generated for ${compiled.display} does not compile: ${problem}`)
  return lang === 'ts' ? files : emitGenerated(files, lang, capnpEs)
}

/**
 * capnp-es's generator turns an import of `/capnp/NAME.capnp` into `capnp-es/capnp/NAME`, and any
 * other import into a path next to the generated file. Imports the generated code would actually
 * use (the imported file declares a struct, enum or interface) are refused here when capnp-es has
 * no such module, or when the import is absolute (it would become a `.//` path), instead of
 * writing code that cannot compile.
 */
function refuseUnresolvableImports(compiled: CompiledSchema, capnpEsDir: string, capnp: typeof import('capnp-es'), schema: typeof import('capnp-es/capnp/schema')): void {
  const req = new capnp.Message(compiled.request, false).getRoot(schema.CodeGeneratorRequest)
  const nodes = new Map([...req.nodes].map(n => [n.id, n]))
  const declaresTypes = (fileId: bigint): boolean =>
    [...(nodes.get(fileId)?.nestedNodes ?? [])].some(nn => {
      const n = nodes.get(nn.id)
      return n !== undefined && (n._isStruct || n._isEnum || n._isInterface)
    })
  for (const f of req.requestedFiles) {
    for (const imp of f.imports) {
      if (!imp.name.startsWith('/') || !declaresTypes(imp.id)) continue
      const std = /^\/capnp\/(.+)\.capnp$/.exec(imp.name)
      if (std && existsSync(join(capnpEsDir, 'capnp', `${std[1]}.d.mts`))) continue
      const why = std
        ? `capnp-es provides no module for it (it has ${readdirSync(join(capnpEsDir, 'capnp'))
            .filter(x => x.endsWith('.d.mts'))
            .map(x => `/capnp/${x.slice(0, -'.d.mts'.length)}.capnp`)
            .join(', ')})`
        : 'capnp-es cannot generate an absolute import; import it by a path relative to the importing file'
      throw new SsmdError(`cannot generate bindings for ${compiled.display}: ${f.filename} imports "${imp.name}" and ${why}`)
    }
  }
}

/** Declaration files (TypeScript's libs, capnp-es's), parsed once per process for every check. */
const declarationCache = new Map<string, import('typescript').SourceFile | undefined>()

/**
 * Type-checks generated TypeScript in memory, the files importing each other by their generated
 * names and `capnp-es` resolving to the copy ssmd ships: strict, as a project compiling them would.
 * Returns the first diagnostic as `file:line:col message`, or undefined when they compile.
 */
export async function typeCheckGenerated(files: Map<string, string>, capnpEsDir: string): Promise<string | undefined> {
  const ts = (await import('typescript')).default
  const options: import('typescript').CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    types: [],
  }
  const program = memoryProgram(ts, files, options, capnpEsDir)
  const first = ts.getPreEmitDiagnostics(program)[0]
  if (!first) return undefined
  const message = ts.flattenDiagnosticMessageText(first.messageText, ' ')
  if (!first.file || first.start === undefined) return message
  const { line, character } = first.file.getLineAndCharacterOfPosition(first.start)
  const name = first.file.fileName.startsWith(`${MEMORY_ROOT}/`) ? first.file.fileName.slice(MEMORY_ROOT.length + 1) : first.file.fileName
  return `${name}:${line + 1}:${character + 1}: ${message}`
}

/**
 * JavaScript or declarations from type-checked TypeScript, with the options capnp-es's own
 * `--js`/`--dts` output uses: file name (the TypeScript's, with its new extension) to content.
 */
async function emitGenerated(files: Map<string, string>, lang: 'js' | 'dts', capnpEsDir: string): Promise<Map<string, string>> {
  const ts = (await import('typescript')).default
  const options: import('typescript').CompilerOptions = {
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ESNext,
    noFallthroughCasesInSwitch: true,
    preserveConstEnums: true,
    noImplicitReturns: true,
    removeComments: false,
    skipLibCheck: true,
    sourceMap: false,
    strict: true,
    types: [],
    declaration: lang === 'dts',
    emitDeclarationOnly: lang === 'dts',
  }
  const out = new Map<string, string>()
  const program = memoryProgram(ts, files, options, capnpEsDir, (name, text) => {
    if (name.startsWith(`${MEMORY_ROOT}/`)) out.set(name.slice(MEMORY_ROOT.length + 1), text)
  })
  const result = program.emit()
  if (result.emitSkipped) throw new SsmdError(`emitting ${lang} failed: ${result.diagnostics.map(d => ts.flattenDiagnosticMessageText(d.messageText, ' '))[0] ?? 'no output'}`)
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

const MEMORY_ROOT = '/__generated__'

/** A TypeScript program over generated sources held in memory, `capnp-es` resolving to the copy ssmd ships. */
function memoryProgram(
  ts: typeof import('typescript'),
  files: Map<string, string>,
  base: import('typescript').CompilerOptions,
  capnpEsDir: string,
  write?: (name: string, text: string) => void,
): import('typescript').Program {
  const mem = new Map([...files].map(([name, text]) => [`${MEMORY_ROOT}/${name}`, text]))
  const options = { ...base, paths: { 'capnp-es': [join(capnpEsDir, 'index.d.mts')], 'capnp-es/*': [join(capnpEsDir, '*')] } }
  const host = ts.createCompilerHost(options)
  const fileExists = host.fileExists.bind(host)
  const readFile = host.readFile.bind(host)
  const getSourceFile = host.getSourceFile.bind(host)
  host.fileExists = f => mem.has(f) || fileExists(f)
  const directoryExists = host.directoryExists?.bind(host)
  host.directoryExists = d => d === MEMORY_ROOT || [...mem.keys()].some(f => f.startsWith(`${d}/`)) || (directoryExists?.(d) ?? false)
  host.readFile = f => mem.get(f) ?? readFile(f)
  host.getSourceFile = (f, lang, onError) => {
    const text = mem.get(f)
    if (text !== undefined) return ts.createSourceFile(f, text, lang)
    if (!declarationCache.has(f)) declarationCache.set(f, getSourceFile(f, lang, onError))
    return declarationCache.get(f)
  }
  if (write) host.writeFile = (name, text) => write(name, text)
  return ts.createProgram([...mem.keys()], options, host)
}
