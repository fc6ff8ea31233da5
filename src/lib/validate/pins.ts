/*
 * Plugins pinned per repository. ssmd.yaml lists each plugin as
 * `<package>@<version>` (an exact version; a bare `<package>` still means
 * "any version"), and ssmd-plugins.lock, committed next to it, records what
 * `ssmd plugins install` installed: each package's version and the integrity
 * (sha512, as npm writes it) of its tarball. validate compares what is
 * installed with both; `ssmd plugins install` with no argument installs
 * exactly the locked set.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Workspace } from '../workspace/workspace.js'
import { isObj } from './rules/util.js'
import type { Finding, RuleInfo } from './types.js'

export const LOCK_FILE = 'ssmd-plugins.lock'
export const LOCK_VERSION = 1

export const PLUGIN_PIN = 'policy/plugin-pin'
export const PLUGIN_PIN_INFO: RuleInfo = {
  id: PLUGIN_PIN,
  plugin: 'ssmd',
  description: 'Each installed plugin is the version ssmd.yaml pins and ssmd-plugins.lock records, with the recorded integrity.',
  defaultSeverity: 'error',
}

/** One entry of `plugins:`: the package, and the version it is pinned to (undefined: any). */
export interface Pin {
  name: string
  version?: string
  /** Index in `plugins:`. */
  index: number
}

/** An exact semver version (no range): what a pin must name. */
const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/

/** npm's rule for a package name (lower case, URL-safe, not starting with '-', '.' or '_', an optional @scope/): never a path, URL or option. */
const PACKAGE_NAME = /^(?:@[a-z0-9~][a-z0-9-._~]*\/)?[a-z0-9~][a-z0-9-._~]*$/

export function isPackageName(name: string): boolean {
  return name.length <= 214 && PACKAGE_NAME.test(name)
}

/** `name`, `name@1.0.0`, `@scope/name@1.0.0` → name and version (the version as written, checked by pinProblem). */
export function parsePin(spec: string): { name: string; version?: string } {
  const at = spec.indexOf('@', 1)
  return at === -1 ? { name: spec } : { name: spec.slice(0, at), version: spec.slice(at + 1) }
}

/** Why a `plugins:` entry cannot be a pin, or undefined. */
export function pinProblem(spec: string): string | undefined {
  const { name, version } = parsePin(spec)
  // The name becomes a tarball's file name and npm's operand: a path or URL would reach outside both.
  if (!isPackageName(name)) return `plugin '${name}' is not an npm package name (e.g. acme-checks or @acme/checks@1.0.0; a path, URL or option is not a pin)`
  if (version !== undefined && !EXACT.test(version))
    return `ssmd.yaml pins '${name}' to '${version}', which is not an exact version; write '${name}@<major.minor.patch>' (ranges would let two machines run different rules)`
  return undefined
}

/** The `plugins:` of ssmd.yaml, parsed. */
export function pins(ws: Workspace): Pin[] {
  const list = ws.policy && isObj(ws.policy.data) && Array.isArray(ws.policy.data.plugins) ? ws.policy.data.plugins : []
  const out: Pin[] = []
  list.forEach((spec, index) => {
    if (typeof spec === 'string') out.push({ ...parsePin(spec), index })
  })
  return out
}

export interface LockEntry {
  version: string
  /** sha512-<base64> of the npm pack tarball (npm's `integrity`). */
  integrity: string
}

export interface PluginLock {
  lockfileVersion: number
  plugins: Record<string, LockEntry>
}

/** The lock file of the repository at `root`; undefined when there is none. Throws (with the reason) when it is unreadable. */
export function readLock(root: string): PluginLock | undefined {
  let text: string
  try {
    text = readFileSync(join(root, LOCK_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`${LOCK_FILE} cannot be read: ${(error as Error).message}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new Error(`${LOCK_FILE} is not valid JSON (${(error as Error).message}); restore it from git or delete it and run 'ssmd plugins install'`)
  }
  const plugins = isObj(data) && isObj(data.plugins) ? data.plugins : undefined
  if (!isObj(data) || data.lockfileVersion !== LOCK_VERSION || plugins === undefined)
    throw new Error(`${LOCK_FILE} is not a version ${LOCK_VERSION} plugin lock; restore it from git or delete it and run 'ssmd plugins install'`)
  const out: Record<string, LockEntry> = {}
  for (const [name, e] of Object.entries(plugins)) {
    // The version becomes part of a tarball's file name: an exact version, never a path.
    if (!isObj(e) || typeof e.version !== 'string' || !EXACT.test(e.version) || typeof e.integrity !== 'string' || !e.integrity.startsWith('sha512-'))
      throw new Error(`${LOCK_FILE}: the entry of '${name}' needs an exact version (major.minor.patch) and a sha512 integrity; restore it from git or run 'ssmd plugins install'`)
    out[name] = { version: e.version, integrity: e.integrity }
  }
  return { lockfileVersion: LOCK_VERSION, plugins: out }
}

/** The lock file's text: stable (sorted, one entry per package) so that its diffs review well. */
export function lockText(lock: PluginLock): string {
  const plugins: Record<string, LockEntry> = {}
  for (const name of Object.keys(lock.plugins).sort()) plugins[name] = { version: lock.plugins[name].version, integrity: lock.plugins[name].integrity }
  return `${JSON.stringify({ lockfileVersion: LOCK_VERSION, plugins }, null, 2)}\n`
}

/** A plugin as installed: its version, and the integrity npm recorded for it (undefined for a linked folder). */
export interface InstalledVersion {
  name: string
  version: string
  integrity?: string
}

/**
 * Pins and the lock against what is installed: one finding per plugin that
 * differs, naming what ssmd.yaml or the lock expects and what is installed.
 * Plugins that are not installed are policy/plugin-missing's.
 */
export function pinFindings(ws: Workspace, installed: readonly InstalledVersion[], lock: PluginLock | undefined): Finding[] {
  const doc = ws.policy
  if (!doc) return []
  const out: Finding[] = []
  const at = (index: number, message: string) => {
    const path = `/plugins/${index}`
    const pos = doc.locate(path)
    out.push({ rule: PLUGIN_PIN, severity: 'error', message, file: doc.file, line: pos.line, column: pos.column, path, plugin: 'ssmd' })
  }
  for (const pin of pins(ws)) {
    const spec = pin.version === undefined ? pin.name : `${pin.name}@${pin.version}`
    const bad = pinProblem(spec)
    if (bad) {
      at(pin.index, bad)
      continue
    }
    const got = installed.find(p => p.name === pin.name)
    if (!got) continue
    if (pin.version !== undefined && got.version !== pin.version) {
      at(pin.index, `${pin.name}: ssmd.yaml pins ${pin.version}, ${got.version} is installed; run 'ssmd plugins install'`)
      continue
    }
    const locked = lock?.plugins[pin.name]
    if (!locked) continue
    if (locked.version !== got.version) {
      at(pin.index, `${pin.name}: ${LOCK_FILE} records ${locked.version}, ${got.version} is installed; run 'ssmd plugins install'`)
    } else if (got.integrity === undefined) {
      at(
        pin.index,
        `${pin.name}: ${LOCK_FILE} records ${locked.version} with integrity ${short(locked.integrity)}, but the installed copy is a linked folder whose integrity is unknown; run 'ssmd plugins install'`,
      )
    } else if (got.integrity !== locked.integrity) {
      at(
        pin.index,
        `${pin.name}@${got.version}: ${LOCK_FILE} records integrity ${short(locked.integrity)}, the installed copy has ${short(got.integrity)}; run 'ssmd plugins install'`,
      )
    }
  }
  return out
}

const short = (integrity: string) => `${integrity.slice(0, 19)}…`

/**
 * The integrity npm recorded for each package installed in ssmd's plugin
 * folder (its package-lock.json), by name. Linked plugins have none.
 */
export function installedIntegrity(dataDir: string): Map<string, string> {
  const out = new Map<string, string>()
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { integrity?: unknown }> }
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      if (!path.startsWith('node_modules/') || path.lastIndexOf('node_modules/') !== 0) continue
      if (typeof entry.integrity === 'string') out.set(path.slice('node_modules/'.length), entry.integrity)
    }
  } catch {
    /* nothing installed yet, or not by npm */
  }
  return out
}
