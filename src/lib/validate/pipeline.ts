/*
 * The validation pipeline, once: what `ssmd validate` (and commit) run over
 * the repository and what env render and deploy run over the documents an
 * environment is made of. Built-in rules run in this process; each plugin in
 * its own sandboxed process, started before the documents are read (see
 * startPlugins) so that its start-up overlaps ssmd's own work. The rule
 * settings (ssmd.yaml, its presets and overrides), the plugins' options, the
 * pins and the checks of ssmd.yaml that need every rule are applied here.
 */
import { Workspace } from '../workspace/workspace.js'
import type { SsmdDocument } from '../workspace/document.js'
import { compareFindings, runRules, type PackSource } from './engine.js'
import { resolveMeta } from './meta.js'
import { PluginSession, pluginFailedFinding, type InstalledPlugin, type PluginOutcome, type PluginResults } from './plugins.js'
import { reservedNamespaces } from './report.js'
import { explainMissingPlugins, missingPlugins, unknownRuleFindings } from './policy.js'
import { LOCK_FILE, PLUGIN_PIN, pinFindings, readLock, type PluginLock } from './pins.js'
import { applyConfig, optionProblems, ruleConfig, ruleOptions, runnerPolicy } from './rule-config.js'
import type { RuleDefinition, RulePack } from './checks.js'
import type { Finding, RuleInfo } from './types.js'

/** Starts one sandboxed process per plugin for a validation of the repository at `root`; with `results`, a plugin's result on unchanged inputs is reused. */
export function startPlugins(plugins: readonly InstalledPlugin[], root: string, results?: PluginResults): PluginSession {
  return new PluginSession(plugins, { root, mode: 'run', results })
}

export interface PipelineInput {
  /** ssmd's own rule packs, run in this process. */
  packs: PackSource[]
  /** The plugins the session runs (their versions and integrity are checked against the pins). */
  plugins: readonly InstalledPlugin[]
  /** Names of every installed oclif plugin, for policy/plugin-missing. */
  installedPlugins: readonly string[]
  /** Plugins were turned off: rule ids outside ssmd's namespaces cannot be judged. */
  pluginsOff: boolean
  onProgress?: (done: number, total: number) => void
  /** Release each document's data once the rules that read one file at a time are done with it. */
  releaseData?: boolean
  afterDocument?: (doc: SsmdDocument) => void
  /** See EngineOptions.schemasFirst. */
  schemasFirst?: boolean
}

export interface PipelineResult {
  /** Every finding, under the rule settings of its file, sorted. */
  findings: Finding[]
  /** Every rule that took part: built-in, then the plugins'. */
  rules: RuleInfo[]
  outcomes: PluginOutcome[]
}

/** Runs every rule over `ws` with the plugins of `session` (started by startPlugins with the same plugins). */
export async function runPipeline(ws: Workspace, session: PluginSession, input: PipelineInput): Promise<PipelineResult> {
  const config = ruleConfig(ws, input.plugins)
  const policy = runnerPolicy(config)
  const installedPlugins = [...input.installedPlugins]
  const options = ruleOptions(
    config,
    ws.documents.map(d => d.file),
  )
  // The plugins take each document while ssmd's own rules that read one file at a time have it at hand.
  const intake = session.open(ws, { off: Object.keys(policy).filter(id => policy[id] === 'off'), installedPlugins, options, policy })
  const builtin = await runRules(ws, input.packs, {
    policy,
    installedPlugins,
    onProgress: input.onProgress,
    releaseData: input.releaseData,
    withData: doc => intake.add(doc),
    afterDocument: input.afterDocument,
    schemasFirst: input.schemasFirst,
  })
  await intake.close()
  const reserved = reservedNamespaces(builtin.rules)
  const outcomes = await session.finish({ ws, reserved, policy })
  const declaredPacks = outcomes.flatMap(o => (o.declared ? [o.declared] : []))
  const declared = await runRules(new Workspace(ws.root), declaredPacks)
  const rules = [...builtin.rules, ...declared.rules]

  // Options: checked against each rule's declared schema; a rule given options it does not take has no findings.
  const { problems, invalid } = optionProblems(config, rules, optionSchemas(declaredPacks))
  const packOwners = new Map(outcomes.flatMap(o => (o.run.pack ? o.run.pack.split(', ').map(p => [p, o.run.name] as [string, string]) : [])))
  const pluginFindings = outcomes.flatMap(o => {
    const own = o.findings.filter(f => !invalid.has(f.rule))
    return o.failure !== undefined ? [...own, pluginFailedFinding(o.run.name, o.failure)] : own
  })
  const findings = [
    ...explainMissingPlugins(builtin.findings, ws, packOwners),
    ...declared.findings,
    ...pluginFindings,
    ...unknownRuleFindings(ws, rules, {
      builtinNamespaces: reserved,
      pluginsComplete: !input.pluginsOff && outcomes.every(o => o.declared !== undefined || o.failure === undefined) && missingPlugins(ws, installedPlugins).length === 0,
      policy,
    }),
    ...config.problems,
    ...problems,
    ...(input.pluginsOff ? [] : pinCheck(ws, input.plugins)),
  ]
  return { findings: applyConfig(findings, config).sort(compareFindings), rules, outcomes }
}

/** Installed plugins against ssmd.yaml's pins and ssmd-plugins.lock. */
function pinCheck(ws: Workspace, plugins: readonly InstalledPlugin[]): Finding[] {
  let lock: PluginLock | undefined
  try {
    lock = readLock(ws.root)
  } catch (error) {
    return [{ rule: PLUGIN_PIN, severity: 'error', message: (error as Error).message, file: LOCK_FILE, line: 1, column: 1, path: '', plugin: 'ssmd' }]
  }
  return pinFindings(
    ws,
    plugins.map(p => ({ name: p.name, version: p.version, integrity: p.integrity })),
    lock,
  )
}

/** The options schema of each declared plugin rule that has one. */
function optionSchemas(packs: PackSource[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>()
  for (const p of packs) {
    const pack = p.result as RulePack | undefined
    for (const [id, rule] of Object.entries(pack?.rules ?? {})) {
      const schema = resolveMeta(rule as RuleDefinition).options
      if (schema !== undefined) out.set(id, schema)
    }
  }
  return out
}
