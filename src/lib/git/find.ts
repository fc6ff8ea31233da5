import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'

/** The working-tree root of the git repository holding `dir`, or undefined. */
export function findGitRoot(dir: string): string | undefined {
  let d = resolve(dir)
  for (;;) {
    if (existsSync(join(d, '.git'))) return d
    const parent = dirname(d)
    if (parent === d) return undefined
    d = parent
  }
}

/**
 * The git directory of a working tree: `.git` itself, or the folder a `.git`
 * file points to (`gitdir: …`, as written for submodules and linked
 * worktrees, relative to the file's folder); with `isGitFile`, `workTree` is
 * that file itself (a `GIT_DIR` naming one).
 */
export function resolveGitDir(workTree: string, isGitFile = false): string {
  const dotgit = isGitFile ? workTree : join(workTree, '.git')
  if (statSync(dotgit).isDirectory()) return dotgit
  const text = readFileSync(dotgit, 'utf8')
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(text)
  if (!m) throw new Error(`${dotgit} is neither a folder nor a 'gitdir:' file`)
  return isAbsolute(m[1]) ? m[1] : resolve(dirname(dotgit), m[1])
}
