#!/usr/bin/env node
// CommonJS, as every file of bin/ (bin/package.json): Node.js 20 then never starts its ES module
// loader for a light-start command, which loads CommonJS only (src/lib/cli/light-entry.ts).
'use strict'
const { existsSync } = require('node:fs')
const { createRequire, enableCompileCache } = require('node:module')
const { platform } = require('node:os')
const { join } = require('node:path')
const { pathToFileURL } = require('node:url')
// SIGUSR1 would open Node.js's debugger on 127.0.0.1:9229, and anything that can connect to it runs
// code inside ssmd. A listener of our own replaces that behaviour for the whole run (docs/security.md).
process.on('SIGUSR1', () => {})
// Free start-up time on Node.js >= 22.1; a no-op elsewhere.
enableCompileCache?.()
// Plugins are plain JavaScript packages; oclif's note about transpiling linked ESM plugins does not apply.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'

/** The package's folder, and a file of dist/ by its path there. */
const root = join(__dirname, '..')
const dist = (...path) => join(root, 'dist', ...path)
/** An ES module of dist/ (the compiled sources). */
const importDist = (...path) => import(pathToFileURL(dist(...path)).href)

/** ssmd's oclif, once imported (importOclif). */
let oclifLoaded

// What no handler took — an error of the start itself, or one raised outside any command's handling (a stream
// that fails after the command has finished, such as stdout on a full device) — is one line through the output
// gate, exit code 1, rather than Node.js's report of it, which writes past the gate with a stack trace.
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
main().catch(fail)

let failing = false

async function fail(error) {
  if (failing) process.exit(1)
  failing = true
  try {
    await installOutputGate()
    const verbose = process.argv.includes('--verbose') || process.argv.includes('-v')
    process.stderr.write(`Error: ${(verbose && error?.stack) || error?.message || String(error)}\n`)
  } finally {
    process.exit(1)
  }
}

async function main() {
  const argv = process.argv.slice(2)
  if (argv[0] === '__complete') {
    // Shell completion: answered from the manifests and the repository, without oclif.
    await installOutputGate()
    const { complete } = await importDist('lib', 'cli', 'completion', 'complete.js')
    process.exitCode = complete(root, argv.slice(1))
    return
  }
  if (await printVersion().catch(() => false)) return
  const entry = await lightEntry()
  const args = entry.normalizedArgs(root, argv)
  // ssmd's own one-file commands start without oclif's plugin loading when nothing could change what oclif would do,
  // from CommonJS bundles only (src/lib/cli/light-entry.ts); the light start installs its own output gate.
  const light = entry.lightMain(root, args)
  if (light) return light()
  await installOutputGate()
  await oclifRun(args, entry).catch(async error => {
    // An exit() of a command built on another copy of oclif (a plugin's): what
    // oclif's handle() does for its own ExitError, which it cannot recognise here.
    if (error?.code === 'EEXIT' && Number.isInteger(error.oclif?.exit)) process.exit(error.oclif.exit)
    if (!(await reportParseError(error, args))) await (await importOclif(entry)).handle(error)
  })
}

/** Every byte written to stdout and stderr from here on has its secrets masked (src/lib/cli/output-gate.ts). */
async function installOutputGate() {
  ;(await importDist('lib', 'cli', 'output-gate.js')).installOutputGate()
}

/**
 * What the start needs of ssmd before oclif: the build's one CommonJS file of it
 * (dist/lib/light/start.cjs), or the same module from dist/ when the build wrote no such file.
 */
async function lightEntry() {
  const start = dist('lib', 'light', 'start.cjs')
  return existsSync(start) ? require(start) : importDist('lib', 'cli', 'light-entry.js')
}

/**
 * ssmd's oclif, the build's one-file bundle of it (scripts/bundle-vendor.js).
 * @oclif/core checks the Node.js version against its `engines` range with
 * semver on every start (a quarter of its import time): skipped only when
 * the range is certainly met (oclifEngineMet); otherwise oclif checks and warns.
 */
async function importOclif(entry) {
  oclifLoaded ??= loadOclif(entry)
  return oclifLoaded
}

async function loadOclif(entry) {
  const engineCheck = 'OCLIF_DISABLE_ENGINE_WARNING'
  const skipEngineCheck = process.env[engineCheck] === undefined && entry.oclifEngineMet(root)
  if (skipEngineCheck) process.env[engineCheck] = '1'
  const oclif = await importDist('vendor', 'oclif-core.js')
  if (skipEngineCheck) delete process.env[engineCheck]
  return oclif
}

/**
 * What oclif's execute() does, with parser errors of commands that are not ssmd's
 * own (help) reported in ssmd's one-line style too. User and linked
 * plugins are loaded by ssmd: none of their hooks runs, none of their files is
 * imported, none takes a command of ssmd's (src/lib/cli/plugin-trust.ts).
 */
async function oclifRun(args, entry) {
  const { flush, run } = await importOclif(entry)
  const config = await sealedConfig(args)
  await run(args, config)
  await flush()
}

/** oclif's configuration with user plugins loaded inert; warns when a plugin claims the command being run. */
async function sealedConfig(args) {
  // Every npm run of the plugin commands (install, link --install, update, uninstall) runs no lifecycle script:
  // they pass --ignore-scripts on npm's command line (src/lib/plugins/npm.ts); this covers any npm they start.
  if (args[0] === 'plugins' || args[0]?.startsWith('plugins:')) process.env.npm_config_ignore_scripts = 'true'
  const { loadSealedConfig, shadowWarnings } = await importDist('lib', 'cli', 'plugin-trust.js')
  const config = await loadSealedConfig(root)
  const warnings = shadowWarnings(config, args)
  if (warnings.length > 0) {
    const { escapeControl } = await importDist('lib', 'core', 'text.js')
    for (const w of warnings) process.stderr.write(`Warning: ${escapeControl(w)}\n`)
  }
  return config
}

/** A parser error of a plugin's command as one ssmd line, exit 2; false for anything else. */
async function reportParseError(error, args) {
  try {
    const { isParseError, parseErrorLine } = await importDist('lib', 'cli', 'parse-errors.js')
    const { escapeControl } = await importDist('lib', 'core', 'text.js')
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
    const { commandTable } = await importDist('lib', 'cli', 'argv.js')
    const { loadManifest } = await importDist('lib', 'cli', 'manifest.js')
    const table = commandTable(loadManifest(root).commands.keys())
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
  const { LightConfig, plainStart } = await importDist('lib', 'cli', 'light-start.js')
  const start = plainStart(root, ['init', 'finally'])
  if (!start) return false
  await installOutputGate()
  process.stdout.write(`${new LightConfig(start, new Map(), await oclifPlatform()).userAgent}\n`)
  return true
}

/** The platform as oclif names it in its user agent: the same WSL test oclif makes. */
async function oclifPlatform() {
  const wslUtils = createRequire(require.resolve('@oclif/core/package.json')).resolve('wsl-utils')
  return (await import(pathToFileURL(wslUtils).href)).isWsl ? 'wsl' : platform()
}
