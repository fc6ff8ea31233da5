import { existsSync, lstatSync } from 'node:fs'
import { resolve } from 'node:path'
import jsYaml from 'js-yaml'
import { ConflictError, SsmdError } from '../core/errors.js'
import { applyEdits, EditError, type EditOp } from '../yaml/edit.js'
import { MAX_FILE_BYTES, oversizeMessage, parseYamlBytes } from '../yaml/read.js'
import { readBounded } from '../io/read.js'
import { renderDocument } from '../yaml/render.js'
import { writeFileAtomic } from '../io/atomic.js'
import { withFileLock } from '../io/lock.js'
import { DOCUMENT_SCHEMAS } from '../spec/documents.js'
import { keyOrderAt } from '../spec/generate.js'

const KIND_BY_FOLDER: Record<string, keyof typeof DOCUMENT_SCHEMAS> = { feeds: 'feed', schemas: 'schema', environments: 'environment' }

/** The ssmd root of a document, from its absolute and root-relative paths. */
function rootOf(absPath: string, displayPath: string): string {
  return resolve(absPath, ...displayPath.split('/').map(() => '..'))
}

const isLink = (p: string) => {
  try {
    return lstatSync(p).isSymbolicLink()
  } catch {
    return false
  }
}

/**
 * Edits one YAML document in place, under the file's lock: `plan` sees the
 * current data (read inside the lock) and returns the edits to make. Only the
 * edited nodes change in the text; the write is atomic. Returns the new data.
 */
export function editDocument<T>(absPath: string, displayPath: string, plan: (data: T) => EditOp[]): { data: T; changed: boolean } {
  const root = rootOf(absPath, displayPath)
  return withFileLock(root, absPath, () => {
    const read = readBounded(absPath, { maxBytes: MAX_FILE_BYTES, display: displayPath, root })
    if (read.refusal) {
      throw new SsmdError(read.refusal.kind === 'too-large' ? `${displayPath}: ${oversizeMessage(read.refusal.size ?? 0)}` : `${read.refusal.message}; nothing written`)
    }
    const bytes = read.bytes
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
    writeFileAtomic(root, absPath, bom + text)
    return { data: jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) as T, changed: text !== parsed.text }
  })
}

/** Writes a new document with keys in the given order; refuses to overwrite. */
export function createDocument(absPath: string, displayPath: string, data: Record<string, unknown>, header?: string): void {
  const root = rootOf(absPath, displayPath)
  withFileLock(root, absPath, () => {
    if (existsSync(absPath) || isLink(absPath)) throw new ConflictError(`${displayPath} already exists; edit it with an update command instead`)
    writeFileAtomic(root, absPath, (header ? header.replace(/^/gm, '# ') + '\n' : '') + renderDocument(data))
  })
}
