/*
 * `ssmd plugins install` with no argument: the plugins ssmd.yaml lists, as
 * ssmd-plugins.lock records them, from tarballs. A tarball is looked for in
 * the folder given with --from, then in ssmd's tarball cache, then fetched
 * with `npm pack` (the registry); whichever it is, its sha512 must be the
 * integrity the lock records before anything is installed. Fetched and
 * --from tarballs are copied into the cache, so the next install of the same
 * set needs no network. Plugins without a lock entry (new, or pinned to
 * another version than the lock records) are resolved and recorded.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { SsmdError, UsageError } from '../core/errors.js'
import { writeFileAtomic } from '../io/atomic.js'
import { LOCK_FILE, lockText, pinProblem, pins, readLock, type LockEntry, type PluginLock } from '../validate/pins.js'
import type { Workspace } from '../workspace/workspace.js'
import { findNpm, NpmFailed, runNpm } from './npm.js'

export interface LockedTarball {
  name: string
  version: string
  integrity: string
  /** Absolute path of the verified tarball (in the cache). */
  file: string
  /** Where it came from: 'cache', 'folder' (--from) or 'registry'. */
  source: 'cache' | 'folder' | 'registry'
}

/** The file name `npm pack` gives a package's tarball: `@acme/checks` 1.0.0 → acme-checks-1.0.0.tgz. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}

export function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`
}

/** The versions of `name` among the tarballs of a folder (by npm pack's file names). */
function versionsIn(dir: string | undefined, name: string): string[] {
  if (dir === undefined || !existsSync(dir)) return []
  const prefix = `${name.replace(/^@/, '').replace('/', '-')}-`
  return readdirSync(dir)
    .filter(f => f.startsWith(prefix) && f.endsWith('.tgz'))
    .map(f => f.slice(prefix.length, -'.tgz'.length))
    .filter(v => /^\d+\.\d+\.\d+/.test(v))
}

export interface LockedSetOptions {
  /** ssmd's tarball cache (created when needed). */
  cacheDir: string
  /** A folder of npm pack tarballs to take plugins from (when the registry is unreachable). */
  from?: string
  /** Fetches `<name>@<version>` (or `<name>` for the latest) into `dest`; returns the tarball's path. Default: npm pack. */
  fetch?: (spec: string, dest: string) => string
  /** Extra flags of the default fetch's npm runs (e.g. --registry). */
  npmFlags?: string[]
}

/**
 * Resolves the plugins of the repository `ws` to verified tarballs and
 * updates ssmd-plugins.lock for the ones it did not record. Throws one
 * clear error when a plugin cannot be had or does not match the lock.
 */
export function resolveLockedSet(ws: Workspace, options: LockedSetOptions): { tarballs: LockedTarball[]; lockChanged: boolean } {
  const list = pins(ws)
  if (!ws.policy) throw new UsageError(`no ssmd.yaml in ${ws.root}: name a plugin to install (ssmd plugins install <package>), or list the repository's plugins in ssmd.yaml`)
  if (list.length === 0) throw new UsageError("ssmd.yaml lists no plugins: name a plugin to install (ssmd plugins install <package>), or add it to ssmd.yaml's plugins: first")
  if (options.from !== undefined && !existsSync(options.from)) throw new UsageError(`--from ${options.from}: no such folder`)
  let lock: PluginLock
  try {
    lock = readLock(ws.root) ?? { lockfileVersion: 1, plugins: {} }
  } catch (error) {
    throw new SsmdError((error as Error).message, { code: 'invalid' })
  }
  mkdirSync(options.cacheDir, { recursive: true })
  const fetch = options.fetch ?? npmPack(options.npmFlags ?? [])
  const tarballs: LockedTarball[] = []
  const next: Record<string, LockEntry> = {}
  let lockChanged = false
  for (const pin of list) {
    const spec = pin.version === undefined ? pin.name : `${pin.name}@${pin.version}`
    const bad = pinProblem(spec)
    if (bad) throw new SsmdError(`ssmd.yaml: ${bad}`, { code: 'invalid' })
    const locked = lock.plugins[pin.name]
    const entry = locked && (pin.version === undefined || pin.version === locked.version) ? locked : undefined
    let version = entry?.version ?? pin.version
    if (version === undefined) {
      // Not pinned and not locked: the one version of it in --from, else the registry's latest.
      const found = versionsIn(options.from, pin.name)
      if (found.length > 1) throw new UsageError(`${pin.name}: --from holds versions ${found.join(', ')}; pin one in ssmd.yaml (plugins: ['${pin.name}@<version>'])`)
      version = found[0]
    }
    let got: { file: string; source: LockedTarball['source'] } | undefined
    const cached = version === undefined ? undefined : join(options.cacheDir, tarballName(pin.name, version))
    const given = version === undefined || options.from === undefined ? undefined : join(options.from, tarballName(pin.name, version))
    if (cached && existsSync(cached) && (entry === undefined || integrityOf(cached) === entry.integrity)) got = { file: cached, source: 'cache' }
    else if (given && existsSync(given)) got = { file: given, source: 'folder' }
    else {
      const want = version === undefined ? pin.name : `${pin.name}@${version}`
      let file: string
      try {
        file = fetch(want, options.cacheDir)
      } catch (error) {
        throw new SsmdError(
          `cannot get plugin ${want}: it is not in ssmd's tarball cache${options.from ? ` nor in ${options.from}` : ''}, and npm could not fetch it (${firstLine(error)}); give a folder holding ${version ? tarballName(pin.name, version) : 'its npm pack tarball'} with --from`,
          { code: 'unavailable' },
        )
      }
      got = { file, source: 'registry' }
      version ??= /-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(file)?.[1]
      if (version === undefined) throw new SsmdError(`npm pack ${want} gave ${file}, whose version ssmd cannot read`, { code: 'unavailable' })
    }
    const integrity = integrityOf(got.file)
    if (entry !== undefined && integrity !== entry.integrity) {
      throw new SsmdError(
        `${pin.name}@${version}: the tarball from ${got.source === 'folder' ? options.from : got.source === 'cache' ? "ssmd's cache" : 'the registry'} has integrity ${integrity.slice(0, 19)}…, ${LOCK_FILE} records ${entry.integrity.slice(0, 19)}…; nothing was installed (if the change is wanted, delete its entry from ${LOCK_FILE} and run 'ssmd plugins install' again)`,
        { code: 'invalid' },
      )
    }
    const target = join(options.cacheDir, tarballName(pin.name, version))
    if (got.file !== target) {
      copyFileSync(got.file, `${target}.partial`)
      renameSync(`${target}.partial`, target)
    }
    tarballs.push({ name: pin.name, version, integrity, file: target, source: got.source })
    next[pin.name] = { version, integrity }
    if (entry === undefined) lockChanged = true
  }
  if (Object.keys(lock.plugins).some(n => next[n] === undefined)) lockChanged = true
  if (lockChanged) writeFileAtomic(ws.root, join(ws.root, LOCK_FILE), lockText({ lockfileVersion: 1, plugins: next }))
  return { tarballs, lockChanged }
}

/** Why npm could not fetch a tarball: npm's reason, or why npm could not run. */
function firstLine(error: unknown): string {
  return error instanceof NpmFailed ? error.reason : error instanceof Error ? error.message : String(error)
}

/** npm pack of a registry spec with the user's npm: downloads the tarball, runs no script. */
function npmPack(flags: string[]): (spec: string, dest: string) => string {
  return (spec, dest) => {
    const out = runNpm(findNpm(), ['pack', '--pack-destination', dest], { cwd: dest, operands: [spec], flags })
    return join(dest, out.trim().split('\n').pop() ?? '')
  }
}
