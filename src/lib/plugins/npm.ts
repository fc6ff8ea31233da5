/*
 * The npm that `ssmd plugins` runs: the user's own, not one installed with
 * ssmd. It is looked for as `npm` on PATH first (what `npm` means in the
 * user's shell, with its configuration), then next to the Node.js running
 * ssmd (Node.js ships npm: <prefix>/bin/npm, <prefix>/lib/node_modules/npm on
 * Unix, <prefix>\node_modules\npm on Windows), for when ssmd starts with a
 * PATH that lacks it. Every run gets --ignore-scripts on its command line (and
 * in the environment, for the npm it may start itself): no lifecycle script
 * of a package or its dependencies ever runs.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { SsmdError } from '../core/errors.js'

/** How to start npm: the program and the arguments before npm's own. */
export interface Npm {
  command: string
  prefix: string[]
}

export interface NpmLookup {
  /** The PATH to search (default: process.env.PATH). */
  path?: string
  /** The Node.js executable ssmd runs on (default: process.execPath). */
  execPath?: string
  platform?: NodeJS.Platform
}

function executable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The npm `ssmd plugins` runs (see the top of this file); one clear error when there is none. */
export function findNpm(lookup: NpmLookup = {}): Npm {
  const platform = lookup.platform ?? process.platform
  const execPath = lookup.execPath ?? process.execPath
  const path = lookup.path ?? process.env.PATH ?? ''
  const nodeDir = dirname(execPath)
  if (platform === 'win32') {
    // npm.cmd cannot be started without a shell: run npm's own script on this Node.js instead.
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const cli = join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js')
      if (existsSync(join(dir, 'npm.cmd')) && existsSync(cli)) return { command: execPath, prefix: [cli] }
    }
    const cli = join(nodeDir, 'node_modules', 'npm', 'bin', 'npm-cli.js')
    if (existsSync(cli)) return { command: execPath, prefix: [cli] }
  } else {
    for (const dir of path.split(delimiter).filter(Boolean)) if (executable(join(dir, 'npm'))) return { command: join(dir, 'npm'), prefix: [] }
    // npm's own script, on this Node.js: <prefix>/bin/npm starts with `#!/usr/bin/env node`, which needs node on PATH.
    const cli = join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
    if (existsSync(cli)) return { command: execPath, prefix: [cli] }
    if (executable(join(nodeDir, 'npm'))) return { command: join(nodeDir, 'npm'), prefix: [] }
  }
  throw new SsmdError(
    `npm not found (not on PATH, nor next to ${execPath}): ssmd plugins installs with the npm that comes with Node.js; install Node.js with npm, or put npm on PATH`,
    { code: 'unavailable' },
  )
}

/** Flags of every npm run: no lifecycle script, no audit, no funding notes. */
export const NPM_SAFE_FLAGS = ['--ignore-scripts', '--no-audit', '--no-fund']

export interface NpmRunOptions {
  cwd: string
  /** Packages, names or paths: given to npm after `--`, so that none is ever read as an npm option. */
  operands?: string[]
  /** Extra npm flags (e.g. --registry). */
  flags?: string[]
  /** Show npm's own output on stderr as it comes (else kept, and its reason given on failure). */
  verbose?: boolean
}

/**
 * Runs `npm <args> --ignore-scripts --no-audit --no-fund -- <operands>`; returns its output.
 * Throws one line naming the command and npm's reason when it fails.
 */
export function runNpm(npm: Npm, args: string[], options: NpmRunOptions): string {
  const operands = options.operands ?? []
  const argv = [
    ...npm.prefix,
    ...args,
    ...NPM_SAFE_FLAGS,
    `--loglevel=${options.verbose ? 'http' : 'error'}`,
    ...(options.flags ?? []),
    ...(operands.length > 0 ? ['--', ...operands] : []),
  ]
  const result = spawnSync(npm.command, argv, {
    cwd: options.cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', options.verbose ? 'inherit' : 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    env: npmEnv(process.env),
  })
  if (result.error) throw new SsmdError(`cannot run ${npm.command}: ${result.error.message}`, { code: 'unavailable' })
  if (options.verbose && result.stdout) process.stderr.write(result.stdout)
  if (result.status !== 0) throw new NpmFailed(`npm ${[args[0], ...operands, ...args.slice(1)].join(' ')}`, npmReason(result.stderr ?? ''))
  return result.stdout
}

/**
 * npm's environment. npm reads settings from the command line, then the
 * environment, then the project's .npmrc, and the npm it starts to prepare a
 * git dependency gets this environment, not ssmd's command line, with the
 * dependency's clone as its project: so what must hold there is set here,
 * over any spelling of the user's variables and any .npmrc of a linked folder
 * or a clone: no lifecycle script (ignore-scripts), and never a global
 * install (global, location), which would link a package's programs into
 * npm's bin folder on the user's PATH. `git`, the program npm runs for git
 * dependencies, is the user's npm_config_git if set, else `git` from PATH,
 * never one a dependency's .npmrc names (`git=./pwn.sh`).
 * ssmd's own variables (SSMD_ETCD_PASSWORD among them) are none of npm's
 * business and are left out. HUSKY=0: a package's git-hook installer has no
 * repository here.
 */
export function npmEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(env)) if (!/^npm_config_(ignore[-_]scripts|global|location)$/i.test(k) && !k.startsWith('SSMD_')) out[k] = v
  const git = Object.keys(env).some(k => /^npm_config_git$/i.test(k)) ? {} : { npm_config_git: 'git' }
  return { ...out, ...git, npm_config_ignore_scripts: 'true', npm_config_global: 'false', npm_config_location: 'project', HUSKY: '0' }
}

/** An npm run that failed: what ran, and npm's reason in one line. */
export class NpmFailed extends SsmdError {
  constructor(
    what: string,
    readonly reason: string,
  ) {
    super(`${what} failed: ${reason}`, { code: 'failed' })
  }
}

/** The most of npm's reason ssmd shows (a registry's error page or a package's text can make npm print megabytes on one line). */
const REASON_MAX = 500

/** npm's reason for a failure in one line, e.g. "FetchError: request to … failed, reason: connect ECONNREFUSED", not its code lines or log paths. */
export function npmReason(stderr: string): string {
  const lines = stderr.split('\n').map(l => l.replace(/^npm (error|ERR!) ?/, '').trim())
  const reason =
    lines.find(l => /^[A-Za-z]*Error\b|^\d{3} |^(404|E\d{3})\b/.test(l)) ??
    lines.find(l => l !== '' && !/^(code|syscall|errno|at|path|A complete log|Log files were not written)\b/.test(l)) ??
    'no reason given'
  return reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX)}…` : reason
}
