/*
 * oclif's record of user-installed and linked plugins: <dataDir>/package.json
 * (dataDir is ~/.local/share/ssmd on Linux), in the format @oclif/plugin-plugins
 * 5 writes, so a data folder written by it keeps loading and one written here
 * would load under it:
 *
 *   { "name": "ssmd", "dependencies": { <npm's own entries> },
 *     "oclif": { "schema": 1, "plugins": [
 *       { "name": "@acme/checks", "tag": "latest", "type": "user" },                 // from the registry
 *       { "name": "acme-checks", "type": "user", "url": "file:/abs/acme.tgz" },      // a tarball, folder, git URL
 *       { "name": "dev-checks", "type": "link", "root": "/abs/dev-checks" } ] },     // plugins link
 *     "private": true }
 *
 * User plugins are installed by npm into <dataDir>/node_modules (npm writes
 * `dependencies`); a bare string in `plugins` is an old form of a user entry,
 * written out in full on the next change, as plugin-plugins did.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { writeUserFileAtomic } from '../io/atomic.js'
import { withFileLock } from '../io/lock.js'
import { isObj } from '../core/objects.js'

export interface UserEntry {
  name: string
  type: 'user' | 'link'
  /** Linked plugins: the folder. */
  root?: string
  /** User plugins not from the registry: what was given to npm. */
  url?: string
  /** User plugins from the registry: the tag or range asked for. */
  tag?: string
}

interface DataPjson {
  name?: string
  dependencies?: Record<string, string>
  oclif?: { schema?: number; plugins?: unknown[] } & Record<string, unknown>
  private?: boolean
  [key: string]: unknown
}

export const dataPjsonPath = (dataDir: string) => join(dataDir, 'package.json')

/** The data folder's package.json as written (undefined when there is none); a broken one is an error naming it. */
function readDataPjson(dataDir: string): DataPjson | undefined {
  const path = dataPjsonPath(dataDir)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch {
    // reported below
  }
  const fix = 'it records your installed plugins; fix it, or move it away to start with no plugins'
  if (!isObj(value)) throw new SsmdError(`${path} is not a JSON object: ${fix}`, { code: 'invalid' })
  // Written back on the next change: a wrong type would be spread into it (a string as {"0": …}) or make npm fail.
  const wrong =
    value.dependencies !== undefined && !isObj(value.dependencies)
      ? 'dependencies'
      : value.oclif !== undefined && !isObj(value.oclif)
        ? 'oclif'
        : isObj(value.oclif) && value.oclif.plugins !== undefined && !Array.isArray(value.oclif.plugins)
          ? 'oclif.plugins'
          : undefined
  if (wrong !== undefined) throw new SsmdError(`${path}: "${wrong}" has the wrong type: ${fix}`, { code: 'invalid' })
  return value as DataPjson
}

function entryOf(p: unknown): UserEntry | undefined {
  if (typeof p === 'string') return p === '' ? undefined : { name: p, tag: 'latest', type: 'user' }
  if (p === null || typeof p !== 'object') return undefined
  const e = p as UserEntry
  return typeof e.name === 'string' && (e.type === 'user' || e.type === 'link') ? e : undefined
}

/** Each user and linked plugin recorded, in order; a later entry for the same name (or linked folder) wins, as in oclif. */
export function readEntries(dataDir: string): UserEntry[] {
  let pjson: DataPjson | undefined
  try {
    pjson = readDataPjson(dataDir)
  } catch {
    return []
  }
  const list = Array.isArray(pjson?.oclif?.plugins) ? pjson.oclif.plugins : []
  return dedupe(list.flatMap(p => entryOf(p) ?? []))
}

function dedupe(entries: UserEntry[]): UserEntry[] {
  const same = (a: UserEntry, b: UserEntry) => a.name === b.name || (a.type === 'link' && b.type === 'link' && a.root === b.root)
  return entries.filter((a, i) => !entries.some((b, j) => j > i && same(a, b)))
}

/** Where npm put a user plugin: the first node_modules/<name> up from the data folder, as Node resolves it. */
export function userRoot(dataDir: string, name: string): string | undefined {
  for (let dir = dataDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/** The folder of a recorded plugin: its link, or where npm installed it. */
export function entryRoot(dataDir: string, e: UserEntry): string | undefined {
  return e.type === 'link' ? e.root : userRoot(dataDir, e.name)
}

/** The package.json of a plugin's folder as a JSON object; undefined when there is no folder, or its package.json cannot be read or is not an object. */
export function readPluginPackage(root: string | undefined): Record<string, unknown> | undefined {
  if (root === undefined) return undefined
  try {
    const value = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as unknown
    return isObj(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** The `dependencies` npm recorded in the data folder. */
export function dataDependencies(dataDir: string): Record<string, string> {
  const deps = readDataPjson(dataDir)?.dependencies
  return deps !== null && typeof deps === 'object' ? { ...deps } : {}
}

/** Creates the data folder's package.json when missing, as oclif does (npm needs one to install into). */
export function ensureDataDir(dataDir: string, cliName: string): void {
  if (readDataPjson(dataDir) === undefined) save(dataDir, cliName, {})
}

function save(dataDir: string, cliName: string, pjson: DataPjson): void {
  const oclif = { schema: 1, ...(pjson.oclif ?? {}), plugins: pjson.oclif?.plugins ?? [] }
  const out: DataPjson = { name: cliName, dependencies: {}, ...pjson, oclif, private: pjson.private ?? true }
  writeUserFileAtomic(dataPjsonPath(dataDir), JSON.stringify(out, null, 2) + '\n')
}

/** Records plugins (after npm installed them, or a link): replaces an entry of the same name or linked folder. */
export function addEntries(dataDir: string, cliName: string, ...entries: UserEntry[]): void {
  const pjson = readDataPjson(dataDir) ?? {}
  const plugins = [...(Array.isArray(pjson.oclif?.plugins) ? pjson.oclif.plugins : []).flatMap(p => entryOf(p) ?? []), ...entries]
  save(dataDir, cliName, { ...pjson, oclif: { ...(pjson.oclif ?? {}), plugins: dedupe(plugins) } })
}

/** Forgets a plugin: its entry, and its `dependencies` line (npm uninstall removes that too). */
export function removeEntry(dataDir: string, cliName: string, name: string): void {
  const pjson = readDataPjson(dataDir)
  if (pjson === undefined) return
  const deps = { ...(pjson.dependencies ?? {}) }
  delete deps[name]
  const plugins = (Array.isArray(pjson.oclif?.plugins) ? pjson.oclif.plugins : []).flatMap(p => entryOf(p) ?? []).filter(e => e.name !== name)
  save(dataDir, cliName, { ...pjson, dependencies: deps, oclif: { ...(pjson.oclif ?? {}), plugins } })
}

/** How long a plugins command waits for another one working in the same data folder (an npm install can take minutes). */
const DATA_DIR_LOCK_MS = 10 * 60 * 1000

/**
 * Runs `fn` (npm's run and the record's change) while no other ssmd works in
 * the data folder: two npm runs at once in one folder, or npm rewriting
 * package.json between ssmd's read and write of it, would lose a plugin. The
 * lock is `<dataDir>/.ssmd/locks/package.json.lock`; one left by a process
 * that died is taken over.
 */
export function withDataDirLock<T>(dataDir: string, fn: () => T, onWait?: () => void): T {
  mkdirSync(dataDir, { recursive: true })
  return withFileLock(dataDir, dataPjsonPath(dataDir), fn, { timeoutMs: DATA_DIR_LOCK_MS, onWait })
}
