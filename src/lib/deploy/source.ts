/** Where a rendering comes from: the HEAD commit and which of the files involved differ from it. */
import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { findGitRoot } from '../git/find.js'
import { blobsUnder, commitTree, hashObject, readHead } from '../git/objects.js'
import { gitPath, openRepository, rootPath, type Repository } from '../git/repo.js'
import { modeOf, ssmdStatus, workingContent } from '../git/status.js'
import type { SourceInfo } from './render.js'

/** Up to this many files are compared one by one; more, and one walk of the ssmd folders is cheaper. */
const ONE_BY_ONE = 32

/**
 * The HEAD commit and the files (root-relative) among `files` whose working
 * copy differs from it — modified, deleted or never committed. Without a git
 * repository, or before the first commit, every file counts as changed.
 */
export async function sourceOf(root: string, files: readonly string[]): Promise<SourceInfo> {
  const unique = [...new Set(files)].sort()
  if (findGitRoot(root) === undefined) return { commit: null, dirty: unique.length > 0, changed: unique }
  const repo = openRepository(root)
  const head = readHead(repo)
  if (!head.oid) return { commit: null, dirty: unique.length > 0, changed: unique }
  const changed = unique.length <= ONE_BY_ONE ? await changedOneByOne(repo, head.oid, unique) : await changedByWalk(repo, unique)
  return { commit: head.oid, dirty: changed.length > 0, changed }
}

async function changedOneByOne(repo: Repository, commit: string, files: string[]): Promise<string[]> {
  const tree = await commitTree(repo, commit)
  const changed: string[] = []
  for (const file of files) {
    const gp = gitPath(repo, file)
    const inHead = (await blobsUnder(repo, tree, gp)).get(gp)
    let st
    try {
      st = lstatSync(join(repo.workTree, gp), { bigint: true })
    } catch {
      st = undefined
    }
    if (!inHead || !st || !(st.isFile() || st.isSymbolicLink())) {
      if (inHead || st) changed.push(file)
      continue
    }
    const oid = hashObject('blob', workingContent(repo, gp, st))
    if (oid !== inHead.oid || (modeOf(st) === '120000') !== (inHead.mode === '120000')) changed.push(file)
  }
  return changed
}

async function changedByWalk(repo: Repository, files: string[]): Promise<string[]> {
  const status = await ssmdStatus(repo)
  const wanted = new Set(files)
  return status.changes.map(c => rootPath(repo, c.gitPath)).filter(p => wanted.has(p)).sort()
}
