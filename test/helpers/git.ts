/**
 * git run by the tests with only the test's own configuration: a private HOME and global
 * config, no system config, no repository or index inherited from the environment, a fixed
 * identity and fixed dates (so that two commits of the same content get the same id).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempDir } from './repo.js'

/** Variables to set (a string) or to remove (undefined) for a child process. */
export type Env = Record<string, string | undefined>

/** The dates both ssmd's and git's commits get in the tests that compare them. */
export const GIT_TEST_DATE = '@1700000000 +0100'

/** An environment where only the test's own git configuration counts (under a fresh HOME), with `extra` on top. */
export function isolatedGitEnv(extra: Env = {}): Env {
  const home = tempDir('ssmd-home-')
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_DIR: undefined,
    GIT_WORK_TREE: undefined,
    GIT_INDEX_FILE: undefined,
    EMAIL: undefined,
    GIT_AUTHOR_NAME: 'Ssmd Tester',
    GIT_AUTHOR_EMAIL: 'tester@example.com',
    GIT_COMMITTER_NAME: 'Ssmd Tester',
    GIT_COMMITTER_EMAIL: 'tester@example.com',
    GIT_AUTHOR_DATE: GIT_TEST_DATE,
    GIT_COMMITTER_DATE: GIT_TEST_DATE,
    ...extra,
  }
}

/** This process's environment with `env` applied (undefined removes a variable). */
export function fullEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) out[k] = v
  return out
}

/** git in `dir` with `env`; throws when it fails; returns its stdout. */
export function gitIn(dir: string, env: Env, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: fullEnv(env), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** git in `dir` with `env`, its exit code and output whatever they are. */
export function gitTry(dir: string, env: Env, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd: dir, env: fullEnv(env), encoding: 'utf8', input })
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr }
}
