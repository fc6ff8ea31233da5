import { appendFileSync, existsSync, lstatSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { formatIdentity, resolveIdentity, type Identity } from './author.js'
import { GitIndex, withGitLock } from './index-file.js'
import { EMPTY_TREE, commitTree, readRef, readTree, type TreeEntry } from './objects.js'
import { openRepository, type Repository } from './repo.js'
import { ssmdStatus, statBlock, workingContent, modeOf, type ChangeKind } from './status.js'

export interface CommitOptions {
  /** The message as given (several `-m` values are joined as paragraphs). */
  message: string
  /** `Name <email>`; default from the environment and git config. */
  author?: string
}

export interface CommitResult {
  /** Full commit id. */
  commit: string
  short: string
  /** The branch moved; undefined when HEAD is detached. */
  branch?: string
  rootCommit: boolean
  subject: string
  author: string
  files: Array<{ kind: ChangeKind; path: string; gitPath: string }>
}

/**
 * Commits the ssmd files (its folders and `ssmd.yaml`) as they are in the
 * working tree, and nothing else: the new tree is HEAD's tree with only those
 * paths replaced, and only their index entries are updated, so whatever else
 * the user staged stays staged. Holds git's index lock throughout and moves
 * the branch only if it still points where it did (compare-and-swap).
 */
export async function commitSsmdChanges(root: string, options: CommitOptions): Promise<CommitResult> {
  const repo = openRepository(root)
  const message = cleanupMessage(options.message)
  if (!message) throw new SsmdError('empty commit message; pass -m "what changed and why"', { code: 'usage' })
  for (const [file, what] of [
    ['MERGE_HEAD', 'a merge'],
    ['CHERRY_PICK_HEAD', 'a cherry-pick'],
    ['REVERT_HEAD', 'a revert'],
    ['rebase-merge', 'a rebase'],
    ['rebase-apply', 'a rebase or am'],
  ] as const) {
    if (existsSync(join(repo.gitdir, file)))
      throw new SsmdError(`${what} is in progress in this repository; finish or abort it with git before 'ssmd commit'`, { code: 'conflict' })
  }
  const committerExplicit = resolveIdentityOrUndefined(repo, 'committer')
  const author = resolveIdentity(repo, 'author', options.author)
  const committer = committerExplicit ?? { ...author }

  const git = await import('isomorphic-git')
  const fs = await import('node:fs')
  const indexFile = join(repo.gitdir, 'index')

  return withGitLock(indexFile, async () => {
    const status = await ssmdStatus(repo, { forWrite: true })
    if (status.unmerged.length > 0) {
      throw new SsmdError(`unmerged ssmd files: ${status.unmerged.join(', ')}; resolve the conflicts and mark them resolved with git first`, { code: 'conflict' })
    }
    if (status.changes.length === 0) throw new SsmdError('nothing to commit (no changes to ssmd files)', { code: 'nothing-to-commit' })

    // Blobs from the files as they are now, and the index entries that go with them.
    const index: GitIndex = status.index
    const treeChanges = new Map<string, { oid: string; mode: string } | null>()
    for (const c of status.changes) {
      if (c.kind === 'deleted') {
        treeChanges.set(c.gitPath, null)
        index.remove(c.gitPath)
        continue
      }
      const abs = join(repo.workTree, c.gitPath)
      const st = lstatSync(abs, { bigint: true })
      const mode = c.work?.mode ?? modeOf(st)
      const oid = await git.writeBlob({ fs, gitdir: repo.commonDir, blob: workingContent(repo, c.gitPath, st) })
      treeChanges.set(c.gitPath, { oid, mode })
      index.set({ path: c.gitPath, stat: statBlock(st, mode), oid, flags: 0, extended: 0 })
    }
    for (const fix of status.indexFixes) {
      if (fix.entry) index.set({ path: fix.gitPath, stat: statBlock(fix.entry.stat, fix.entry.mode), oid: fix.entry.oid, flags: 0, extended: 0 })
      else index.remove(fix.gitPath)
    }
    index.dropStaleExtensions()

    const baseTree = status.head.oid ? await commitTree(repo, status.head.oid) : EMPTY_TREE
    const writeTree = (entries: TreeEntry[]) =>
      git.writeTree({
        fs,
        gitdir: repo.commonDir,
        tree: entries.map(e => ({
          mode: e.mode,
          path: e.name,
          oid: e.oid,
          type: e.mode === '040000' ? ('tree' as const) : e.mode === '160000' ? ('commit' as const) : ('blob' as const),
        })),
      })
    const tree = (await applyToTree(repo, baseTree, treeChanges, writeTree)) ?? (await writeTree([]))

    const commit = await git.writeCommit({
      fs,
      gitdir: repo.commonDir,
      commit: {
        message,
        tree,
        parent: status.head.oid ? [status.head.oid] : [],
        author: { name: author.name, email: author.email, timestamp: author.timestamp, timezoneOffset: author.timezoneOffset },
        committer: { name: committer.name, email: committer.email, timestamp: committer.timestamp, timezoneOffset: committer.timezoneOffset },
      },
    })
    const subject = message.split('\n')[0]
    await moveHead(repo, status.head.ref, status.head.oid, commit, committer, `commit${status.head.oid ? '' : ' (initial)'}: ${subject}`)
    const result: CommitResult = {
      commit,
      short: commit.slice(0, 7),
      branch: status.head.ref?.replace(/^refs\/heads\//, ''),
      rootCommit: !status.head.oid,
      subject,
      author: `${author.name} <${author.email}>`,
      files: status.changes.map(c => ({ kind: c.kind, path: c.path, gitPath: c.gitPath })),
    }
    return { content: index.serialize(), result }
  })
}

function resolveIdentityOrUndefined(repo: Repository, role: 'committer'): Identity | undefined {
  try {
    return resolveIdentity(repo, role)
  } catch {
    return undefined
  }
}

/** git's default cleanup for `-m`: no trailing spaces, no leading/trailing blank lines, blank runs collapsed. */
export function cleanupMessage(message: string): string {
  const lines = message
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map(l => l.replace(/\s+$/, ''))
  const out: string[] = []
  for (const l of lines) {
    if (l === '' && (out.length === 0 || out[out.length - 1] === '')) continue
    out.push(l)
  }
  while (out.length && out[out.length - 1] === '') out.pop()
  return out.join('\n')
}

/**
 * A new tree: `tree` with the blobs in `changes` (git path → blob, or null
 * to delete) put in place. Only the trees along changed paths are read and
 * rewritten. Returns undefined for an empty tree.
 */
async function applyToTree(
  repo: Repository,
  tree: string | undefined,
  changes: Map<string, { oid: string; mode: string } | null>,
  write: (entries: TreeEntry[]) => Promise<string>,
): Promise<string | undefined> {
  const entries = new Map<string, TreeEntry>()
  if (tree) for (const e of await readTree(repo, tree)) entries.set(e.name, e)
  const direct = new Map<string, { oid: string; mode: string } | null>()
  const nested = new Map<string, Map<string, { oid: string; mode: string } | null>>()
  for (const [path, change] of changes) {
    const slash = path.indexOf('/')
    if (slash === -1) direct.set(path, change)
    else {
      const head = path.slice(0, slash)
      if (!nested.has(head)) nested.set(head, new Map())
      nested.get(head)!.set(path.slice(slash + 1), change)
    }
  }
  for (const name of new Set([...direct.keys(), ...nested.keys()])) {
    const existing = entries.get(name)
    const file = direct.get(name)
    const sub = nested.get(name)
    let subtree: string | undefined
    if (sub) subtree = await applyToTree(repo, existing?.mode === '040000' ? existing.oid : undefined, sub, write)
    if (file) entries.set(name, { name, mode: file.mode, oid: file.oid })
    else if (subtree) entries.set(name, { name, mode: '040000', oid: subtree })
    else if (file === null || sub) entries.delete(name)
  }
  if (entries.size === 0) return undefined
  return write([...entries.values()])
}

/** Moves the branch (or a detached HEAD) from `expected` to `commit`, under git's ref lock; appends the reflogs. */
async function moveHead(repo: Repository, ref: string | undefined, expected: string | undefined, commit: string, who: Identity, reason: string): Promise<void> {
  const name = ref ?? 'HEAD'
  const dir = ref ? repo.commonDir : repo.gitdir
  const file = join(dir, name)
  mkdirSync(dirname(file), { recursive: true })
  await withGitLock(file, async () => {
    const current = ref ? readRef(repo, ref) : expected
    if (current !== expected)
      throw new SsmdError(`${ref ?? 'HEAD'} moved while committing (now ${current?.slice(0, 7) ?? 'nothing'}); run 'ssmd commit' again`, { code: 'conflict' })
    return { content: Buffer.from(`${commit}\n`), result: undefined }
  })
  if (repo.config.getBool('core.logallrefupdates') === false) return
  const line = `${expected ?? '0'.repeat(40)} ${commit} ${formatIdentity(who)}\t${reason.replace(/\n/g, ' ')}\n`
  const logs = ref ? [join(repo.commonDir, 'logs', ref), join(repo.gitdir, 'logs', 'HEAD')] : [join(repo.gitdir, 'logs', 'HEAD')]
  for (const log of logs) {
    try {
      mkdirSync(dirname(log), { recursive: true })
      appendFileSync(log, line)
    } catch {
      /* the reflog is a convenience; the commit stands without it */
    }
  }
}
