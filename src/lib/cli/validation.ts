import { boundHeapGrowth } from '../core/heap.js'
import { ModuleLoader, type Config } from '@oclif/core'
import { relative, resolve, sep } from 'node:path'
import { cacheDir, cacheLocation, DocumentCache, portablePath, type CacheStrategy } from '../workspace/cache.js'
import { definitionCache } from '../domain/schema/definitions.js'
import { Workspace } from '../workspace/workspace.js'
import type { SchemaDocument } from '../workspace/document.js'
import { PLUGIN_FAILED, runRules, type PackSource } from '../validate/engine.js'
import { PluginSession, pluginFailedFinding, type InstalledPlugin, type PluginResults, type PluginRun } from '../validate/plugins.js'
import { reservedNamespaces } from '../validate/report.js'
import { offHow, pluginsDisabled, pluginsOffNotice, policySeverities, quoted, requiredPlugins, type PluginsOff, UNKNOWN_RULE_INFO } from '../validate/policy.js'
import { runPipeline, startPlugins } from '../validate/pipeline.js'
import { installedIntegrity, PLUGIN_PIN_INFO } from '../validate/pins.js'
import { RULE_CONFIG_INFO } from '../validate/rule-config.js'
import { findRoot } from '../workspace/root.js'
import { gitLeftOut } from '../git/left-out.js'
import { IndexBlobIds } from '../git/blob-ids.js'
import { snapshotCommitFiles, type GateSnapshot } from '../git/gate-snapshot.js'
import { declaredHooks } from './plugin-trust.js'
import { SsmdError } from '../core/errors.js'
import { formatText } from './findings-format.js'
import { readInParallel } from '../validate/parallel-read.js'
import type { RulePack } from '../validate/checks.js'
import type { Finding, RuleInfo } from '../validate/types.js'

export { pluginsDisabled, pluginsOffNotice, policySeverities, reservedNamespaces, type PluginsOff }

export interface ValidationSummary {
  errors: number
  warnings: number
  infos: number
  files: number
  files_with_errors: number
  /** Each plugin that ran: package, rule pack, rule count, wall-clock ms, ok | failed. Empty with --no-plugins. */
  plugins: PluginRun[]
  /** Present when plugins were turned off: how, and the plugins ssmd.yaml requires whose rules therefore did not run. */
  plugins_off?: PluginsOff
}

export interface ValidationResult {
  root: string
  findings: Finding[]
  summary: ValidationSummary
  /** Every document checked (root-relative), for per-file output. */
  files: string[]
  rules: RuleInfo[]
  /** What the validation cache did in this run (absent with --no-cache). */
  cache?: CacheReport
  /** Feeds and environments read and checked by a second thread (absent when none was started, see parallel-read.ts). */
  parallel?: { worker: number; here: number }
}

/** How much of a run came from the validation cache (`validate -v`). */
export interface CacheReport {
  strategy: CacheStrategy
  /** The cache folder: root-relative when inside the root, else absolute. */
  location: string
  /** Files whose stat data proved them unchanged (nothing read). */
  hits: number
  /** Files whose stat data are the ones git's index holds with the entry's blob id: unchanged, nothing read. */
  index: number
  /** Files read and found unchanged by content (stat data differed, were racy, or were not trusted). */
  content: number
  /** Files read and checked anew. */
  misses: number
  /** Definition files whose hash and parse came from the cache. */
  definitions: number
}

/** How plugins were turned off, if they were. */
export function pluginsOffBy(flag?: boolean, env: NodeJS.ProcessEnv = process.env): PluginsOff['by'] | undefined {
  if (flag === false) return '--no-plugins'
  return pluginsDisabled(undefined, env) ? 'SSMD_NO_PLUGINS' : undefined
}

/** Plugins are off and ssmd.yaml of the repository at `root` requires some: which, and how they were turned off. */
export function requiredPluginsOff(root: string, flag?: boolean): PluginsOff | undefined {
  const by = pluginsOffBy(flag)
  if (by === undefined) return undefined
  const required = requiredPlugins(new Workspace(root))
  return required.length > 0 ? { by, required } : undefined
}

/** What `commit` and `deploy` say when plugins ssmd.yaml requires are turned off: they do not run. */
export function requiredPluginsOffError(command: string, off: PluginsOff, bypass?: string): SsmdError {
  const how = off.by === '--no-plugins' ? 'drop --no-plugins' : 'unset SSMD_NO_PLUGINS'
  return new SsmdError(
    `${command} refused: ssmd.yaml requires ${quoted(off.required)}, but plugins are turned off (${offHow(off)}); ${how} to run them${bypass ? `, or ${bypass}` : ''}`,
    { code: 'invalid' },
  )
}

/** Installed plugins (from oclif's config) that declare a `validate` hook, ssmd itself excluded. */
export function validationPlugins(config: Config): InstalledPlugin[] {
  const out: InstalledPlugin[] = []
  const integrity = installedIntegrity(config.dataDir)
  for (const p of config.plugins.values()) {
    if (p.isRoot || p.root === config.root) continue
    // What the package declares: ssmd never lets oclif run a user plugin's hooks (see plugin-trust.ts).
    const hooks = declaredHooks(p).validate ?? []
    if (hooks.length > 0)
      out.push({
        name: p.name,
        version: p.version,
        ...(p.type === 'user' && integrity.has(p.name) ? { integrity: integrity.get(p.name) } : {}),
        root: p.root,
        hooks: hooks.map(h => ({ target: h.target, identifier: h.identifier })),
      })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * The light start's config (LightConfig, src/lib/cli/light-start.ts), which a
 * command marked `lightStart` gets instead of oclif's: no plugin objects, only
 * the names of ssmd and its core plugins, none of which but ssmd has rules.
 */
interface LightPlugins {
  light: true
  pluginNames: readonly string[]
}

function isLight(config: object): config is LightPlugins {
  return (config as Partial<LightPlugins>).light === true
}

/** ssmd's own rule pack: its `validate` hook, loaded in this process (built-in rules are trusted and run first). */
export async function builtinSources(config: Config): Promise<PackSource[]> {
  if (isLight(config)) {
    // The module package.json declares as ssmd's validate hook (test/e2e/light-start.test.ts holds them to each other),
    // this process's copy of it: in the light start's bundle, the bundled one, so no rule module loads twice.
    try {
      return [{ plugin: 'ssmd', result: await (await import('../../hooks/validate/builtin.js')).default() }]
    } catch (error) {
      return [{ plugin: 'ssmd', error }]
    }
  }
  const root = [...config.plugins.values()].find(p => p.isRoot) ?? config.plugins.get(config.name)
  const sources: PackSource[] = []
  for (const hook of (root?.hooks as Record<string, Array<{ target: string; identifier: string }> | undefined> | undefined)?.validate ?? []) {
    try {
      const mod = (await ModuleLoader.load(root!, hook.target)) as Record<string, unknown>
      const fn = (mod[hook.identifier] ?? mod.default) as ((o: unknown) => unknown) | undefined
      if (typeof fn !== 'function') throw new Error(`${hook.target} exports no hook function`)
      sources.push({ plugin: 'ssmd', result: await fn({ config }) })
    } catch (error) {
      sources.push({ plugin: 'ssmd', error })
    }
  }
  return sources
}

/** A pack with its check functions removed: declaring its rules runs nothing. */
function declarationsOnly(source: PackSource): PackSource {
  const pack = source.result as RulePack | undefined
  if (source.error !== undefined || pack === null || typeof pack !== 'object' || pack.rules === null || typeof pack.rules !== 'object') return source
  const rules: Record<string, unknown> = {}
  for (const [id, rule] of Object.entries(pack.rules)) {
    rules[id] = rule !== null && typeof rule === 'object' ? Object.fromEntries(Object.entries(rule).filter(([, v]) => typeof v !== 'function')) : rule
  }
  return { plugin: source.plugin, result: { ...pack, rules } }
}

export interface RuleCatalogue {
  rules: RuleInfo[]
  /** plugin/failed findings of plugins whose declarations could not be read. */
  failures: Finding[]
  plugins: PluginRun[]
}

/** The plugins a validation runs in their own processes: none when turned off, or on the light start (no user plugin is installed then). */
function pluginsToRun(config: Config, disabled: boolean): InstalledPlugin[] {
  return disabled || isLight(config) ? [] : validationPlugins(config)
}

/** The installed plugins' names, as oclif lists them (the light start's config holds the same list: ssmd and its core plugins). */
function installedPluginNames(config: Config): string[] {
  return isLight(config) ? [...config.pluginNames] : [...config.plugins.keys()]
}

/** What validation before a deploy needs: ssmd's own packs (in-process), the plugins to run in their own processes, the installed plugins' names. */
export async function validationSetup(config: Config): Promise<{ packs: PackSource[]; plugins: InstalledPlugin[]; installedPlugins: string[] }> {
  return { packs: await builtinSources(config), plugins: pluginsToRun(config, pluginsDisabled()), installedPlugins: installedPluginNames(config) }
}

/** Every rule, built-in and from plugins, from their declarations only: no check runs. */
export async function ruleCatalogue(config: Config, options: { root?: string; plugins?: boolean } = {}): Promise<RuleCatalogue> {
  const plugins = pluginsToRun(config, pluginsDisabled(options.plugins))
  const session = new PluginSession(plugins, { root: options.root, mode: 'declare' })
  const builtin = await builtinSources(config)
  const empty = new Workspace(options.root ?? config.root)
  const base = await runRules(empty, builtin.map(declarationsOnly))
  const outcomes = await session.finish({ reserved: reservedNamespaces(base.rules) })
  const declared = await runRules(
    empty,
    outcomes.flatMap(o => (o.declared ? [o.declared] : [])),
  )
  const failures = [...base.findings, ...declared.findings, ...outcomes.flatMap(o => (o.failure !== undefined ? [pluginFailedFinding(o.run.name, o.failure)] : []))]
  return { rules: [...base.rules, ...declared.rules], failures, plugins: outcomes.map(o => o.run) }
}

/** One rule as `ssmd rules list` and `ssmd rules show` present it (snake_case: it is their JSON). */
export interface RuleListItem {
  id: string
  plugin: string
  default_severity: string
  /** The effective severity: ssmd.yaml's setting, else the default. */
  severity: string
  description: string
  /** Documentation URL, when the rule declares one (built-in rules: `ssmd rules show <id>`). */
  docs?: string
}

/**
 * Every rule, built-in (with plugin/failed and policy/unknown-rule, which the
 * engine and the policy check report) and from plugins, ssmd's first, by id;
 * with the severities of the ssmd.yaml of the repository around `startDir`,
 * if any (outside a repository the defaults are still worth showing).
 */
export async function ruleItems(config: Config, startDir: string, plugins: boolean): Promise<{ items: RuleListItem[]; failures: Finding[] }> {
  let policy: Record<string, string> = {}
  let root: string | undefined
  try {
    root = findRoot(startDir)
    policy = policySeverities(new Workspace(root))
  } catch {
    /* no repository: default severities */
  }
  const { rules, failures } = await ruleCatalogue(config, { root, plugins })
  const items: RuleListItem[] = [...rules, PLUGIN_FAILED, UNKNOWN_RULE_INFO, PLUGIN_PIN_INFO, RULE_CONFIG_INFO].map(r => ({
    id: r.id,
    plugin: r.plugin,
    default_severity: r.defaultSeverity,
    // plugin/failed cannot be tuned: a failing plugin is always an error.
    severity: r.id === PLUGIN_FAILED.id ? r.defaultSeverity : (policy[r.id] ?? r.defaultSeverity),
    description: r.description,
    ...(r.docs ? { docs: r.docs } : {}),
  }))
  items.sort((a, b) => Number(a.plugin !== 'ssmd') - Number(b.plugin !== 'ssmd') || a.id.localeCompare(b.id))
  return { items, failures }
}

export interface ValidateOptions {
  /** Use and refresh the validation cache in .ssmd/cache (default true). */
  cache?: boolean
  /** How the cache decides an entry still describes its file (default `metadata`). */
  cacheStrategy?: CacheStrategy
  /** --cache-location as given (else SSMD_CACHE_LOCATION, else .ssmd/cache); see cacheLocation. */
  cacheLocation?: string
  /** Run installed plugins (default true; SSMD_NO_PLUGINS=1 also turns them off). */
  plugins?: boolean
  /** Called after each built-in rule (for a progress display). */
  onProgress?: (done: number, total: number) => void
}

/** Validates the whole repository: built-in rules in this process, each plugin in its own sandboxed process. */
export async function validateRepository(config: Config, root: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const disabled = pluginsDisabled(options.plugins)
  const plugins = pluginsToRun(config, disabled)
  const cache =
    options.cache === false
      ? undefined
      : new DocumentCache(root, {
          keepData: plugins.length > 0,
          strategy: options.cacheStrategy,
          location: cacheLocation(root, options.cacheLocation),
          blobIds: () => IndexBlobIds.open(root),
        })
  // Children start now: their start-up overlaps reading the repository and the built-in rules. A plugin whose
  // result the cache holds starts only if the documents turn out changed (see PluginSession.send).
  const session = startPlugins(plugins, root, cache ? pluginResults(cache) : undefined)
  // Files git would not commit (ignored, untracked) are not the gate's: the same rule as ssmd diff and commit.
  const ws = new Workspace(root, { cache, leftOut: gitLeftOut(root) })
  boundHeapGrowth(ws.documents.length)
  // On a second core, a worker reads and checks part of the feeds and environments (a cold run's most work).
  const parallel = readInParallel(ws, { plugins: plugins.length })
  const definitions = definitionCache(ws)
  let run: Awaited<ReturnType<typeof runPipeline>>
  try {
    run = await runPipeline(ws, session, {
      packs: await builtinSources(config),
      plugins,
      installedPlugins: installedPluginNames(config),
      pluginsOff: disabled,
      onProgress: options.onProgress,
      // Memory: a large repository is never held whole (documents' data, definitions' models).
      releaseData: true,
      afterDocument: doc => {
        if (doc.kind === 'schema') definitions.release(doc as SchemaDocument)
      },
      schemasFirst: parallel !== undefined,
    })
  } finally {
    parallel?.stop()
  }
  const { findings, rules, outcomes } = run
  // After the plugins: the cache also keeps their file-scoped findings.
  cache?.save()
  const files = ws.documents.map(d => d.file)
  // Files that are not documents count where they have findings (an unrecognised file, a secret in a kept one).
  const others = new Set(ws.otherFiles.map(f => f.path))
  for (const file of new Set(findings.map(f => f.file))) if (others.has(file)) files.push(file)
  const by = pluginsOffBy(options.plugins)
  const off = by === undefined ? {} : { plugins_off: { by, required: requiredPlugins(ws) } }
  const summary = { ...summarize(findings, files.length), plugins: outcomes.map(o => o.run), ...off }
  return {
    root,
    findings,
    files,
    rules,
    summary,
    ...(cache ? { cache: cacheReport(cache, definitions.reused) } : {}),
    ...(parallel ? { parallel: { ...parallel.counts } } : {}),
  }
}

/** Plugins' whole results, kept in the validation cache next to the documents they were computed from. */
export function pluginResults(cache: DocumentCache): PluginResults {
  const table = cache.table('plugin-results')
  return { get: name => table.get(name), set: (name, value) => table.set(name, value), contentDigest: file => cache.contentDigest(file) }
}

function cacheReport(cache: DocumentCache, definitions: number): CacheReport {
  const { hits, verified, content, indexed, misses } = cache.stats
  const location = cache.dir === cacheDir(cache.root) ? '.ssmd/cache' : portablePath(cache.root, cache.dir)
  return { strategy: cache.strategy, location, hits, index: indexed, content: content + verified, misses, definitions }
}

export function summarize(findings: Finding[], files: number): Omit<ValidationSummary, 'plugins'> {
  const withErrors = new Set(findings.filter(f => f.severity === 'error').map(f => f.file))
  return {
    errors: findings.filter(f => f.severity === 'error').length,
    warnings: findings.filter(f => f.severity === 'warning').length,
    infos: findings.filter(f => f.severity === 'info').length,
    files,
    files_with_errors: withErrors.size,
  }
}

/** Keeps only findings in the given files or folders (paths as the user typed them, relative to cwd). */
export function filterByPaths(result: ValidationResult, paths: string[], cwd = process.cwd()): ValidationResult {
  if (paths.length === 0) return result
  const prefixes = paths.map(p => relative(result.root, resolve(cwd, p)).split(sep).join('/'))
  const inside = (file: string) => prefixes.some(p => p === '' || file === p || file.startsWith(p.endsWith('/') ? p : `${p}/`))
  const findings = result.findings.filter(f => inside(f.file) || f.file === '')
  const files = result.files.filter(inside)
  const { plugins, plugins_off } = result.summary
  return { ...result, findings, files, summary: { ...summarize(findings, files.length), plugins, ...(plugins_off ? { plugins_off } : {}) } }
}

/** What `ssmd commit` runs before committing. */
export async function validateForCommit(
  config: Config,
  root: string,
  options: Pick<ValidateOptions, 'cache' | 'cacheStrategy' | 'cacheLocation'> & { cwd?: string } = {},
): Promise<{ errors: number; warnings: number; report: string; findings: Finding[]; summary: ValidationSummary; checked: GateSnapshot }> {
  // Before anything is read: the commit then takes exactly these files, unchanged since, or refuses (see gate-snapshot.ts).
  const checked = await snapshotCommitFiles(root, { cwd: options.cwd })
  const result = await validateRepository(config, root, options)
  return {
    checked,
    errors: result.summary.errors,
    warnings: result.summary.warnings,
    report: formatText(result, { color: false, onlyProblems: true }),
    findings: result.findings,
    summary: result.summary,
  }
}
