import { SsmdCommand } from '../../lib/cli/command.js'
import { runRules } from '../../lib/validate/engine.js'
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
}

/** JSON: [{ id, plugin, default_severity, severity, description }] */
export default class RulesList extends SsmdCommand<typeof RulesList> {
  static override summary = 'List every validation rule, built-in and from plugins, with its severity.'
  static override examples = ['<%= config.bin %> rules list', '<%= config.bin %> rules list --json']

  async run(): Promise<RuleListItem[]> {
    // Outside a repository the defaults are still worth showing.
    let policy: Record<string, string> = {}
    try {
      policy = policySeverities(new Workspace(findRoot(this.startDir()), ['policy']))
    } catch { /* no repository: default severities */ }
    const sources = await collectPacks(this.config)
    // Run the declarations only: an empty workspace makes every check a no-op.
    const { rules, findings } = await runRules(new Workspace('/nonexistent-ssmd-root', []), sources)
    const items = rules.map(r => ({
      id: r.id, plugin: r.plugin, default_severity: r.defaultSeverity,
      severity: policy[r.id] ?? r.defaultSeverity, description: r.description,
    }))
    items.push({ id: 'plugin/failed', plugin: 'ssmd', default_severity: 'error', severity: 'error', description: 'A plugin threw, returned no rule pack or ran past its time budget.' })
    items.sort((a, b) => Number(a.plugin !== 'ssmd') - Number(b.plugin !== 'ssmd') || a.id.localeCompare(b.id))
    this.say(table(['RULE', 'DEFAULT', 'EFFECTIVE', 'PLUGIN', 'DESCRIPTION'], items.map(i => [i.id, i.default_severity, i.severity, i.plugin, i.description])))
    for (const f of findings.filter(x => x.rule === 'plugin/failed')) this.note(`warning: ${f.message}`)
    return items
  }
}
