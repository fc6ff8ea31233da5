import { SsmdCommand } from '../../lib/cli/command.js'
import { PLUGIN_FAILED, runRules } from '../../lib/validate/engine.js'
import { collectPacks, policySeverities } from '../../lib/cli/validation.js'
import { table } from '../../lib/cli/style.js'
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
  static override examples = ['<%= config.bin %> rules list', '<%= config.bin %> rules list --json']

  async run(): Promise<RuleListItem[]> {
    // Outside a repository the defaults are still worth showing.
    let policy: Record<string, string> = {}
    try {
      policy = policySeverities(new Workspace(findRoot(this.startDir()), ['policy']))
    } catch {
      /* no repository: default severities */
    }
    const sources = await collectPacks(this.config)
    // Run the declarations only: an empty workspace makes every check a no-op.
    const { rules, findings } = await runRules(new Workspace('/nonexistent-ssmd-root', []), sources)
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
    items.sort((a, b) => Number(a.plugin !== 'ssmd') - Number(b.plugin !== 'ssmd') || a.id.localeCompare(b.id))
    this.say(
      table(
        ['RULE', 'DEFAULT', 'EFFECTIVE', 'PLUGIN', 'DESCRIPTION', 'DOCS'],
        items.map(i => [i.id, i.default_severity, i.severity, i.plugin, i.description, i.docs ?? '']),
      ),
    )
    for (const f of findings.filter(x => x.rule === 'plugin/failed')) this.note(`warning: ${f.message}`)
    return items
  }
}
