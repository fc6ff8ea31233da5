import { Errors } from '@oclif/core'
import { commands } from '@oclif/plugin-plugins'
import { SsmdError } from '../../lib/core/errors.js'
import { escapeControl } from '../../lib/core/text.js'
import { localInstallSpec } from '../../lib/cli/plugin-spec.js'
import { installReport, sealHooks, userPluginNames } from '../../lib/cli/plugin-trust.js'

const Base: (typeof commands)['plugins:install'] = commands['plugins:install']

/** oclif's `plugins install`, which also takes a tarball path, a folder and `file:` specs (see lib/cli/plugin-spec.ts). */
export default class PluginsInstall extends Base {
  static override summary = 'Installs a plugin into ssmd: a package name, a tarball from npm pack, a folder or a file: spec.'
  static override description = `Uses npm to install plugins, always with --ignore-scripts: no lifecycle script of the package or of its dependencies (preinstall, install, postinstall, prepare) ever runs.

Of what a package brings, ssmd runs only its validation rules (its \`validate\` hook, in a sandboxed process) and the commands you run yourself; after installing, ssmd says which other hooks and commands the package declares and which of them it will not run (see \`ssmd plugins\`).`
  static override examples = [
    { command: '<%= config.bin %> <%= command.id %> @acme/ssmd-checks', description: 'Install a plugin from the npm registry.' },
    {
      command: '<%= config.bin %> <%= command.id %> ./acme-ssmd-checks-1.0.0.tgz',
      description: 'Install a plugin from its npm pack tarball (no network needed when it has no dependencies).',
    },
    { command: '<%= config.bin %> <%= command.id %> ../ssmd-checks', description: 'Install a plugin from a folder.' },
    { command: '<%= config.bin %> <%= command.id %> file:../ssmd-checks/acme-ssmd-checks-1.0.0.tgz', description: 'Install from a file: spec (relative to the current folder).' },
  ]

  override async run(): Promise<void> {
    // npm reads its settings from the environment; only its command line would override this, and ssmd sets that.
    process.env.npm_config_ignore_scripts = 'true'
    // The package just installed must not have its `plugins:postinstall` (or any) hook run here.
    sealHooks(this.config)
    const before = userPluginNames(this.config.dataDir)
    await super.run()
    this.logToStderr(`${this.config.bin}: npm ran with --ignore-scripts: no lifecycle script (preinstall, install, postinstall, prepare) of a package or its dependencies ran`)
    for (const line of installReport(this.config, before)) this.logToStderr(escapeControl(line))
  }

  override async parsePlugin(...args: Parameters<InstanceType<typeof Base>['parsePlugin']>): ReturnType<InstanceType<typeof Base>['parsePlugin']> {
    let url: string | undefined
    try {
      url = localInstallSpec(args[1], process.cwd())
    } catch (error) {
      if (error instanceof SsmdError) throw new Errors.CLIError(error.message, { exit: error.exitCode })
      throw error
    }
    return url === undefined ? super.parsePlugin(...args) : { type: 'repo', url }
  }
}
