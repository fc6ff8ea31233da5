/*
 * What ssmd runs of an installed or linked plugin.
 *
 * oclif would run every hook a plugin declares (`init`, `prerun`, `postrun`,
 * `finally`, `command_not_found`, …) inside ssmd's process on every command,
 * import its command files on every start when it ships no manifest, let a
 * linked package named like one of ssmd's own plugins replace it, and let a
 * command id, alias, permutation or topic of a plugin take the place of one of
 * ssmd's. None of that is acceptable for a tool whose verdict gates commits
 * and deploys. ssmd therefore loads user and linked plugins itself:
 *
 * - no lifecycle hook of theirs ever runs; their `validate` hook is only run
 *   by the rule runtime, in its own sandboxed process (lib/validate/plugins.ts);
 * - their commands are read from their oclif.manifest.json only (never by
 *   importing their files), and a command whose id or alias is, or lies
 *   under, one of ssmd's commands or topics is not loaded;
 * - a package named like ssmd or one of its built-in plugins is not loaded;
 * - oclif plugins a plugin itself lists are not loaded.
 *
 * The decisions are kept per plugin for `ssmd plugins` and `plugins install`.
 */
import { Config, Plugin } from '@oclif/core'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { entryRoot, readEntries, readPluginPackage, type UserEntry } from '../plugins/data-dir.js'

/** A hook entry as oclif declares it: the module and the export to call. */
export interface HookEntry {
  target: string
  identifier: string
}

export interface HookTrust {
  event: string
  /** True only for `validate`, which the rule runtime runs in its own sandboxed process. */
  runs: boolean
}

export interface CommandTrust {
  id: string
  runs: boolean
  /** Why ssmd does not load it. */
  reason?: string
  /** The id or alias of the plugin's that takes one of ssmd's names (colon form). */
  claims?: string
}

/** What a user or linked plugin brings besides rules, and what of it ssmd runs. */
export interface PluginTrust {
  hooks: HookTrust[]
  commands: CommandTrust[]
  /** oclif plugins the package lists in its own `oclif.plugins`: never loaded. */
  plugins: string[]
  /** Set when ssmd did not load the package at all. */
  refused?: string
}

/** A user or linked plugin ssmd did not load, with why. */
export interface RefusedPlugin {
  name: string
  type: 'user' | 'link'
  version?: string
  root?: string
  reason: string
}

/** The hook that ssmd itself runs, in a sandboxed process, for user plugins. */
export const VALIDATE_HOOK = 'validate'

const DECLARED = new WeakMap<object, Record<string, HookEntry[]>>()
const TRUST = new WeakMap<object, PluginTrust>()
const TRUSTED = new WeakSet<object>()
let refused: RefusedPlugin[] = []
/** Names of ssmd and its built-in plugins, as loaded at start. */
const coreNames = new Set<string>()
const SEALED = new WeakSet<object>()

type PJSON = Record<string, unknown> & { name?: string; version?: string; oclif?: Record<string, unknown> }

/** oclif's `hooks` declaration ({ event: target | {target, identifier} | [...] }) as entries per event. */
export function hookEntries(hooks: unknown): Record<string, HookEntry[]> {
  const out: Record<string, HookEntry[]> = {}
  if (hooks === null || typeof hooks !== 'object' || Array.isArray(hooks)) return out
  for (const [event, value] of Object.entries(hooks)) {
    const list = Array.isArray(value) ? value : [value]
    out[event] = list.flatMap(v => {
      if (typeof v === 'string') return [{ target: v, identifier: 'default' }]
      if (v !== null && typeof v === 'object' && typeof (v as HookEntry).target === 'string') {
        const identifier = (v as HookEntry).identifier
        return [{ target: (v as HookEntry).target, identifier: typeof identifier === 'string' ? identifier : 'default' }]
      }
      return []
    })
  }
  return out
}

/** The hooks a plugin declares: what its package.json said, also after ssmd removed them from what oclif runs. */
export function declaredHooks(plugin: object & { hooks?: unknown }): Record<string, HookEntry[]> {
  return DECLARED.get(plugin) ?? (plugin.hooks as Record<string, HookEntry[]> | undefined) ?? {}
}

/** What ssmd decided for a user or linked plugin (undefined for ssmd and its built-in plugins, and when not loaded by loadSealedConfig). */
export function pluginTrust(plugin: object): PluginTrust | undefined {
  return TRUST.get(plugin)
}

/** User and linked plugins ssmd did not load. */
export function refusedPlugins(): readonly RefusedPlugin[] {
  return refused
}

/**
 * Which of ssmd's own command ids, aliases or topics `id` would take the
 * place of or sit under, if any: `validate`, `feed` (a topic), `feed:audit`
 * (under ssmd's `feed`) all would; `acme:audit` would not.
 */
export function shadowedBuiltin(id: string, builtins: ReadonlySet<string>): string | undefined {
  if (builtins.has(id)) return id
  const parts = id.split(':')
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join(':')
    if (builtins.has(prefix)) return prefix
  }
  return undefined
}

/** What a package declares besides rules, judged: the hooks (only `validate` runs), its commands, the oclif plugins it lists. */
export function judgePackage(pjson: PJSON, manifest: { commands?: Record<string, { aliases?: unknown }> } | undefined, builtins: ReadonlySet<string>): PluginTrust {
  const oclif = pjson.oclif ?? {}
  const hooks = Object.entries(hookEntries(oclif.hooks))
    .filter(([, entries]) => entries.length > 0)
    .map(([event]) => ({ event, runs: event === VALIDATE_HOOK }))
  const commands: CommandTrust[] = []
  if (manifest?.commands) {
    for (const [id, c] of Object.entries(manifest.commands)) {
      const aliases = Array.isArray(c?.aliases) ? c.aliases.filter((a): a is string => typeof a === 'string') : []
      const hit = [id, ...aliases].map(x => [x, shadowedBuiltin(x.replaceAll(' ', ':'), builtins)] as const).find(([, b]) => b !== undefined)
      if (!hit) commands.push({ id, runs: true })
      else {
        const [name, builtin] = [hit[0].replaceAll(' ', ':'), hit[1]!]
        const reason = name === builtin ? `'${show(name)}' is ssmd's own` : `'${show(name)}' would sit under ssmd's own '${show(builtin)}'`
        commands.push({ id, runs: false, reason, claims: name })
      }
    }
  } else if (oclif.commands !== undefined) {
    commands.push({ id: '*', runs: false, reason: 'the package ships no oclif.manifest.json matching its version, and ssmd never imports a plugin to find its commands' })
  }
  const nested = Array.isArray(oclif.plugins) ? oclif.plugins.filter((p): p is string => typeof p === 'string') : []
  return { hooks: hooks.sort((a, b) => Number(b.runs) - Number(a.runs) || a.event.localeCompare(b.event)), commands, plugins: nested }
}

const show = (id: string) => id.replaceAll(':', ' ')

/** The plugin's oclif.manifest.json (or .oclif.manifest.json) when it matches the package's version, as oclif requires. */
export function readManifest(root: string, version: string | undefined): { commands?: Record<string, { aliases?: unknown }> } | undefined {
  for (const file of ['oclif.manifest.json', '.oclif.manifest.json']) {
    const path = join(root, file)
    if (!existsSync(path)) continue
    try {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown; commands?: unknown }
      if (typeof manifest.version !== 'string' || manifest.version.split('-')[0] !== String(version ?? '').split('-')[0]) return undefined
      if (manifest.commands === null || typeof manifest.commands !== 'object') return undefined
      return manifest as { commands: Record<string, { aliases?: unknown }> }
    } catch {
      return undefined
    }
  }
  return undefined
}

/** ssmd's own command ids, aliases and topics: what no plugin may take. */
export function builtinIds(config: Config): Set<string> {
  const out = new Set<string>()
  for (const c of config.commands) {
    out.add(c.id)
    for (const a of [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]) out.add(a.replaceAll(' ', ':'))
  }
  for (const t of config.topics) out.add(t.name)
  return out
}

/** The package.json oclif is given for a user plugin: no hooks, no nested plugins, commands only from a manifest, no topic of ssmd's. */
function inertPjson(pjson: PJSON, hasManifest: boolean, builtins: ReadonlySet<string>): PJSON {
  const oclif: Record<string, unknown> = { ...(pjson.oclif ?? {}) }
  for (const key of ['hooks', 'plugins', 'devPlugins', 'jitPlugins', 'helpClass', 'theme']) delete oclif[key]
  if (!hasManifest) delete oclif.commands
  const topics = oclif.topics
  if (topics !== null && typeof topics === 'object') oclif.topics = Object.fromEntries(Object.entries(topics).filter(([name]) => shadowedBuiltin(name, builtins) === undefined))
  const out: PJSON = { ...pjson, oclif }
  delete out['cli-engine']
  return out
}

/**
 * Makes every oclif Config of `config`'s class run hooks of trusted plugins
 * only (ssmd and its built-in plugins as loaded at start). A plugin object
 * created later (by anything that adds one to the Config after start) has its
 * hooks removed before any hook runs. Commands of ssmd's
 * built-in plugins run on the installed @oclif/core, ssmd's own on its bundled
 * copy: each copy's Config class is sealed.
 */
export function sealHooks(config: object): void {
  const proto = Object.getPrototypeOf(config) as { runHook: (this: Config, ...args: unknown[]) => Promise<unknown> }
  if (SEALED.has(proto)) return
  SEALED.add(proto)
  const original = proto.runHook
  proto.runHook = function (this: Config, ...args: unknown[]) {
    for (const p of this.plugins.values()) if (!TRUSTED.has(p)) disarm(p)
    return original.apply(this, args)
  }
}

function disarm(plugin: Plugin | object): void {
  const p = plugin as { hooks: Record<string, HookEntry[]> }
  if (!DECLARED.has(p)) DECLARED.set(p, p.hooks ?? {})
  p.hooks = {}
}

/**
 * oclif's configuration for ssmd with user and linked plugins loaded as
 * described at the top of this file. `run(argv, config)` takes it as is.
 * @public imported from dist/ by bin/run.js
 */
export async function loadSealedConfig(root: string): Promise<Config> {
  const config = await Config.load({ root, userPlugins: false })
  sealHooks(config)
  for (const p of config.plugins.values()) {
    TRUSTED.add(p)
    coreNames.add(p.name)
  }
  const builtins = builtinIds(config)
  refused = []
  for (const entry of readEntries(config.dataDir)) {
    const pluginRoot = entryRoot(config.dataDir, entry)
    if (!pluginRoot) continue
    const pjson = readPluginPackage(pluginRoot) as PJSON | undefined
    if (!pjson) continue
    const name = typeof pjson.name === 'string' ? pjson.name : entry.name
    if (config.plugins.has(name)) {
      refused.push({
        name,
        type: entry.type,
        version: pjson.version,
        root: pluginRoot,
        reason: `'${name}' is the name of ${name === config.name ? 'ssmd itself' : "one of ssmd's built-in plugins"}`,
      })
      continue
    }
    const manifest = readManifest(pluginRoot, pjson.version)
    const trust = judgePackage(pjson, manifest, builtins)
    try {
      const plugin = new Plugin({
        name: entry.name,
        root: pluginRoot,
        type: entry.type,
        tag: entry.tag,
        url: entry.url,
        pjson: inertPjson(pjson, manifest !== undefined, builtins) as never,
      })
      await plugin.load()
      DECLARED.set(plugin, hookEntries(pjson.oclif?.hooks))
      const allowed = new Set(trust.commands.filter(c => c.runs).map(c => c.id))
      // Only commands ssmd accepted, each under its own id: no alias or permutation of theirs reaches ssmd's names.
      plugin.commands = plugin.commands.filter(c => allowed.has(c.id)).map(c => ({ ...c, aliases: [], hiddenAliases: [], permutations: [c.id], aliasPermutations: [] }))
      TRUST.set(plugin, trust)
      config.plugins.set(plugin.name, plugin)
    } catch (error) {
      refused.push({
        name,
        type: entry.type,
        version: pjson.version,
        root: pluginRoot,
        reason: `it could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      })
    }
  }
  return config
}

/**
 * Warnings for the command being run when a plugin declares a command that
 * takes its name: `validate` and `feed list` are always ssmd's own.
 * @public imported from dist/ by bin/run.js
 */
export function shadowWarnings(config: Config, words: readonly string[]): string[] {
  const out: string[] = []
  const ids = new Set<string>()
  for (let i = 1; i <= words.length && !words[i - 1].startsWith('-'); i++) ids.add(words.slice(0, i).join(':'))
  for (const p of config.plugins.values()) {
    const trust = TRUST.get(p)
    for (const c of trust?.commands ?? []) {
      if (c.runs || c.claims === undefined || !ids.has(c.claims)) continue
      out.push(`plugin '${p.name}' declares the command '${show(c.claims)}', which is ssmd's own; ssmd runs its own and never the plugin's (see 'ssmd plugins')`)
    }
  }
  return out
}

/** npm's lifecycle scripts an install would run; `plugins install` runs none. */
export const LIFECYCLE_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare']

/** Each user or linked plugin recorded in oclif's data folder, with its entry and package.json as text: what an install may change. */
export function userPluginNames(dataDir: string): Map<string, string> {
  return new Map(readEntries(dataDir).map(e => [e.name, JSON.stringify(e) + packageText(dataDir, e)]))
}

function packageText(dataDir: string, e: UserEntry): string {
  try {
    return readFileSync(join(entryRoot(dataDir, e) ?? '', 'package.json'), 'utf8')
  } catch {
    return ''
  }
}

/**
 * What `plugins install`, `link` and `update` say about each package they added
 * (those not in `before`, or changed since): that no lifecycle script ran (installed
 * ones), and what the package brings besides rules that ssmd will not run.
 */
export function installReport(config: Config, before: ReadonlyMap<string, string>): string[] {
  const out: string[] = []
  const builtins = builtinIds(config)
  for (const entry of readEntries(config.dataDir)) {
    if (before.get(entry.name) === JSON.stringify(entry) + packageText(config.dataDir, entry)) continue
    const root = entryRoot(config.dataDir, entry)
    const pjson = readPluginPackage(root) as PJSON | undefined
    if (!pjson) continue
    const name = typeof pjson.name === 'string' ? pjson.name : entry.name
    const scripts = pjson.scripts !== null && typeof pjson.scripts === 'object' ? Object.keys(pjson.scripts) : []
    const skipped = LIFECYCLE_SCRIPTS.filter(s => scripts.includes(s))
    if (entry.type === 'user')
      out.push(
        `${name}: installed with npm --ignore-scripts; ${skipped.length > 0 ? `its lifecycle scripts were not run (${skipped.join(', ')})` : 'no lifecycle script ran (it declares none)'}`,
      )
    if (coreNames.has(name)) {
      out.push(`${name}: ssmd will not load it: '${name}' is the name of ${name === config.name ? 'ssmd itself' : "one of ssmd's built-in plugins"}`)
      continue
    }
    const trust = judgePackage(pjson, readManifest(root!, pjson.version), builtins)
    const notRun = trust.hooks.filter(h => !h.runs).map(h => h.event)
    if (notRun.length > 0) out.push(`${name}: brings oclif hooks ssmd never runs: ${notRun.join(', ')}`)
    const commands = trust.commands.filter(c => c.runs).map(c => show(c.id))
    if (commands.length > 0) out.push(`${name}: brings commands, run only when you run them: ${commands.join(', ')}`)
    const refusedCommands = trust.commands.filter(c => !c.runs).map(c => (c.id === '*' ? `all (${c.reason})` : `${show(c.id)} (${c.reason})`))
    if (refusedCommands.length > 0) out.push(`${name}: brings commands ssmd will not run: ${refusedCommands.join(', ')}`)
    if (trust.plugins.length > 0) out.push(`${name}: lists oclif plugins ssmd will not load: ${trust.plugins.join(', ')}`)
  }
  return out
}
