import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { onCleanup } from './cleanup.js'

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const EXAMPLE_REPO = join(PROJECT_ROOT, 'examples', 'market-data')
export const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures')

const created: string[] = []

/**
 * The suite's private folders (test/setup.ts) for a child given an environment of its own:
 * TMPDIR, and where tmux and fish keep their sockets and runtime files.
 */
export function sandboxEnv(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of ['TMPDIR', 'TMUX_TMPDIR', 'XDG_RUNTIME_DIR']) if (process.env[name] !== undefined) out[name] = process.env[name]!
  return out
}

/** A fresh temporary folder, removed after the test run. */
export function tempDir(prefix = 'ssmd-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  created.push(d)
  return d
}

/** The example's local folder: left by running ssmd on it (as the README's quick start does), never part of it. */
export const EXAMPLE_LOCAL = join(EXAMPLE_REPO, '.ssmd')

/** Copies examples/market-data to `dest` as a fresh clone has it: without `.ssmd/`. */
export function copyExample(dest: string): void {
  cpSync(EXAMPLE_REPO, dest, { recursive: true, filter: source => source !== EXAMPLE_LOCAL })
}

/** A copy of examples/market-data in a temporary folder; with `git`, committed in a new repository. */
export function exampleRepo(options: { git?: boolean } = {}): string {
  const dir = join(tempDir(), 'repo')
  copyExample(dir)
  if (options.git) {
    git(dir, 'init', '-q', '-b', 'main')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'initial')
  }
  return dir
}

/**
 * A copy of test/fixtures/go-made/repo (written by the original Go tool) in a
 * temporary folder, its `dot-ssmd/` back at `.ssmd/` unless `localConfig` is
 * false (a fresh clone has no `.ssmd/`).
 */
export function goMadeRepo(options: { localConfig?: boolean } = {}): string {
  const dir = join(tempDir(), 'repo')
  cpSync(join(FIXTURES, 'go-made', 'repo'), dir, { recursive: true })
  if (options.localConfig === false) rmSync(join(dir, 'dot-ssmd'), { recursive: true })
  else renameSync(join(dir, 'dot-ssmd'), join(dir, '.ssmd'))
  return dir
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' },
  })
}

onCleanup(() => {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true })
})
