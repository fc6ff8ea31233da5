import { existsSync, lstatSync, realpathSync, rmSync, statSync } from 'node:fs'
import { basename, extname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path'
import { ConflictError, NotFoundError, SsmdError, UsageError } from '../../core/errors.js'
import { checkVersionId } from '../input.js'
import { refuseUnreadable, type DocumentProblem } from '../unreadable.js'
import type { Definition } from './definitions.js'
import { definitionRef, FORMAT_BY_EXTENSION, MAX_DEFINITION_BYTES, readDefinitionBytes, resolveDefinition, sha256Hex } from './files.js'
import { fileKind, readBoundedOrThrow } from '../../io/read.js'
import { parseDefinition } from './parse.js'
import { SCHEMA_STATUSES } from '../../spec/enums.js'
import type { SchemaData } from '../../spec/types.generated.js'
import { didYouMean } from '../../core/text.js'
import { placeNewVersion, versionNumber, type ClosedVersion, type DatedVersion } from '../versions.js'
import type { Workspace } from '../../workspace/workspace.js'
import { writeFileAtomic } from '../../io/atomic.js'
import { withFileLock } from '../../io/lock.js'

export type SchemaVersion = SchemaData['versions'][number]
export type SchemaFormat = SchemaData['format']
export type SchemaStatus = SchemaVersion['status']

export const statusOptions = [...SCHEMA_STATUSES]

/** Version keys in the order of the file-format table. */
export const SCHEMA_VERSION_KEY_ORDER = ['version', 'effective_from', 'effective_to', 'status', 'schema_file', 'hash', 'compatible_with', 'breaking_changes'] as const

// ---- references and documents ---------------------------------------------------

/** The schema data of a document, or a clear error when it cannot be worked on. */
export function usableSchema(file: string, data: unknown, problem?: DocumentProblem): SchemaData {
  const schema = data as SchemaData
  refuseUnreadable(file, problem)
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !Array.isArray(schema.versions)) {
    throw new SsmdError(`${file} is not a valid schema (no versions list); fix it first (ssmd validate ${file})`)
  }
  return schema
}

export function findSchemaVersion(name: string, schema: SchemaData, id: string): { index: number; version: SchemaVersion } {
  const index = schema.versions.findIndex(v => v?.version === id)
  if (index === -1) {
    const ids = schema.versions.map(v => String(v?.version))
    throw new NotFoundError(`schema '${name}' has no version '${id}'${didYouMean(id, ids)} (versions: ${ids.join(', ') || 'none'})`)
  }
  return { index, version: schema.versions[index] }
}

/** A value read from a document, as text for people: strings as they are, anything else as JSON, absent as `?`. */
export const shown = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '?' : (JSON.stringify(value) ?? '?'))

/** `2025-01-01 → 2025-05-31`, or `2025-06-01 →` when open-ended. */
export const effectiveText = (v: { effective_from?: unknown; effective_to?: unknown }) =>
  `${shown(v.effective_from)} →${v.effective_to === undefined ? '' : ` ${shown(v.effective_to)}`}`

/** Versions with their position in the file, ordered by version number. */
export function orderedVersions(schema: SchemaData): Array<{ index: number; version: SchemaVersion }> {
  return schema.versions
    .map((version, index) => ({ index, version }))
    .filter(e => typeof e.version === 'object' && e.version !== null)
    .sort((a, b) => versionNumber(String(a.version.version)) - versionNumber(String(b.version.version)))
}

/** Environments whose `schema` is exactly `name:version`. */
export function environmentsUsing(ws: Workspace, name: string, version: string): string[] {
  const ref = `${name}:${version}`
  return ws.environments.filter(e => e.isObject && (e.data as { schema?: unknown }).schema === ref).map(e => e.name)
}

/** A version entry with its keys in file-format order. */
export function orderedEntry(entry: Partial<Record<string, unknown>>): SchemaVersion {
  const out: Record<string, unknown> = {}
  for (const k of SCHEMA_VERSION_KEY_ORDER) if (entry[k] !== undefined) out[k] = entry[k]
  return out as SchemaVersion
}

// ---- lifecycle ----------------------------------------------------------------------

const LIFECYCLE: Record<string, readonly string[]> = {
  draft: ['active', 'deprecated'],
  active: ['deprecated'],
  deprecated: [],
}

/** True when `from → to` follows draft → active → deprecated (draft → deprecated included). */
export const isLifecycleMove = (from: string, to: string) => (LIFECYCLE[from] ?? []).includes(to)

// ---- dates ----------------------------------------------------------------------------

export interface DatePlan {
  /** An open-ended earlier version that gets an end date. */
  closed?: ClosedVersion
}

/**
 * Where a new version fits (`placeNewVersion`): an open-ended earlier version is
 * ended the day before; any other overlap is refused.
 */
export function planDates(name: string, versions: SchemaVersion[], candidate: DatedVersion): DatePlan {
  const { closed, overlap } = placeNewVersion(versions, candidate)
  if (overlap) {
    throw new ConflictError(
      `${candidate.version} (${effectiveText(candidate)}) would overlap ${overlap.version} (${effectiveText(overlap.range)}) of schema '${name}'; versions of a schema may not share a day (pick a later --effective-from)`,
    )
  }
  return { closed }
}

// ---- incoming definition files -----------------------------------------------------

export interface IncomingDefinition {
  /** The ssmd root. */
  root: string
  /** Absolute path of the file the user named. */
  source: string
  /** How to show the source in messages (as the user gave it). */
  shown: string
  /** Where the definition lives once registered, relative to schemas/. */
  ref: string
  /** Absolute path of `ref`. */
  abs: string
  /** `schemas/<ref>`. */
  display: string
  bytes: Buffer
  hash: string
  /** True when the file is outside schemas/ and must be copied in. */
  copy: boolean
}

const inside = (dir: string, p: string) => {
  const rel = relative(dir, p)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : undefined
}

/**
 * The definition file named by `--file`: relative to the working directory, or
 * (when not found there) to schemas/. A file inside schemas/ is used where it is;
 * any other file is to be copied to schemas/<its name>, which must be free or
 * already hold the same bytes.
 */
export function locateIncoming(root: string, file: string, cwd = process.cwd()): IncomingDefinition {
  const schemasDir = join(root, 'schemas')
  let source = resolve(cwd, file)
  if (!existsSync(source) && !isAbsolute(file) && existsSync(join(schemasDir, file))) source = join(schemasDir, file)
  if (!existsSync(source)) throw new UsageError(`--file ${file}: no such file`)
  // Type and size first: a FIFO, a device or a huge file is refused without being opened.
  const st = statSync(source)
  if (!st.isFile()) throw new UsageError(`--file ${file}: is ${fileKind(st)}, not a regular file`)
  if (st.size > MAX_DEFINITION_BYTES)
    throw new UsageError(
      `--file ${file}: is ${st.size.toLocaleString('en-US')} bytes; definition files are limited to ${MAX_DEFINITION_BYTES.toLocaleString('en-US')} bytes (8 MiB)`,
    )
  const readSource = (root?: string) => readBoundedOrThrow(source, { maxBytes: MAX_DEFINITION_BYTES, display: `--file ${file}`, root }, r => new UsageError(r.message))

  let rel = inside(schemasDir, source)
  if (rel === undefined && existsSync(schemasDir)) rel = inside(realpathSync(schemasDir), realpathSync(source))
  if (rel !== undefined) {
    const ref = rel.split(sep).join('/')
    if (/\.ya?ml$/i.test(ref)) throw new UsageError(`--file ${file}: schemas/*.yaml files are schema metadata, not definitions`)
    const resolved = resolveDefinition(root, ref)
    if (resolved.problem) throw new SsmdError(resolved.problem.message)
    const bytes = readSource(root)
    return { root, source, shown: resolved.display, ref, abs: resolved.abs!, display: resolved.display, bytes, hash: `sha256:${sha256Hex(bytes)}`, copy: false }
  }

  const name = basename(source)
  if (/\.ya?ml$/i.test(name)) throw new UsageError(`--file ${file}: a definition file may not end in .yaml/.yml (schemas/*.yaml are schema metadata); rename it`)
  const abs = join(schemasDir, name)
  const display = `schemas/${name}`
  const bytes = readSource()
  const hash = `sha256:${sha256Hex(bytes)}`
  let copy = true
  let exists = false
  try {
    lstatSync(abs)
    exists = true
  } catch {
    /* free */
  }
  if (exists) {
    const there = readDefinitionBytes(root, abs, display)
    if (there.refusal || !there.bytes.equals(bytes)) {
      throw new ConflictError(`${display} already exists with different content; rename ${file} or update ${display} itself`)
    }
    copy = false
  }
  return { root, source, shown: shownPath(file), ref: name, abs, display, bytes, hash, copy }
}

function shownPath(given: string): string {
  if (isAbsolute(given)) return given
  return posix.normalize(given.split(sep).join('/'))
}

/** The format of a definition file: `--format`, else its extension. */
export function formatOf(file: string, flag?: string): SchemaFormat {
  if (flag !== undefined) return flag as SchemaFormat
  const format = FORMAT_BY_EXTENSION[extname(file).toLowerCase()]
  if (!format) throw new UsageError(`cannot tell the format of ${file} from its extension; name it .capnp, .proto or .json, or pass --format capnp|protobuf|json_schema`)
  return format
}

/**
 * Parses an incoming definition as it will be once in schemas/, so relative
 * Cap'n Proto imports resolve exactly as they will later: the bytes already
 * read are parsed as if they sat at their destination. No temporary copy is
 * written, so nothing can be left behind in schemas/.
 */
export async function parseIncoming(root: string, inc: IncomingDefinition, format: string): Promise<Definition> {
  const text = inc.bytes.toString('utf8')
  const parsed = await parseDefinition(root, inc.abs, inc.shown, format, text)
  return { ref: inc.ref, abs: inc.abs, display: inc.shown, hash: inc.hash, parsed }
}

/**
 * Copies the incoming file to schemas/<name> byte for byte (temporary file and
 * rename, under the destination's lock). Returns true when it created the file.
 */
export function installIncoming(inc: IncomingDefinition): boolean {
  if (!inc.copy) return false
  return withFileLock(inc.root, inc.abs, () => {
    if (existsSync(inc.abs)) {
      const there = readDefinitionBytes(inc.root, inc.abs, inc.display)
      if (!there.refusal && there.bytes.equals(inc.bytes)) return false
      throw new ConflictError(`${inc.display} appeared with different content meanwhile; nothing written`)
    }
    writeFileAtomic(inc.root, inc.abs, inc.bytes)
    return true
  })
}

/** Removes a file `installIncoming` created, when the metadata write that follows fails. */
export function uninstallIncoming(inc: IncomingDefinition, created: boolean): void {
  if (created) rmSync(inc.abs, { force: true })
}

/** The versions of `schema` whose definition is `ref`. */
export function versionsUsingRef(schema: SchemaData, ref: string): string[] {
  const norm = (r: string) => posix.normalize(r.split('\\').join('/'))
  return schema.versions.filter(v => v && definitionRef(schema, v) !== undefined && norm(definitionRef(schema, v)!) === norm(ref)).map(v => v.version)
}

export function checkVersionList(flag: string, ids: string[]): string[] {
  for (const id of ids) checkVersionId(flag, id)
  return [...new Set(ids)]
}
