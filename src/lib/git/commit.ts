import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { formatGitDate, formatIdentity, resolveIdentity, type Identity } from './author.js'
import { release, removeOnSignal, yieldToSignals } from './cleanup.js'
import { verifyAgainstSnapshot, type GateSnapshot } from './gate-snapshot.js'
import { findHook, gitPrefix, runHook, type HookName } from './hooks.js'
import { EXT_SKIP_WORKTREE, GitIndex, GitLock, entryMode, entryStage, type IndexEntry } from './index-file.js'
import { ObjectWriter } from './loose.js'
import { EMPTY_TREE, commitTree, readTree, rewriteTree, treeContent, type TreeEntry } from './objects.js'
import { readHead, type Head } from './refs.js'
import { openRepository, type Repository } from './repo.js'
import { smudgeRacilyClean, ssmdStatus, statBlock, workingContent, type ChangeKind, type SsmdStatus } from './status.js'

export interface CommitOptions {
  /** The message as given (several `-m` values are joined as paragraphs). */
  message: string
  /** `Name <email>`; default from the environment and git config. */
  author?: string
  /** Run the pre-commit and commit-msg hooks (git's default; `--no-verify` skips them). */
  verify?: boolean
  /** The folder ssmd runs in (`-C`), the working tree when GIT_DIR is set without GIT_WORK_TREE. */
  cwd?: string
  /**
   * What validation checked (taken before it ran): the commit takes exactly
   * those files, with those bytes, or refuses. Absent with --no-validate.
   */
  checked?: GateSnapshot
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
  /** core.quotePath, for showing the names as git would. */
  quotePath: boolean
}

type TreeChange = { oid: string; mode: string } | null

/**
 * Commits the ssmd files (its folders and `ssmd.yaml`) as `git add <those
 * paths>` would stage them, and nothing else: the new tree is HEAD's tree
 * with only those paths replaced, and only their index entries are updated,
 * so whatever else the user staged stays staged (git's `commit --only`).
 *
 * Holds git's index lock throughout (released on SIGINT/SIGTERM/SIGHUP);
 * writes every object crash-safely and verifies objects it reuses; runs the
 * repository's hooks as git does; moves the branch or detached HEAD only if
 * it still points where it did (compare-and-swap under the ref's lock);
 * writes the index last. Anything ssmd cannot do exactly as git would
 * (signing, clean/smudge filters, a sparse index, SHA-256) is refused by name.
 */
export async function commitSsmdChanges(root: string, options: CommitOptions): Promise<CommitResult> {
  const repo = openRepository(root, { cwd: options.cwd })
  const verify = options.verify ?? true
  const firstMessage = cleanupMessage(options.message, cleanupMode(repo))
  if (!firstMessage) throw new SsmdError('empty commit message; pass -m "what changed and why"', { code: 'usage' })
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
  if (repo.config.getBool('commit.gpgsign')) {
    throw new SsmdError(
      'commit.gpgSign is set and ssmd does not sign commits; commit with `git add <paths> && git commit` (git signs it), or disable signing for this repository',
      { code: 'unsupported-repo' },
    )
  }
  if ((repo.config.get('i18n.commitencoding') ?? 'utf-8').toLowerCase().replace('-', '') !== 'utf8') {
    throw new SsmdError(`i18n.commitEncoding is ${repo.config.get('i18n.commitencoding')}; ssmd writes UTF-8 commit messages only: commit with git`, { code: 'unsupported-repo' })
  }
  const committerExplicit = resolveIdentityOrUndefined(repo, 'committer')
  const author = resolveIdentity(repo, 'author', options.author)
  const committer = committerExplicit ?? { ...author }

  const indexFile = repo.indexFile
  const lock = GitLock.acquire(indexFile)
  let result: CommitResult
  try {
    const status = await ssmdStatus(repo, { forWrite: true })
    if (status.unmerged.length > 0) {
      throw new SsmdError(`unmerged ssmd files: ${status.unmerged.join(', ')}; resolve the conflicts and mark them resolved with git first`, { code: 'conflict' })
    }
    // Under the lock, before anything is written: each file taken is read once more, and must be what validation read.
    const verified = options.checked ? verifyAgainstSnapshot(repo, options.checked, status.changes) : undefined
    if (status.changes.length === 0) {
      // Still stage the working state, as `git add` would: after an interrupted
      // commit (the branch moved, the index not yet written) this repairs the index.
      if (status.indexFixes.length > 0 && !status.index.extensions.some(x => /^[a-z]/.test(x.signature))) {
        applyIndexFixes(status.index, status.indexFixes)
        status.index.dropStaleExtensions()
        smudgeRacilyClean(repo, status.index, status.converter)
        lock.commit(status.index.serializeParts())
      }
      throw new SsmdError('nothing to commit (no changes to ssmd files)', { code: 'nothing-to-commit' })
    }
    for (const x of status.index.extensions) {
      if (/^[a-z]/.test(x.signature))
        throw new SsmdError(
          `cannot update the git index: it uses the required extension '${x.signature}', which ssmd cannot write; commit with \`git add <paths> && git commit\``,
          { code: 'unsupported-repo' },
        )
    }

    // Blobs from the files as they are now, and the index entries that go with them.
    const writer = new ObjectWriter(repo)
    const index: GitIndex = status.index
    let byPath: Map<string, IndexEntry> | undefined
    const entries = () => (byPath ??= index.byPath())
    const indexChanges = new Map<string, IndexEntry | null>()
    const treeChanges = new Map<string, TreeChange>()
    let n = 0
    for (const c of status.changes) {
      if (++n % 64 === 0) await yieldToSignals()
      if (c.kind === 'deleted') {
        treeChanges.set(c.gitPath, null)
        indexChanges.set(c.gitPath, null)
        continue
      }
      const work = c.work!
      let oid = work.oid
      const checked = verified?.get(c.gitPath)
      if (checked) {
        // The blob comes from the very bytes that were verified (converted as `git add` would).
        oid = writer.write('blob', work.stat!.isSymbolicLink() ? checked : status.converter.toGit(c.gitPath, checked))
      } else if (work.content) {
        oid = writer.write('blob', work.content)
      } else if (!writer.present(oid)) {
        const entry = entries().get(c.gitPath)
        if (entry && (entry.extended & EXT_SKIP_WORKTREE || entry.flags & 0x8000)) {
          throw new SsmdError(
            `the object ${oid} of ${c.gitPath} (a skip-worktree or assume-unchanged entry) is missing or damaged; repair the repository with git (\`git fsck\`) first`,
            { code: 'conflict' },
          )
        }
        // The index's stat data said "unchanged", but its object is gone or damaged: store the file again.
        work.stat = lstatSync(join(repo.workTree, c.gitPath), { bigint: true })
        oid = writer.write('blob', workingContent(repo, status.converter, c.gitPath, work.stat))
      }
      treeChanges.set(c.gitPath, { oid, mode: work.mode })
      // Entries that stand for their file (skip-worktree, assume-unchanged) keep their flags and stat data.
      if (work.stat) indexChanges.set(c.gitPath, { path: c.gitPath, stat: statBlock(work.stat, work.mode), oid, flags: 0, extended: 0 })
    }
    index.update(indexChanges)
    applyIndexFixes(index, status.indexFixes)
    index.dropStaleExtensions()

    const baseTree = status.head.oid ? await commitTree(repo, status.head.oid) : EMPTY_TREE
    const writeTree = (content: Buffer) => writer.write('tree', content)
    let tree = (await applyToTree(repo, baseTree, treeChanges, writeTree)) ?? writeTree(Buffer.alloc(0))

    // Hooks, as `git commit` runs them for a partial commit: pre-commit and
    // the message hooks see a temporary index (HEAD plus the ssmd changes).
    const hooks: Partial<Record<HookName, string>> = {}
    for (const name of ['pre-commit', 'prepare-commit-msg', 'commit-msg'] as const) {
      if (!verify && name !== 'prepare-commit-msg') continue
      const file = findHook(repo, name)
      if (file) hooks[name] = file
    }
    const msgFile = join(repo.gitdir, 'COMMIT_EDITMSG')
    let message = firstMessage
    if (Object.keys(hooks).length > 0) {
      const tempIndex = join(repo.gitdir, `next-index-${process.pid}.lock`)
      removeOnSignal(tempIndex)
      try {
        const temp = await partialIndex(repo, status.head, treeChanges, entries())
        writeFileSync(tempIndex, temp)
        const env = { ...hookEnv(author, repo), GIT_INDEX_FILE: tempIndex }
        const failed = (name: string, code: number) =>
          new SsmdError(
            `the ${name} hook (${relative(repo.workTree, hooks[name as HookName]!)}) failed (exit ${code}); nothing was committed: fix what it reports, or skip the pre-commit and commit-msg hooks with --no-verify`,
            { code: 'hook-failed' },
          )
        if (hooks['pre-commit']) {
          const code = await runHook(repo, hooks['pre-commit'], [], env)
          if (code !== 0) throw failed('pre-commit', code)
        }
        writeFileSync(msgFile, message + '\n')
        if (hooks['prepare-commit-msg']) {
          const code = await runHook(repo, hooks['prepare-commit-msg'], [relative(repo.workTree, msgFile), 'message'], env)
          if (code !== 0) throw failed('prepare-commit-msg', code)
        }
        if (hooks['commit-msg']) {
          const code = await runHook(repo, hooks['commit-msg'], [relative(repo.workTree, msgFile)], env)
          if (code !== 0) throw failed('commit-msg', code)
        }
        message = cleanupMessage(readFileSync(msgFile, 'utf8'), cleanupMode(repo))
        if (!message) throw new SsmdError('the commit message is empty after the hooks ran; nothing was committed', { code: 'usage' })
        // A pre-commit hook may change what is committed by updating the index it was given.
        const after = readFileSync(tempIndex)
        if (!after.equals(temp)) tree = treeFromIndex(GitIndex.parse(after), list => writeTree(treeContent(list)))
      } finally {
        rmSync(tempIndex, { force: true })
        release(tempIndex)
      }
    } else {
      writeFileSync(msgFile, message + '\n')
    }

    const parents = status.head.oid ? [status.head.oid] : []
    const body = [`tree ${tree}`, ...parents.map(p => `parent ${p}`), `author ${formatIdentity(author)}`, `committer ${formatIdentity(committer)}`, '', message].join('\n') + '\n'
    const commit = writer.write('commit', Buffer.from(body, 'utf8'))
    // Everything the commit names is on disk before anything names the commit.
    writer.sync()
    await yieldToSignals()

    // From here on, no await: a signal cannot land between moving HEAD and writing the index.
    const subject = message.split('\n')[0]
    // As git does before writing an index: racily clean entries that changed are smudged.
    smudgeRacilyClean(repo, index, status.converter)
    moveHead(repo, status.head, commit, committer, `commit${status.head.oid ? '' : ' (initial)'}: ${subject}`)
    lock.commit(index.serializeParts())
    result = {
      commit,
      short: commit.slice(0, 7),
      branch: status.head.ref?.replace(/^refs\/heads\//, ''),
      rootCommit: !status.head.oid,
      subject,
      author: `${author.name} <${author.email}>`,
      files: status.changes.map(c => ({ kind: c.kind, path: c.path, gitPath: c.gitPath })),
      quotePath: repo.config.getBool('core.quotepath') ?? true,
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EIO') {
      const what = code === 'ENOSPC' ? 'no space left on device' : code === 'EDQUOT' ? 'disk quota exceeded' : code === 'EROFS' ? 'read-only file system' : 'I/O error'
      throw new SsmdError(
        `${what} while writing to ${repo.gitdir}; nothing was committed and the repository is unchanged: free some space (or fix the disk) and run 'ssmd commit' again`,
        { code: 'io' },
      )
    }
    throw err
  } finally {
    lock.rollback()
  }
  const post = findHook(repo, 'post-commit')
  if (post) await runHook(repo, post, [], { ...hookEnv(author, repo), GIT_INDEX_FILE: relative(repo.workTree, repo.indexFile) })
  return result
}

function applyIndexFixes(index: GitIndex, fixes: SsmdStatus['indexFixes']): void {
  index.update(
    new Map(fixes.map(fix => [fix.gitPath, fix.entry ? { path: fix.gitPath, stat: statBlock(fix.entry.stat, fix.entry.mode), oid: fix.entry.oid, flags: 0, extended: 0 } : null])),
  )
}

function hookEnv(author: Identity, repo: Repository): Record<string, string> {
  const env: Record<string, string> = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: formatGitDate(author),
    GIT_EDITOR: ':',
    GIT_PREFIX: gitPrefix(repo),
  }
  // Hooks run from the top of the working tree: a GIT_DIR / GIT_WORK_TREE given relative to where ssmd ran is passed on absolute, as git does.
  if (process.env.GIT_DIR) env.GIT_DIR = repo.gitdir
  if (process.env.GIT_WORK_TREE) env.GIT_WORK_TREE = repo.workTree
  return env
}

function resolveIdentityOrUndefined(repo: Repository, role: 'committer'): Identity | undefined {
  try {
    return resolveIdentity(repo, role)
  } catch {
    return undefined
  }
}

type CleanupMode = 'whitespace' | 'strip' | 'verbatim'

/** commit.cleanup as it applies to a message given with -m and no editor. */
function cleanupMode(repo: Repository): CleanupMode {
  const v = (repo.config.get('commit.cleanup') ?? 'default').toLowerCase()
  return v === 'strip' ? 'strip' : v === 'verbatim' ? 'verbatim' : 'whitespace'
}

/**
 * git's message cleanup (stripspace): no trailing spaces, no leading or
 * trailing blank lines, runs of blank lines collapsed; `strip` also drops
 * comment lines; `verbatim` keeps the message as it is (with a final newline).
 */
export function cleanupMessage(message: string, mode: CleanupMode = 'whitespace'): string {
  if (mode === 'verbatim') return message.replace(/\n$/, '')
  const lines = message.split('\n').map(l => l.replace(/\s+$/, ''))
  const out: string[] = []
  for (const l of lines) {
    if (mode === 'strip' && l.startsWith('#')) continue
    if (l === '' && (out.length === 0 || out[out.length - 1] === '')) continue
    out.push(l)
  }
  while (out.length && out[out.length - 1] === '') out.pop()
  return out.join('\n')
}

/**
 * A new tree: `tree` with the blobs in `changes` (git path → blob, or null
 * to delete) put in place. Only the trees along changed paths are read and
 * rewritten, and of those only the changed entries are written anew
 * (rewriteTree). Returns undefined for an empty tree.
 */
async function applyToTree(repo: Repository, tree: string | undefined, changes: Map<string, TreeChange>, write: (content: Buffer) => string): Promise<string | undefined> {
  const base = tree ? await readTree(repo, tree) : []
  const direct = new Map<string, TreeChange>()
  const nested = new Map<string, Map<string, TreeChange>>()
  for (const [path, change] of changes) {
    const slash = path.indexOf('/')
    if (slash === -1) direct.set(path, change)
    else {
      const head = path.slice(0, slash)
      if (!nested.has(head)) nested.set(head, new Map())
      nested.get(head)!.set(path.slice(slash + 1), change)
    }
  }
  const byName = nested.size > 0 ? new Map(base.map(e => [e.name, e])) : undefined
  const here = new Map<string, TreeEntry | null>()
  for (const name of new Set([...direct.keys(), ...nested.keys()])) {
    const file = direct.get(name)
    const sub = nested.get(name)
    let subtree: string | undefined
    if (sub) {
      const existing = byName!.get(name)
      subtree = await applyToTree(repo, existing?.mode === '040000' ? existing.oid : undefined, sub, write)
    }
    if (file) here.set(name, { name, mode: file.mode, oid: file.oid })
    else if (subtree) here.set(name, { name, mode: '040000', oid: subtree })
    else if (file === null || sub) here.set(name, null)
  }
  const content = rewriteTree(base, here)
  return content && write(content)
}

/**
 * Every blob and gitlink of `tree`, keyed by its path's bytes as a latin1
 * string: byte order is then string order, and two names that are not UTF-8
 * stay apart.
 */
async function listTree(repo: Repository, tree: string, base = '', into = new Map<string, { oid: string; mode: string }>()): Promise<Map<string, { oid: string; mode: string }>> {
  for (const e of await readTree(repo, tree)) {
    const name = e.bytes ?? Buffer.from(e.name, 'utf8').toString('latin1')
    const p = base ? `${base}/${name}` : name
    if (e.mode === '040000') await listTree(repo, e.oid, p, into)
    else into.set(p, { oid: e.oid, mode: e.mode })
  }
  return into
}

/**
 * The index `git commit <paths>` gives its hooks: HEAD's tree with the
 * committed paths updated; stat data is kept where the real index has the
 * same blob, so a hook's `git status`/`git diff` stays cheap.
 */
async function partialIndex(repo: Repository, head: Head, changes: Map<string, TreeChange>, real: Map<string, IndexEntry>): Promise<Buffer> {
  // Paths as latin1 strings of their bytes (listTree): a name that is not UTF-8 reaches the hooks as git wrote it.
  const files = head.oid ? await listTree(repo, await commitTree(repo, head.oid)) : new Map<string, { oid: string; mode: string }>()
  for (const [p, c] of changes) {
    const key = Buffer.from(p, 'utf8').toString('latin1')
    if (c) files.set(key, c)
    else files.delete(key)
  }
  const entries: IndexEntry[] = []
  for (const key of [...files.keys()].sort()) {
    const f = files.get(key)!
    const pathBytes = Buffer.from(key, 'latin1')
    const path = pathBytes.toString('utf8')
    const r = real.get(path)
    const same = r && entryStage(r) === 0 && r.oid === f.oid && entryMode(r).toString(8).padStart(6, '0') === f.mode
    const stat = same ? Buffer.from(r.stat) : Buffer.alloc(40)
    if (!same) stat.writeUInt32BE(parseInt(f.mode, 8), 24)
    entries.push({ path, pathBytes, stat, oid: f.oid, flags: 0, extended: same ? r.extended & EXT_SKIP_WORKTREE : 0 })
  }
  return new GitIndex(2, entries, [], 0n).serialize()
}

/** The tree of an index's stage-0 entries (what `git write-tree` writes). */
function treeFromIndex(index: GitIndex, write: (entries: TreeEntry[]) => string): string {
  for (const e of index.entries) {
    if (entryStage(e) !== 0) throw new SsmdError(`the pre-commit hook left a conflict in the index at ${e.path}; nothing was committed`, { code: 'hook-failed' })
  }
  interface Dir {
    files: TreeEntry[]
    dirs: Map<string, Dir>
  }
  const top: Dir = { files: [], dirs: new Map() }
  // Names as latin1 strings of their bytes: one that is not UTF-8 is written back as it was.
  const entry = (bytes: string, mode: string, oid: string): TreeEntry => {
    const name = Buffer.from(bytes, 'latin1').toString('utf8')
    return name === bytes ? { name, mode, oid } : { name, mode, oid, bytes }
  }
  for (const e of index.entries) {
    const parts = (e.pathBytes ?? Buffer.from(e.path, 'utf8')).toString('latin1').split('/')
    let d = top
    for (const part of parts.slice(0, -1)) {
      let next = d.dirs.get(part)
      if (!next) d.dirs.set(part, (next = { files: [], dirs: new Map() }))
      d = next
    }
    d.files.push(entry(parts.at(-1)!, entryMode(e).toString(8).padStart(6, '0'), e.oid))
  }
  const build = (d: Dir): string | undefined => {
    const list = [...d.files]
    for (const [name, sub] of d.dirs) {
      const oid = build(sub)
      if (oid) list.push(entry(name, '040000', oid))
    }
    return list.length ? write(list) : undefined
  }
  return build(top) ?? write([])
}

/**
 * Moves the branch (or a detached HEAD) to `commit`, under git's lock on that
 * ref, only if HEAD still says what it said when the commit was prepared
 * (same branch, same commit; or detached at the same commit); appends the reflogs.
 */
function moveHead(repo: Repository, head: Head, commit: string, who: Identity, reason: string): void {
  const file = head.ref ? join(repo.commonDir, head.ref) : join(repo.gitdir, 'HEAD')
  mkdirSync(dirname(file), { recursive: true })
  const lock = GitLock.acquire(file)
  try {
    const now = readHead(repo)
    if (now.ref !== head.ref || now.oid !== head.oid) {
      const where = now.ref ? `${now.ref.replace(/^refs\/heads\//, '')} at ${now.oid?.slice(0, 7) ?? 'no commit'}` : `detached at ${now.oid?.slice(0, 7)}`
      throw new SsmdError(`${head.ref?.replace(/^refs\/heads\//, '') ?? 'HEAD'} moved while committing (now ${where}); nothing was committed: run 'ssmd commit' again`, {
        code: 'conflict',
      })
    }
    if (head.ref && existsSync(file) && statSync(file).isDirectory()) throw new SsmdError(`cannot write ${head.ref}: a folder is in the way`, { code: 'conflict' })
    lock.commit(Buffer.from(`${commit}\n`))
  } finally {
    lock.rollback()
  }
  if (repo.config.getBool('core.logallrefupdates') === false) return
  const line = `${head.oid ?? '0'.repeat(40)} ${commit} ${formatIdentity(who)}\t${reason.replace(/\n/g, ' ')}\n`
  const logs = head.ref ? [join(repo.commonDir, 'logs', head.ref), join(repo.gitdir, 'logs', 'HEAD')] : [join(repo.gitdir, 'logs', 'HEAD')]
  for (const log of logs) {
    try {
      mkdirSync(dirname(log), { recursive: true })
      appendFileSync(log, line)
    } catch {
      /* the reflog is a convenience; the commit stands without it */
    }
  }
}
