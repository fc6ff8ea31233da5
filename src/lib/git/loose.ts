/**
 * Loose objects: an object's id, writing objects crash-safely as git does, and checking one already
 * on disk. Looks into packs.ts only to learn whether an object is stored there already.
 */
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'
import { fsyncDir } from '../io/atomic.js'
import { release, removeOnSignal } from './cleanup.js'
import { packs } from './packs.js'
import type { Repository } from './repo.js'

export interface GitObject {
  type: 'blob' | 'tree' | 'commit' | 'tag'
  content: Buffer
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
    for (const dir of this.dirs) fsyncDir(dir)
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
