#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs'
import module from 'node:module'
import { platform } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'
// SIGUSR1 would open Node.js's debugger on 127.0.0.1:9229, and anything that can connect to it runs
// code inside ssmd. A listener of our own replaces that behaviour for the whole run (docs/security.md).
process.on('SIGUSR1', () => {})
// Free start-up time on Node.js >= 22.1; a no-op elsewhere.
module.enableCompileCache?.()
// Plugins are plain JavaScript packages; oclif's note about transpiling linked ESM plugins does not apply.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'

/** ssmd's oclif, once imported (importOclif). */
let oclifLoaded

// Every byte written to stdout and stderr from here on has its secrets masked (src/lib/cli/output-gate.ts).
const { installOutputGate } = await import('../dist/lib/cli/output-gate.js')
installOutputGate()

if (process.argv[2] === '__complete') {
  // Shell completion: answered from the manifests and the repository, without oclif.
  const { complete } = await import('../dist/lib/cli/completion/complete.js')
  process.exitCode = complete(fileURLToPath(new URL('..', import.meta.url)), process.argv.slice(3))
} else if (!(await printVersion().catch(() => false))) {
  const args = await normalizedArgs()
  // ssmd's own one-file commands start without oclif's plugin loading when nothing could change what oclif would do (src/lib/cli/light-start.js).
  const light = await lightStart(args)
  await (light ? light() : oclifRun(args)).catch(async error => {
    // An exit() of a command built on another copy of oclif (a plugin's): what
    // oclif's handle() does for its own ExitError, which it cannot recognise here.
    if (error?.code === 'EEXIT' && Number.isInteger(error.oclif?.exit)) process.exit(error.oclif.exit)
    if (!(await reportParseError(error, args))) await (await importOclif()).handle(error)
  })
}

/**
 * ssmd's oclif, the build's one-file bundle of it (scripts/bundle-vendor.js).
 * @oclif/core checks the Node.js version against its `engines` range with
 * semver on every start (a quarter of its import time). Skip that only when the
 * plain `>=X.Y.Z` range it declares is certainly met; otherwise oclif checks and warns.
 */
async function importOclif() {
  oclifLoaded ??= loadOclif()
  return oclifLoaded
}

async function loadOclif() {
  const engineCheck = 'OCLIF_DISABLE_ENGINE_WARNING'
  const bundled = JSON.parse(readFileSync(fileURLToPath(new URL('../dist/vendor/oclif-core.meta.json', import.meta.url)), 'utf8'))
  const skipEngineCheck = process.env[engineCheck] === undefined && nodeSatisfies(bundled.engines?.node)
  if (skipEngineCheck) process.env[engineCheck] = '1'
  const oclif = await import('../dist/vendor/oclif-core.js')
  if (skipEngineCheck) delete process.env[engineCheck]
  return oclif
}

/**
 * What oclif's execute() does, with parser errors of commands that are not ssmd's
 * own (help) reported in ssmd's one-line style too. User and linked
 * plugins are loaded by ssmd: none of their hooks runs, none of their files is
 * imported, none takes a command of ssmd's (src/lib/cli/plugin-trust.ts).
 */
async function oclifRun(args) {
  const { flush, run } = await importOclif()
  const config = await sealedConfig(args)
  await run(args, config)
  await flush()
}

/**
 * The light start's run of `args`, or undefined when oclif must run them
 * (decided before anything runs): ssmd's command from the build's bundle of
 * that command (scripts/bundle-light.js), with ssmd's config (src/lib/cli/light-start.ts).
 */
async function lightStart(args) {
  if (!existsSync(new URL('../dist/lib/light/manifest.json', import.meta.url))) return undefined
  const { lightBundle, lightRunner } = await import('../dist/lib/cli/light-start.js')
  const runner = lightRunner(
    fileURLToPath(new URL('..', import.meta.url)),
    args,
    async id => {
      const bundle = new URL(`../dist/${lightBundle(id).join('/')}.js`, import.meta.url)
      if (!existsSync(bundle)) return undefined
      await importOclif() // with its engine check, before the bundle imports it
      return (await import(bundle)).COMMANDS[id]?.()
    },
    async () => (await importOclif()).__oclifPlatform(),
  )
  if (!runner) return undefined
  return async () => {
    await runner()
    await (await importOclif()).flush()
  }
}

/** oclif's configuration with user plugins loaded inert; warns when a plugin claims the command being run. */
async function sealedConfig(args) {
  // Every npm run of the plugin commands (install, link --install, update, uninstall) runs no lifecycle script:
  // they pass --ignore-scripts on npm's command line (src/lib/plugins/npm.ts); this covers any npm they start.
  if (args[0] === 'plugins' || args[0]?.startsWith('plugins:')) process.env.npm_config_ignore_scripts = 'true'
  const { loadSealedConfig, shadowWarnings } = await import('../dist/lib/cli/plugin-trust.js')
  const config = await loadSealedConfig(fileURLToPath(new URL('..', import.meta.url)))
  const warnings = shadowWarnings(config, args)
  if (warnings.length > 0) {
    const { escapeControl } = await import('../dist/lib/core/text.js')
    for (const w of warnings) process.stderr.write(`Warning: ${escapeControl(w)}\n`)
  }
  return config
}

/** A parser error of a plugin's command as one ssmd line, exit 2; false for anything else. */
async function reportParseError(error, args) {
  try {
    const { isParseError, parseErrorLine } = await import('../dist/lib/cli/parse-errors.js')
    const { escapeControl } = await import('../dist/lib/core/text.js')
    // Secrets are masked by the output gate; control characters are escaped here.
    const shown = text => escapeControl(text)
    if (!error || error.oclif?.exit === 0 || error.code === 'EEXIT') return false
    if (!isParseError(error)) {
      // Any other error a plugin's command raises on purpose: one plain line, its exit code.
      if (error.constructor?.name !== 'CLIError' || process.env.DEBUG) return false
      const message = String(error.message)
        // eslint-disable-next-line no-control-regex
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')
        .map(l => l.trim())
        .filter(l => l && !/^See more help/.test(l))
        .join(' ')
      process.stderr.write(`Error: ${shown(message)}\n`)
      process.exitCode = error.oclif?.exit ?? 1
      return true
    }
    const { commandTable } = await import('../dist/lib/cli/argv.js')
    const { loadManifest } = await import('../dist/lib/cli/manifest.js')
    const table = commandTable(loadManifest(fileURLToPath(new URL('..', import.meta.url))).commands.keys())
    const words = []
    for (const a of args) {
      if (a.startsWith('-') || !(table.ids.has([...words, a].join(':')) || table.prefixes.has([...words, a].join(':')))) break
      words.push(a)
    }
    const line = shown(parseErrorLine(error, words.join(' ')))
    if (args.includes('--json')) process.stdout.write(JSON.stringify({ error: { code: 'usage', message: line, exit_code: 2 } }, null, 2) + '\n')
    process.stderr.write(`Error: ${line}\n`)
    process.exitCode = 2
    return true
  } catch {
    return false
  }
}

/** Global flags before or between the words of the command id move after it (see src/lib/cli/argv.ts). */
async function normalizedArgs() {
  const args = process.argv.slice(2)
  // Every global flag starts with '-': without one there is nothing to move, and argv.js is not loaded.
  if (!args.some(a => a.startsWith('-'))) return args
  try {
    const { commandTable, globalFlagWidth, normalizeArgv } = await import('../dist/lib/cli/argv.js')
    const end = args.includes('--') ? args.indexOf('--') : args.length
    if (!args.slice(0, end).some((_, i) => globalFlagWidth(args, i) > 0)) return args
    const { loadManifest } = await import('../dist/lib/cli/manifest.js')
    return normalizeArgv(args, commandTable(loadManifest(fileURLToPath(new URL('..', import.meta.url))).commands.keys()))
  } catch {
    return args
  }
}

function nodeSatisfies(range) {
  const m = /^\s*>=\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(range ?? '')
  if (!m) return false
  const want = m.slice(1).map(Number)
  const have = process.versions.node.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i]
  return true
}

/**
 * `ssmd --version` and `ssmd version` print exactly oclif's user agent line without loading oclif
 * (which is most of the start-up time), but only when nothing could change what
 * oclif would do: no `init`/`finally` hook in ssmd or its core plugins, no
 * user-installed or linked plugins, no debug output, not Windows (see plainStart).
 * Returns false (and prints nothing) in every other case.
 */
async function printVersion() {
  const asked = process.argv[2] === '--version' || (process.argv[2] === 'version' && process.argv.length === 3)
  if (!asked) return false
  const { LightConfig, plainStart } = await import('../dist/lib/cli/light-start.js')
  const root = fileURLToPath(new URL('..', import.meta.url))
  const start = plainStart(root, ['init', 'finally'])
  if (!start) return false
  process.stdout.write(`${new LightConfig(start, new Map(), await oclifPlatform()).userAgent}\n`)
  return true
}

/** The platform as oclif names it in its user agent: the same WSL test oclif makes. */
async function oclifPlatform() {
  const wslUtils = module.createRequire(module.createRequire(import.meta.url).resolve('@oclif/core/package.json')).resolve('wsl-utils')
  return (await import(pathToFileURL(wslUtils).href)).isWsl ? 'wsl' : platform()
}
