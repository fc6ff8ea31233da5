import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { DOCUMENT_SCHEMAS } from '../spec/documents.js'
import type { JsonSchema } from '../spec/common.js'
import { pointerSegments } from '../yaml/locate.js'
import { closest, plural } from '../core/text.js'
import type { SsmdDocument } from '../workspace/document.js'
import type { ContractError, ValidateFunction } from './contract-compile.js'
import type { Report } from './types.js'

let validators: Record<string, ValidateFunction> | undefined
let compiledChecked = false

/** The precompiled validators, loaded synchronously; undefined when the build has not made them (running from sources). */
function precompiledValidators(): Record<string, ValidateFunction> | undefined {
  if (validators || compiledChecked) return validators
  compiledChecked = true
  const compiled = new URL('../../generated/validators.cjs', import.meta.url)
  if (existsSync(compiled)) validators = createRequire(import.meta.url)(fileURLToPath(compiled)) as Record<string, ValidateFunction>
  return validators
}

async function loadValidators(): Promise<Record<string, ValidateFunction>> {
  const ready = precompiledValidators()
  if (ready) return ready
  const { compileInProcess } = await import('./contract-compile.js')
  validators ??= compileInProcess(Object.values(DOCUMENT_SCHEMAS).map(d => d.schema))
  return validators
}

export interface ContractFinding extends Report {
  rule: string
  path: string
}

const KIND_LABEL: Record<string, string> = { feed: 'a feed', schema: 'a schema metadata', environment: 'an environment', policy: 'an ssmd.yaml policy' }

/** Checks one document against its JSON Schema; one finding per violation. */
export async function checkContract(doc: SsmdDocument): Promise<ContractFinding[]> {
  return contractFindings(doc, await loadValidators())
}

/**
 * Like checkContract, but synchronous once the validators are loaded (always,
 * in the built CLI): a promise per document is most of the contract check's cost.
 */
export function checkContractNow(doc: SsmdDocument): ContractFinding[] | Promise<ContractFinding[]> {
  const ready = validators ?? precompiledValidators()
  return ready ? contractFindings(doc, ready) : checkContract(doc)
}

const pending = new WeakMap<SsmdDocument, Promise<ContractFinding[]>>()

/** The contract violations of a file without any (shared by all of them: most files). */
const NO_CONTRACT: ContractFinding[] = Object.freeze([]) as unknown as ContractFinding[]

/**
 * The `contract` capability of built-in rules: a document's contract
 * violations, checked once per content and shared by the rules that own them
 * (schema/contract and the rules its findings name); without a promise when the
 * result is at hand (the common case). A document that could not be read has
 * none (yaml/syntax says why). The result depends on the document's content
 * alone, so it is memoised on the document, where the validation cache keeps
 * it between runs.
 */
export function contractOf(doc: SsmdDocument): readonly ContractFinding[] | Promise<readonly ContractFinding[]> {
  const known = doc.memo.contract as ContractFinding[] | undefined
  if (known !== undefined) return known
  const waiting = pending.get(doc)
  if (waiting) return waiting
  const c = doc.problem ? NO_CONTRACT : checkContractNow(doc)
  if (Array.isArray(c)) {
    doc.remember('contract', c.length === 0 ? NO_CONTRACT : c)
    return c
  }
  pending.set(doc, c)
  void c.then(
    list => {
      doc.remember('contract', list)
    },
    () => undefined,
  )
  return c
}

function contractFindings(doc: SsmdDocument, all: Record<string, ValidateFunction>): ContractFinding[] {
  const spec = DOCUMENT_SCHEMAS[doc.kind]
  const validate = all[spec.schema.$id as string]
  if (doc.data === undefined || doc.data === null) {
    return [{ rule: 'schema/contract', path: '', message: `file is empty; expected ${KIND_LABEL[doc.kind]} document` }]
  }
  if (validate(doc.data)) return []
  return (validate.errors ?? []).filter(e => !isNoise(e)).map(e => describe(e, spec.schema, doc))
}

/** ajv also reports the failing branch of `propertyNames`; the pattern error says it all. */
function isNoise(e: ContractError): boolean {
  return e.keyword === 'propertyNames' || e.keyword === 'if'
}

function schemaAt(root: JsonSchema, schemaPath: string): JsonSchema | undefined {
  let node: unknown = root
  for (const seg of pointerSegments(schemaPath.replace(/^#/, ''))) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[seg]
  }
  return node as JsonSchema | undefined
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `the string '${v.length > 40 ? v.slice(0, 40) + '…' : v}'`
  return `${typeof v} ${String(v)}`
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data
  for (const seg of pointerSegments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[seg]
  }
  return node
}

const PATTERN_HELP: Array<[RegExp, string, string]> = [
  [/^\^\[0-9\]\{4\}/, 'date/valid', 'is not a date; use YYYY-MM-DD'],
  [/^\^\(\[01\]/, 'schema/contract', 'is not a time of day; use "HH:MM" (24-hour, quoted)'],
  [/^\^v\[1-9\]/, 'schema/contract', 'is not a version id; use v1, v2, …'],
  [/^\^sha256/, 'schema/contract', "is not a hash of the form sha256:<64 lowercase hex>; run 'ssmd schema hash'"],
  [/^\^\[a-z0-9\]\[a-z0-9_-\]\{0,62\}:v/, 'ref/schema-exists', 'is not a schema reference; use <schema>:<version>, e.g. trade:v1'],
  [/^\^\[a-z0-9\]\[a-z0-9_-\]/, 'schema/contract', 'is not a valid name: 1–63 lowercase letters, digits, - or _, starting with a letter or digit'],
  [/^\^\(env\|/, 'env/key-source', 'is not a key source; use env, sealed-secret/<name> or vault/<path>'],
  [/^\^\[1-9\]\[0-9\]\*\(B/, 'env/cache', 'is not a size; use a number and a unit, like 512KB, 100MB or 2GB'],
  [/^\^\[a-z0-9_\]\+\$/, 'schema/contract', 'is not a field name; use lowercase letters, digits and _'],
]

function describe(e: ContractError, schema: JsonSchema, doc: SsmdDocument): ContractFinding {
  const path = e.instancePath
  const value = valueAt(doc.data, path)
  const where = path === '' ? 'document' : `'${pointerSegments(path).at(-1)}'`
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty)
      const parent = schemaAt(schema, e.schemaPath.replace(/\/additionalProperties$/, ''))
      const known = Object.keys((parent?.properties ?? {}) as object)
      const hint = closest(key, known)
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
      return {
        rule: 'schema/contract',
        path: at,
        at: 'key',
        message: `unknown key '${key}'${hint ? `; did you mean '${hint}'?` : known.length ? ` (allowed: ${known.join(', ')}; or an x- extension key)` : ''}`,
      }
    }
    case 'required': {
      const key = String(e.params.missingProperty)
      return { rule: 'schema/contract', path, at: 'key', message: `missing required key '${key}' in ${path === '' ? 'the document' : where}` }
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String)
      const hint = typeof value === 'string' ? closest(value, allowed) : undefined
      return { rule: 'schema/contract', path, message: `${where} must be one of ${allowed.join(', ')}; got ${typeName(value)}${hint ? `; did you mean '${hint}'?` : ''}` }
    }
    case 'type': {
      const expected = String(e.params.type)
        .replace('integer', 'a whole number')
        .replace(/^string$/, 'a string')
        .replace(/^object$/, 'a mapping')
        .replace(/^array$/, 'a list')
        .replace(/^boolean$/, 'true or false')
        .replace(/^number$/, 'a number')
      return {
        rule: path === '' ? 'schema/contract' : 'schema/contract',
        path,
        message: `${path === '' ? `expected ${KIND_LABEL[doc.kind]} document (a mapping)` : `${where} must be ${expected}`}; got ${typeName(value)}`,
      }
    }
    case 'pattern': {
      const pattern = String(e.params.pattern)
      const help = PATTERN_HELP.find(([re]) => re.test(pattern))
      return { rule: help?.[1] ?? 'schema/contract', path, message: `${where}: ${typeName(value)} ${help?.[2] ?? `does not match ${pattern}`}` }
    }
    case 'minItems':
      return { rule: 'schema/contract', path, message: `${where} must have at least ${plural(Number(e.params.limit), 'item')}` }
    case 'minimum':
      return { rule: 'schema/contract', path, message: `${where} must be at least ${String(e.params.limit)}; got ${typeName(value)}` }
    case 'minLength':
      return { rule: 'schema/contract', path, message: `${where} must not be empty` }
    case 'uniqueItems':
      return { rule: 'schema/contract', path, message: `${where} has duplicate items (positions ${String(e.params.j)} and ${String(e.params.i)})` }
    default:
      return { rule: 'schema/contract', path, message: `${where} ${e.message ?? 'is invalid'}` }
  }
}
