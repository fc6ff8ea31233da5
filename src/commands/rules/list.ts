import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ruleDocsCommand } from '../../lib/cli/docs.js'
import { ruleItems, type RuleListItem } from '../../lib/cli/validation.js'
import { table } from '../../lib/cli/style.js'

export type { RuleListItem }

/** JSON: [{ id, plugin, default_severity, severity, description, docs? }] (`docs`: a URL the rule declares) */
export default class RulesList extends SsmdCommand<typeof RulesList> {
  static override summary = 'List every validation rule, built-in and from plugins, with its severity.'
  static override description =
    "Reads each plugin's rule declarations (in the plugin's own sandboxed process) without running any check. The DOCS column is the URL a rule declares, else the command that prints its documentation (ssmd rules show <rule>)."
  static override examples = [
    { description: 'Every validation rule, built-in and from plugins, with its severity', command: '<%= config.bin %> rules list' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> rules list --json' },
    { description: 'Only the built-in rules', command: '<%= config.bin %> rules list --no-plugins' },
  ]
  static override flags = {
    plugins: Flags.boolean({ summary: 'Include installed plugins (--no-plugins, or SSMD_NO_PLUGINS=1: built-in rules only).', default: true, allowNo: true }),
  }

  async run(): Promise<RuleListItem[]> {
    const { items, failures } = await ruleItems(this.config, this.startDir(), this.flags.plugins)
    this.say(
      table(
        ['RULE', 'DEFAULT', 'EFFECTIVE', 'PLUGIN', 'DESCRIPTION', 'DOCS'],
        items.map(i => [i.id, i.default_severity, i.severity, i.plugin, i.description, i.docs ?? ruleDocsCommand(i.id)]),
        // Narrow terminals: descriptions are cut, then the docs column (in --json and `ssmd rules show`) left out.
        { flex: [4], optional: [5] },
      ),
    )
    for (const f of failures) this.note(`warning: ${f.message}`)
    return items
  }
}
