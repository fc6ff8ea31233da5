/**
 * Compiling a schema version to a CodeGeneratorRequest (what `capnp compile -o-` writes) and
 * generating language bindings from it, with no Cap'n Proto toolchain installed.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadCapnpFile, type CapnpDiagnostic, type CapnpModel } from '../../capnp/index.js'
import { buildCodeGeneratorRequest } from '../../capnp/request.js'
import { SsmdError } from '../../core/errors.js'
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
  const capnpEs = dirname(fileURLToPath(import.meta.resolve('capnp-es')))
  const tsconfig = { paths: { 'capnp-es': [join(capnpEs, 'index.d.mts')], 'capnp-es/*': [join(capnpEs, '*')] } }
  const printed: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => {
    printed.push(args.map(String).join(' '))
  }
  try {
    const { files } = await compileAll(Buffer.from(compiled.request), { ts: lang === 'ts', js: lang === 'js', dts: lang === 'dts', tsconfig })
    return files
  } catch (error) {
    throw new SsmdError(`generating ${lang} bindings for ${compiled.display} failed: ${printed[0] ?? (error as Error).message}`)
  } finally {
    console.log = log
  }
}
