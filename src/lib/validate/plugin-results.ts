/*
 * What is kept of a plugin's runs between validations (sealed code given the
 * same inputs answers the same): its whole result, keyed by the installation
 * (name, version, integrity) and by every input of its run (documents by
 * content digest, root, date, options, rule settings, installed plugins), and
 * the findings of its file-scoped rules per document. A linked folder (no
 * recorded integrity) is never kept: its code may change under one version.
 */
import { createHash } from 'node:crypto'
import type { Workspace } from '../workspace/workspace.js'
import type { PackSource, PolicySeverity } from './engine.js'
import type { PluginOutcome, PluginRun } from './plugin-answers.js'
import type { Finding } from './types.js'
import type { InstalledPlugin } from './installed-plugin.js'

/**
 * Where a plugin's whole result is kept between runs (the validation cache):
 * one entry per plugin name, and each document's content digest, which the
 * key of a result is made of.
 */
export interface PluginResults {
  get(plugin: string): unknown
  set(plugin: string, value: unknown): void
  /** SHA-256 of the content a document was read from; undefined when it was not read through the cache. */
  contentDigest(file: string): Uint8Array | undefined
}

/** A plugin's whole result as the validation cache keeps it. */
export interface StoredResult {
  /** Which plugin made it (name, version, integrity): the result of another installation is not looked at. */
  identity: string
  /** Everything else the plugin's run depended on (see resultKey). */
  key: string
  /** Its declarations as it sent them, for the check that no two packages claim one namespace. */
  declared: unknown
  outcome: { run: PluginRun; declared?: PackSource; findings: Finding[] }
}

/** The plugin's clock: the start (00:00 UTC) of the day validation runs on, the same for every rule and every call. */
export function validationDate(at = Date.now()): number {
  return at - (((at % 86400000) + 86400000) % 86400000)
}

/** Which installation of a plugin: its name, version and the integrity npm recorded (none for a linked folder). */
export function identityOf(plugin: InstalledPlugin): string {
  return createHash('sha256')
    .update(JSON.stringify([plugin.name, plugin.version, plugin.integrity ?? null]))
    .digest('base64url')
}

/** The cache's result of this very installation of the plugin, when it holds one (never for a linked folder, whose code may change under the same version). */
export function storedResult(results: PluginResults | undefined, plugin: InstalledPlugin): StoredResult | undefined {
  if (results === undefined || plugin.integrity === undefined) return undefined
  const v = results.get(plugin.name) as Partial<StoredResult> | undefined
  if (v === null || typeof v !== 'object' || v.identity !== identityOf(plugin) || typeof v.key !== 'string') return undefined
  const o = v.outcome
  if (o === null || typeof o !== 'object' || !Array.isArray(o.findings) || o.run === null || typeof o.run !== 'object') return undefined
  return v as StoredResult
}

/**
 * One digest of every document the plugins are given: its kind, name, path
 * and content digest, in order. Undefined when a document was not read
 * through the cache (it has no content digest): then nothing is kept.
 */
export function documentsDigest(ws: Workspace, results: PluginResults): string | undefined {
  const hash = createHash('sha256')
  for (const d of ws.documents) {
    // Asking reads a deferred document (through the cache); a refused one (not read at all) has no digest.
    if (d.refused) return undefined
    const digest = results.contentDigest(d.file)
    if (digest === undefined) return undefined
    hash.update(`${d.kind}\0${d.name}\0${d.file}\0`).update(digest)
  }
  return hash.digest('base64url')
}

/**
 * The key of a plugin's whole result: everything its sealed run depends on
 * besides its own code (identityOf) — the documents (documentsDigest), the
 * repository's root (it is given to the plugin), the validation date (its
 * clock), the options ssmd.yaml gives its rules, the rule settings (they set
 * the findings' severities and the rules that are off) and the installed
 * plugins' names (it is given them).
 */
export function resultKey(
  plugin: InstalledPlugin,
  inputs: { root: string; now: number; options: RuleOptionValues; policy: Record<string, PolicySeverity>; off: string[]; installedPlugins: string[]; documents: string },
): string {
  const policy = Object.entries(inputs.policy).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256')
    .update(JSON.stringify([identityOf(plugin), inputs.root, inputs.now, inputs.options, policy, [...inputs.off].sort(), inputs.installedPlugins, inputs.documents]))
    .digest('base64url')
}

/** The options ssmd.yaml gives plugin rules: the base value by rule, and by rule and file where an override gives another. */
export interface RuleOptionValues {
  base: Record<string, unknown>
  byFile: Record<string, Record<string, unknown>>
}

/** What the validation cache keeps of one plugin's file-scoped rules for one document. */
export interface CachedFindings {
  key: string
  findings: Finding[]
}

export const memoKey = (plugin: InstalledPlugin) => `plugin:${plugin.name}`

/**
 * The cache key of each document's findings by the plugin's file-scoped rules
 * (meta.scope: 'file'): the plugin's name, version and integrity, the options
 * its rules get for that file and the rule settings. The document's memo lives
 * as long as its content is unchanged (see DocumentCache), so the key needs no
 * hash of the content. A plugin without a recorded integrity (a linked folder)
 * is never cached: its code may have changed under the same version.
 */
export function cacheKeys(plugin: InstalledPlugin, ws: Workspace, options: RuleOptionValues, policy: Record<string, PolicySeverity>): string[] | undefined {
  if (plugin.integrity === undefined) return undefined
  const base = createHash('sha256').update(JSON.stringify([plugin.name, plugin.version, plugin.integrity, options.base, Object.entries(policy).sort()]))
  const perFile = Object.entries(options.byFile)
  const shared = base.copy().digest('base64url')
  return ws.documents.map(d => {
    const own = perFile.filter(([, files]) => Object.prototype.hasOwnProperty.call(files, d.file)).map(([id, files]) => [id, files[d.file]])
    return own.length === 0 ? shared : base.copy().update(JSON.stringify(own)).digest('base64url')
  })
}

/**
 * Adds the cached findings of the documents the plugin's file-scoped rules
 * skipped, and remembers the findings of the ones they checked (only when the
 * plugin ran without failing: a failed run's findings are incomplete).
 */
export function withCache(plugin: InstalledPlugin, outcome: PluginOutcome, ws: Workspace, keys: string[]): void {
  const pack = outcome.declared?.result as { rules?: Record<string, { meta?: { scope?: unknown } }> } | undefined
  const fileScoped = new Set(Object.entries(pack?.rules ?? {}).flatMap(([id, r]) => (r?.meta?.scope === 'file' ? [id] : [])))
  if (fileScoped.size === 0) return
  const byFile = new Map<string, Finding[]>()
  for (const f of outcome.findings) if (fileScoped.has(f.rule)) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f])
  const key = memoKey(plugin)
  ws.documents.forEach((doc, i) => {
    const cached = doc.memo[key] as CachedFindings | undefined
    if (cached?.key === keys[i]) outcome.findings.push(...cached.findings)
    else if (outcome.failure === undefined) doc.remember(key, { key: keys[i], findings: byFile.get(doc.file) ?? [] } satisfies CachedFindings)
  })
}
