/**
 * Refs: where HEAD points and the commit a ref names, from its loose file or from packed-refs.
 * Reads only; ref updates are commit.ts's.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Repository } from './repo.js'

/** Where HEAD points: a branch (maybe unborn) or a detached commit. */
export interface Head {
  /** `refs/heads/<name>` when on a branch; undefined when detached. */
  ref?: string
  /** The commit, or undefined on an unborn branch. */
  oid?: string
}

export function readHead(repo: Repository): Head {
  const text = readFileSync(join(repo.gitdir, 'HEAD'), 'utf8').trim()
  if (text.startsWith('ref:')) {
    const ref = text.slice(4).trim()
    return { ref, oid: readRef(repo, ref) }
  }
  return { oid: text }
}

/** A ref's commit id, from its loose file or from packed-refs; undefined if it does not exist. */
export function readRef(repo: Repository, ref: string): string | undefined {
  for (const dir of [repo.commonDir, repo.gitdir]) {
    const file = join(dir, ref)
    if (existsSync(file)) {
      const value = readFileSync(file, 'utf8').trim()
      if (value.startsWith('ref:')) return readRef(repo, value.slice(4).trim())
      return value
    }
  }
  const packed = join(repo.commonDir, 'packed-refs')
  if (existsSync(packed)) {
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{40}) (.+)$/.exec(line)
      if (m && m[2] === ref) return m[1]
    }
  }
  return undefined
}
