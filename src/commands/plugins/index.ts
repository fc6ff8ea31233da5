/*
 * JSON (--json): Array<{ name: string, version: string, type: 'core' | 'user' | 'link', root?: string }>
 *   Every plugin ssmd loads, ssmd itself and its built-in plugins first (type 'core');
 *   `root` (the plugin's folder) is given for user-installed and linked plugins.
 *
 * Replaces @oclif/plugin-plugins' listing, whose JSON is oclif's internal plugin objects.
 */
import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { dim } from '../../lib/cli/style.js'

export interface PluginListItem {
  name: string
  version: string
  type: 'core' | 'user' | 'link'
  root?: string
}

export default class PluginsList extends SsmdCommand<typeof PluginsList> {
  static override summary = 'List installed plugins.'
  static override description =
    'Plugins add validation rules (see ssmd docs plugins). Install with `ssmd plugins install <package>`, or link a local folder with `ssmd plugins link <folder>`.'
  static override examples = [
    { description: 'Plugins you installed or linked', command: '<%= config.bin %> plugins' },
    { description: 'Also the plugins built into ssmd', command: '<%= config.bin %> plugins --core' },
    { description: 'Every plugin as name, version, type and folder', command: '<%= config.bin %> plugins --json' },
  ]
  static override flags = {
    core: Flags.boolean({ summary: 'Also list the plugins built into ssmd.' }),
  }

  async run(): Promise<PluginListItem[]> {
    const order = { core: 0, user: 1, link: 2 } as const
    const items: PluginListItem[] = []
    for (const p of this.config.getPluginsList()) {
      if (p.parent || (p.type !== 'core' && p.type !== 'user' && p.type !== 'link')) continue
      const type = p.type as PluginListItem['type']
      items.push({ name: p.name, version: p.version, type, ...(type === 'core' ? {} : { root: p.root }) })
    }
    items.sort((a, b) => order[a.type] - order[b.type] || (a.name === this.config.name ? -1 : b.name === this.config.name ? 1 : a.name.localeCompare(b.name)))
    const shown = items.filter(p => this.flags.core || p.type !== 'core')
    if (shown.length === 0) this.say('No plugins installed.')
    for (const p of shown) this.say(`${p.name} ${dim(p.version)}${p.type === 'user' ? '' : ` (${p.type})`}${p.type === 'link' ? ` ${p.root}` : ''}`)
    return items
  }
}
