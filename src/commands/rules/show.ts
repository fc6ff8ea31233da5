/*
 * JSON (--json): { id, plugin, default_severity, severity, description, docs?, text? }
 *   `docs`: the URL the rule declares (plugin rules may); `text`: the Markdown
 *   documentation of a built-in rule (its section of docs/rules.md: what it
 *   checks, an example that fires and one that does not).
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ruleSection } from '../../lib/cli/docs.js'
import { details } from '../../lib/cli/style.js'
import { NotFoundError } from '../../lib/core/errors.js'
import { didYouMean } from '../../lib/core/text.js'
import { ruleItems, type RuleListItem } from '../../lib/cli/validation.js'

export default class RulesShow extends SsmdCommand<typeof RulesShow> {
  static override summary = "Print a rule's documentation: id, severity, what it checks and examples."
  static override description =
    'Works offline: built-in rules are documented in the docs/rules.md installed with ssmd; a plugin rule shows its declaration and the URL it declares, if any. The effective severity is the one ssmd.yaml sets, when run inside a repository.'
  static override examples = [
    { description: 'What yaml/syntax checks, with an example that fires and one that does not', command: '<%= config.bin %> rules show yaml/syntax' },
    { description: 'As JSON', command: '<%= config.bin %> rules show feed/version-gap --json' },
  ]
  static override args = {
    rule: Args.string({ description: 'Rule id (see ssmd rules list).', required: true }),
  }
  static override flags = {
    plugins: Flags.boolean({ summary: 'Include installed plugins (--no-plugins, or SSMD_NO_PLUGINS=1: built-in rules only).', default: true, allowNo: true }),
  }

  async run(): Promise<RuleListItem & { text?: string }> {
    const { items } = await ruleItems(this.config, this.startDir(), this.flags.plugins)
    const item = items.find(i => i.id === this.args.rule)
    if (!item)
      throw new NotFoundError(
        `no rule '${this.args.rule}'${didYouMean(
          this.args.rule,
          items.map(i => i.id),
        )} (ssmd rules list)`,
      )
    const text = item.plugin === 'ssmd' ? ruleSection(item.id) : undefined
    this.say(
      details([
        ['rule', item.id],
        ['plugin', item.plugin],
        ['default severity', item.default_severity],
        ['severity', item.severity === item.default_severity ? item.severity : `${item.severity} (set in ssmd.yaml)`],
        ['description', item.description],
        ['docs', item.docs],
      ]),
    )
    if (text) this.say(`\n${text}`)
    return { ...item, ...(text ? { text } : {}) }
  }
}
