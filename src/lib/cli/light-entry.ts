/*
 * What bin/run.js asks of ssmd before anything runs, as one CommonJS file.
 *
 * The build bundles this module and the few it imports into
 * dist/lib/light/start.cjs (scripts/bundle-light.js), which bin/run.js loads
 * with a single require(). Node.js 20 resolves, reads, compiles and links each
 * ES module on its own, with no compile cache: the eight a light-start command
 * loaded before cost about a tenth of its start (docs/performance.md). From
 * here on the light start loads CommonJS only: this bundle (which holds the
 * output gate, ssmd's errors and the redactor, shared with the command
 * bundles), oclif's and js-yaml's bundles, and the command's own bundle, each
 * with the build's code cache (bundle-loader.ts).
 *
 * A run that goes through oclif instead imports dist/'s ES modules and
 * installs their output gate; this bundle's gate is then never installed, so
 * the process has one gate, and the errors it throws are the commands' own.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as errors from '../core/errors.js'
import * as secrets from '../domain/secrets.js'
import { commandTable, globalFlagWidth, normalizeArgv } from './argv.js'
import { type LoadedBundle, runBundle } from './bundle-loader.js'
import { lightBundle, lightRunner, type RunnableCommand } from './light-start.js'
import { loadManifest } from './manifest.js'
import * as outputGate from './output-gate.js'

export { LightConfig, ownCommands, plainStart } from './light-start.js'

/** oclif's bundle, as the light start uses it. */
interface Oclif {
  flush(): Promise<void>
  handle(error: unknown): Promise<void>
  __oclifPlatform(): string
}

/**
 * The arguments with global flags written before or between the words of the
 * command id moved after it (argv.ts); the manifest is read only when an
 * argument is such a flag.
 * @public imported from dist/ by bin/run.js
 */
export function normalizedArgs(root: string, args: readonly string[]): string[] {
  // Every global flag starts with '-': without one there is nothing to move.
  if (!args.some(a => a.startsWith('-'))) return [...args]
  try {
    const end = args.includes('--') ? args.indexOf('--') : args.length
    if (!args.slice(0, end).some((_, i) => globalFlagWidth(args, i) > 0)) return [...args]
    return normalizeArgv(args, commandTable(loadManifest(root).commands.keys()))
  } catch {
    return [...args]
  }
}

/**
 * Whether oclif's check of the Node.js version may be skipped: only when the
 * plain `>=X.Y.Z` range its bundle declares is certainly met (the check costs
 * a quarter of oclif's import time; otherwise oclif checks and warns).
 * @public imported from dist/ by bin/run.js
 */
export function oclifEngineMet(root: string): boolean {
  const meta = JSON.parse(readFileSync(join(root, 'dist', 'vendor', 'oclif-core.meta.json'), 'utf8')) as { engines?: { node?: string } }
  const m = /^\s*>=\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(meta.engines?.node ?? '')
  if (!m) return false
  const want = m.slice(1).map(Number)
  const have = process.versions.node.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i]
  return true
}

/** The build's bundle of a vendored package (dist/vendor/<file>). */
function vendor(root: string, file: string): Record<string, unknown> {
  return runBundle(join(root, 'dist', 'vendor', file)).exports
}

/**
 * oclif's bundle, loaded with its engine check as oclif's own import would run it (oclifEngineMet).
 * @public imported from dist/lib/light/start.cjs by the build (scripts/bundle-light.js)
 */
export function loadOclif(root: string): Oclif {
  const key = 'OCLIF_DISABLE_ENGINE_WARNING'
  const skip = process.env[key] === undefined && oclifEngineMet(root)
  if (skip) process.env[key] = '1'
  try {
    return vendor(root, 'oclif-core.cjs') as unknown as Oclif
  } finally {
    if (skip) delete process.env[key]
  }
}

/** A CommonJS module's exports as esbuild's code expects an ES module's namespace (default export included). */
const namespace = (exports: object, withDefault: boolean) => ({ __esModule: true, ...exports, ...(withDefault ? { default: exports } : {}) })

/**
 * Files of dist/ a light-start command's bundle shares with the process instead
 * of holding a copy (scripts/bundle-light.js): one oclif and one js-yaml, and
 * the output gate with what it imports, so that the gate the command writes
 * through is the one installed and the errors it throws are the ones the
 * command's catch recognises.
 * @public imported from dist/ by scripts/bundle-light.js
 */
export const LIGHT_SHARED = ['vendor/oclif-core.js', 'vendor/js-yaml.js', 'lib/cli/output-gate.js', 'lib/core/errors.js', 'lib/domain/secrets.js'] as const

/**
 * The build's bundle of light-start command `id`, run once: its `COMMANDS`
 * table gives the command's class. It shares oclif's and js-yaml's bundles,
 * the output gate, ssmd's errors and the redactor with the process
 * (scripts/bundle-light.js lists them).
 * @public imported from dist/lib/light/start.cjs by the build (scripts/bundle-light.js) and by tests
 */
export function loadLightCommand(root: string, id: string, oclif: object = loadOclif(root)): LoadedBundle {
  const dist = pathToFileURL(join(root, 'dist', '/'))
  const modules: Record<(typeof LIGHT_SHARED)[number], object> = {
    'vendor/oclif-core.js': namespace(oclif, true),
    'vendor/js-yaml.js': namespace(vendor(root, 'js-yaml.cjs'), true),
    'lib/cli/output-gate.js': namespace(outputGate, false),
    'lib/core/errors.js': namespace(errors, false),
    'lib/domain/secrets.js': namespace(secrets, false),
  }
  const shared = Object.fromEntries(LIGHT_SHARED.map(f => [`ssmd-shared:${f}`, modules[f]]))
  return runBundle(commandBundle(root, id), { shared, url: rel => new URL(rel, dist).href })
}

/** The file of light-start command `id`'s bundle. */
const commandBundle = (root: string, id: string) => join(root, 'dist', ...lightBundle(id)) + '.cjs'

/**
 * The light start's run of `args` (already normalised): undefined, having done
 * nothing, when oclif must run them (light-start.ts); otherwise a function that
 * installs the output gate, runs ssmd's command from its bundle, and handles
 * what the command throws as bin/run.js does through oclif.
 * @public imported from dist/ by bin/run.js
 */
export function lightMain(root: string, args: readonly string[]): (() => Promise<void>) | undefined {
  let oclif: Oclif | undefined
  const ownOclif = () => (oclif ??= loadOclif(root))
  const load = async (id: string) => {
    // No bundle: lightRunner says to run the build.
    if (!existsSync(commandBundle(root, id))) return undefined
    const commands = loadLightCommand(root, id, ownOclif()).exports.COMMANDS as Record<string, (() => Promise<RunnableCommand>) | undefined>
    return commands[id]?.()
  }
  const run = lightRunner(root, args, load, async () => ownOclif().__oclifPlatform())
  if (run === undefined) return undefined
  return async () => {
    // Every byte written from here on has its secrets masked (output-gate.ts).
    outputGate.installOutputGate()
    try {
      await run()
      await ownOclif().flush()
    } catch (error) {
      const e = error as { code?: unknown; oclif?: { exit?: unknown } }
      // The command asked to exit: oclif's handle() would do the same.
      if (e?.code === 'EEXIT' && Number.isInteger(e.oclif?.exit)) process.exit(e.oclif?.exit as number)
      await ownOclif().handle(error)
    }
  }
}
