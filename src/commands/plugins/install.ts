import { Errors } from '@oclif/core'
import { commands } from '@oclif/plugin-plugins'
import { SsmdError } from '../../lib/core/errors.js'
import { localInstallSpec } from '../../lib/cli/plugin-spec.js'

const Base: (typeof commands)['plugins:install'] = commands['plugins:install']

/** oclif's `plugins install`, which also takes a tarball path, a folder and `file:` specs (see lib/cli/plugin-spec.ts). */
export default class PluginsInstall extends Base {
  static override summary = 'Installs a plugin into ssmd: a package name, a tarball from npm pack, a folder or a file: spec.'
  static override examples = [
    { command: '<%= config.bin %> <%= command.id %> @acme/ssmd-checks', description: 'Install a plugin from the npm registry.' },
    {
      command: '<%= config.bin %> <%= command.id %> ./acme-ssmd-checks-1.0.0.tgz',
      description: 'Install a plugin from its npm pack tarball (no network needed when it has no dependencies).',
    },
    { command: '<%= config.bin %> <%= command.id %> ../ssmd-checks', description: 'Install a plugin from a folder.' },
    { command: '<%= config.bin %> <%= command.id %> file:../ssmd-checks/acme-ssmd-checks-1.0.0.tgz', description: 'Install from a file: spec (relative to the current folder).' },
  ]

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
