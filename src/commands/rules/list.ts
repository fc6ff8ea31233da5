import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { PLUGIN_FAILED } from '../../lib/validate/engine.js'
import { policySeverities, ruleCatalogue } from '../../lib/cli/validation.js'
import { table } from '../../lib/cli/style.js'
import { UNKNOWN_RULE_INFO } from '../../lib/validate/policy.js'
import { Workspace } from '../../lib/workspace/workspace.js'
import { findRoot } from '../../lib/workspace/root.js'

export interface RuleListItem {
  id: string
  plugin: string
  default_severity: string
  severity: string
  description: string
  /** Documentation URL, when the rule declares one. */
  docs?: string
}

/** JSON: [{ id, plugin, default_severity, severity, description, docs? }] */
export default class RulesList extends SsmdCommand<typeof RulesList> {
  static override summary = 'List every validation rule, built-in and from plugins, with its severity.'
  static override description = "Reads each plugin's rule declarations (in the plugin's own sandboxed process) without running any check."
  static override examples = [
    { description: 'Every validation rule, built-in and from plugins, with its severity', command: '<%= config.bin %> rules list' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> rules list --json' },
    { description: 'Only the built-in rules', command: '<%= config.bin %> rules list --no-plugins' },
  ]
  static override flags = {
    plugins: Flags.boolean({ summary: 'Include installed plugins (--no-plugins, or SSMD_NO_PLUGINS=1: built-in rules only).', default: true, allowNo: true }),
  }

  async run(): Promise<RuleListItem[]> {
    // Outside a repository the defaults are still worth showing.
    let policy: Record<string, string> = {}
    let root: string | undefined
    try {
      root = findRoot(this.startDir())
      policy = policySeverities(new Workspace(root, ['policy']))
    } catch {
      /* no repository: default severities */
    }
    const { rules, failures } = await ruleCatalogue(this.config, { root, plugins: this.flags.plugins })
    const items = rules.map(r => ({
      id: r.id,
      plugin: r.plugin,
      default_severity: r.defaultSeverity,
      severity: policy[r.id] ?? r.defaultSeverity,
      description: r.description,
      ...(r.docs ? { docs: r.docs } : {}),
    }))
    items.push({
      id: PLUGIN_FAILED.id,
      plugin: PLUGIN_FAILED.plugin,
      default_severity: PLUGIN_FAILED.defaultSeverity,
      severity: PLUGIN_FAILED.defaultSeverity,
      description: PLUGIN_FAILED.description,
      docs: PLUGIN_FAILED.docs,
    })
    items.push({
      id: UNKNOWN_RULE_INFO.id,
      plugin: 'ssmd',
      default_severity: UNKNOWN_RULE_INFO.defaultSeverity,
      severity: policy[UNKNOWN_RULE_INFO.id] ?? UNKNOWN_RULE_INFO.defaultSeverity,
      description: UNKNOWN_RULE_INFO.description,
      docs: UNKNOWN_RULE_INFO.docs,
    })
    items.sort((a, b) => Number(a.plugin !== 'ssmd') - Number(b.plugin !== 'ssmd') || a.id.localeCompare(b.id))
    this.say(
      table(
        ['RULE', 'DEFAULT', 'EFFECTIVE', 'PLUGIN', 'DESCRIPTION', 'DOCS'],
        items.map(i => [i.id, i.default_severity, i.severity, i.plugin, i.description, i.docs ?? '']),
      ),
    )
    for (const f of failures) this.note(`warning: ${f.message}`)
    return items
  }
}
