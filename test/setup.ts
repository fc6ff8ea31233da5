// Root hooks for the whole test run.
//
// The suite runs in a world of its own: a private temporary folder (TMPDIR) and
// a private HOME whose git configuration gives commits an identity, so it passes
// the same on a machine with no git identity, a fresh container or a developer's
// laptop, and never reads or writes the developer's own settings. When the run
// ends, the checkout must be as it was and the private temporary folder empty:
// anything a test left behind fails the run, by name.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCleanups } from './helpers/cleanup.js'

// oclif maps dist/ to src/ for in-process command tests only in test mode.
process.env.NODE_ENV = 'test'
process.env.NO_COLOR = '1'

const root = join(fileURLToPath(import.meta.url), '..', '..')

// The main mocha process creates the private folders; parallel workers inherit them.
if (!process.env.SSMD_TEST_SANDBOX) {
  const sandbox = mkdtempSync(join(tmpdir(), 'ssmd-suite-'))
  const home = join(sandbox, 'home')
  const tmp = join(sandbox, 'tmp')
  mkdirSync(home)
  mkdirSync(tmp)
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = ssmd test suite\n\temail = suite@example.com\n')
  process.env.SSMD_TEST_SANDBOX = sandbox
  process.env.HOME = home
  process.env.TMPDIR = tmp
  // Programs that keep sockets and runtime files outside TMPDIR (tmux, fish) keep them in the sandbox too.
  process.env.TMUX_TMPDIR = join(sandbox, 'run')
  process.env.XDG_RUNTIME_DIR = join(sandbox, 'run')
  mkdirSync(join(sandbox, 'run'), { mode: 0o700 })
  // Only the private HOME's configuration counts: not /etc/gitconfig, not a developer's XDG or GIT_CONFIG_GLOBAL.
  process.env.GIT_CONFIG_NOSYSTEM = '1'
  for (const name of [
    'XDG_CONFIG_HOME',
    'XDG_DATA_HOME',
    'XDG_CACHE_HOME',
    'XDG_STATE_HOME',
    'GIT_CONFIG_GLOBAL',
    'GIT_CONFIG_SYSTEM',
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
  ])
    delete process.env[name]
  for (const name of Object.keys(process.env)) if (/^GIT_(AUTHOR|COMMITTER)_/.test(name) || /^SSMD_(?!TEST_)/.test(name)) delete process.env[name]
}

/** Root hooks: after each file in parallel mode, after the run in serial mode. */
export const mochaHooks = {
  afterAll(): void {
    runCleanups()
  },
}

/** What git reports of the checkout: changed, untracked and ignored paths. */
function checkoutState(): string[] {
  if (!existsSync(join(root, '.git'))) return []
  const out = execFileSync('git', ['status', '--porcelain=v1', '-z', '--ignored=matching', '--untracked-files=all'], { cwd: root, encoding: 'utf8' })
  return out.split('\0').filter(Boolean).sort()
}

let checkoutBefore: string[] = []

/** Runs once before any test file, also with --parallel (where root hooks would run once per file). */
export async function mochaGlobalSetup(): Promise<void> {
  checkoutBefore = checkoutState()
  // A manifest left by an earlier build would hide commands added since (and pin command
  // files to dist/): refresh it from the sources.
  const manifestPath = join(root, 'oclif.manifest.json')
  if (!existsSync(manifestPath)) return
  const { Plugin } = await import('@oclif/core')
  const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true })
  await plugin.load()
  // Without a cached file path oclif resolves each command through its commands folder:
  // src/ for in-process tests, dist/ for the built CLI. A path here would pin tests to dist/.
  for (const command of Object.values(plugin.manifest.commands) as Array<{ relativePath?: string[]; isESM?: boolean }>) {
    delete command.relativePath
    delete command.isESM
  }
  writeFileSync(manifestPath, JSON.stringify(plugin.manifest, null, 2) + '\n')
}

/** The run leaves the checkout as it found it and nothing in its temporary folder. */
export function mochaGlobalTeardown(): void {
  const sandbox = process.env.SSMD_TEST_SANDBOX!
  const tmp = join(sandbox, 'tmp')
  const left = existsSync(tmp) ? readdirSync(tmp) : []
  rmSync(sandbox, { recursive: true, force: true })
  const before = new Set(checkoutBefore)
  const added = checkoutState().filter(line => !before.has(line))
  const problems: string[] = []
  if (left.length > 0) problems.push(`the tests left ${left.length} entries in the temporary folder: ${left.slice(0, 10).join(', ')}`)
  if (added.length > 0) problems.push(`the tests changed the checkout: ${added.slice(0, 10).join(', ')}`)
  if (problems.length > 0) {
    // mocha neither prints what a global teardown throws nor lets it decide the exit code
    // in every mode: say it, and end the run as failed (the reporter has printed its summary).
    process.stderr.write(`\nError: ${problems.join('; ')}\n`)
    process.exit(1)
  }
}
