/*
 * JSON (--json): { removed: Array<{ name: string, type: 'user' | 'link' }> }
 */
import { Args } from '@oclif/core'
import { NotFoundError, UsageError } from '../../lib/core/errors.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { pluginHome } from '../../lib/cli/plugin-home.js'
import type { UserEntry } from '../../lib/plugins/data-dir.js'
import { findEntry, uninstallPlugin } from '../../lib/plugins/user-plugins.js'

export default class PluginsUninstall extends SsmdCommand<typeof PluginsUninstall> {
  static override aliases = ['plugins:unlink', 'plugins:remove']
  static override strict = false
  static override summary = 'Removes installed or linked plugins from ssmd.'
  static override description =
    "An installed plugin is removed with npm uninstall (--ignore-scripts); a linked one is only forgotten, its folder stays. Name the plugin as `ssmd plugins` lists it, or give a linked plugin's folder (default: the current folder)."
  static override args = {
    plugin: Args.string({ description: 'Plugin to remove: its name, or the folder of a linked plugin.', required: false }),
  }
  static override examples = [
    { command: '<%= config.bin %> <%= command.id %> @acme/ssmd-checks', description: 'Remove an installed plugin.' },
    { command: '<%= config.bin %> plugins unlink ../ssmd-checks', description: 'Forget a linked plugin (its folder stays).' },
  ]

  async run(): Promise<{ removed: Array<{ name: string; type: 'user' | 'link' }> }> {
    const given = this.positionals.length > 0 ? this.positionals : ['.']
    const home = pluginHome(this.config, this.flags.verbose, line => this.note(line))
    // Plan: every argument must name a recorded plugin before anything is removed.
    const entries: UserEntry[] = []
    for (const g of given) {
      const entry = findEntry(this.config.dataDir, g, process.cwd())
      if (entry === undefined && this.positionals.length === 0) {
        throw new UsageError(`${process.cwd()} is not a linked plugin: name the plugin to remove (${this.config.bin} plugins uninstall <plugin>; see '${this.config.bin} plugins')`)
      }
      if (entry === undefined) {
        const core = this.config.getPluginsList().find(p => p.name === g && p.type === 'core')
        throw new NotFoundError(
          core ? `${g} is built into ssmd and cannot be uninstalled` : `plugin '${g}' is not installed (see '${this.config.bin} plugins' for the installed and linked ones)`,
        )
      }
      entries.push(entry)
    }
    const removed: Array<{ name: string; type: 'user' | 'link' }> = []
    for (const entry of entries) {
      const { npmProblem } = uninstallPlugin(home, entry)
      if (npmProblem) this.note(`warning: ${npmProblem}; ssmd no longer loads ${entry.name}, but its files may remain in ${this.config.dataDir}`)
      this.note(`${entry.name}: ${entry.type === 'link' ? `unlinked (${entry.root} stays)` : 'uninstalled'}`)
      removed.push({ name: entry.name, type: entry.type })
    }
    return { removed }
  }
}
