/*
 * JSON (--json): {
 *   installed: Array<{ name: string, version: string, type: 'user', tag?: string, url?: string }>,
 *   report: string[],    // what the packages bring that ssmd will not run, as printed on stderr
 * }
 */
import { Args, Flags } from '@oclif/core'
import { join } from 'node:path'
import { UsageError } from '../../lib/core/errors.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { parsePluginSpec } from '../../lib/cli/plugin-spec.js'
import { installReport, userPluginNames } from '../../lib/cli/plugin-trust.js'
import { pluginHome } from '../../lib/cli/plugin-home.js'
import { resolveLockedSet, type LockedTarball } from '../../lib/plugins/locked-set.js'
import { findNpm } from '../../lib/plugins/npm.js'
import { installPlugin, type InstallSpec } from '../../lib/plugins/user-plugins.js'
import { LOCK_FILE } from '../../lib/validate/pins.js'
import { findRoot } from '../../lib/workspace/root.js'

export interface InstalledItem {
  name: string
  version: string
  type: 'user'
  tag?: string
  url?: string
}

export default class PluginsInstall extends SsmdCommand<typeof PluginsInstall> {
  static override aliases = ['plugins:add']
  static override strict = false
  static override summary = 'Installs a plugin into ssmd: a package name, a tarball from npm pack, a folder or a file: spec.'
  static override description = `Uses your npm (the one on PATH, else the one next to the Node.js running ssmd) to install plugins into ssmd's data folder, always with --omit=dev and --ignore-scripts: no lifecycle script of the package or of its dependencies (preinstall, install, postinstall, prepare) ever runs. SSMD_NPM_REGISTRY sets npm's --registry.

With no argument, installs the plugins the repository's ssmd.yaml lists, exactly as ${LOCK_FILE} (next to ssmd.yaml, committed) records them: each tarball is taken from the folder given with --from, from ssmd's tarball cache, or from the registry, and must have the integrity the lock records. Plugins the lock does not record yet are recorded. Commit ${LOCK_FILE}.

Of what a package brings, ssmd runs only its validation rules (its \`validate\` hook, in a sandboxed process) and the commands you run yourself; after installing, ssmd says which other hooks and commands the package declares and which of them it will not run (see \`ssmd plugins\`).`
  static override args = {
    plugin: Args.string({ description: 'Plugin to install. Without one, the plugins ssmd.yaml lists, as ssmd-plugins.lock records them.', required: false }),
  }
  static override flags = {
    force: Flags.boolean({ char: 'f', summary: "Passes --force to npm (fetch again what npm's cache holds)." }),
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

  async run(): Promise<{ installed: InstalledItem[]; report: string[] }> {
    const given = this.positionals
    const home = pluginHome(this.config, this.flags.verbose, line => this.note(line))
    // Plan: every argument read (and refused) before npm runs once.
    const plan: Array<{ spec: InstallSpec; shown: string; locked?: LockedTarball }> = []
    let lockChanged = false
    if (given.length === 0) {
      const root = this.repositoryRoot()
      if (root === undefined) {
        throw new UsageError(
          `${this.config.bin} plugins install: missing argument <plugin>; usage: ${this.config.bin} plugins install <plugin> (see '${this.config.bin} plugins install --help')`,
        )
      }
      const locked = resolveLockedSet(this.workspace(), { cacheDir: join(this.config.cacheDir, 'plugin-tarballs'), from: this.flags.from, npmFlags: home.npmFlags })
      lockChanged = locked.lockChanged
      for (const t of locked.tarballs) plan.push({ spec: { kind: 'url', url: `file:${t.file}` }, shown: `${t.name}@${t.version}`, locked: t })
    } else {
      if (this.flags.from !== undefined) throw new UsageError(`--from applies only without a plugin argument (${this.config.bin} plugins install --from <folder>)`)
      for (const input of given) {
        const spec = parsePluginSpec(input, process.cwd())
        if (spec.kind === 'registry' && spec.name === this.config.name) throw new UsageError(`${spec.name} is ssmd itself, not a plugin`)
        plan.push({ spec, shown: input })
      }
    }
    home.npm = findNpm()
    const before = userPluginNames(this.config.dataDir)
    const installed: InstalledItem[] = []
    for (const p of plan) {
      this.note(`${this.config.bin}: installing ${p.shown} with npm…`)
      const done = installPlugin(home, p.spec, { force: this.flags.force })
      installed.push({
        name: done.name,
        version: done.version,
        type: 'user',
        ...(done.entry.tag ? { tag: done.entry.tag } : {}),
        ...(done.entry.url ? { url: done.entry.url } : {}),
      })
      this.note(`${done.name}: installed v${done.version}`)
      if (p.locked) {
        const t = p.locked
        const source = t.source === 'folder' ? this.flags.from : t.source === 'cache' ? "ssmd's tarball cache" : 'the registry'
        this.note(`${this.config.bin}: ${t.name}@${t.version} (${t.integrity.slice(0, 19)}…) from ${source}`)
      }
    }
    if (lockChanged) this.note(`${this.config.bin}: recorded the plugins in ${LOCK_FILE}; commit it`)
    this.note(`${this.config.bin}: npm ran with --ignore-scripts: no lifecycle script (preinstall, install, postinstall, prepare) of a package or its dependencies ran`)
    const report = installReport(this.config, before)
    for (const line of report) this.note(line)
    return { installed, report }
  }

  /** The ssmd repository around the working folder (or -C); undefined outside one (then a plugin argument is required). */
  private repositoryRoot(): string | undefined {
    try {
      return findRoot(this.startDir())
    } catch {
      return undefined
    }
  }
}
