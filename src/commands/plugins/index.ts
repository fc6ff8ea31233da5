/*
 * JSON (--json): Array<{
 *   name: string, version: string, type: 'core' | 'user' | 'link',
 *   // user and linked plugins only:
 *   root?: string,
 *   rules?: string[],                                  // rule ids the plugin declares
 *   hooks?: Array<{ event: string, runs: boolean }>,   // runs: false = ssmd never runs it
 *   commands?: Array<{ id: string, runs: boolean, reason?: string }>,
 *   plugins?: string[],                                // oclif plugins it lists: never loaded
 *   refused?: string,                                  // why ssmd does not load it at all
 *   rules_error?: string,                              // why its rules could not be read
 * }>
 *   Every plugin ssmd loads, ssmd itself and its built-in plugins first (type 'core'),
 *   then user-installed and linked plugins with their folder and what they bring.
 *
 * ssmd's own listing (oclif's plugin-plugins listed oclif's internal plugin objects as JSON).
 */
import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { declaredHooks, pluginTrust, refusedPlugins, type CommandTrust, type HookTrust } from '../../lib/cli/plugin-trust.js'
import { dim } from '../../lib/cli/style.js'
import { ruleCatalogue } from '../../lib/cli/validation.js'

export interface PluginListItem {
  name: string
  version: string
  type: 'core' | 'user' | 'link'
  root?: string
  rules?: string[]
  hooks?: HookTrust[]
  commands?: Array<Omit<CommandTrust, 'claims'>>
  plugins?: string[]
  refused?: string
  rules_error?: string
}

export default class PluginsList extends SsmdCommand<typeof PluginsList> {
  static override summary = 'List installed plugins: version, rules, hooks and commands, and what ssmd will not run.'
  static override description =
    "Plugins add validation rules (see ssmd docs plugins). Install with `ssmd plugins install <package>`, link a local folder with `ssmd plugins link <folder>`, update with `ssmd plugins update`, remove with `ssmd plugins uninstall <name>`. Of a plugin's oclif hooks ssmd runs only `validate`, in the plugin's own sandboxed process; its commands run only when you run them, and never one that would take the name of an ssmd command or topic. What ssmd will not run is marked 'not run'. Listing the rules reads each plugin's declarations in its sandboxed process; no check runs."
  static override examples = [
    { description: 'Plugins you installed or linked', command: '<%= config.bin %> plugins' },
    { description: 'Also the plugins built into ssmd', command: '<%= config.bin %> plugins --core' },
    { description: 'Every plugin as name, version, type, folder, rules, hooks and commands', command: '<%= config.bin %> plugins --json' },
  ]
  static override flags = {
    core: Flags.boolean({ summary: 'Also list the plugins built into ssmd.' }),
  }

  async run(): Promise<PluginListItem[]> {
    const order = { core: 0, user: 1, link: 2 } as const
    const catalogue = await ruleCatalogue(this.config, { plugins: true })
    const packOwner = new Map<string, string>([['ssmd', this.config.name]])
    for (const run of catalogue.plugins) for (const pack of run.pack?.split(', ') ?? []) packOwner.set(pack, run.name)
    const rulesOf = (name: string) =>
      catalogue.rules
        .filter(r => packOwner.get(r.plugin) === name)
        .map(r => r.id)
        .sort()
    const failureOf = (name: string) => catalogue.failures.find(f => f.message.startsWith(`plugin '${name}' failed: `))?.message

    const items: PluginListItem[] = []
    for (const p of this.config.getPluginsList()) {
      if (p.parent || (p.type !== 'core' && p.type !== 'user' && p.type !== 'link')) continue
      const type = p.type as PluginListItem['type']
      // ssmd and its built-in plugins: what they are, not what they bring (all of it is ssmd's and runs).
      if (type === 'core') {
        items.push({ name: p.name, version: p.version, type })
        continue
      }
      const trust = pluginTrust(p)
      const hooks = trust?.hooks ?? Object.keys(declaredHooks(p)).map(event => ({ event, runs: event === 'validate' }))
      const commands = trust?.commands.map(({ claims: _claims, ...c }) => c) ?? p.commands.map(c => ({ id: c.id, runs: true }))
      const rulesError = failureOf(p.name)
      items.push({
        name: p.name,
        version: p.version,
        type,
        root: p.root,
        rules: rulesOf(p.name),
        hooks,
        commands,
        ...(trust && trust.plugins.length > 0 ? { plugins: trust.plugins } : {}),
        ...(rulesError ? { rules_error: rulesError } : {}),
      })
    }
    for (const r of refusedPlugins()) {
      items.push({ name: r.name, version: r.version ?? '', type: r.type, ...(r.root ? { root: r.root } : {}), rules: [], hooks: [], commands: [], refused: r.reason })
    }
    items.sort((a, b) => order[a.type] - order[b.type] || (a.name === this.config.name ? -1 : b.name === this.config.name ? 1 : a.name.localeCompare(b.name)))
    const shown = items.filter(p => this.flags.core || p.type !== 'core')
    if (shown.length === 0) this.say('No plugins installed.')
    for (const p of shown) {
      this.say(`${p.name} ${dim(p.version)}${p.type === 'user' ? '' : ` (${p.type})`}${p.type === 'link' ? ` ${p.root}` : ''}`)
      if (p.refused !== undefined) {
        this.say(`  not loaded: ${p.refused}`)
        continue
      }
      if (p.type === 'core' || !p.rules || !p.hooks || !p.commands) continue
      this.say(`  rules: ${p.rules_error ? `could not be read (${p.rules_error})` : p.rules.length > 0 ? p.rules.join(', ') : 'none'}`)
      this.say(`  hooks: ${p.hooks.length > 0 ? p.hooks.map(h => (h.runs ? h.event : `${h.event} (not run)`)).join(', ') : 'none'}`)
      this.say(
        `  commands: ${p.commands.length > 0 ? p.commands.map(c => (c.runs ? c.id.replaceAll(':', ' ') : `${c.id === '*' ? 'all' : c.id.replaceAll(':', ' ')} (not run: ${c.reason})`)).join(', ') : 'none'}`,
      )
      if (p.plugins) this.say(`  oclif plugins it lists: ${p.plugins.join(', ')} (not loaded)`)
    }
    return items
  }
}
