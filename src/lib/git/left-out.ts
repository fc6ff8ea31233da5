import type { LeftOut } from '../workspace/inventory.js'
import { IgnoreMatcher } from './ignore.js'
import { GitIndex } from './index-file.js'
import { gitPath, openRepository, ssmdGitPaths, type Repository } from './repo.js'

/**
 * Which paths under an ssmd root `git add` leaves out: ignored (.gitignore,
 * .git/info/exclude, core.excludesFile) and not tracked in the index, as
 * ssmdStatus walks them for `ssmd diff` and `ssmd commit`. The repository is
 * opened on first use; outside a git repository (or in one ssmd cannot read)
 * nothing is left out: every file counts.
 */
export function gitLeftOut(root: string): LeftOut {
  let state: { repo: Repository; ignore: IgnoreMatcher; tracked?: string[] } | null | undefined
  const open = () => {
    if (state !== undefined) return state
    try {
      const repo = openRepository(root)
      state = { repo, ignore: new IgnoreMatcher(repo) }
    } catch {
      state = null
    }
    return state
  }
  const trackedPaths = (s: NonNullable<typeof state>): string[] => {
    if (s.tracked === undefined) {
      try {
        s.tracked = GitIndex.read(s.repo.indexFile, ssmdGitPaths(s.repo)).entries.map(e => e.path)
      } catch {
        // A damaged index: nothing counts as tracked (the commit itself will refuse it).
        s.tracked = []
      }
    }
    return s.tracked
  }
  return (path, isDir) => {
    const s = open()
    if (!s) return false
    const p = gitPath(s.repo, path)
    if (!s.ignore.isIgnored(p, isDir)) return false
    const tracked = trackedPaths(s)
    // Tracked files count even in an ignored folder, as `git add` stages their changes.
    return isDir ? !tracked.some(t => t.startsWith(p + '/')) : !tracked.includes(p)
  }
}
