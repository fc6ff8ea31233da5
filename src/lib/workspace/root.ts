import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { SsmdError, UsageError } from '../core/errors.js'

export const SSMD_FOLDERS = ['feeds', 'schemas', 'environments'] as const
const MARKERS = [...SSMD_FOLDERS, '.ssmd']

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/** Checks a `-C/--dir` value: it must be an existing folder. */
export function checkDirFlag(dir: string): string {
  const abs = resolve(dir)
  if (!existsSync(abs)) throw new UsageError(`-C ${dir}: no such directory`)
  if (!isDir(abs)) throw new UsageError(`-C ${dir}: is a file, not a directory; pass the folder that holds feeds/, schemas/ and environments/`)
  return abs
}

/**
 * The ssmd root: the nearest folder, from `start` upwards, holding `feeds/`,
 * `schemas/`, `environments/` or `.ssmd/` (a fresh clone has no `.ssmd/`), or an `ssmd.yaml`.
 */
export function findRoot(start: string): string {
  let dir = resolve(start)
  for (;;) {
    if (MARKERS.some(m => isDir(join(dir, m))) || existsSync(join(dir, 'ssmd.yaml'))) return dir
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new SsmdError(`not an ssmd repository: no feeds/, schemas/ or environments/ folder in ${resolve(start)} or any parent; run 'ssmd init' to create one, or pass -C <dir>`, {
    code: 'no-root',
  })
}
