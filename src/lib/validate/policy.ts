/*
 * Checks of ssmd.yaml that need to know every rule and every plugin, so they
 * run after the built-in rules and the plugins have answered.
 */
import { didYouMean } from '../core/text.js'
import { SEVERITIES } from '../spec/enums.js'
import type { Workspace } from '../workspace/workspace.js'
import type { PolicySeverity } from './engine.js'
import { parsePin, pins } from './pins.js'
import { isObj } from './rules/util.js'
import type { Finding, RuleInfo, Severity } from './types.js'

export const UNKNOWN_RULE = 'policy/unknown-rule'
export const UNKNOWN_RULE_INFO: RuleInfo = {
  id: UNKNOWN_RULE,
  plugin: 'ssmd',
  description: 'Every rule id set in ssmd.yaml is declared by ssmd or an installed plugin.',
  defaultSeverity: 'error',
}

/** Severities ssmd.yaml may set: the file contract's (schemas-json/ssmd.schema.json). */
export const POLICY_SEVERITIES: readonly PolicySeverity[] = SEVERITIES

/** The severities ssmd.yaml's own `rules:` sets (`id: severity` or `id: [severity, options]`); presets and overrides are rule-config.ts's. */
export function policySeverities(ws: Workspace): Record<string, PolicySeverity> {
  const rules = ws.policy && isObj(ws.policy.data) ? ws.policy.data.rules : undefined
  const out: Record<string, PolicySeverity> = {}
  if (isObj(rules)) {
    for (const [id, v] of Object.entries(rules)) {
      const s = Array.isArray(v) ? v[0] : v
      if ((POLICY_SEVERITIES as readonly unknown[]).includes(s)) out[id] = s as PolicySeverity
    }
  }
  return out
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * A rule id in ssmd.yaml that no rule declares is a typo until proven
 * otherwise: the team believes a severity applies that does not. Ids outside
 * ssmd's namespaces are judged only when every plugin declared its rules
 * (plugins ran, none failed, none that ssmd.yaml requires is missing).
 */
export function unknownRuleFindings(
  ws: Workspace,
  known: readonly RuleInfo[],
  options: { builtinNamespaces: ReadonlySet<string>; pluginsComplete: boolean; policy: Record<string, PolicySeverity> },
): Finding[] {
  const doc = ws.policy
  if (!doc || !isObj(doc.data) || !isObj(doc.data.rules)) return []
  const setting = options.policy[UNKNOWN_RULE]
  if (setting === 'off') return []
  const ids = new Set(known.map(r => r.id))
  ids.add(UNKNOWN_RULE)
  ids.add('plugin/failed')
  const out: Finding[] = []
  for (const id of Object.keys(doc.data.rules)) {
    if (ids.has(id)) continue
    const namespace = id.includes('/') ? id.slice(0, id.indexOf('/')) : id
    if (!options.pluginsComplete && !options.builtinNamespaces.has(namespace)) continue
    const pointer = `/rules/${escapePointer(id)}`
    const hint = didYouMean(id, ids)
    const pos = doc.locate(pointer, 'key')
    out.push({
      rule: UNKNOWN_RULE,
      severity: (setting as Severity | undefined) ?? UNKNOWN_RULE_INFO.defaultSeverity,
      message: `ssmd.yaml sets rule '${id}', which no built-in rule or installed plugin declares${hint || ' (ssmd rules list shows every rule)'}`,
      file: doc.file,
      line: pos.line,
      column: pos.column,
      path: pointer,
      plugin: 'ssmd',
    })
  }
  return out
}

/** Entries of `plugins:` in ssmd.yaml that are not installed (package names). */
export function missingPlugins(ws: Workspace, installed: readonly string[]): string[] {
  return requiredPlugins(ws).filter(p => !installed.includes(p))
}

/** The packages ssmd.yaml requires (`plugins:`), without their pinned versions. */
export function requiredPlugins(ws: Workspace): string[] {
  return pins(ws).map(p => p.name)
}

/**
 * `plugins:` in ssmd.yaml names npm packages. When an entry is the rule-pack
 * name of an installed plugin (`acme` instead of `ssmd-plugin-acme`),
 * `ssmd plugins install acme` would fetch an unrelated package: say what to
 * write instead.
 */
export function explainMissingPlugins(findings: Finding[], ws: Workspace, packOwners: ReadonlyMap<string, string>): Finding[] {
  const list = ws.policy && isObj(ws.policy.data) && Array.isArray(ws.policy.data.plugins) ? ws.policy.data.plugins : []
  return findings.map(f => {
    if (f.rule !== 'policy/plugin-missing') return f
    const m = /^\/plugins\/(\d+)$/.exec(f.path)
    const spec = m ? list[Number(m[1])] : undefined
    if (typeof spec !== 'string') return f
    const name = parsePin(spec).name
    const owner = packOwners.get(name)
    if (owner !== undefined) {
      return {
        ...f,
        message: `ssmd.yaml requires plugin '${name}', which is the rule-pack name of the installed package '${owner}'; list the package name instead (plugins: ['${owner}'])`,
      }
    }
    if (!isPackageSpec(name)) {
      return {
        ...f,
        message: `ssmd.yaml requires plugin '${name}', which is not an npm package name; list the plugin's package name (as 'ssmd plugins' shows it), e.g. '@acme/ssmd-checks'`,
      }
    }
    return f
  })
}

/** npm's rules for package names, in short. */
function isPackageSpec(name: string): boolean {
  return name.length <= 214 && /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name)
}

/** True when plugins are switched off: the --no-plugins flag (false) or SSMD_NO_PLUGINS=1. */
export function pluginsDisabled(flag?: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return true
  const v = env.SSMD_NO_PLUGINS
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false'
}

/** How plugins were turned off, and the plugins ssmd.yaml requires whose rules therefore did not run. */
export interface PluginsOff {
  by: '--no-plugins' | 'SSMD_NO_PLUGINS'
  /** Plugins ssmd.yaml requires (`plugins:`): their rules did not run. */
  required: string[]
}

export const offHow = (off: PluginsOff) => (off.by === '--no-plugins' ? '--no-plugins' : `SSMD_NO_PLUGINS=${process.env.SSMD_NO_PLUGINS ?? '1'}`)
export const quoted = (names: string[]) => names.map(n => `'${n}'`).join(', ')

/** The notice when plugins ssmd.yaml requires were skipped: never silent. */
export function pluginsOffNotice(off: PluginsOff): string {
  return `plugins are turned off (${offHow(off)}): the rules of ${quoted(off.required)}, which ssmd.yaml requires, did not run`
}
