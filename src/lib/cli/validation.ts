import type { Config } from '@oclif/core'
import { relative, resolve, sep } from 'node:path'
import { DocumentCache } from '../workspace/cache.js'
import { Workspace } from '../workspace/workspace.js'
import { isObj } from '../validate/rules/util.js'
import { runRules, type PackSource, type PolicySeverity } from '../validate/engine.js'
import { formatText } from './findings-format.js'
import { numericEnv } from '../core/numbers.js'
import type { Finding, RuleInfo } from '../validate/types.js'

export interface ValidationSummary {
  errors: number
  warnings: number
  infos: number
  files: number
  filesWithErrors: number
}

export interface ValidationResult {
  root: string
  findings: Finding[]
  summary: ValidationSummary
  /** Every document checked (root-relative), for per-file output. */
  files: string[]
  rules: RuleInfo[]
}

/** Rule packs from every installed plugin's `validate` hook (ssmd's own first). */
export async function collectPacks(config: Config): Promise<PackSource[]> {
  const result = await config.runHook('validate' as never, {} as never, numericEnv('SSMD_PLUGIN_TIMEOUT_MS'), true)
  const sources: PackSource[] = []
  const answered = new Set<string>()
  for (const s of result.successes) {
    sources.push({ plugin: s.plugin.name, result: s.result })
    answered.add(s.plugin.name)
  }
  for (const f of result.failures) {
    sources.push({ plugin: f.plugin.name, error: f.error })
    answered.add(f.plugin.name)
  }
  // A plugin that declares the hook but exports no function would otherwise vanish silently.
  for (const p of config.plugins.values()) {
    if ((p.hooks as Record<string, unknown[]>).validate?.length && !answered.has(p.name)) {
      sources.push({ plugin: p.name, error: new Error('its validate hook exports no function') })
    }
  }
  return sources
}

export function policySeverities(ws: Workspace): Record<string, PolicySeverity> {
  const rules = ws.policy && isObj(ws.policy.data) ? ws.policy.data.rules : undefined
  const out: Record<string, PolicySeverity> = {}
  if (isObj(rules)) for (const [id, s] of Object.entries(rules)) if (s === 'error' || s === 'warning' || s === 'off' || s === 'info') out[id] = s
  return out
}

export interface ValidateOptions {
  /** Rule packs to run (default: every installed plugin's). */
  sources?: PackSource[]
  /** Use and refresh the validation cache in .ssmd/cache (default true). */
  cache?: boolean
}

/** Validates the whole repository with every installed rule pack. */
export async function validateRepository(config: Config, root: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const cache = options.cache === false ? undefined : new DocumentCache(root)
  const ws = new Workspace(root, undefined, { cache })
  const packs = options.sources ?? (await collectPacks(config))
  const { findings, rules } = await runRules(ws, packs, {
    policy: policySeverities(ws),
    installedPlugins: [...config.plugins.keys()],
  })
  cache?.save()
  const files = ws.documents.map(d => d.file)
  return { root, findings, files, rules, summary: summarize(findings, files.length) }
}

export function summarize(findings: Finding[], files: number): ValidationSummary {
  const withErrors = new Set(findings.filter(f => f.severity === 'error').map(f => f.file))
  return {
    errors: findings.filter(f => f.severity === 'error').length,
    warnings: findings.filter(f => f.severity === 'warning').length,
    infos: findings.filter(f => f.severity === 'info').length,
    files,
    filesWithErrors: withErrors.size,
  }
}

/** Keeps only findings in the given files or folders (paths as the user typed them, relative to cwd). */
export function filterByPaths(result: ValidationResult, paths: string[], cwd = process.cwd()): ValidationResult {
  if (paths.length === 0) return result
  const prefixes = paths.map(p => relative(result.root, resolve(cwd, p)).split(sep).join('/'))
  const inside = (file: string) => prefixes.some(p => p === '' || file === p || file.startsWith(p.endsWith('/') ? p : `${p}/`))
  const findings = result.findings.filter(f => inside(f.file) || f.file === '')
  const files = result.files.filter(inside)
  return { ...result, findings, files, summary: summarize(findings, files.length) }
}

/** What `ssmd commit` runs before committing. */
export async function validateForCommit(config: Config, root: string, options: { cache?: boolean } = {}): Promise<{ errors: number; warnings: number; report: string }> {
  const result = await validateRepository(config, root, options)
  return { errors: result.summary.errors, warnings: result.summary.warnings, report: formatText(result, { color: false, onlyProblems: true }) }
}
