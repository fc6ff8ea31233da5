import { createHash } from 'node:crypto'
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs'
import { SsmdError } from '../../core/errors.js'
import { readBounded, RealPaths, type BoundedRead } from '../../io/read.js'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'

export interface ResolvedDefinition {
  /** Absolute path, when the reference is acceptable and the file exists. */
  abs?: string
  /** Path relative to the ssmd root, for messages. */
  display: string
  problem?: { kind: 'absolute' | 'escape' | 'symlink' | 'missing' | 'not-file'; message: string }
  /** The file's stat data when it resolved (after following a symlink). */
  stat?: Stats
}

/**
 * Where a definition file reference (relative to schemas/) leads, refusing
 * anything outside the repository. The usual case, a regular file in a real
 * folder, costs one lstat (its folder's real path is resolved once per
 * `realPaths`); the stat data comes back with the result.
 */
export function resolveDefinition(root: string, ref: string, realPaths: RealPaths = new RealPaths()): ResolvedDefinition {
  const schemasDir = join(root, 'schemas')
  const display = `schemas/${ref}`
  if (isAbsolute(ref) || /^[a-zA-Z]:[\\/]/.test(ref)) {
    return { display: ref, problem: { kind: 'absolute', message: `definition path '${ref}' is absolute; use a path relative to schemas/` } }
  }
  const abs = resolve(schemasDir, ref)
  const rel = relative(schemasDir, abs)
  if (rel.startsWith('..') || isAbsolute(rel)) {
    return { display, problem: { kind: 'escape', message: `definition path '${ref}' leaves schemas/ with '..'; keep definition files inside schemas/` } }
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
  let real: string
  if (st.isSymbolicLink()) {
    try {
      real = realpathSync(abs)
      st = statSync(real)
    } catch {
      return missing(true)
    }
  } else {
    const dir = realPaths.of(dirname(abs))
    if (dir === null) return missing(false)
    real = join(dir, basename(abs))
  }
  const realRoot = realPaths.of(root) ?? root
  const realRel = relative(realRoot, real)
  if (realRel.startsWith('..') || isAbsolute(realRel) || realRel.split(sep)[0] === '..') {
    return { display, problem: { kind: 'symlink', message: `definition file ${display} is a symlink leading outside the repository; copy the file into schemas/ instead` } }
  }
  if (!st.isFile()) {
    return { display, problem: { kind: 'not-file', message: `definition path ${display} is not a file` } }
  }
  return { abs, display, stat: st }
}

/** Largest definition file ssmd reads (Cap'n Proto, protobuf, JSON Schema): far above any real schema, far below a memory problem. */
export const MAX_DEFINITION_BYTES = 8 * 1024 * 1024

/** A definition file's bytes, read bounded (regular files only, inside the root). */
export function readDefinitionBytes(root: string, abs: string, display: string): BoundedRead {
  return readBounded(abs, { maxBytes: MAX_DEFINITION_BYTES, display, root })
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The hash of a definition file of the root; throws a one-line error when it cannot be read safely. */
export function hashFile(abs: string, root: string, display: string): string {
  const r = readDefinitionBytes(root, abs, display)
  if (r.refusal) throw new SsmdError(r.refusal.message)
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
