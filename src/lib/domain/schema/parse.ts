import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CapnpModel } from '../../capnp/index.js'
import type { ProtoModel } from '../../protobuf/index.js'
import { SsmdError } from '../../core/errors.js'
import { plural } from '../../core/text.js'
import { conflictMessage, findConflictMarker } from '../../core/conflict-markers.js'

export interface DefinitionProblem {
  message: string
  line: number
  column: number
  /** Path relative to the ssmd root of the file the problem is in. */
  file: string
}

export interface ParsedDefinition {
  ok: boolean
  problems: DefinitionProblem[]
  /** Cap'n Proto model, for structural compares. */
  capnp?: CapnpModel
  /** Protocol Buffers model, for structural compares. */
  protobuf?: ProtoModel
  /** The parsed JSON of a JSON Schema definition, for compares. */
  json?: { value: unknown }
}

/** `file:line:col  message` lines. */
export const problemLines = (problems: readonly DefinitionProblem[]) => problems.map(p => `  ${p.file}:${p.line}:${p.column}  ${p.message}`)

/**
 * The one report of a definition that does not parse: `<subject> does not parse
 * [as <format>] (N errors); <then>`, with each problem as a detail line.
 */
export function notParsing(subject: string, problems: readonly DefinitionProblem[], then: string, format?: string): SsmdError {
  const count = problems.length > 0 ? ` (${plural(problems.length, 'error')})` : ''
  return new SsmdError(`${subject} does not parse${format === undefined ? '' : ` as ${format}`}${count}; ${then}`, { details: problemLines(problems) })
}

// Loaded on first use, once: a dynamic import per file costs a module-loader round trip.
let capnpModule: Promise<typeof import('../../capnp/index.js')> | undefined
let protobufModule: Promise<typeof import('../../protobuf/index.js')> | undefined

/**
 * Parses a definition file in its format: Cap'n Proto with ssmd's own parser,
 * protobuf with protobufjs, JSON Schema as JSON + ajv meta-validation.
 * Parsers are loaded only when a file of that format is checked. `onRead`
 * hears of every other file the parse read or looked for (Cap'n Proto imports
 * and embeds), so a cached result can be checked against them.
 */
export async function parseDefinition(
  root: string,
  abs: string,
  display: string,
  format: string,
  source?: string,
  onRead?: (absPath: string, found: boolean) => void,
): Promise<ParsedDefinition> {
  // A file git left mid-merge: the markers are the problem, not whatever a parser makes of them.
  const conflict = source === undefined ? undefined : conflictProblem(source, display)
  if (conflict) return conflict
  if (format === 'capnp') {
    const { loadCapnpFile } = await (capnpModule ??= import('../../capnp/index.js'))
    const r = loadCapnpFile(abs, { rootDir: join(root, 'schemas'), displayPath: display, source, onRead, sourceInfo: false })
    return {
      ok: r.ok,
      capnp: r.ok ? r.model : undefined,
      // Errors in an imported file name that file (its path relative to schemas/).
      problems: r.diagnostics.map(d => ({
        message: d.message,
        line: d.line,
        column: d.column,
        file: d.file === display ? display : relativeDisplay(root, join(root, 'schemas', d.file), display),
      })),
    }
  }
  let text: string
  try {
    text = source ?? readFileSync(abs, 'utf8')
  } catch (error) {
    return { ok: false, problems: [{ message: `cannot read: ${(error as Error).message}`, line: 1, column: 1, file: display }] }
  }
  if (source === undefined) {
    const unmerged = conflictProblem(text, display)
    if (unmerged) return unmerged
  }
  if (format === 'protobuf') {
    const { buildProtoModel } = await (protobufModule ??= import('../../protobuf/index.js'))
    try {
      return { ok: true, problems: [], protobuf: buildProtoModel(text, display) }
    } catch (error) {
      const message = (error as Error).message
      const at = error as { line?: unknown; column?: unknown }
      const line = typeof at.line === 'number' ? at.line : Number(/line (\d+)/.exec(message)?.[1] ?? 1)
      const column = typeof at.column === 'number' ? at.column : 1
      return { ok: false, problems: [{ message: `protobuf: ${message.replace(/^illegal/, 'unexpected')}`, line, column, file: display }] }
    }
  }
  if (format === 'json_schema') {
    // Before parsing: JSON.parse takes any depth, but the schema checks after it recurse.
    const deep = jsonTooDeep(text)
    if (deep) return { ok: false, problems: [{ message: JSON_NESTING_MESSAGE, line: deep.line, column: deep.column, file: display }] }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      const message = (error as Error).message
      const pos = Number(/position (\d+)/.exec(message)?.[1] ?? 0)
      const before = text.slice(0, pos)
      const line = before.split('\n').length
      return { ok: false, problems: [{ message: `invalid JSON: ${message}`, line, column: pos - before.lastIndexOf('\n'), file: display }] }
    }
    const { Ajv2020 } = await import('ajv/dist/2020.js')
    const ajv = new Ajv2020({ strict: false, validateFormats: false })
    const draft7 = typeof json === 'object' && json !== null && /draft-0[4-7]/.test(String((json as { $schema?: unknown }).$schema ?? ''))
    const validator = draft7 ? new (await import('ajv')).Ajv({ strict: false, validateFormats: false }) : ajv
    const valid = validator.validateSchema(json as object)
    if (!valid) {
      const errs = (validator.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath || '/'} ${e.message}`).join('; ')
      return { ok: false, problems: [{ message: `not a valid JSON Schema: ${errs}`, line: 1, column: 1, file: display }] }
    }
    return { ok: true, problems: [], json: { value: json } }
  }
  return { ok: false, problems: [{ message: `unknown format '${format}'`, line: 1, column: 1, file: display }] }
}

/** The deepest nesting of objects and arrays a JSON Schema file may use (as for YAML documents). */
export const JSON_MAX_NESTING = 100
const JSON_NESTING_MESSAGE = `invalid JSON: nesting deeper than ${JSON_MAX_NESTING} levels of objects and arrays; declare the inner schema in $defs and refer to it with $ref`

/** Where JSON text first opens an object or array deeper than JSON_MAX_NESTING: one pass, no recursion. */
export function jsonTooDeep(text: string): { line: number; column: number } | undefined {
  let depth = 0
  let line = 1
  let lineStart = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      line++
      lineStart = i + 1
    } else if (c === 34) {
      // a string: skip to its closing quote (escapes skip the next character; strings hold no newline)
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 92) i++
        else if (d === 34 || d === 10) break
      }
      if (text.charCodeAt(i) === 10) i--
    } else if (c === 123 || c === 91) {
      if (++depth > JSON_MAX_NESTING) return { line, column: i - lineStart + 1 }
    } else if (c === 125 || c === 93) depth--
  }
  return undefined
}

function conflictProblem(text: string, display: string): ParsedDefinition | undefined {
  const found = findConflictMarker(text)
  return found && { ok: false, problems: [{ message: conflictMessage(found), line: found.line, column: found.column, file: display }] }
}

function relativeDisplay(root: string, file: string, fallback: string): string {
  if (file.startsWith(root))
    return file
      .slice(root.length + 1)
      .split('\\')
      .join('/')
  return file || fallback
}
