/**
 * The object store as ssmd reads it: an object by id, loose or packed (looked at again once when a
 * concurrent gc or repack moves it, as git does), and trees and commits over it. Loose objects are
 * loose.ts's, packs packs.ts's, refs refs.ts's.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import { SsmdError } from '../core/errors.js'
import { mayBeUndecodable, undecodable } from '../io/file-names.js'
import { hexSlice } from './slices.js'
import type { GitObject } from './loose.js'
import { packs } from './packs.js'
import { undecodablePathError } from './quote.js'
import type { Repository } from './repo.js'

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

export interface TreeEntry {
  mode: string
  name: string
  oid: string
  /**
   * The name's bytes as a latin1 string, when read from a tree and not
   * ASCII: written back as they are, so a name that is not UTF-8 (which
   * `name` can only approximate) survives a rewrite.
   */
  bytes?: string
}

/** A tree object's content from its entries (sorted as git sorts them, by bytes: folders as if named `name/`). */
export function treeContent(entries: TreeEntry[]): Buffer {
  const keyed = entries.map(e => {
    const bytes = nameBytes(e)
    return { e, bytes, key: sortKey(e.mode, bytes) }
  })
  // latin1 strings of the bytes: string order is byte order.
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  let size = 0
  for (const { e, bytes } of keyed) size += (e.mode === '040000' ? 5 : e.mode.length) + 1 + bytes.length + 1 + 20
  const out = Buffer.allocUnsafe(size)
  let at = 0
  // Field by field: no string per entry to build and encode again.
  for (const { e, bytes } of keyed) {
    at += out.write(e.mode === '040000' ? '40000' : e.mode, at, 'latin1')
    out[at++] = 0x20
    at += out.write(bytes, at, 'latin1')
    out[at++] = 0
    at += out.write(e.oid, at, 'hex')
  }
  return out
}

/**
 * Reads an object: loose, or from a pack (looked up in the pack's .idx, so
 * the cost does not grow with the repository). Anything else (an object only
 * reachable through alternates, an old idx format) goes through
 * isomorphic-git, loaded only then.
 */
export async function readObject(repo: Repository, oid: string): Promise<GitObject> {
  const found = readObjectSync(repo, oid)
  if (found) return found
  const git = await import('isomorphic-git')
  const fs = await import('node:fs')
  const { type, object } = await git.readObject({ fs, gitdir: repo.commonDir, oid, format: 'content' })
  return { type: type as GitObject['type'], content: Buffer.from(object as Uint8Array) }
}

/**
 * An object stored loose or in this repository's own packs; undefined when
 * neither has it. A concurrent `git gc` / `git repack` may pack and prune a
 * loose object or replace the packs while this runs: as git does
 * (reprepare_packed_git), the loose object and the pack list are looked at
 * again once before the object is called missing; a pack that vanished
 * under a read is skipped. If the repository still keeps changing, one line
 * says so.
 */
export function readObjectSync(repo: Repository, oid: string): GitObject | undefined {
  const loose = join(repo.commonDir, 'objects', oid.slice(0, 2), oid.slice(2))
  let damaged = false
  let vanished = false
  for (const fresh of [false, true]) {
    damaged = false
    let raw: Buffer | undefined
    try {
      raw = readFileSync(loose)
    } catch {
      /* not loose (or just packed and pruned) */
    }
    if (raw !== undefined) {
      try {
        const inflated = inflateSync(raw)
        const space = inflated.indexOf(0x20)
        const nul = inflated.indexOf(0, space)
        if (space > 0 && nul > space) return { type: inflated.subarray(0, space).toString('latin1') as GitObject['type'], content: inflated.subarray(nul + 1) }
      } catch {
        /* damaged: a pack may still hold a sound copy */
      }
      damaged = true
    }
    for (const pack of packs(repo, fresh)) {
      const offset = pack.find(oid)
      if (offset === undefined) continue
      try {
        return pack.read(offset, base => readObjectSync(repo, base))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        vanished = true
      }
    }
  }
  if (vanished)
    throw new SsmdError(
      `the git packs changed while ssmd read them (a concurrent \`git gc\` or \`git repack\`?) and the object ${oid} could not be read; nothing was changed: run the command again`,
      { code: 'damaged-repo' },
    )
  if (damaged)
    throw new SsmdError(
      `the git object ${oid} is damaged (${loose} is empty or corrupt); check the repository with \`git fsck\` and restore the object (e.g. from a clone), or remove the file if nothing needs it`,
      { code: 'damaged-repo' },
    )
  return undefined
}

/**
 * A tree object's entries, in the object's order, with modes as git reads
 * them (tree-walk's canon_mode: `100664` is `100644`, a padded `040000` a
 * folder). Names are read from one latin1 string of the object (the engine's
 * string search, not a call per field); a name with bytes outside ASCII is
 * decoded as UTF-8. A tree in git's order with git's own mode spellings also
 * remembers where each entry lies and its name's bytes, so `rewriteTree` can
 * copy the unchanged entries as they are, names that are not UTF-8 included.
 */
export function parseTree(content: Buffer): TreeEntry[] {
  const text = content.toString('latin1')
  const entries: TreeEntry[] = []
  const starts: number[] = []
  const keys: string[] = []
  let copyable = true
  let i = 0
  while (i < text.length) {
    const space = text.indexOf(' ', i)
    const nul = space === -1 ? -1 : text.indexOf('\0', space)
    if (space === -1 || nul === -1 || nul + 21 > text.length)
      throw new SsmdError('a git tree object is damaged (an entry is cut short); check the repository with `git fsck` and restore it from a clone', { code: 'damaged-repo' })
    let mode = treeMode(content, i, space)
    if (mode === undefined) {
      const written = text.slice(i, space)
      mode = canonicalMode(written)
      // Written otherwise than git writes it: the tree is rebuilt (as git rebuilds it), not copied.
      if (written !== (mode === '040000' ? '40000' : mode)) copyable = false
    }
    const bytes = text.slice(space + 1, nul)
    const ascii = ASCII.test(bytes)
    const name = ascii ? bytes : content.toString('utf8', space + 1, nul)
    const key = sortKey(mode, bytes)
    if (copyable && keys.length > 0 && !(keys[keys.length - 1] < key)) copyable = false
    keys.push(key)
    starts.push(i)
    entries.push(ascii ? { mode, name, oid: hexSlice(content, nul + 1, nul + 21) } : { mode, name, oid: hexSlice(content, nul + 1, nul + 21), bytes })
    i = nul + 21
  }
  if (copyable) {
    starts.push(content.length)
    layouts.set(entries, { content, starts, keys })
  }
  return entries
}

const ASCII = /^\p{ASCII}*$/u

/** git's canon_mode for a mode as a tree spells it: a file 100644 or 100755 by its owner's execute bit; a link; a folder; anything else a gitlink. */
function canonicalMode(written: string): string {
  const mode = parseInt(written, 8)
  switch (mode & 0o170000) {
    case 0o100000:
      return mode & 0o100 ? '100755' : '100644'
    case 0o120000:
      return '120000'
    case 0o040000:
      return '040000'
    default:
      return '160000'
  }
}

/** Where each entry of a parsed tree lies in its object (`starts[i]` to `starts[i + 1]`) and its sort key as bytes: only for trees git could have written. */
const layouts = new WeakMap<TreeEntry[], { content: Buffer; starts: number[]; keys: string[] }>()

/** An entry's name as the bytes a tree holds, in a latin1 string: those read, or its UTF-8 encoding. */
function nameBytes(e: { name: string; bytes?: string }): string {
  return e.bytes ?? (ASCII.test(e.name) ? e.name : Buffer.from(e.name, 'utf8').toString('latin1'))
}

/**
 * An entry's sort key in git's tree order, from its name's bytes in a latin1
 * string (string order is then byte order): a folder sorts as if its name
 * ended in `/`.
 */
function sortKey(mode: string, bytes: string): string {
  return mode === '040000' ? `${bytes}/` : bytes
}

/**
 * The content of the tree `base` (as `readTree` gave it) with `changes`
 * applied: name → its new entry, or null to remove it. The same bytes as
 * `treeContent` of the changed list; when `base` is a tree git could have
 * written (its order, its mode spellings), its unchanged entries are copied
 * as they lie in the object, names that are not UTF-8 included, and only the
 * changed ones are written. Undefined when no entry is left.
 */
export function rewriteTree(base: readonly TreeEntry[], changes: ReadonlyMap<string, TreeEntry | null>): Buffer | undefined {
  const layout = layouts.get(base as TreeEntry[])
  const added = [...changes.values()].filter((e): e is TreeEntry => e !== null)
  if (!layout) {
    // By bytes: two names that are not UTF-8 may read as the same string.
    const kept = new Map(base.map(e => [nameBytes(e), e]))
    for (const [name, e] of changes) {
      if (e) kept.set(nameBytes({ name }), e)
      else kept.delete(nameBytes({ name }))
    }
    return kept.size === 0 ? undefined : treeContent([...kept.values()])
  }
  const { content, starts, keys } = layout
  // Positions by binary search on the keys as bytes (latin1 strings: string order is byte order).
  const position = (key: string) => {
    let lo = 0
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid] < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const removed: number[] = []
  for (const name of changes.keys()) {
    const file = nameBytes({ name })
    for (const key of [file, `${file}/`]) {
      const at = position(key)
      if (at < keys.length && keys[at] === key) removed.push(at)
    }
  }
  removed.sort((a, b) => a - b)
  const placed = added.map(e => ({ e, key: sortKey(e.mode, nameBytes(e)) })).sort((a, b) => (a.key < b.key ? -1 : 1))
  const pieces: Buffer[] = []
  let from = 0
  let next = 0
  // Copies the base entries before `end` that are not removed, as runs of bytes.
  const copyUpTo = (end: number) => {
    while (next < removed.length && removed[next] < end) {
      const i = removed[next++]
      if (i > from) pieces.push(content.subarray(starts[from], starts[i]))
      from = i + 1
    }
    if (end > from) pieces.push(content.subarray(starts[from], starts[end]))
    from = Math.max(from, end)
  }
  for (const { e, key } of placed) {
    copyUpTo(position(key))
    pieces.push(treeContent([e]))
  }
  copyUpTo(base.length)
  return pieces.length === 0 ? undefined : Buffer.concat(pieces)
}

/** The two modes of nearly every entry, without making a string; undefined for any other. */
function treeMode(content: Buffer, start: number, end: number): string | undefined {
  if (end - start === 6 && content[start] === 0x31 && content[start + 1] === 0x30 && content[start + 2] === 0x30 && content[start + 4] === content[start + 5]) {
    if (content[start + 3] === 0x36 && content[start + 4] === 0x34) return '100644'
    if (content[start + 3] === 0x37 && content[start + 4] === 0x35) return '100755'
  }
  return undefined
}

/** Parsed trees by id (trees never change): a commit reads the trees along changed paths twice. */
const treeCache = new Map<string, TreeEntry[]>()

export async function readTree(repo: Repository, oid: string): Promise<TreeEntry[]> {
  if (oid === EMPTY_TREE) return []
  const key = `${repo.commonDir}\0${oid}`
  const cached = treeCache.get(key)
  if (cached) return cached
  const obj = await readObject(repo, oid)
  if (obj.type !== 'tree') throw new Error(`object ${oid} is a ${obj.type}, not a tree`)
  const entries = parseTree(obj.content)
  if (treeCache.size > 256) treeCache.clear()
  treeCache.set(key, entries)
  return entries
}

/** The tree of a commit. */
export async function commitTree(repo: Repository, commit: string): Promise<string> {
  const obj = await readObject(repo, commit)
  if (obj.type !== 'commit') throw new Error(`object ${commit} is a ${obj.type}, not a commit`)
  const m = /^tree ([0-9a-f]{40})/.exec(obj.content.toString('latin1'))
  if (!m) throw new Error(`commit ${commit} has no tree`)
  return m[1]
}

/** The entry at `path` (git-relative, `/`-separated) in `tree`, or undefined; only the trees along the way are read. */
export async function entryAt(repo: Repository, tree: string, path: string): Promise<TreeEntry | undefined> {
  let entries = await readTree(repo, tree)
  const parts = path.split('/')
  for (let i = 0; ; i++) {
    const e = entries.find(x => x.name === parts[i])
    if (!e || i === parts.length - 1) return e
    if (e.mode !== '040000') return undefined
    entries = await readTree(repo, e.oid)
  }
}

/**
 * Every blob and gitlink at or under `entry`, the entry at `path` (git-relative)
 * of a tree as `entryAt` finds it, into `into` as git path → {oid, mode}.
 */
export async function blobsOf(repo: Repository, entry: TreeEntry | undefined, path: string, into: Map<string, { oid: string; mode: string }>): Promise<void> {
  if (entry?.mode === '040000') await collect(repo, entry.oid, path, into)
  else if (entry) into.set(path, { oid: entry.oid, mode: entry.mode })
}

async function collect(repo: Repository, tree: string, base: string, into: Map<string, { oid: string; mode: string }>): Promise<void> {
  for (const e of await readTree(repo, tree)) {
    if (e.bytes !== undefined && mayBeUndecodable(e.name)) {
      const bytes = Buffer.concat([Buffer.from(`${base}/`), Buffer.from(e.bytes, 'latin1')])
      if (undecodable(bytes)) throw undecodablePathError(bytes)
    }
    const p = `${base}/${e.name}`
    if (e.mode === '040000') await collect(repo, e.oid, p, into)
    // The parsed entry itself ({oid, mode} and its name): one object less per file of a big folder.
    else into.set(p, e)
  }
}
