import { createHash } from 'node:crypto'
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs'
import { SsmdError } from '../../core/errors.js'
import { conflictMessage, findConflictMarker } from '../../core/conflict-markers.js'
import { isInside, readBounded, readListed, RealPaths, type BoundedRead } from '../../io/read.js'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'

export interface ResolvedDefinition {
  /** Absolute path, when the reference is acceptable and the file exists. */
  abs?: string
  /** Path relative to the ssmd root, for messages. */
  display: string
  problem?: { kind: 'absolute' | 'escape' | 'symlink' | 'missing' | 'not-file'; message: string }
  /** The file's stat data when it resolved (after following a symlink). */
  stat?: Stats
  /** Set when the reference is a symlink (`stat` is its target's). */
  symlink?: true
}

/** A definition reference made of plain names: no absolute path, no '.' or '..' segment, no backslash. */
const PLAIN_REF = /^[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/

/**
 * Where a definition file reference (relative to schemas/) leads, refusing
 * anything outside the repository. The usual case, a regular file in a real
 * folder, costs one lstat (its folder's real path is resolved once per
 * `realPaths`); the stat data comes back with the result.
 */
export function resolveDefinition(root: string, ref: string, realPaths: RealPaths = new RealPaths()): ResolvedDefinition {
  const display = `schemas/${ref}`
  let abs: string
  if (PLAIN_REF.test(ref)) {
    // The usual reference (names, no '.' or '..' segment): inside schemas/ by construction.
    abs = `${root}${sep}schemas${sep}${sep === '/' ? ref : ref.replaceAll('/', sep)}`
  } else {
    const schemasDir = join(root, 'schemas')
    if (isAbsolute(ref) || /^[a-zA-Z]:[\\/]/.test(ref)) {
      return { display: ref, problem: { kind: 'absolute', message: `definition path '${ref}' is absolute; use a path relative to schemas/` } }
    }
    abs = resolve(schemasDir, ref)
    const rel = relative(schemasDir, abs)
    if (rel.startsWith('..') || isAbsolute(rel)) {
      return { display, problem: { kind: 'escape', message: `definition path '${ref}' leaves schemas/ with '..'; keep definition files inside schemas/` } }
    }
  }
  const missing = (dangling: boolean): ResolvedDefinition => ({
    display,
    problem: { kind: 'missing', message: `definition file ${display} does not exist${dangling ? ' (broken symlink)' : ''}` },
  })
  let st: Stats
  try {
    st = lstatSync(abs)
  } catch {
    return missing(false)
  }
  const realRoot = realPaths.of(root) ?? root
  let inside: boolean
  const symlink = st.isSymbolicLink()
  if (symlink) {
    let real: string
    try {
      real = realpathSync(abs)
      st = statSync(real)
    } catch {
      return missing(true)
    }
    inside = isInside(realRoot, real)
  } else {
    // A file that is no symlink lies where its folder really is: one check per folder.
    const dir = realPaths.of(dirname(abs))
    if (dir === null) return missing(false)
    inside = realPaths.isInside(realRoot, dir)
  }
  if (!inside) {
    return { display, problem: { kind: 'symlink', message: `definition file ${display} is a symlink leading outside the repository; copy the file into schemas/ instead` } }
  }
  if (!st.isFile()) {
    return { display, problem: { kind: 'not-file', message: `definition path ${display} is not a file` } }
  }
  return symlink ? { abs, display, stat: st, symlink } : { abs, display, stat: st }
}

/** Largest definition file ssmd reads (Cap'n Proto, protobuf, JSON Schema): far above any real schema, far below a memory problem. */
export const MAX_DEFINITION_BYTES = 8 * 1024 * 1024

/**
 * A definition file's bytes, read bounded (regular files only, inside the root).
 * `resolved`: resolveDefinition found a regular file there, so it is opened
 * without a further stat (readListed; `realPaths`, the folders' real paths
 * already resolved).
 */
export function readDefinitionBytes(root: string, abs: string, display: string, resolved?: { realPaths: RealPaths; statAfter?: (st: Stats) => void }): BoundedRead {
  const options = { maxBytes: MAX_DEFINITION_BYTES, display, root, realPaths: resolved?.realPaths, statAfter: resolved?.statAfter }
  return resolved ? readListed(abs, options) : readBounded(abs, options)
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The hash of a definition file of the root; throws a one-line error when it cannot be read safely. */
export function hashFile(abs: string, root: string, display: string): string {
  const r = readDefinitionBytes(root, abs, display)
  if (r.refusal) throw new SsmdError(r.refusal.message)
  // A hash recorded for a file git left mid-merge would bless the markers.
  const conflict = findConflictMarker(r.bytes.toString('utf8'))
  if (conflict) throw new SsmdError(`${display}:${conflict.line}:${conflict.column}: ${conflictMessage(conflict)}`)
  return `sha256:${sha256Hex(r.bytes)}`
}

/** A version's own definition file, else the schema's. */
export function definitionRef(schema: { schema_file?: unknown }, version: { schema_file?: unknown }): string | undefined {
  const ref = version.schema_file ?? schema.schema_file
  return typeof ref === 'string' && ref !== '' ? ref : undefined
}

export const FORMAT_BY_EXTENSION: Record<string, 'capnp' | 'protobuf' | 'json_schema'> = {
  '.capnp': 'capnp',
  '.proto': 'protobuf',
  '.json': 'json_schema',
}
