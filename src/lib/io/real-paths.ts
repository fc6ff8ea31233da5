import { realpathSync } from 'node:fs'
import { dirname, isAbsolute, relative, sep } from 'node:path'

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

  /** The last folder folderInside answered for (the files of a folder are asked about one after another). */
  private last?: { root: string; dir: string; inside: boolean }

  /**
   * Whether the folder holding `abs` lies inside `root` once both are resolved
   * (the same answer as isInside of their real paths, remembered like them).
   */
  folderInside(root: string, abs: string): boolean {
    const last = this.last
    // The same folder as the last file asked about: `abs` is that folder, a separator and a name (POSIX paths).
    if (last !== undefined && last.root === root && sep === '/') {
      const cut = last.dir.length
      if (abs.length > cut + 1 && abs.charCodeAt(cut) === 0x2f && abs.indexOf('/', cut + 1) === -1 && abs.startsWith(last.dir)) return last.inside
    }
    const dir = dirname(abs)
    const realDir = this.of(dir)
    const inside = realDir !== null && this.isInside(this.of(root) ?? root, realDir)
    this.last = { root, dir, inside }
    return inside
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
