/*
 * JSON (--json): { name: string, version: string, type: 'link', root: string, report: string[] }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { pluginHome } from '../../lib/cli/plugin-home.js'
import { installReport, userPluginNames } from '../../lib/cli/plugin-trust.js'
import { linkPlugin } from '../../lib/plugins/user-plugins.js'

export default class PluginsLink extends SsmdCommand<typeof PluginsLink> {
  static override summary = 'Links a plugin folder into ssmd, for developing a plugin: ssmd loads it from there.'
  static override description =
    "Records the folder as a linked plugin: ssmd loads it from there, so a change to its files takes effect at once. Nothing is installed unless --install is given: then npm installs the folder's dependencies (development ones included, with --ignore-scripts). A linked plugin is judged like an installed one: ssmd runs its validation rules and the commands you run, nothing else (see `ssmd plugins`)."
  static override args = {
    path: Args.string({ description: "The plugin's folder (the one holding its package.json).", default: '.' }),
  }
  static override flags = {
    install: Flags.boolean({
      summary: 'Also run npm install --ignore-scripts in the folder (not with a yarn.lock or pnpm-lock.yaml: use yarn or pnpm there).',
      allowNo: true,
      default: false,
    }),
  }
  static override examples = [
    { command: '<%= config.bin %> <%= command.id %> ../ssmd-checks', description: 'Link a plugin you are writing.' },
    { command: '<%= config.bin %> <%= command.id %> --install', description: 'Link the current folder, installing its dependencies first.' },
  ]

  async run(): Promise<{ name: string; version: string; type: 'link'; root: string; report: string[] }> {
    const before = userPluginNames(this.config.dataDir)
    const linked = linkPlugin(
      pluginHome(this.config, this.flags.verbose, line => this.note(line)),
      this.args.path,
      { install: this.flags.install },
    )
    if (linked.notInstalled) this.note(`warning: ${linked.notInstalled}; linked without installing`)
    this.note(`${linked.name}: linked v${linked.version} from ${linked.root}`)
    const report = installReport(this.config, before)
    for (const line of report) this.note(line)
    return { name: linked.name, version: linked.version, type: 'link', root: linked.root, report }
  }
}
