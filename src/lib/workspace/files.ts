import { existsSync, readFileSync } from 'node:fs'
import jsYaml from 'js-yaml'
import { ConflictError, SsmdError } from '../core/errors.js'
import { applyEdits, EditError, type EditOp } from '../yaml/edit.js'
import { parseYamlBytes } from '../yaml/read.js'
import { renderDocument } from '../yaml/render.js'
import { writeFileAtomic } from '../io/atomic.js'
import { withFileLock } from '../io/lock.js'
import { DOCUMENT_SCHEMAS } from '../spec/documents.js'
import { keyOrderAt } from '../spec/generate.js'

const KIND_BY_FOLDER: Record<string, keyof typeof DOCUMENT_SCHEMAS> = { feeds: 'feed', schemas: 'schema', environments: 'environment' }

/**
 * Edits one YAML document in place, under the file's lock: `plan` sees the
 * current data (read inside the lock) and returns the edits to make. Only the
 * edited nodes change in the text; the write is atomic. Returns the new data.
 */
export function editDocument<T>(absPath: string, displayPath: string, plan: (data: T) => EditOp[]): { data: T; changed: boolean } {
  return withFileLock(absPath, () => {
    let bytes: Buffer
    try {
      bytes = readFileSync(absPath)
    } catch {
      throw new SsmdError(`${displayPath} does not exist`)
    }
    const parsed = parseYamlBytes(bytes)
    if (parsed.problem || parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) {
      const where = parsed.problem ? `${displayPath}:${parsed.problem.line}:${parsed.problem.column}` : displayPath
      throw new SsmdError(`${where}: ${parsed.problem?.message ?? 'not a YAML mapping'}; fix the file (ssmd validate) before editing it`)
    }
    const ops = plan(parsed.data as T)
    if (ops.length === 0) return { data: parsed.data as T, changed: false }
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? '\ufeff' : ''
    const kind = KIND_BY_FOLDER[displayPath.split('/').at(-2) ?? '']
    const schema = kind ? DOCUMENT_SCHEMAS[kind].schema : undefined
    let text: string
    try {
      text = applyEdits(parsed.text!, ops, schema ? path => keyOrderAt(schema, path) : undefined)
    } catch (error) {
      if (!(error instanceof EditError)) throw error
      throw new SsmdError(
        `${displayPath}: ${error.message}; the file was not changed (its layout is too unusual to edit safely: check it with 'ssmd validate ${displayPath}' or edit it by hand)`,
      )
    }
    writeFileAtomic(absPath, bom + text)
    return { data: jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) as T, changed: text !== parsed.text }
  })
}

/** Writes a new document with keys in the given order; refuses to overwrite. */
export function createDocument(absPath: string, displayPath: string, data: Record<string, unknown>, header?: string): void {
  withFileLock(absPath, () => {
    if (existsSync(absPath)) throw new ConflictError(`${displayPath} already exists; edit it with an update command instead`)
    writeFileAtomic(absPath, (header ? header.replace(/^/gm, '# ') + '\n' : '') + renderDocument(data))
  })
}
