import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { lineWriter } from '../io/line-writer.js'
import { expandHome } from './config.js'
import type { Repository } from './repo.js'

export type HookName = 'pre-commit' | 'prepare-commit-msg' | 'commit-msg' | 'post-commit'

/**
 * The hook file git would run: in `core.hooksPath` (relative to the top of
 * the working tree, where hooks run) or `<common git dir>/hooks`. A hook
 * that exists but is not executable is ignored, with git's hint.
 */
export function findHook(repo: Repository, name: HookName): string | undefined {
  const configured = repo.config.get('core.hookspath')
  const dir = configured ? resolve(repo.workTree, expandHome(configured)) : join(repo.commonDir, 'hooks')
  const file = join(dir, name)
  try {
    if (!statSync(file).isFile()) return undefined
  } catch {
    return undefined
  }
  try {
    accessSync(file, constants.X_OK)
    return file
  } catch {
    if (repo.config.getBool('advice.ignoredhook') !== false) {
      process.stderr.write(
        `hint: The '${relative(repo.workTree, file)}' hook was ignored because it's not set as executable.\nhint: You can disable this warning with \`git config advice.ignoredHook false\`.\n`,
      )
    }
    return undefined
  }
}

/**
 * Runs a hook as git does: from the top of the working tree, stdin from
 * /dev/null, its output on our stderr, with `env` added to the environment
 * (GIT_INDEX_FILE, GIT_EDITOR, GIT_AUTHOR_*, GIT_PREFIX). Resolves to its
 * exit status (128 + signal number when killed).
 */
export function runHook(repo: Repository, file: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: repo.workTree, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    // Relayed line by line, so the output gate sees each line whole.
    const out = lineWriter(process.stderr)
    const err = lineWriter(process.stderr)
    child.stdout.on('data', (d: Buffer) => out.write(d))
    child.stderr.on('data', (d: Buffer) => err.write(d))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      out.end()
      err.end()
      resolvePromise(code ?? (signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : 1))
    })
  })
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13, SIGABRT: 6, SIGSEGV: 11 }

/** GIT_PREFIX as git sets it for hooks: the working directory relative to the top, with a trailing slash ('' at the top). */
export function gitPrefix(repo: Repository, cwd = process.cwd()): string {
  let real = cwd
  try {
    real = resolve(cwd)
  } catch {
    /* keep */
  }
  const rel = relative(repo.workTree, real)
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return ''
  return rel.split(sep).join('/') + '/'
}
