/**
 * What the tests of plugins share: a private plugin home (never the user's plugins, the
 * registry unreachable), the built CLI run in it, packing a plugin with npm, and a hash of
 * every file of a folder to prove a plugin changed nothing.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ssmdProcess, type CliResult } from './cli.js'
import { exampleRepo, FIXTURES, tempDir } from './repo.js'

/** The fixture plugins (test/fixtures/plugins/<name>). */
export const PLUGINS = join(FIXTURES, 'plugins')

/**
 * The environment of a private plugin home: oclif's data, cache and config folders of
 * their own, npm's cache too, and a registry that cannot be reached, so that everything
 * installs from local files and nothing reaches the user's plugins.
 */
export function pluginHome(extra: Record<string, string> = {}): Record<string, string> {
  return {
    XDG_DATA_HOME: tempDir(),
    XDG_CACHE_HOME: tempDir(),
    XDG_CONFIG_HOME: tempDir(),
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_cache: tempDir(),
    npm_config_fetch_retries: '0',
    ...extra,
  }
}

export interface PluginCli {
  /** This test's private plugin home (see pluginHome). */
  readonly env: Record<string, string>
  /** The built CLI in the plugin home, with `extra` variables, in `cwd`. */
  run(args: string[], extra?: Record<string, string>, cwd?: string): CliResult
  /** `ssmd plugins link --no-install` of a fixture plugin (by name) or a folder (absolute path); must succeed. */
  link(plugin: string): CliResult
}

/**
 * Gives each test of the calling `describe` a fresh private plugin home (a `beforeEach`),
 * with the variables `extra()` returns added (called once per test).
 */
export function pluginCli(extra: () => Record<string, string> = () => ({})): PluginCli {
  let env: Record<string, string> = {}
  beforeEach(() => {
    env = pluginHome(extra())
  })
  const run = (args: string[], more: Record<string, string> = {}, cwd?: string) => ssmdProcess(args, { env: { ...env, ...more }, cwd })
  return {
    get env() {
      return env
    },
    run,
    link: plugin => ok(run(['plugins', 'link', '--no-install', plugin.startsWith('/') ? plugin : join(PLUGINS, plugin)])),
  }
}

/** The result, after checking that the command succeeded (its stderr as the failure message). */
export function ok(r: CliResult): CliResult {
  expect(r.code, r.stderr).to.equal(0)
  return r
}

/** A copy of the example repository with one real mistake for a built-in rule (feed/timezone), to prove a plugin never hides it. */
export function brokenRepo(options: { git?: boolean } = {}): string {
  const repo = exampleRepo(options)
  const feed = join(repo, 'feeds/kalshi.yaml')
  writeFileSync(feed, readFileSync(feed, 'utf8').replace('America/New_York', 'America/Nowhere'))
  return repo
}

/** Every file under a folder with a hash of its bytes: a plugin must not change any. (.ssmd/ is ssmd's own local cache.) */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (d === dir && name === '.ssmd') continue
      if (statSync(p).isDirectory()) walk(p)
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex')
    }
  }
  walk(dir)
  return out
}

/**
 * `npm pack` of a plugin folder (a fixture's name or an absolute path) into `dest` (a new
 * temporary folder by default); returns the tarball's path. `version` packs a copy with that
 * version; `ignoreScripts` leaves the package's own pack scripts unrun (when they are what is
 * under test).
 */
export function packPlugin(plugin: string, options: { dest?: string; version?: string; ignoreScripts?: boolean } = {}): string {
  let dir = plugin.startsWith('/') ? plugin : join(PLUGINS, plugin)
  if (options.version !== undefined) {
    const copy = tempDir()
    cpSync(dir, copy, { recursive: true })
    const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { version: string }
    manifest.version = options.version
    writeFileSync(join(copy, 'package.json'), JSON.stringify(manifest, null, 2))
    dir = copy
  }
  const dest = options.dest ?? tempDir()
  const args = ['pack', ...(options.ignoreScripts ? ['--ignore-scripts'] : []), '--silent', '--pack-destination', dest]
  const out = execFileSync('npm', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_cache: tempDir() } })
  return join(dest, out.trim().split('\n').pop()!)
}
