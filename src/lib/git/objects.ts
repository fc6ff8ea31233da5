import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
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
 * Reads an object: loose, or from a pack (looked up in the pack's .idx, so
 * the cost does not grow with the repository). Anything else (an object only
 * reachable through alternates, an old idx format) goes through
 * isomorphic-git, loaded only then.
 */
export async function readObject(repo: Repository, oid: string): Promise<GitObject> {
  const loose = join(repo.commonDir, 'objects', oid.slice(0, 2), oid.slice(2))
  if (existsSync(loose)) {
    const raw = inflateSync(readFileSync(loose))
    const space = raw.indexOf(0x20)
    const nul = raw.indexOf(0, space)
    return { type: raw.subarray(0, space).toString('latin1') as GitObject['type'], content: raw.subarray(nul + 1) }
  }
  for (const pack of packs(repo)) {
    const offset = pack.find(oid)
    if (offset !== undefined) return pack.read(offset, repo)
  }
  const git = await import('isomorphic-git')
  const fs = await import('node:fs')
  const { type, object } = await git.readObject({ fs, gitdir: repo.commonDir, oid, format: 'content' })
  return { type: type as GitObject['type'], content: Buffer.from(object as Uint8Array) }
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

export async function readTree(repo: Repository, oid: string): Promise<TreeEntry[]> {
  if (oid === EMPTY_TREE) return []
  const obj = await readObject(repo, oid)
  if (obj.type !== 'tree') throw new Error(`object ${oid} is a ${obj.type}, not a tree`)
  return parseTree(obj.content)
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
 * Every blob under `path` (a file or a folder, git-relative) in `tree`, as
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
      if (i === parts.length - 1 && e.mode !== '160000') into.set(here, { oid: e.oid, mode: e.mode })
      return into
    }
  }
  return into
}

async function collect(repo: Repository, tree: string, base: string, into: Map<string, { oid: string; mode: string }>): Promise<void> {
  for (const e of await readTree(repo, tree)) {
    const p = `${base}/${e.name}`
    if (e.mode === '040000') await collect(repo, e.oid, p, into)
    else if (e.mode !== '160000') into.set(p, { oid: e.oid, mode: e.mode })
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

  static open(idxFile: string): Pack | undefined {
    const idx = readFileSync(idxFile)
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) return undefined
    return new Pack(idx, idxFile.replace(/\.idx$/, '.pack'))
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

  async read(offset: number, repo: Repository): Promise<GitObject> {
    const fd = openSync(this.packFile, 'r')
    try {
      return await this.readAt(fd, offset, repo)
    } finally {
      closeSync(fd)
    }
  }

  private async readAt(fd: number, offset: number, repo: Repository): Promise<GitObject> {
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
      base = await this.readAt(fd, offset - back, repo)
    } else if (type === 7) {
      base = await readObject(repo, head.toString('hex', pos, pos + 20))
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

const packCache = new Map<string, Pack[]>()

function packs(repo: Repository): Pack[] {
  const dir = join(repo.commonDir, 'objects', 'pack')
  let list = packCache.get(dir)
  if (!list) {
    list = []
    let names: string[] = []
    try {
      names = readdirSync(dir)
    } catch {
      /* no packs yet */
    }
    for (const name of names) {
      if (!name.endsWith('.idx')) continue
      const pack = Pack.open(join(dir, name))
      if (pack) list.push(pack)
    }
    packCache.set(dir, list)
  }
  return list
}
