/** Where a rendering comes from: the HEAD commit and which of the files involved differ from it. */
import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { findGitRoot } from '../git/find.js'
import { hashObject } from '../git/loose.js'
import { commitTree, EMPTY_TREE, readObject, readTree } from '../git/objects.js'
import { readHead } from '../git/refs.js'
import { gitPath, openRepository, rootPath, type Repository } from '../git/repo.js'
import type { ContentConverter } from '../git/attributes.js'
import { converterFor, modeOf, ssmdStatus, workingContent } from '../git/status.js'
import type { SourceInfo } from './render.js'

/** Up to this many files are compared one by one; more, and one walk of the ssmd folders is cheaper. */
const ONE_BY_ONE = 32

/** The HEAD commit and every ssmd file (root-relative) whose working copy differs from it: one walk of the ssmd folders. */
export interface WalkedStatus {
  commit: string
  changed: ReadonlySet<string>
}

/**
 * Walks the ssmd folders for what differs from HEAD, before the files that
 * matter are known: a fleet's walk (100,000 `lstat`s and index entries) then
 * runs before its documents are loaded, not on top of them. Undefined without
 * a git repository or a commit (then every file counts as changed).
 */
async function walkStatus(root: string): Promise<WalkedStatus | undefined> {
  if (findGitRoot(root) === undefined && !process.env.GIT_DIR) return undefined
  const repo = openRepository(root)
  const head = readHead(repo)
  if (!head.oid) return undefined
  const status = await ssmdStatus(repo)
  return { commit: head.oid, changed: new Set(status.changes.map(c => rootPath(repo, c.gitPath))) }
}

/** walkStatus for a run over this many environments, when it would walk anyway (their files are more than ONE_BY_ONE). */
export async function walkFirst(root: string, environments: number): Promise<WalkedStatus | undefined> {
  return environments > ONE_BY_ONE ? walkStatus(root) : undefined
}

/**
 * The HEAD commit and the files (root-relative) among `files` whose working
 * copy differs from it — modified, deleted or never committed. Without a git
 * repository, or before the first commit, every file counts as changed.
 * `walked` (walkStatus, taken earlier in the run) is used when given.
 */
export async function sourceOf(root: string, files: readonly string[], walked?: WalkedStatus): Promise<SourceInfo> {
  const unique = [...new Set(files)].sort()
  if (walked !== undefined) {
    const changed = unique.filter(f => walked.changed.has(f))
    return { commit: walked.commit, dirty: changed.length > 0, changed }
  }
  if (findGitRoot(root) === undefined && !process.env.GIT_DIR) return { commit: null, dirty: unique.length > 0, changed: unique }
  const repo = openRepository(root)
  const head = readHead(repo)
  if (!head.oid) return { commit: null, dirty: unique.length > 0, changed: unique }
  const changed = unique.length <= ONE_BY_ONE ? await changedOneByOne(repo, head.oid, unique) : await changedByWalk(repo, unique)
  return { commit: head.oid, dirty: changed.length > 0, changed }
}

async function changedOneByOne(repo: Repository, commit: string, files: string[]): Promise<string[]> {
  const root = await commitTree(repo, commit)
  const trees = new Map<string, Buffer>()
  const changed: string[] = []
  let converter: ContentConverter | undefined
  for (const file of files) {
    const gp = gitPath(repo, file)
    const inHead = await lookup(repo, root, gp, trees)
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
    let oid: string
    try {
      oid = hashObject('blob', workingContent(repo, (converter ??= converterFor(repo)), gp, st))
    } catch {
      // A path git would pass through a filter ssmd cannot run: it cannot be shown to match HEAD.
      changed.push(file)
      continue
    }
    if (oid !== inHead.oid || (modeOf(st) === '120000') !== (inHead.mode === '120000')) changed.push(file)
  }
  return changed
}

/**
 * The bytes of root-relative files as they were in `commit` (undefined for a
 * file the commit does not have, or without a git repository or that commit).
 */
export async function filesAtCommit(root: string, commit: string, files: readonly string[]): Promise<Map<string, Buffer | undefined>> {
  const out = new Map<string, Buffer | undefined>()
  if (findGitRoot(root) === undefined && !process.env.GIT_DIR) return out
  try {
    const repo = openRepository(root)
    const tree = await commitTree(repo, commit)
    const trees = new Map<string, Buffer>()
    for (const file of files) {
      const entry = await lookup(repo, tree, gitPath(repo, file), trees)
      const blob = entry && entry.mode !== '120000' ? await readObject(repo, entry.oid) : undefined
      out.set(file, blob?.type === 'blob' ? blob.content : undefined)
    }
  } catch {
    // A commit the repository does not have (deployed from another clone, or since garbage-collected).
  }
  return out
}

/**
 * The blob at `path` in a tree, reading only the trees along the way (each
 * once per call) and scanning their entries without building them all: the
 * environments tree of a large repository has thousands.
 */
async function lookup(repo: Repository, rootTree: string, path: string, trees: Map<string, Buffer>): Promise<{ oid: string; mode: string } | undefined> {
  const parts = path.split('/')
  let tree = rootTree
  for (let i = 0; i < parts.length; i++) {
    let content = trees.get(tree)
    if (content === undefined) {
      const obj = await readObject(repo, tree)
      if (obj.type !== 'tree') return undefined
      content = obj.content
      trees.set(tree, content)
    }
    const entry = findEntry(content, Buffer.from(parts[i], 'utf8'))
    if (!entry) return undefined
    const isTree = entry.mode === '40000' || entry.mode === '040000'
    if (i === parts.length - 1) return isTree ? undefined : { oid: entry.oid, mode: entry.mode.padStart(6, '0') }
    if (!isTree) return undefined
    tree = entry.oid
  }
  return undefined
}

/** One entry of a raw tree object (`<mode> <name>\0<20-byte id>`…) by name. */
function findEntry(content: Buffer, name: Buffer): { mode: string; oid: string } | undefined {
  let i = 0
  while (i < content.length) {
    const space = content.indexOf(0x20, i)
    const nul = content.indexOf(0, space)
    if (space < 0 || nul < 0) return undefined
    if (nul - space - 1 === name.length && content.compare(name, 0, name.length, space + 1, nul) === 0) {
      return { mode: content.toString('latin1', i, space), oid: content.toString('hex', nul + 1, nul + 21) }
    }
    i = nul + 21
  }
  return undefined
}

async function changedByWalk(repo: Repository, files: string[]): Promise<string[]> {
  const status = await ssmdStatus(repo)
  const wanted = new Set(files)
  return status.changes
    .map(c => rootPath(repo, c.gitPath))
    .filter(p => wanted.has(p))
    .sort()
}

/**
 * The files (root-relative) whose blob or mode differs between two commits,
 * reading only the trees whose ids differ: a fleet's commit that changed one
 * environment reads the few trees along its path. Undefined when either
 * commit cannot be read (deployed from another clone, since garbage-collected),
 * or without a git repository.
 */
export async function changedBetween(root: string, from: string, to: string): Promise<Set<string> | undefined> {
  if (findGitRoot(root) === undefined && !process.env.GIT_DIR) return undefined
  const out = new Set<string>()
  try {
    const repo = openRepository(root)
    const below = repo.prefix === '' ? '' : `${repo.prefix}/`
    const walk = async (a: string, b: string, path: string): Promise<void> => {
      if (a === b) return
      // Only what lies under the ssmd root concerns a rendering.
      if (below !== '' && !(below.startsWith(path) || path.startsWith(below))) return
      const left = new Map((await readTree(repo, a)).map(e => [e.name, e]))
      for (const e of await readTree(repo, b)) {
        const old = left.get(e.name)
        left.delete(e.name)
        if (old !== undefined && old.oid === e.oid && old.mode === e.mode) continue
        await visit(old, e, `${path}${e.name}`)
      }
      for (const old of left.values()) await visit(old, undefined, `${path}${old.name}`)
    }
    const isTree = (e: { mode: string } | undefined) => e !== undefined && e.mode === '040000'
    const visit = async (a: { mode: string; oid: string } | undefined, b: { mode: string; oid: string } | undefined, path: string): Promise<void> => {
      if (isTree(a) || isTree(b)) await walk(isTree(a) ? a!.oid : EMPTY_TREE, isTree(b) ? b!.oid : EMPTY_TREE, `${path}/`)
      // A file on either side (a tree replaced by a file, or the reverse, changes both).
      if ((a && !isTree(a)) || (b && !isTree(b))) {
        if (below === '' || path.startsWith(below)) out.add(rootPath(repo, path))
      }
    }
    await walk(await commitTree(repo, from), await commitTree(repo, to), '')
  } catch {
    // A commit the repository does not have, or not a commit.
    return undefined
  }
  return out
}
