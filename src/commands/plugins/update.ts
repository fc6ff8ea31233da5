/*
 * JSON (--json): { updated: Array<{ name: string, from: string, to: string }>, report: string[] }
 *   Every installed plugin with its version before and after (the same when npm found nothing newer).
 */
import { SsmdCommand } from '../../lib/cli/command.js'
import { pluginHome } from '../../lib/cli/plugin-home.js'
import { installReport, userPluginNames } from '../../lib/cli/plugin-trust.js'
import { updatePlugins, type Updated } from '../../lib/plugins/user-plugins.js'

export default class PluginsUpdate extends SsmdCommand<typeof PluginsUpdate> {
  static override summary = 'Updates installed plugins to the newest version their tag or range allows.'
  static override description =
    'Plugins installed from the registry are installed again at the tag or range they were installed with (`latest` by default); those installed from a tarball, folder or URL get npm update. npm runs with --ignore-scripts and --omit=dev. Linked plugins are their folders and are not touched. In a repository that pins its plugins (ssmd.yaml and ssmd-plugins.lock), use `ssmd plugins install` instead: it installs the recorded versions.'
  static override examples = [{ command: '<%= config.bin %> <%= command.id %>', description: 'Update every installed plugin.' }]

  async run(): Promise<{ updated: Updated[]; report: string[] }> {
    const before = userPluginNames(this.config.dataDir)
    const updated = updatePlugins(pluginHome(this.config, this.flags.verbose, line => this.note(line)))
    if (updated.length === 0) this.note('No installed plugins to update.')
    for (const u of updated) this.note(`${u.name}: ${u.from === u.to ? `v${u.to}, up to date` : `v${u.from} → v${u.to}`}`)
    const report = installReport(this.config, before)
    for (const line of report) this.note(line)
    return { updated, report }
  }
}
