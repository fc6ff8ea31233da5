/*
 * The rule settings of a repository, as ESLint resolves its own: the presets
 * ssmd.yaml `extends` (in order), then its `rules`, then each `overrides`
 * entry whose `files` match the file a finding is in (later entries win). A
 * setting is a severity, or `[severity, options]`; an override or a later
 * setting that gives only a severity keeps the options set before it.
 *
 * Presets are data, never code: a YAML file of the repository
 * (`extends: [policies/team.yaml]`) or a YAML file an installed plugin
 * package declares in its package.json (`"ssmd": { "presets": { "recommended":
 * "./presets/recommended.yaml" } }`, used as `extends: [<package>/recommended]`).
 * Resolving them runs no plugin code. A preset holds `rules` and `overrides`
 * (not `extends`: presets do not chain, so what a repository's policy is stays
 * readable from two files).
 */
import { readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { Ajv2020 as Ajv2020Class } from 'ajv/dist/2020.js'
import { wildmatch, WM_PATHNAME } from '../git/wildmatch.js'
import { parseYamlBytes } from '../yaml/read.js'
import { SourceLocator } from '../yaml/locate.js'
import type { Workspace } from '../workspace/workspace.js'
import type { PolicySeverity } from './engine.js'
import type { Finding, RuleInfo, Severity } from './types.js'

export const RULE_CONFIG = 'policy/rule-config'
export const RULE_CONFIG_INFO: RuleInfo = {
  id: RULE_CONFIG,
  plugin: 'ssmd',
  description: "ssmd.yaml's rule settings apply: each preset it extends exists, each rule's options match the schema the rule declares.",
  defaultSeverity: 'error',
}

const SEVERITY_WORDS: readonly string[] = ['error', 'warning', 'info', 'off']

/** Where a setting was written: a repository file and a JSON Pointer in it. */
export interface Origin {
  file: string
  pointer: string
  locate(pointer: string, at?: 'key' | 'value'): { line: number; column: number }
}

export interface Setting {
  severity?: PolicySeverity
  /** Present when the setting gives options (`[severity, options]`). */
  options?: { value: unknown; origin: Origin }
}

interface Override {
  patterns: string[]
  rules: Map<string, Setting>
}

/** A plugin package as the configuration needs it: where its presets are. */
export interface PresetPackage {
  name: string
  root: string
}

export interface RuleConfig {
  /** Settings for every file: presets, then ssmd.yaml's rules. */
  base: Map<string, Setting>
  overrides: Override[]
  /** What could not be resolved: each becomes a policy/rule-config finding. */
  problems: Finding[]
}

const locatorOf = (file: string, text: string): Origin['locate'] => {
  const locator = new SourceLocator(text)
  return (pointer, at) => locator.locate(pointer, at)
}
const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')
const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

function problem(origin: Origin, pointer: string, message: string, at: 'key' | 'value' = 'value'): Finding {
  const pos = origin.locate(pointer, at)
  return { rule: RULE_CONFIG, severity: 'error', message, file: origin.file, line: pos.line, column: pos.column, path: pointer, plugin: 'ssmd' }
}

/** One `rules:` mapping; malformed values are the JSON Schema contract's to report in ssmd.yaml, and a problem in a preset. */
function readRules(value: unknown, origin: Origin, pointer: string, problems: Finding[], isPreset: boolean): Map<string, Setting> {
  const out = new Map<string, Setting>()
  if (!isMapping(value)) {
    if (value !== undefined && isPreset) problems.push(problem(origin, pointer, `'rules' must be a mapping of rule id to severity or [severity, options]`))
    return out
  }
  for (const [id, v] of Object.entries(value)) {
    const at = `${pointer}/${escape(id)}`
    if (typeof v === 'string' && SEVERITY_WORDS.includes(v)) out.set(id, { severity: v as PolicySeverity })
    else if (Array.isArray(v) && v.length >= 1 && v.length <= 2 && typeof v[0] === 'string' && SEVERITY_WORDS.includes(v[0]))
      out.set(id, { severity: v[0] as PolicySeverity, ...(v.length === 2 ? { options: { value: v[1], origin: { ...origin, pointer: `${at}/1` } } } : {}) })
    else if (isPreset) problems.push(problem(origin, at, `rule '${id}' must be set to error, warning, info or off, or to [severity, options]`))
  }
  return out
}

function readOverrides(value: unknown, origin: Origin, pointer: string, problems: Finding[], isPreset: boolean): Override[] {
  if (!Array.isArray(value)) {
    if (value !== undefined && isPreset) problems.push(problem(origin, pointer, "'overrides' must be a list of { files, rules }"))
    return []
  }
  const out: Override[] = []
  value.forEach((entry, i) => {
    const at = `${pointer}/${i}`
    const files = isMapping(entry) ? entry.files : undefined
    const patterns = Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string' && f !== '') : typeof files === 'string' && files !== '' ? [files] : []
    if (patterns.length === 0) {
      if (isPreset) problems.push(problem(origin, at, "an override needs 'files': the patterns of the files it applies to"))
      return
    }
    out.push({ patterns, rules: readRules(isMapping(entry) ? entry.rules : undefined, origin, `${at}/rules`, problems, isPreset) })
  })
  return out
}

function merge(into: Map<string, Setting>, from: Map<string, Setting>): void {
  for (const [id, s] of from) {
    const before = into.get(id)
    into.set(id, { ...before, ...s, ...(s.options === undefined && before?.options !== undefined ? { options: before.options } : {}) })
  }
}

/** A preset named in `extends:`: its text and the file problems in it are reported in (repository files only). */
function loadPreset(spec: string, root: string, packages: readonly PresetPackage[]): { text: string; file?: string; label: string } | { error: string } {
  if (spec.endsWith('.yaml') || spec.endsWith('.yml')) {
    if (isAbsolute(spec) || spec.split(/[\\/]/).includes('..'))
      return { error: `preset '${spec}' is outside the repository; give a path relative to ssmd.yaml, inside the repository` }
    const abs = resolve(root, spec)
    let real: string
    try {
      real = realpathSync(abs)
    } catch {
      return { error: `preset file '${spec}' does not exist` }
    }
    const realRoot = realpathSync(root)
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return { error: `preset '${spec}' is a link to outside the repository` }
    return { text: readFileSync(real, 'utf8'), file: relative(root, abs).split(sep).join('/'), label: spec }
  }
  const slash = spec.lastIndexOf('/')
  const pkgName = slash > 0 ? spec.slice(0, slash) : ''
  const preset = spec.slice(slash + 1)
  if (pkgName === '' || preset === '')
    return { error: `extends entry '${spec}' is neither a YAML file of the repository (policies/team.yaml) nor a plugin preset (<package>/<preset>)` }
  const pkg = packages.find(p => p.name === pkgName)
  if (!pkg) return { error: `preset '${spec}' comes from plugin '${pkgName}', which is not installed; run 'ssmd plugins install'` }
  let manifest: { ssmd?: { presets?: Record<string, unknown> } }
  try {
    manifest = JSON.parse(readFileSync(join(pkg.root, 'package.json'), 'utf8')) as typeof manifest
  } catch {
    return { error: `plugin '${pkgName}' has no readable package.json` }
  }
  const presets = isMapping(manifest.ssmd?.presets) ? manifest.ssmd.presets : {}
  const path = presets[preset]
  if (typeof path !== 'string') {
    const names = Object.keys(presets)
    return { error: `plugin '${pkgName}' has no preset '${preset}' (${names.length > 0 ? `its presets: ${names.join(', ')}` : 'it declares none'})` }
  }
  const abs = resolve(pkg.root, path)
  if (relative(pkg.root, abs).startsWith('..')) return { error: `plugin '${pkgName}' declares preset '${preset}' outside its own folder` }
  try {
    return { text: readFileSync(abs, 'utf8'), label: spec }
  } catch {
    return { error: `plugin '${pkgName}' declares preset '${preset}' in ${path}, which cannot be read` }
  }
}

/** Resolves the rule settings of the repository in `ws` (its ssmd.yaml, and the presets it extends). */
export function ruleConfig(ws: Workspace, packages: readonly PresetPackage[]): RuleConfig {
  const config: RuleConfig = { base: new Map(), overrides: [], problems: [] }
  const doc = ws.policy
  if (!doc || !isMapping(doc.data)) return config
  const own: Origin = { file: doc.file, pointer: '', locate: (p, at) => doc.locate(p, at) }
  const extendsList = Array.isArray(doc.data.extends) ? doc.data.extends : []
  extendsList.forEach((spec, i) => {
    if (typeof spec !== 'string') return
    const loaded = loadPreset(spec, ws.root, packages)
    if ('error' in loaded) {
      config.problems.push(problem(own, `/extends/${i}`, loaded.error))
      return
    }
    // A plugin's preset is outside the repository: its problems are located at the extends entry.
    const origin: Origin = loaded.file
      ? { file: loaded.file, pointer: '', locate: locatorOf(loaded.file, loaded.text) }
      : { file: doc.file, pointer: `/extends/${i}`, locate: () => doc.locate(`/extends/${i}`) }
    const parsed = parseYamlBytes(Buffer.from(loaded.text))
    if (parsed.problem || !isMapping(parsed.data)) {
      config.problems.push(
        problem(origin, '', `preset '${loaded.label}' ${parsed.problem ? `is not valid YAML: ${parsed.problem.message}` : 'is not a mapping of rules and overrides'}`),
      )
      return
    }
    for (const key of Object.keys(parsed.data)) {
      if (key !== 'rules' && key !== 'overrides')
        config.problems.push(problem(origin, `/${escape(key)}`, `preset '${loaded.label}' sets '${key}'; a preset holds only rules and overrides`, 'key'))
    }
    merge(config.base, readRules(parsed.data.rules, origin, '/rules', config.problems, true))
    config.overrides.push(...readOverrides(parsed.data.overrides, origin, '/overrides', config.problems, true))
  })
  merge(config.base, readRules(doc.data.rules, own, '/rules', config.problems, false))
  config.overrides.push(...readOverrides(doc.data.overrides, own, '/overrides', config.problems, false))
  return config
}

/** An override pattern against a repository-relative path: git's wildmatch; a pattern without '/' matches the file name in any folder, as in .gitignore. */
export function matchesFile(pattern: string, file: string): boolean {
  const p = pattern.startsWith('/') ? pattern.slice(1) : pattern
  if (!pattern.includes('/')) return wildmatch(p, file.slice(file.lastIndexOf('/') + 1), WM_PATHNAME)
  return wildmatch(p, file, WM_PATHNAME)
}

/** The setting of rule `id` for `file` ('' for findings in no file: the base setting). */
export function settingFor(config: RuleConfig, id: string, file: string): Setting | undefined {
  let s = config.base.get(id)
  if (file === '') return s
  for (const o of config.overrides) {
    const here = o.rules.get(id)
    if (here === undefined || !o.patterns.some(p => matchesFile(p, file))) continue
    s = { ...s, ...here, ...(here.options === undefined && s?.options !== undefined ? { options: s.options } : {}) }
  }
  return s
}

/**
 * The severities the rule runners start from: each rule's base severity,
 * except that a rule off in the base but on in an override runs (its findings
 * outside the override's files are dropped by applyConfig).
 */
export function runnerPolicy(config: RuleConfig): Record<string, PolicySeverity> {
  const out: Record<string, PolicySeverity> = {}
  for (const [id, s] of config.base) {
    if (s.severity === undefined) continue
    if (s.severity === 'off' && config.overrides.some(o => (o.rules.get(id)?.severity ?? 'off') !== 'off')) continue
    out[id] = s.severity
  }
  return out
}

/** The options handed to plugin rules: per rule, the base value and, by file, the value overrides give. */
export interface RuleOptions {
  base: Record<string, unknown>
  byFile: Record<string, Record<string, unknown>>
}

export function ruleOptions(config: RuleConfig, files: readonly string[]): RuleOptions {
  const base: Record<string, unknown> = {}
  const byFile: Record<string, Record<string, unknown>> = {}
  for (const [id, s] of config.base) if (s.options !== undefined) base[id] = s.options.value
  const ids = new Set(config.overrides.flatMap(o => [...o.rules].filter(([, s]) => s.options !== undefined).map(([id]) => id)))
  for (const id of ids) {
    for (const file of files) {
      const s = settingFor(config, id, file)
      if (s?.options !== undefined && s.options.value !== base[id]) (byFile[id] ??= {})[file] = s.options.value
    }
  }
  return { base, byFile }
}

/** Findings under the effective settings of their files: switched off, or at the severity the settings give. */
export function applyConfig(findings: Finding[], config: RuleConfig): Finding[] {
  if (config.overrides.length === 0 && ![...config.base.values()].some(s => s.severity === 'off')) return findings
  const out: Finding[] = []
  for (const f of findings) {
    if (f.rule === 'plugin/failed') {
      out.push(f)
      continue
    }
    const severity = settingFor(config, f.rule, f.file)?.severity
    if (severity === 'off') continue
    out.push(severity === undefined || severity === f.severity ? f : { ...f, severity: severity as Severity })
  }
  return out
}

/** The JSON Schema of each rule's options, by rule id (rules that declare one). */
export type OptionSchemas = ReadonlyMap<string, Record<string, unknown>>

/**
 * Checks every option value set (base, presets, overrides) against the
 * schema its rule declares. Returns the problems and the rules whose options
 * are wrong (their findings are not reported: they ran with options they do
 * not take). Rules nobody declares are policy/unknown-rule's.
 */
export function optionProblems(config: RuleConfig, known: readonly RuleInfo[], schemas: OptionSchemas): { problems: Finding[]; invalid: Set<string> } {
  const problems: Finding[] = []
  const invalid = new Set<string>()
  const ids = new Set(known.map(r => r.id))
  let ajv: Ajv2020Class | undefined
  const compiled = new Map<string, ReturnType<Ajv2020Class['compile']> | string>()
  const settings = [...config.base, ...config.overrides.flatMap(o => [...o.rules])]
  for (const [id, s] of settings) {
    if (s.options === undefined || !ids.has(id)) continue
    const { value, origin } = s.options
    const schema = schemas.get(id)
    if (schema === undefined) {
      invalid.add(id)
      problems.push(problem(origin, origin.pointer, `rule '${id}' takes no options; set only its severity ('${id}: ${String(s.severity)}')`))
      continue
    }
    let validate = compiled.get(id)
    if (validate === undefined) {
      // Loaded only when a rule's options are set: importing ajv costs more than the rest of a one-environment validation.
      ajv ??= new (createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020({ allErrors: true, strict: false, validateFormats: false })
      try {
        validate = ajv.compile(schema)
      } catch (error) {
        validate = `rule '${id}' declares an options schema that is not valid JSON Schema (${(error as Error).message}); report this to the plugin's authors`
      }
      compiled.set(id, validate)
    }
    if (typeof validate === 'string') {
      invalid.add(id)
      problems.push(problem(origin, origin.pointer, validate))
      continue
    }
    if (validate(value)) continue
    invalid.add(id)
    const e = validate.errors?.[0]
    const at = `${origin.pointer}${e?.instancePath ?? ''}`
    const where = e && e.instancePath !== '' ? `option '${e.instancePath.slice(1).replace(/\//g, '.')}'` : 'the options'
    const detail =
      e?.keyword === 'additionalProperties'
        ? `has unknown key '${String(e.params.additionalProperty)}'`
        : e?.keyword === 'required'
          ? `need '${String(e.params.missingProperty)}'`
          : (e?.message ?? 'do not match')
    problems.push(problem(origin, at, `rule '${id}': ${where} ${detail} (its options schema: ${JSON.stringify(schema).slice(0, 200)})`))
  }
  return { problems, invalid }
}
