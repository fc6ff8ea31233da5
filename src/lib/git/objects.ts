import { createHash, randomBytes } from 'node:crypto'
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'
import { SsmdError } from '../core/errors.js'
import { release, removeOnSignal } from './cleanup.js'
import type { Repository } from './repo.js'

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

export interface GitObject {
  type: 'blob' | 'tree' | 'commit' | 'tag'
  content: Buffer
}

export interface TreeEntry {
  mode: string
  name: string
  oid: string
}

/** The id git gives `content` as an object of `type`. */
export function hashObject(type: GitObject['type'], content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex')
}

/**
 * Writes objects as git does, crash-safely: deflated into a temporary file
 * (`objects/xx/tmp_obj_…`, a name git's fsck and gc know), fsynced, then
 * renamed into place, so a kill or a full disk never leaves a partial object
 * under its id. An object already present is trusted only after checking: a
 * loose file must inflate to exactly the object (an empty or damaged file,
 * e.g. from an earlier crash, is replaced); a packed one is covered by its
 * pack's checksums. `sync` makes everything written durable before a ref
 * points at it.
 */
export class ObjectWriter {
  private readonly dirs = new Set<string>()
  /** Ids known to be present and sound. */
  private readonly verified = new Set<string>()
  written = 0
  /** Whether each loose object is fsynced, as git's core.fsync / core.fsyncObjectFiles decide. */
  private readonly fsyncObjects: boolean

  constructor(private readonly repo: Repository) {
    this.fsyncObjects = fsyncLooseObjects(repo)
  }

  write(type: GitObject['type'], content: Buffer): string {
    const header = Buffer.from(`${type} ${content.length}\0`, 'latin1')
    const oid = createHash('sha1').update(header).update(content).digest('hex')
    if (this.verified.has(oid)) return oid
    if (this.present(oid)) {
      this.verified.add(oid)
      return oid
    }
    const dir = join(this.repo.commonDir, 'objects', oid.slice(0, 2))
    mkdirSync(dir, { recursive: true })
    const tmp = join(dir, `tmp_obj_ssmd_${process.pid}_${randomBytes(6).toString('hex')}`)
    removeOnSignal(tmp)
    let fd: number | undefined
    try {
      fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o444)
      writeSync(fd, deflateSync(Buffer.concat([header, content]), { level: 1 }))
      if (this.fsyncObjects) fsyncSync(fd)
      closeSync(fd)
      fd = undefined
      renameSync(tmp, join(dir, oid.slice(2)))
    } catch (err) {
      if (fd !== undefined) closeSync(fd)
      rmSync(tmp, { force: true })
      throw err
    } finally {
      release(tmp)
    }
    this.dirs.add(dir)
    this.verified.add(oid)
    this.written++
    return oid
  }

  /** Whether `oid` is stored and sound (loose and verified, or in a pack). */
  present(oid: string): boolean {
    if (this.verified.has(oid)) return true
    const loose = join(this.repo.commonDir, 'objects', oid.slice(0, 2), oid.slice(2))
    let raw: Buffer | undefined
    try {
      raw = readFileSync(loose)
    } catch {
      /* not loose */
    }
    if (raw !== undefined) {
      if (looseIsSound(raw, oid)) {
        this.verified.add(oid)
        return true
      }
      return false
    }
    // Not in the packs as last listed: list them again (a concurrent repack may have made new ones), as git does.
    for (const fresh of [false, true]) {
      if (packs(this.repo, fresh).some(p => p.find(oid) !== undefined)) {
        this.verified.add(oid)
        return true
      }
    }
    return false
  }

  /** With object fsync on, fsyncs every object folder written to, so the objects survive a power loss once a ref names them. */
  sync(): void {
    if (!this.fsyncObjects) return
    for (const dir of this.dirs) {
      try {
        const fd = openSync(dir, 'r')
        try {
          fsyncSync(fd)
        } finally {
          closeSync(fd)
        }
      } catch {
        /* some file systems cannot fsync a folder; the files themselves are synced */
      }
    }
    this.dirs.clear()
  }
}

/**
 * git's rule for syncing loose objects: `core.fsyncObjectFiles=true`, or a
 * `core.fsync` list naming loose-object, objects, committed or all (later
 * items win; `-x` removes). By default git does not fsync them (only refs
 * and the index), and neither does ssmd: a crash of the process can never
 * leave a partial object (each is renamed into place whole); a power loss
 * is covered exactly as far as git covers it.
 */
function fsyncLooseObjects(repo: Repository): boolean {
  let on = repo.config.getBool('core.fsyncobjectfiles') ?? false
  const list = repo.config.get('core.fsync')
  if (list !== undefined) {
    on = false
    for (const raw of list.split(',').map(x => x.trim().toLowerCase())) {
      const off = raw.startsWith('-')
      const name = off ? raw.slice(1) : raw
      if (['loose-object', 'objects', 'committed', 'added', 'all'].includes(name)) on = !off
      if (name === 'none') on = false
    }
  }
  return on
}

function looseIsSound(raw: Buffer, oid: string): boolean {
  try {
    const data = inflateSync(raw)
    const nul = data.indexOf(0)
    const m = /^(blob|tree|commit|tag) (\d+)$/.exec(data.toString('latin1', 0, nul))
    if (!m || Number(m[2]) !== data.length - nul - 1) return false
    return createHash('sha1').update(data).digest('hex') === oid
  } catch {
    return false
  }
}

/** A tree object's content from its entries (sorted as git sorts them: folders as if named `name/`). */
export function treeContent(entries: TreeEntry[]): Buffer {
  const keyed = entries.map(e => ({ e, key: e.mode === '040000' ? `${e.name}/` : e.name }))
  keyed.sort((a, b) => {
    const x = a.key
    const y = b.key
    const n = Math.min(x.length, y.length)
    for (let i = 0; i < n; i++) {
      const c = x.charCodeAt(i)
      const d = y.charCodeAt(i)
      if (c === d) continue
      if (c < 0xd800 && d < 0xd800) return c - d
      return Buffer.compare(Buffer.from(x.slice(i), 'utf8'), Buffer.from(y.slice(i), 'utf8'))
    }
    return x.length - y.length
  })
  let size = 0
  for (const { e } of keyed) size += (e.mode === '040000' ? 5 : e.mode.length) + 1 + Buffer.byteLength(e.name, 'utf8') + 1 + 20
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const { e } of keyed) {
    at += out.write(`${e.mode === '040000' ? '40000' : e.mode} ${e.name}\0`, at, 'utf8')
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
        return pack.read(offset, repo)
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

export function parseTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = []
  let i = 0
  while (i < content.length) {
    const space = content.indexOf(0x20, i)
    const nul = content.indexOf(0, space)
    entries.push({
      mode: content.subarray(i, space).toString('latin1').padStart(6, '0'),
      name: content.subarray(space + 1, nul).toString('utf8'),
      oid: content.subarray(nul + 1, nul + 21).toString('hex'),
    })
    i = nul + 21
  }
  return entries
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

/** Where HEAD points: a branch (maybe unborn) or a detached commit. */
export interface Head {
  /** `refs/heads/<name>` when on a branch; undefined when detached. */
  ref?: string
  /** The commit, or undefined on an unborn branch. */
  oid?: string
}

export function readHead(repo: Repository): Head {
  const text = readFileSync(join(repo.gitdir, 'HEAD'), 'utf8').trim()
  if (text.startsWith('ref:')) {
    const ref = text.slice(4).trim()
    return { ref, oid: readRef(repo, ref) }
  }
  return { oid: text }
}

/** A ref's commit id, from its loose file or from packed-refs; undefined if it does not exist. */
export function readRef(repo: Repository, ref: string): string | undefined {
  for (const dir of [repo.commonDir, repo.gitdir]) {
    const file = join(dir, ref)
    if (existsSync(file)) {
      const value = readFileSync(file, 'utf8').trim()
      if (value.startsWith('ref:')) return readRef(repo, value.slice(4).trim())
      return value
    }
  }
  const packed = join(repo.commonDir, 'packed-refs')
  if (existsSync(packed)) {
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const m = /^([0-9a-f]{40}) (.+)$/.exec(line)
      if (m && m[2] === ref) return m[1]
    }
  }
  return undefined
}

/**
 * Every blob and gitlink under `path` (a file or a folder, git-relative) in `tree`, as
 * git path → {oid, mode}. Only the trees along the way are read.
 */
export async function blobsUnder(
  repo: Repository,
  tree: string,
  path: string,
  into = new Map<string, { oid: string; mode: string }>(),
): Promise<Map<string, { oid: string; mode: string }>> {
  const parts = path.split('/')
  let entries = await readTree(repo, tree)
  for (let i = 0; i < parts.length; i++) {
    const e = entries.find(x => x.name === parts[i])
    if (!e) return into
    const here = parts.slice(0, i + 1).join('/')
    if (e.mode === '040000') {
      if (i === parts.length - 1) {
        await collect(repo, e.oid, here, into)
        return into
      }
      entries = await readTree(repo, e.oid)
    } else {
      if (i === parts.length - 1) into.set(here, { oid: e.oid, mode: e.mode })
      return into
    }
  }
  return into
}

async function collect(repo: Repository, tree: string, base: string, into: Map<string, { oid: string; mode: string }>): Promise<void> {
  for (const e of await readTree(repo, tree)) {
    const p = `${base}/${e.name}`
    if (e.mode === '040000') await collect(repo, e.oid, p, into)
    else into.set(p, { oid: e.oid, mode: e.mode })
  }
}

const PACK_TYPES = ['', 'commit', 'tree', 'blob', 'tag'] as const

/** A pack file with its version-2 index, read on demand. */
class Pack {
  private readonly count: number
  constructor(
    private readonly idx: Buffer,
    private readonly packFile: string,
  ) {
    this.count = idx.readUInt32BE(8 + 255 * 4)
  }

  /**
   * A pack as git's add_packed_git accepts it: an index whose `.pack` exists.
   * An index that vanished or lost its pack (a repack in progress, or one
   * that just deleted it) is skipped, as git skips it.
   */
  static open(idxFile: string): Pack | undefined {
    const packFile = idxFile.replace(/\.idx$/, '.pack')
    let idx: Buffer
    try {
      idx = readFileSync(idxFile)
      if (!existsSync(packFile)) return undefined
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    if (idx.length < 8 + 256 * 4 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) return undefined
    return new Pack(idx, packFile)
  }

  find(oid: string): number | undefined {
    const key = Buffer.from(oid, 'hex')
    const fan = 8
    let lo = key[0] === 0 ? 0 : this.idx.readUInt32BE(fan + (key[0] - 1) * 4)
    let hi = this.idx.readUInt32BE(fan + key[0] * 4)
    const names = fan + 256 * 4
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const cmp = this.idx.compare(key, 0, 20, names + mid * 20, names + mid * 20 + 20)
      if (cmp === 0) {
        const offsets = names + this.count * 24
        const small = this.idx.readUInt32BE(offsets + mid * 4)
        if (!(small & 0x80000000)) return small
        return Number(this.idx.readBigUInt64BE(offsets + this.count * 4 + (small & 0x7fffffff) * 8))
      }
      if (cmp < 0) lo = mid + 1
      else hi = mid
    }
    return undefined
  }

  read(offset: number, repo: Repository): GitObject {
    const fd = openSync(this.packFile, 'r')
    try {
      return this.readAt(fd, offset, repo)
    } finally {
      closeSync(fd)
    }
  }

  private readAt(fd: number, offset: number, repo: Repository): GitObject {
    const head = Buffer.alloc(32)
    readSync(fd, head, 0, 32, offset)
    let pos = 0
    let c = head[pos++]
    const type = (c >> 4) & 7
    let size = c & 15
    let shift = 4
    while (c & 0x80) {
      c = head[pos++]
      size += (c & 0x7f) * 2 ** shift
      shift += 7
    }
    let base: GitObject | undefined
    if (type === 6) {
      c = head[pos++]
      let back = c & 0x7f
      while (c & 0x80) {
        c = head[pos++]
        back = (back + 1) * 128 + (c & 0x7f)
      }
      base = this.readAt(fd, offset - back, repo)
    } else if (type === 7) {
      const baseOid = head.toString('hex', pos, pos + 20)
      base = readObjectSync(repo, baseOid)
      if (!base) throw new Error(`pack delta base ${baseOid} not found`)
      pos += 20
    }
    const data = inflateAt(fd, offset + pos, size)
    if (!base) return { type: PACK_TYPES[type] as GitObject['type'], content: data }
    return { type: base.type, content: applyDelta(base.content, data) }
  }
}

/** Inflates the zlib stream at `position` whose output is `size` bytes. */
function inflateAt(fd: number, position: number, size: number): Buffer {
  // deflate never grows data by more than a few bytes per 16 KiB block.
  let want = size + (size >> 8) + 64
  for (;;) {
    const buf = Buffer.alloc(want)
    const got = readSync(fd, buf, 0, want, position)
    try {
      return inflateSync(buf.subarray(0, got))
    } catch (err) {
      if (got < want) throw err
      want *= 2
    }
  }
}

function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let pos = 0
  const varint = () => {
    let value = 0
    let shift = 0
    let c: number
    do {
      c = delta[pos++]
      value += (c & 0x7f) * 2 ** shift
      shift += 7
    } while (c & 0x80)
    return value
  }
  varint()
  const out = Buffer.alloc(varint())
  let at = 0
  while (pos < delta.length) {
    const op = delta[pos++]
    if (op & 0x80) {
      let off = 0
      let len = 0
      for (let i = 0; i < 4; i++) if (op & (1 << i)) off += delta[pos++] * 2 ** (8 * i)
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) len += delta[pos++] * 2 ** (8 * i)
      if (len === 0) len = 0x10000
      base.copy(out, at, off, off + len)
      at += len
    } else if (op) {
      delta.copy(out, at, pos, pos + op)
      at += op
      pos += op
    } else {
      throw new Error('corrupt pack delta')
    }
  }
  return out
}

const packCache = new Map<string, { list: Pack[]; byName: Map<string, Pack | undefined> }>()

/**
 * The repository's packs, listed once per process; `fresh` lists the folder
 * again (after a miss, as git re-reads it), opening only indexes not seen
 * before, so a miss costs one folder listing.
 */
function packs(repo: Repository, fresh = false): Pack[] {
  const dir = join(repo.commonDir, 'objects', 'pack')
  const cached = packCache.get(dir)
  if (cached && !fresh) return cached.list
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch {
    /* no packs yet */
  }
  const byName = new Map<string, Pack | undefined>()
  const list: Pack[] = []
  for (const name of names.sort()) {
    if (!name.endsWith('.idx')) continue
    const known = cached?.byName.get(name)
    const pack = known && existsSync(join(dir, name.replace(/\.idx$/, '.pack'))) ? known : Pack.open(join(dir, name))
    byName.set(name, pack)
    if (pack) list.push(pack)
  }
  packCache.set(dir, { list, byName })
  return list
}
