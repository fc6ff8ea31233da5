import { constants, lstatSync, readdirSync, readlinkSync, type BigIntStats, type Stats } from 'node:fs'
import { join } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { mayBeUndecodable, undecodable, undecodableNames } from '../io/file-names.js'
import { readBounded } from '../io/read.js'
import { ContentConverter } from './attributes.js'
import { cacheTreeIds } from './cache-tree.js'
import { EXT_INTENT_TO_ADD, EXT_SKIP_WORKTREE, GitIndex, GitLock, comparePaths, entryMode, entryStage, statWord, type IndexEntry } from './index-file.js'
import { IgnoreMatcher } from './ignore.js'
import { undecodablePathError } from './quote.js'
import { hashObject } from './loose.js'
import { blobsOf, commitTree, entryAt, readObjectSync } from './objects.js'
import { readHead, type Head } from './refs.js'
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
  /**
   * Blob id and mode as `git add` would stage them (modified, added), with
   * the file's stat data (undefined when the index entry stands for the file:
   * skip-worktree and assume-unchanged entries) and, when ssmd had to read
   * the file, the content git would store.
   */
  work?: { oid: string; mode: string; stat?: BigIntStats; content?: Buffer }
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
  /** Index entries whose file was re-read and found unchanged: only their stat data is stale. */
  stale: Array<{ gitPath: string; oid: string; stat: BigIntStats }>
  /** The converter used (git's line-ending rules), for reading files of this status again. */
  converter: ContentConverter
}

const FLAG_ASSUME_VALID = 0x8000

/**
 * What changed in the ssmd files since the last commit, as `git add <the
 * ssmd paths>` would stage it: HEAD against the working tree (whatever is
 * staged in between is ignored, except that skip-worktree and
 * assume-unchanged entries stand for their files, as in git, even when those
 * are gone). Only the ssmd folders and `ssmd.yaml` are walked, in HEAD and on
 * disk; the index is used to skip hashing files whose stat data says they
 * are unchanged. Gitlinks (submodules) are left as they are; untracked
 * nested repositories are not entered; untracked ignored files are skipped
 * (ssmd's own locks and temporary files live under `.ssmd/`, outside these
 * folders, so a file here is always the user's).
 */
export async function ssmdStatus(repo: Repository, options: { forWrite?: boolean } = {}): Promise<SsmdStatus> {
  const head = readHead(repo)
  const paths = ssmdGitPaths(repo)
  // Read-only callers need only the ssmd entries of what may be a very large index; a commit needs it whole,
  // but the entries outside the ssmd paths only as the bytes it writes back.
  let index = options.forWrite ? GitIndex.read(repo.indexFile, undefined, { keep: paths }) : GitIndex.read(repo.indexFile, paths)
  const sparse = index.extensions.some(x => x.signature === 'sdir')
  const headFiles = new Map<string, { oid: string; mode: string }>()
  if (head.oid) {
    const tree = await commitTree(repo, head.oid)
    const cached = sparse ? undefined : cachedTrees(index)
    for (const p of paths) {
      const at = await entryAt(repo, tree, p)
      // A folder the index holds exactly as HEAD does (git's cache tree says so): its entries are HEAD's files.
      const id = cached?.get(p)
      const entries = id === undefined ? undefined : index.under([p])
      if (entries !== undefined && entries.every(plainEntry) && sameTree(at, id)) {
        for (const e of entries) headFiles.set(e.path, { oid: e.oid, mode: modeString(entryMode(e)) })
      } else await blobsOf(repo, at, p, headFiles)
    }
  }
  if (sparse && options.forWrite) {
    throw new SsmdError(
      'the git index is a sparse index (index.sparse=true), which ssmd cannot write; commit with `git add <paths> && git commit`, or run `git sparse-checkout init --no-sparse-index`',
      { code: 'unsupported-repo' },
    )
  }
  if (sparse && index.partial) index = GitIndex.read(repo.indexFile)
  for (const x of index.extensions) {
    if (x.signature === 'link')
      throw new SsmdError('the git index is a split index (core.splitIndex), which ssmd does not read; run `git update-index --no-split-index`, or use git add/commit', {
        code: 'unsupported-repo',
      })
  }
  const inScope = (p: string) => paths.some(base => p === base || p.startsWith(base + '/'))
  const indexed = new Map<string, IndexEntry>()
  const unmerged = new Set<string>()
  /** Folders a sparse index keeps as one skip-worktree entry (`dir/`): nothing below them is on disk. */
  const sparseDirs: string[] = []
  // A sparse index is walked whole for its folder entries; otherwise only the entries under these paths are looked at.
  for (const e of sparse ? index.entries : index.under(paths)) {
    if (mayBeUndecodable(e.path) && inScope(e.path) && e.pathBytes !== undefined && undecodable(e.pathBytes)) throw undecodablePathError(e.pathBytes)
    if (sparse && e.path.endsWith('/') && e.extended & EXT_SKIP_WORKTREE) {
      sparseDirs.push(e.path)
      continue
    }
    if (sparse && !inScope(e.path)) continue
    if (entryStage(e) !== 0) unmerged.add(e.path)
    else indexed.set(e.path, e)
  }
  const underSparseDir = (p: string) => sparseDirs.some(d => p.startsWith(d))

  /**
   * Working files: their stat data, or only their mode bits when their index
   * entry's stat data proves them unchanged (most files; no Stats object
   * outlives the walk, which keeps garbage collection cheap).
   */
  const workFiles = new Map<string, Stats | number>()
  const indexSec = indexSeconds(index)
  const ignore = new IgnoreMatcher(repo)
  const tracked = (p: string) => headFiles.has(p) || indexed.has(p)
  const visit = (gitPath: string, st: Stats) => {
    if (st.isFile() || st.isSymbolicLink()) {
      const entry = indexed.get(gitPath)
      if (!entry && !headFiles.has(gitPath)) {
        if (ignore.isIgnored(gitPath)) return
      }
      workFiles.set(gitPath, entry && statMatches(entry, st) && !isRacy(Math.floor(st.mtimeMs / 1000), indexSec) ? st.mode : st)
    } else if (st.isDirectory()) {
      let names: string[]
      try {
        names = readdirSync(join(repo.workTree, gitPath))
      } catch {
        return
      }
      // A folder holding its own repository is a submodule or a nested repository, not ssmd files.
      if (names.includes('.git')) return
      const ignored = !tracked(gitPath) && ignore.isIgnored(gitPath, true)
      if (ignored) {
        // Nothing inside an ignored folder can be re-included; tracked files in it still count.
        const prefix = gitPath + '/'
        if (![...headFiles.keys(), ...indexed.keys()].some(p => p.startsWith(prefix))) return
      }
      const dir = join(repo.workTree, gitPath) + '/'
      // A name that is not UTF-8 that git add would take (tracked ones are refused above, with the index's).
      if (!ignored && names.some(mayBeUndecodable)) {
        for (const { name, isDir } of undecodableNames(dir)) {
          const bytes = Buffer.concat([Buffer.from(`${gitPath}/`), name])
          if (!ignore.isIgnored(bytes.toString('utf8'), isDir)) throw undecodablePathError(bytes)
        }
      }
      for (const name of names) {
        const cst = lstatOrUndefined(dir + name)
        if (cst) visit(`${gitPath}/${name}`, cst)
      }
    }
  }
  for (const p of paths) {
    const st = lstatOrUndefined(join(repo.workTree, p))
    if (st) visit(p, st)
  }

  const filemode = repo.config.getBool('core.filemode') ?? process.platform !== 'win32'
  const symlinks = repo.config.getBool('core.symlinks') ?? true
  const converter = new ContentConverter(repo, p => {
    const e = indexed.get(p)
    return e ? readObjectSync(repo, e.oid)?.content : undefined
  })
  const changes: FileChange[] = []
  const stale: SsmdStatus['stale'] = []
  const isGitlink = (mode?: string) => mode === '160000'
  // Most files are unchanged since HEAD, as their index entry and its stat data prove: nothing below can come of
  // them (no change, nothing to refresh or fix), so only the others are sorted and looked at.
  const unchanged = (p: string, h: { oid: string; mode: string }) => {
    const st = workFiles.get(p)
    const entry = indexed.get(p)
    if (typeof st !== 'number' || !entry || entry.extended & EXT_SKIP_WORKTREE || entry.flags & FLAG_ASSUME_VALID || entry.oid !== h.oid) return false
    return modeFromBits(st, modeString(entryMode(entry)), filemode, symlinks) === h.mode
  }
  const candidates: string[] = []
  for (const [p, h] of headFiles) if (!unchanged(p, h)) candidates.push(p)
  for (const p of workFiles.keys()) if (!headFiles.has(p)) candidates.push(p)
  for (const p of indexed.keys()) if (!headFiles.has(p) && !workFiles.has(p)) candidates.push(p)
  candidates.sort(comparePaths)
  const hashed = new Map<string, BigIntStats>()
  for (const p of candidates) {
    const h = headFiles.get(p)
    const st = workFiles.get(p)
    const entry = indexed.get(p)
    const entryModeStr = entry ? modeString(entryMode(entry)) : undefined
    if (isGitlink(h?.mode) || isGitlink(entryModeStr)) continue
    if (underSparseDir(p)) continue
    let work: FileChange['work']
    if (entry && (entry.extended & EXT_SKIP_WORKTREE || entry.flags & FLAG_ASSUME_VALID)) {
      // git add leaves these entries alone: the index entry stands for the file.
      work = { oid: entry.oid, mode: entryModeStr! }
    } else if (st) {
      work = workingBlob(repo, converter, p, st, entry, entryModeStr, filemode, symlinks)
      if (work.stat) hashed.set(p, work.stat)
      if (entry && work.stat && work.oid === entry.oid && work.mode === entryModeStr) stale.push({ gitPath: p, oid: work.oid, stat: work.stat })
    } else if (!h) {
      continue
    }
    if (h && !work) {
      changes.push({ kind: 'deleted', path: rootPath(repo, p), gitPath: p, head: h })
    } else if (!h && work) {
      changes.push({ kind: 'added', path: rootPath(repo, p), gitPath: p, work })
    } else if (h && work && (h.oid !== work.oid || h.mode !== work.mode)) {
      changes.push({ kind: 'modified', path: rootPath(repo, p), gitPath: p, head: h, work })
    }
  }
  const indexFixes: SsmdStatus['indexFixes'] = []
  const changed = new Set(changes.map(c => c.gitPath))
  for (const p of candidates) {
    const e = indexed.get(p)
    if (!e || changed.has(p) || e.extended & EXT_SKIP_WORKTREE || e.flags & FLAG_ASSUME_VALID) continue
    const m = modeString(entryMode(e))
    if (isGitlink(m) || underSparseDir(p)) continue
    const h = headFiles.get(p)
    const st = hashed.get(p)
    if (!h && !workFiles.has(p)) indexFixes.push({ gitPath: p, entry: null })
    else if (h && st && (e.oid !== h.oid || m !== h.mode)) indexFixes.push({ gitPath: p, entry: { oid: h.oid, mode: h.mode, stat: st } })
  }
  return { head, changes, index, unmerged: [...unmerged], indexFixes, stale: stale.filter(s => !changed.has(s.gitPath)), converter }
}

/** The tree ids of the index's cache tree (cache-tree.ts), or undefined when it has none (or one that does not parse). */
function cachedTrees(index: GitIndex): Map<string, string> | undefined {
  const data = index.extensions.find(x => x.signature === 'TREE')?.data
  return data === undefined ? undefined : cacheTreeIds(data)
}

/** Whether a tree entry is the folder `id`. */
const sameTree = (e: { mode: string; oid: string } | undefined, id: string | undefined) => e?.mode === '040000' && e.oid === id

/** An entry that stands for a file of its folder's tree: stage 0, not intent-to-add (which git leaves out of trees). */
function plainEntry(e: IndexEntry): boolean {
  return entryStage(e) === 0 && (e.extended & EXT_INTENT_TO_ADD) === 0
}

/** An index entry's mode as git writes it in trees (six octal digits); the common ones without making a string. */
function modeString(mode: number): string {
  return mode === 0o100644 ? '100644' : mode === 0o100755 ? '100755' : mode.toString(8).padStart(6, '0')
}

/** Plain (not bigint) stat data: enough to compare with the index (see statMatches), much cheaper for thousands of files. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

/** A timestamp as Node computes `mtimeMs` from seconds and nanoseconds, so equal timestamps give identical numbers. */
function timespecMs(sec: number, nsec: number): number {
  return sec * 1e3 + nsec / 1e6
}

/** The index file's mtime in whole seconds (0 when there is no index file). */
function indexSeconds(index: GitIndex): number {
  return Number(index.mtimeNs / 1_000_000_000n)
}

/**
 * git's racy-timestamp rule (is_racy_stat, as git is built by default, to
 * the second): an entry whose file was modified in the index file's own
 * second, or later, may have changed after it was recorded with the same
 * stat data, so its stat data proves nothing and the content is compared.
 */
function isRacy(entryMtimeSec: number, indexSec: number): boolean {
  return indexSec !== 0 && indexSec <= entryMtimeSec
}

/**
 * The mode `git add` records for a working file: 120000 for a symbolic
 * link, 100755/100644 from the executable bit; with core.fileMode=false the
 * index entry's mode (100644 for a new file), with core.symlinks=false a file
 * standing for a link stays a link.
 */
export function modeOf(st: BigIntStats | Stats, entryMode?: string, filemode = true, symlinks = true): string {
  return modeFromBits(Number(st.mode), entryMode, filemode, symlinks)
}

/** modeOf from the stat data's mode bits (type and permissions). */
function modeFromBits(bits: number, entryMode: string | undefined, filemode: boolean, symlinks: boolean): string {
  if ((bits & constants.S_IFMT) === constants.S_IFLNK) return '120000'
  if (!symlinks && entryMode === '120000') return '120000'
  if (!filemode) return entryMode === '100755' || entryMode === '100644' ? entryMode : '100644'
  return bits & 0o111 ? '100755' : '100644'
}

/**
 * The blob a working file would be staged as: the index entry's when its stat
 * data still matched (and the entry is not racily clean: `st` is then only the
 * file's mode bits, see ssmdStatus), else read and hashed — after an exact
 * (bigint) lstat, taken before reading as git does, which is what gets
 * recorded in the index.
 */
function workingBlob(
  repo: Repository,
  converter: ContentConverter,
  gitPath: string,
  st: Stats | number,
  entry: IndexEntry | undefined,
  entryModeStr: string | undefined,
  filemode: boolean,
  symlinks: boolean,
): NonNullable<FileChange['work']> {
  if (typeof st === 'number') return { oid: entry!.oid, mode: modeFromBits(st, entryModeStr, filemode, symlinks) }
  const exact = lstatSync(join(repo.workTree, gitPath), { bigint: true })
  const mode = modeOf(exact, entryModeStr, filemode, symlinks)
  const content = workingContent(repo, converter, gitPath, exact)
  return { oid: hashObject('blob', content), mode, stat: exact, content }
}

/** git's conversion rules for one-off reads of working files (the index is read only if a rule needs it). */
export function converterFor(repo: Repository): ContentConverter {
  let index: Map<string, IndexEntry> | undefined
  return new ContentConverter(repo, p => {
    index ??= GitIndex.read(repo.indexFile).byPath()
    const e = index.get(p)
    return e ? readObjectSync(repo, e.oid)?.content : undefined
  })
}

/** A working file's content as `git add` would store it (a link's target; line endings converted per attributes and config). */
export function workingContent(repo: Repository, converter: ContentConverter, gitPath: string, st: BigIntStats): Buffer {
  const raw = workingBytes(repo, gitPath, st)
  return st.isSymbolicLink() ? raw : converter.toGit(gitPath, raw)
}

/** A working file's bytes as they are in the working tree, before any line-ending conversion (a link's target). */
export function workingBytes(repo: Repository, gitPath: string, st: BigIntStats | Stats): Buffer {
  const abs = join(repo.workTree, gitPath)
  if (st.isSymbolicLink()) return Buffer.from(readlinkSync(abs, { encoding: 'buffer' }))
  // Bounded and typed like every read of an ssmd folder: a huge file is refused, never loaded whole.
  const read = readBounded(abs, { maxBytes: MAX_WORKING_FILE_BYTES, display: gitPath })
  if (read.refusal) throw new SsmdError(`${read.refusal.message}; ssmd does not diff or commit it (remove it, or add it with git itself)`)
  return read.bytes
}

/** Largest file in an ssmd folder that diff and commit read (ssmd's own files are at most a few MiB). */
export const MAX_WORKING_FILE_BYTES = 64 * 1024 * 1024

/**
 * git's "is the cached stat still valid" test (mtime, ctime, size, inode,
 * file type). Times are compared as Node's millisecond numbers computed the
 * same way from the index's seconds and nanoseconds: equal timestamps always
 * match; different ones could only collide within a fraction of a
 * microsecond of the same second, with the same size, inode and ctime.
 */
export function statMatches(e: IndexEntry, st: Stats): boolean {
  const secOk = (entrySec: number, ms: number) => entrySec === Math.floor(ms / 1000) >>> 0
  return (
    secOk(statWord(e, 8), st.mtimeMs) &&
    timespecMs(Math.floor(st.mtimeMs / 1000), statWord(e, 12)) === st.mtimeMs &&
    secOk(statWord(e, 0), st.ctimeMs) &&
    timespecMs(Math.floor(st.ctimeMs / 1000), statWord(e, 4)) === st.ctimeMs &&
    statWord(e, 36) === st.size >>> 0 &&
    statWord(e, 20) === st.ino >>> 0 &&
    statWord(e, 24) >> 12 === st.mode >> 12
  )
}

/**
 * Whether git could take the entry's stat data for `st` unchanged, at its
 * coarsest: mtime to the second, size and file type (what every build and
 * `core.checkStat` setting compares; git's default build ignores
 * nanoseconds). The racily-clean rule must assume that much of git, whatever
 * ssmd's own finer statMatches says: a file changed within the second its
 * entry was recorded, at the same size, would otherwise look clean to git
 * once the index is rewritten in a later second.
 */
function mayLookClean(e: IndexEntry, st: Stats): boolean {
  return statWord(e, 8) === Math.floor(st.mtimeMs / 1000) >>> 0 && statWord(e, 36) === st.size >>> 0 && statWord(e, 24) >> 12 === st.mode >> 12
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

/**
 * Stores fresh stat data for index entries whose files were re-read and
 * found unchanged (after a copy, a checkout, a `touch`), so later runs of
 * ssmd and git need not read them again — what `git status` does. Done
 * under git's index lock and only if nothing else holds it (then it is
 * skipped silently: it is only a cache). Racily clean entries are smudged
 * on the way out (see smudgeRacilyClean), as git does whenever it writes
 * the index.
 */
export function refreshStaleStat(repo: Repository, stale: SsmdStatus['stale'], converter: ContentConverter): number {
  if (stale.length === 0) return 0
  let lock: GitLock
  try {
    lock = GitLock.acquire(repo.indexFile)
  } catch {
    return 0
  }
  try {
    const index = GitIndex.read(repo.indexFile)
    if (index.extensions.some(x => /^[a-z]/.test(x.signature))) return 0
    const wanted = new Map(stale.map(s => [s.gitPath, s]))
    let refreshed = 0
    for (const e of index.entries) {
      const s = wanted.get(e.path)
      if (!s || entryStage(e) !== 0 || e.oid !== s.oid || e.extended || e.flags & FLAG_ASSUME_VALID) continue
      e.stat = statBlock(s.stat, entryMode(e).toString(8))
      e.raw = undefined
      refreshed++
    }
    if (refreshed === 0) return 0
    smudgeRacilyClean(repo, index, converter)
    lock.commit(index.serializeParts())
    return refreshed
  } catch {
    return 0
  } finally {
    lock.rollback()
  }
}

/** Whether the file of index entry `e` holds what the entry records (read as `git add` would read it). */
function sameContent(repo: Repository, converter: ContentConverter, e: IndexEntry): boolean {
  try {
    const exact = lstatSync(join(repo.workTree, e.path), { bigint: true })
    return hashObject('blob', workingContent(repo, converter, e.path, exact)) === e.oid
  } catch {
    return false
  }
}

/**
 * What git does to every entry before writing an index
 * (ce_smudge_racily_clean_entry): an entry modified in the read index's own
 * second or later, whose stat data still matches its file but whose content
 * no longer does, gets its recorded size set to 0 — otherwise the newer
 * index file would make the stale stat data look trustworthy and hide the
 * change from git and ssmd for good. An entry whose content ssmd cannot
 * convert as git would (a filter attribute) is smudged too, which only
 * makes git read it again.
 */
export function smudgeRacilyClean(repo: Repository, index: GitIndex, converter: ContentConverter): number {
  const indexSec = indexSeconds(index)
  let smudged = 0
  if (indexSec === 0) return 0
  for (const e of index.modifiedSince(indexSec)) {
    if (!isRacy(statWord(e, 8), indexSec) || statWord(e, 36) === 0) continue
    const mode = entryMode(e)
    if (mode === 0o160000 || entryStage(e) !== 0 || e.path.endsWith('/')) continue
    // A name that may not be UTF-8 leads to no file by its decoding (io/file-names.ts): nothing proves it clean, so it is smudged.
    if (!mayBeUndecodable(e.path)) {
      const st = lstatOrUndefined(join(repo.workTree, e.path))
      if (!st || !mayLookClean(e, st) || sameContent(repo, converter, e)) continue
    }
    e.stat = Buffer.from(e.stat)
    e.stat.writeUInt32BE(0, 36)
    e.raw = undefined
    smudged++
  }
  return smudged
}
