/*
 * Installing, linking, uninstalling and updating user plugins: npm does the
 * package work in oclif's data folder, this module keeps oclif's record of
 * them (data-dir.ts). What a plugin may run once installed is decided when
 * ssmd loads it (lib/cli/plugin-trust.ts), not here.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { SsmdError, UsageError } from '../core/errors.js'
import { writeUserFileAtomic } from '../io/atomic.js'
import {
  addEntries,
  dataDependencies,
  dataPjsonPath,
  ensureDataDir,
  entryRoot,
  readEntries,
  readPluginPackage,
  removeEntry,
  userRoot,
  withDataDirLock,
  type UserEntry,
} from './data-dir.js'
import { findNpm, runNpm, type Npm } from './npm.js'

/** What to install: a registry package (name, tag or range), or anything else npm takes (a file: spec, a git URL). */
export type InstallSpec = { kind: 'registry'; name: string; tag: string } | { kind: 'url'; url: string }

export interface PluginHome {
  /** oclif's data folder (where package.json and node_modules are). */
  dataDir: string
  /** The CLI's name, written into the data folder's package.json as oclif does. */
  cliName: string
  /** Extra npm flags (e.g. --registry from SSMD_NPM_REGISTRY). */
  npmFlags?: string[]
  /** npm's own output shown on stderr. */
  verbose?: boolean
  /** The npm to run (default: found as npm.ts says, once). */
  npm?: Npm
  /** Called once when another ssmd is working in the data folder and this one waits for it. */
  onWait?: () => void
}

function npmOf(home: PluginHome): Npm {
  home.npm ??= findNpm()
  return home.npm
}

/** `npm <args> -- <operands>` in the data folder (or `cwd`). */
function npm(home: PluginHome, args: string[], operands: string[], cwd = home.dataDir): string {
  return runNpm(npmOf(home), args, { cwd, operands, flags: home.npmFlags, verbose: home.verbose })
}

/** The version of an installed or linked plugin ('' when its package.json cannot be read). */
export function installedVersion(home: PluginHome, e: UserEntry): string {
  const root = entryRoot(home.dataDir, e)
  const v = readPluginPackage(root)?.version
  return typeof v === 'string' ? v : ''
}

/** The package npm just installed for a file: or git spec: the dependency it added or changed, or the one whose file: path is the spec's. */
function installedName(dataDir: string, url: string, before: Record<string, string>): string | undefined {
  const after = dataDependencies(dataDir)
  const changed = Object.keys(after).filter(k => before[k] !== after[k])
  if (changed.length === 1) return changed[0]
  const file = url.startsWith('file:') ? resolve(url.slice('file:'.length)) : undefined
  return Object.keys(after).find(k => {
    const v = after[k]
    if (file !== undefined && v.startsWith('file:')) return resolve(dataDir, v.slice('file:'.length)) === file
    return v === url
  })
}

export interface Installed {
  name: string
  version: string
  entry: UserEntry
}

/**
 * `npm install <spec> --omit=dev --ignore-scripts` in the data folder, then
 * records the plugin. A package that is not an oclif plugin is removed again;
 * on failure the data folder's package.json is left as it was.
 */
export function installPlugin(home: PluginHome, spec: InstallSpec, options: { force?: boolean } = {}): Installed {
  npmOf(home)
  return withDataDirLock(home.dataDir, () => installLocked(home, spec, options), home.onWait)
}

function installLocked(home: PluginHome, spec: InstallSpec, options: { force?: boolean }): Installed {
  ensureDataDir(home.dataDir, home.cliName)
  const pjsonPath = dataPjsonPath(home.dataDir)
  const saved = readFileSync(pjsonPath, 'utf8')
  const restore = () => {
    if (readFileSync(pjsonPath, 'utf8') !== saved) writeUserFileAtomic(pjsonPath, saved)
  }
  const before = dataDependencies(home.dataDir)
  const npmSpec = spec.kind === 'registry' ? `${spec.name}@${spec.tag}` : spec.url
  try {
    npm(home, ['install', '--omit=dev', ...(options.force ? ['--force'] : [])], [npmSpec])
  } catch (error) {
    restore()
    throw error
  }
  const name = spec.kind === 'registry' ? spec.name : installedName(home.dataDir, spec.url, before)
  if (name === undefined) throw new SsmdError(`npm installed ${npmSpec}, but ssmd cannot tell which package it is (see ${pjsonPath})`)
  const root = userRoot(home.dataDir, name)
  const pjson = readPluginPackage(root)
  if (pjson?.oclif === undefined || pjson.oclif === null || typeof pjson.oclif !== 'object') {
    try {
      npm(home, ['uninstall'], [name])
    } finally {
      restore()
    }
    throw new SsmdError(`${name} is not an ssmd plugin: its package.json has no "oclif" section (see 'ssmd docs plugins'); nothing was installed`, { code: 'invalid' })
  }
  const entry: UserEntry = spec.kind === 'registry' ? { name, tag: spec.tag, type: 'user' } : { name, type: 'user', url: spec.url }
  addEntries(home.dataDir, home.cliName, entry)
  return { name, version: typeof pjson.version === 'string' ? pjson.version : '', entry }
}

export interface Linked extends Installed {
  root: string
  /** Set when dependencies were to be installed but are not npm's to install. */
  notInstalled?: string
}

/** Records a plugin folder as linked; with `install`, first `npm install --ignore-scripts` in it (development dependencies included). */
export function linkPlugin(home: PluginHome, folder: string, options: { install?: boolean } = {}): Linked {
  const root = resolve(folder)
  if (!existsSync(root)) throw new UsageError(`no such folder: ${root} (give the plugin's folder, the one holding its package.json)`)
  const pjson = readPluginPackage(root)
  if (pjson === undefined) throw new UsageError(`no readable package.json in ${root} (give the plugin's folder, the one holding its package.json)`)
  if (typeof pjson.name !== 'string' || pjson.name === '') throw new UsageError(`${join(root, 'package.json')} has no "name": a plugin is an npm package`)
  if (pjson.oclif === undefined || pjson.oclif === null || typeof pjson.oclif !== 'object') {
    throw new UsageError(`${pjson.name} is not an ssmd plugin: ${join(root, 'package.json')} has no "oclif" section (see 'ssmd docs plugins')`)
  }
  let notInstalled: string | undefined
  if (options.install) {
    const other = existsSync(join(root, 'package-lock.json')) ? undefined : ['yarn.lock', 'pnpm-lock.yaml'].find(f => existsSync(join(root, f)))
    if (other !== undefined) notInstalled = `${root} has a ${other}: install its dependencies with ${other === 'yarn.lock' ? 'yarn' : 'pnpm'} yourself`
    else npm(home, ['install'], [], root)
  }
  const entry: UserEntry = { name: pjson.name, root, type: 'link' }
  withDataDirLock(
    home.dataDir,
    () => {
      ensureDataDir(home.dataDir, home.cliName)
      addEntries(home.dataDir, home.cliName, entry)
    },
    home.onWait,
  )
  return { name: pjson.name, version: typeof pjson.version === 'string' ? pjson.version : '', entry, root, ...(notInstalled ? { notInstalled } : {}) }
}

/** `name` without a version or tag: `acme@1.0.0` → `acme`, `@acme/x@^1` → `@acme/x`. */
function withoutTag(name: string): string {
  const at = name.lastIndexOf('@')
  return at > 0 ? name.slice(0, at) : name
}

/** The recorded plugin a `plugins uninstall` argument means: its name (a version or tag after it is ignored), or the folder of a linked plugin. */
export function findEntry(dataDir: string, given: string, cwd: string): UserEntry | undefined {
  const entries = readEntries(dataDir)
  return (
    entries.find(e => e.name === given) ??
    entries.find(e => e.name === withoutTag(given)) ??
    entries.find(e => e.type === 'link' && e.root !== undefined && resolve(e.root) === resolve(cwd, given))
  )
}

/**
 * Forgets a plugin; a user plugin is also removed by `npm uninstall`. When npm
 * cannot remove it, the plugin is still forgotten (ssmd no longer loads it) and
 * the reason is returned.
 */
export function uninstallPlugin(home: PluginHome, entry: UserEntry): { npmProblem?: string } {
  return withDataDirLock(home.dataDir, () => uninstallLocked(home, entry), home.onWait)
}

function uninstallLocked(home: PluginHome, entry: UserEntry): { npmProblem?: string } {
  let npmProblem: string | undefined
  if (entry.type === 'user') {
    try {
      npm(home, ['uninstall', '--omit=dev'], [entry.name])
    } catch (error) {
      npmProblem = (error as Error).message
    }
  }
  removeEntry(home.dataDir, home.cliName, entry.name)
  return npmProblem === undefined ? {} : { npmProblem }
}

export interface Updated {
  name: string
  from: string
  to: string
}

/**
 * Updates every user plugin as oclif did: those installed from a file or URL
 * with `npm update`, those from the registry by installing their tag or range
 * again (so `latest` moves). Linked plugins are their folders: not touched.
 */
export function updatePlugins(home: PluginHome): Updated[] {
  if (!readEntries(home.dataDir).some(e => e.type === 'user')) return []
  return withDataDirLock(home.dataDir, () => updateLocked(home), home.onWait)
}

function updateLocked(home: PluginHome): Updated[] {
  const users = readEntries(home.dataDir).filter(e => e.type === 'user')
  if (users.length === 0) return []
  const before = new Map(users.map(e => [e.name, installedVersion(home, e)]))
  const fromUrl = users.filter(e => e.url !== undefined)
  const fromRegistry = users.filter(e => e.url === undefined)
  if (fromUrl.length > 0)
    npm(
      home,
      ['update', '--omit=dev'],
      fromUrl.map(e => e.name),
    )
  if (fromRegistry.length > 0)
    npm(
      home,
      ['install', '--omit=dev'],
      fromRegistry.map(e => `${e.name}@${e.tag ?? 'latest'}`),
    )
  return users.map(e => ({ name: e.name, from: before.get(e.name) ?? '', to: installedVersion(home, e) }))
}
