import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
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
 * Reads an object. Loose objects are read directly (fast, and all a fresh
 * repository has); packed ones through isomorphic-git, loaded only then.
 */
export async function readObject(repo: Repository, oid: string): Promise<GitObject> {
  const loose = join(repo.commonDir, 'objects', oid.slice(0, 2), oid.slice(2))
  if (existsSync(loose)) {
    const raw = inflateSync(readFileSync(loose))
    const space = raw.indexOf(0x20)
    const nul = raw.indexOf(0, space)
    return { type: raw.subarray(0, space).toString('latin1') as GitObject['type'], content: raw.subarray(nul + 1) }
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
export async function blobsUnder(repo: Repository, tree: string, path: string, into = new Map<string, { oid: string; mode: string }>()): Promise<Map<string, { oid: string; mode: string }>> {
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
