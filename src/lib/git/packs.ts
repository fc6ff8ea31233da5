/**
 * Pack files: finding an object in a pack's version-2 index and reading it, deltas applied, and the
 * list of a repository's packs (listed again after a miss, as git does). Reads only; writes nothing.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import type { GitObject } from './loose.js'
import type { Repository } from './repo.js'

/** Reads a ref-delta's base object, which may be stored anywhere (loose, or in another pack). */
export type BaseReader = (oid: string) => GitObject | undefined

const PACK_TYPES = ['', 'commit', 'tree', 'blob', 'tag'] as const

/** A pack file with its version-2 index, read on demand. */
export class Pack {
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

  read(offset: number, readBase: BaseReader): GitObject {
    const fd = openSync(this.packFile, 'r')
    try {
      return this.readAt(fd, offset, readBase)
    } finally {
      closeSync(fd)
    }
  }

  private readAt(fd: number, offset: number, readBase: BaseReader): GitObject {
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
      base = this.readAt(fd, offset - back, readBase)
    } else if (type === 7) {
      const baseOid = head.toString('hex', pos, pos + 20)
      base = readBase(baseOid)
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
export function packs(repo: Repository, fresh = false): Pack[] {
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
