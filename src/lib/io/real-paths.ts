import { realpathSync } from 'node:fs'
import { isAbsolute, relative } from 'node:path'

/** Real paths of a root and its folders, resolved once per workspace. */
export class RealPaths {
  private readonly cache = new Map<string, string | null>()
  private readonly inside = new Map<string, boolean>()

  /** isInside(dir, path), remembered: every file of a folder asks the same question. */
  isInside(dir: string, path: string): boolean {
    const key = `${dir}\u0000${path}`
    let r = this.inside.get(key)
    if (r === undefined) {
      r = isInside(dir, path)
      this.inside.set(key, r)
    }
    return r
  }
  /** The real path, or null when it does not resolve. */
  of(path: string): string | null {
    let r = this.cache.get(path)
    if (r === undefined) {
      try {
        r = realpathSync.native(path)
      } catch {
        r = null
      }
      this.cache.set(path, r)
    }
    return r
  }
}

/** True when `path` is `dir` or below it. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}
