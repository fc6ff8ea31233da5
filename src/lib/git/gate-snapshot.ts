/*
 * What the commit gate checked, so that `ssmd commit` commits exactly that.
 *
 * Validation runs before git's index lock is taken, and reads files along many
 * paths (documents, definitions, the secret scan, the validation cache). So
 * the gate does not trust any of those reads to be the commit's: before
 * validation starts it records, for every file the commit would take, the
 * file's stat data (inode, size, mtime and ctime to the nanosecond, mode) and
 * the SHA-256 of its working-tree bytes (before any line-ending conversion).
 * Under the index lock the commit reads each file it takes once more, and
 * makes its blob from those bytes only if their stat data and digest are
 * still the recorded ones: a file untouched from before validation began
 * until the commit read it is the file validation read. Anything else — a
 * file changed, added, deleted or reverted in between — refuses the whole
 * commit before anything is staged.
 */
import { createHash } from 'node:crypto'
import { lstatSync, type BigIntStats } from 'node:fs'
import { join } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { openRepository, type Repository } from './repo.js'
import { ssmdStatus, workingBytes, type FileChange } from './status.js'

/** One file the commit would take, as it was when validation began. */
interface Seen {
  /** Root-relative, for messages. */
  path: string
  deleted?: boolean
  /** Stat data (see stampKey); undefined when the file could not be read whole. */
  stamp?: string
  /** SHA-256 (hex) of the working-tree bytes. */
  digest?: string
  /** For an entry that stands for its file (skip-worktree, assume-unchanged): the blob the commit takes. */
  oid?: string
}

/** The files a commit would take when validation began, by git path; `unknown` when they could not be listed. */
export interface GateSnapshot {
  readonly files?: ReadonlyMap<string, Seen>
}

/** The stat fields that change with any write, rename or mode change, exactly (nanoseconds). */
function stampKey(st: BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`
}

function lstatKey(abs: string): string | undefined {
  try {
    return stampKey(lstatSync(abs, { bigint: true }))
  } catch {
    return undefined
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** Records the files the commit would take, as they are now (call it before validating). */
export async function snapshotCommitFiles(root: string, options: { cwd?: string } = {}): Promise<GateSnapshot> {
  let repo: Repository
  let changes: FileChange[]
  try {
    repo = openRepository(root, { cwd: options.cwd })
    changes = (await ssmdStatus(repo)).changes
  } catch {
    // The commit itself reports what is wrong with the repository; it cannot commit against an unknown snapshot.
    return {}
  }
  const files = new Map<string, Seen>()
  for (const c of changes) {
    if (c.kind === 'deleted') files.set(c.gitPath, { path: c.path, deleted: true })
    else if (!c.work!.stat) files.set(c.gitPath, { path: c.path, oid: c.work!.oid })
    else files.set(c.gitPath, { path: c.path, ...read(repo, c.gitPath) })
  }
  return { files }
}

/** The file's stamp and digest, when its stat data stayed the same while it was read. */
function read(repo: Repository, gitPath: string): { stamp?: string; digest?: string } {
  const abs = join(repo.workTree, gitPath)
  try {
    const st = lstatSync(abs, { bigint: true })
    const bytes = workingBytes(repo, gitPath, st)
    const stamp = stampKey(st)
    return lstatKey(abs) === stamp ? { stamp, digest: sha256(bytes) } : {}
  } catch {
    return {}
  }
}

function changedWhileValidating(path: string): SsmdError {
  return new SsmdError(`${path} changed while ssmd commit was validating it; nothing was committed (run ssmd commit again)`, { code: 'conflict' })
}

/**
 * Checks the commit's changes (listed under the index lock) against the
 * snapshot, and returns the working-tree bytes of each file it takes, read
 * now and proven to be the ones validation read; the blobs are made from
 * these. Throws the one-line refusal on the first difference.
 */
export function verifyAgainstSnapshot(repo: Repository, snapshot: GateSnapshot, changes: readonly FileChange[]): Map<string, Buffer> {
  if (!snapshot.files) {
    throw new SsmdError('the repository changed while ssmd commit was validating it; nothing was committed (run ssmd commit again)', { code: 'conflict' })
  }
  const seen = snapshot.files
  const taken = new Set(changes.map(c => c.gitPath))
  // A change validation saw that the commit would no longer take (reverted, or now as in HEAD).
  for (const [gitPath, s] of seen) if (!taken.has(gitPath)) throw changedWhileValidating(s.path)
  const bytes = new Map<string, Buffer>()
  for (const c of changes) {
    const s = seen.get(c.gitPath)
    if (!s) throw changedWhileValidating(c.path)
    if (c.kind === 'deleted') {
      if (!s.deleted) throw changedWhileValidating(c.path)
      continue
    }
    const work = c.work!
    if (!work.stat) {
      if (s.oid !== work.oid) throw changedWhileValidating(c.path)
      continue
    }
    const stamp = stampKey(work.stat)
    if (s.deleted || s.stamp === undefined || s.stamp !== stamp) throw changedWhileValidating(c.path)
    const now = workingBytes(repo, c.gitPath, work.stat)
    if (lstatKey(join(repo.workTree, c.gitPath)) !== stamp || sha256(now) !== s.digest) throw changedWhileValidating(c.path)
    bytes.set(c.gitPath, now)
  }
  return bytes
}
