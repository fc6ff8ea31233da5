import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs'
import { join } from 'node:path'
import { EXT_SKIP_WORKTREE, GitIndex, entryMode, entryStage, type IndexEntry } from './index-file.js'
import { IgnoreMatcher } from './ignore.js'
import { blobsUnder, commitTree, hashObject, readHead, type Head } from './objects.js'
import { SsmdError } from '../core/errors.js'
import { readBounded } from '../io/read.js'
import { rootPath, ssmdGitPaths, type Repository } from './repo.js'

export type ChangeKind = 'modified' | 'added' | 'deleted'

/** One ssmd file that differs between the last commit and the working tree. */
export interface FileChange {
  kind: ChangeKind
  /** Relative to the ssmd root, `/`-separated. */
  path: string
  /** Relative to the git working-tree root, `/`-separated. */
  gitPath: string
  /** Blob id and mode in HEAD (modified, deleted). */
  head?: { oid: string; mode: string }
  /** Blob id and mode in the working tree (modified, added). */
  work?: { oid: string; mode: string; stat: BigIntStats }
}

export interface SsmdStatus {
  head: Head
  changes: FileChange[]
  /** The index as read, for callers that go on to update it (whole only with `forWrite`). */
  index: GitIndex
  /** ssmd paths with unresolved merge conflicts in the index. */
  unmerged: string[]
  /**
   * Unchanged ssmd paths whose index entry differs from HEAD (staged, then
   * reverted on disk): what their entry must become once the ssmd files are
   * staged (null: removed from the index).
   */
  indexFixes: Array<{ gitPath: string; entry: { oid: string; mode: string; stat: BigIntStats } | null }>
}

/**
 * What changed in the ssmd files since the last commit: HEAD against the
 * working tree (whatever is staged in between is ignored). Only the ssmd
 * folders and `ssmd.yaml` are walked, in HEAD and on disk; the index is used
 * to skip hashing files whose stat data says they are unchanged.
 */
export async function ssmdStatus(repo: Repository, options: { forWrite?: boolean } = {}): Promise<SsmdStatus> {
  const head = readHead(repo)
  const paths = ssmdGitPaths(repo)
  const headFiles = new Map<string, { oid: string; mode: string }>()
  if (head.oid) {
    const tree = await commitTree(repo, head.oid)
    for (const p of paths) await blobsUnder(repo, tree, p, headFiles)
  }
  // Read-only callers need only the ssmd entries of what may be a very large index.
  const index = GitIndex.read(repo.gitdir, options.forWrite ? undefined : paths)
  const inScope = (p: string) => paths.some(base => p === base || p.startsWith(base + '/'))
  const indexed = new Map<string, IndexEntry>()
  const unmerged = new Set<string>()
  for (const e of index.entries) {
    if (!inScope(e.path)) continue
    if (entryStage(e) !== 0) unmerged.add(e.path)
    else indexed.set(e.path, e)
  }

  const workFiles = new Map<string, BigIntStats>()
  const ignore = new IgnoreMatcher(repo)
  const tracked = (p: string) => headFiles.has(p) || indexed.has(p)
  const visit = (gitPath: string, st: BigIntStats) => {
    if (st.isFile() || st.isSymbolicLink()) {
      if (!tracked(gitPath) && ignore.isIgnored(gitPath)) return
      workFiles.set(gitPath, st)
    } else if (st.isDirectory()) {
      let names: string[]
      try {
        names = readdirSync(join(repo.workTree, gitPath))
      } catch {
        return
      }
      // A folder holding its own repository is a nested repository, not ssmd files.
      if (names.includes('.git')) return
      for (const name of names) {
        const child = `${gitPath}/${name}`
        const cst = lstatOrUndefined(join(repo.workTree, child))
        if (cst) visit(child, cst)
      }
    }
  }
  for (const p of paths) {
    const st = lstatOrUndefined(join(repo.workTree, p))
    if (st) visit(p, st)
  }

  const filemode = repo.config.getBool('core.filemode') ?? process.platform !== 'win32'
  const changes: FileChange[] = []
  const all = new Set([...headFiles.keys(), ...workFiles.keys()])
  for (const p of [...all].sort(compareBytes)) {
    const h = headFiles.get(p)
    const st = workFiles.get(p)
    const entry = indexed.get(p)
    if (h && entry && entry.extended & EXT_SKIP_WORKTREE && !st) continue
    const base = { path: rootPath(repo, p), gitPath: p }
    if (h && !st) {
      changes.push({ kind: 'deleted', ...base, head: h })
      continue
    }
    const work = workingBlob(repo, p, st!, entry, index.mtimeNs)
    if (!h) {
      changes.push({ kind: 'added', ...base, work })
      continue
    }
    const modeChanged = filemode ? h.mode !== work.mode : (h.mode === '120000') !== (work.mode === '120000')
    if (h.oid !== work.oid || modeChanged) {
      if (!filemode && h.mode !== '120000') work.mode = h.mode
      changes.push({ kind: 'modified', ...base, head: h, work })
    }
  }
  const indexFixes: SsmdStatus['indexFixes'] = []
  const changed = new Set(changes.map(c => c.gitPath))
  for (const [p, e] of indexed) {
    if (changed.has(p) || e.extended & EXT_SKIP_WORKTREE) continue
    const h = headFiles.get(p)
    const st = workFiles.get(p)
    if (!h && !st) indexFixes.push({ gitPath: p, entry: null })
    else if (h && st && (e.oid !== h.oid || entryMode(e).toString(8) !== h.mode)) indexFixes.push({ gitPath: p, entry: { oid: h.oid, mode: h.mode, stat: st } })
  }
  return { head, changes, index, unmerged: [...unmerged], indexFixes }
}

function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true })
  } catch {
    return undefined
  }
}

export function modeOf(st: BigIntStats): string {
  if (st.isSymbolicLink()) return '120000'
  return Number(st.mode) & 0o111 ? '100755' : '100644'
}

/** The blob a working file would be committed as. */
function workingBlob(repo: Repository, gitPath: string, st: BigIntStats, entry: IndexEntry | undefined, indexMtimeNs: bigint): { oid: string; mode: string; stat: BigIntStats } {
  const mode = modeOf(st)
  if (entry && statMatches(entry, st) && st.mtimeNs < indexMtimeNs) return { oid: entry.oid, mode, stat: st }
  return { oid: hashObject('blob', workingContent(repo, gitPath, st)), mode, stat: st }
}

/** Largest file in an ssmd folder that diff and commit read (ssmd's own files are at most a few MiB). */
export const MAX_WORKING_FILE_BYTES = 64 * 1024 * 1024

/** A working file's content as git would store it (symlink target; CRLF→LF under core.autocrlf). */
export function workingContent(repo: Repository, gitPath: string, st?: BigIntStats): Buffer {
  const abs = join(repo.workTree, gitPath)
  if (st?.isSymbolicLink()) return Buffer.from(readlinkSync(abs))
  // Bounded and typed like every read of an ssmd folder: a huge file is refused, never loaded whole.
  const read = readBounded(abs, { maxBytes: MAX_WORKING_FILE_BYTES, display: gitPath })
  if (read.refusal) throw new SsmdError(`${read.refusal.message}; ssmd does not diff or commit it (remove it, or add it with git itself)`)
  const raw = read.bytes
  const autocrlf = (repo.config.get('core.autocrlf') ?? 'false').toLowerCase()
  if ((autocrlf === 'true' || autocrlf === 'input') && raw.includes(0x0d) && !raw.includes(0)) {
    return Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')
  }
  return raw
}

/** git's "is the cached stat still valid" test (mtime, ctime, size, inode, file type). */
function statMatches(e: IndexEntry, st: BigIntStats): boolean {
  const s = e.stat
  const sec = (ns: bigint) => Number(ns / 1_000_000_000n) >>> 0
  const nsec = (ns: bigint) => Number(ns % 1_000_000_000n)
  return (
    s.readUInt32BE(8) === sec(st.mtimeNs) &&
    s.readUInt32BE(12) === nsec(st.mtimeNs) &&
    s.readUInt32BE(0) === sec(st.ctimeNs) &&
    s.readUInt32BE(4) === nsec(st.ctimeNs) &&
    s.readUInt32BE(36) === Number(st.size) >>> 0 &&
    s.readUInt32BE(20) === Number(st.ino & 0xffffffffn) >>> 0 &&
    s.readUInt32BE(24) >> 12 === Number(st.mode) >> 12
  )
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** The index stat block for a file, as git writes it. */
export function statBlock(st: BigIntStats, mode: string): Buffer {
  const b = Buffer.alloc(40)
  const sec = (ns: bigint) => Number((ns / 1_000_000_000n) & 0xffffffffn)
  const nsec = (ns: bigint) => Number(ns % 1_000_000_000n)
  b.writeUInt32BE(sec(st.ctimeNs), 0)
  b.writeUInt32BE(nsec(st.ctimeNs), 4)
  b.writeUInt32BE(sec(st.mtimeNs), 8)
  b.writeUInt32BE(nsec(st.mtimeNs), 12)
  b.writeUInt32BE(Number(st.dev & 0xffffffffn), 16)
  b.writeUInt32BE(Number(st.ino & 0xffffffffn), 20)
  b.writeUInt32BE(parseInt(mode, 8), 24)
  b.writeUInt32BE(Number(st.uid & 0xffffffffn), 28)
  b.writeUInt32BE(Number(st.gid & 0xffffffffn), 32)
  b.writeUInt32BE(Number(st.size & 0xffffffffn), 36)
  return b
}
