import { Args, Errors, Flags } from '@oclif/core'
import { join } from 'node:path'
import { commands } from '@oclif/plugin-plugins'
import { SsmdError } from '../../lib/core/errors.js'
import { escapeControl } from '../../lib/core/text.js'
import { localInstallSpec } from '../../lib/cli/plugin-spec.js'
import { installReport, sealHooks, userPluginNames } from '../../lib/cli/plugin-trust.js'
import { resolveLockedSet } from '../../lib/plugins/locked-set.js'
import { LOCK_FILE } from '../../lib/validate/pins.js'
import { findRoot } from '../../lib/workspace/root.js'
import { Workspace } from '../../lib/workspace/workspace.js'

const Base: (typeof commands)['plugins:install'] = commands['plugins:install']

/** The ssmd repository around the working folder; undefined outside one (then a plugin argument is required, as oclif says). */
function repositoryRoot(): string | undefined {
  try {
    return findRoot(process.cwd())
  } catch {
    return undefined
  }
}

/** oclif's `plugins install`, which also takes a tarball path, a folder and `file:` specs (see lib/cli/plugin-spec.ts). */
export default class PluginsInstall extends Base {
  static override summary = 'Installs a plugin into ssmd: a package name, a tarball from npm pack, a folder or a file: spec.'
  static override description = `Uses npm to install plugins, always with --ignore-scripts: no lifecycle script of the package or of its dependencies (preinstall, install, postinstall, prepare) ever runs.

With no argument, installs the plugins the repository's ssmd.yaml lists, exactly as ${LOCK_FILE} (next to ssmd.yaml, committed) records them: each tarball is taken from the folder given with --from, from ssmd's tarball cache, or from the registry, and must have the integrity the lock records. Plugins the lock does not record yet are recorded. Commit ${LOCK_FILE}.

Of what a package brings, ssmd runs only its validation rules (its \`validate\` hook, in a sandboxed process) and the commands you run yourself; after installing, ssmd says which other hooks and commands the package declares and which of them it will not run (see \`ssmd plugins\`).`
  static override args = {
    // Optional here (oclif's own install requires it): typed as the base's, which reads it as a string.
    plugin: Args.string({
      description: 'Plugin to install. Without one, the plugins ssmd.yaml lists, as ssmd-plugins.lock records them.',
      required: false,
    }) as unknown as (typeof Base.args)['plugin'],
  }
  static override flags = {
    ...Base.flags,
    from: Flags.string({
      summary: 'Without a plugin argument: a folder of npm pack tarballs to install from (for when the registry is unreachable).',
      helpValue: '<folder>',
    }),
  }
  static override examples = [
    { command: '<%= config.bin %> <%= command.id %>', description: 'Install the plugins ssmd.yaml lists, as ssmd-plugins.lock records them.' },
    { command: '<%= config.bin %> <%= command.id %> --from /mnt/share/ssmd-plugins', description: 'The same, offline: the tarballs from a folder.' },
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
    const { argv, flags } = await this.parse(PluginsInstall)
    let locked: ReturnType<typeof resolveLockedSet> | undefined
    const root = argv.length === 0 ? repositoryRoot() : undefined
    if (root !== undefined) {
      try {
        locked = resolveLockedSet(new Workspace(root), { cacheDir: join(this.config.cacheDir, 'plugin-tarballs'), from: flags.from })
      } catch (error) {
        // oclif's command renders its own errors: one line, ssmd's exit code.
        if (error instanceof SsmdError) throw new Errors.CLIError(error.message, { exit: error.exitCode })
        throw error
      }
      // oclif's install parses this.argv again: the verified tarballs, as file: specs.
      this.argv = [...locked.tarballs.map(t => `file:${t.file}`), ...(flags.force ? ['--force'] : [])]
    } else if (flags.from !== undefined && argv.length > 0) {
      throw new Errors.CLIError('--from applies only without a plugin argument (ssmd plugins install --from <folder>)', { exit: 2 })
    }
    const before = userPluginNames(this.config.dataDir)
    await super.run()
    if (locked) {
      for (const t of locked.tarballs)
        this.logToStderr(
          `${this.config.bin}: ${t.name}@${t.version} (${t.integrity.slice(0, 19)}…) from ${t.source === 'folder' ? flags.from : t.source === 'cache' ? "ssmd's tarball cache" : 'the registry'}`,
        )
      if (locked.lockChanged) this.logToStderr(`${this.config.bin}: recorded the plugins in ${LOCK_FILE}; commit it`)
    }
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
