import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '@oclif/core'
import { captureOutput } from '@oclif/test'
import { PROJECT_ROOT } from './repo.js'

export interface CliResult {
  stdout: string
  stderr: string
  code: number
}

/**
 * Runs an ssmd command in-process from the TypeScript sources (fast), in `cwd`.
 * Exit code follows the CLI: 0, 1 (failed) or 2 (usage).
 */
export async function ssmd(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const savedCwd = process.cwd()
  const savedEnv: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(options.env ?? {})) {
    savedEnv[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  const savedExit = process.exitCode
  process.exitCode = undefined
  if (options.cwd) process.chdir(options.cwd)
  // Output is captured, not shown on a terminal: tables keep their full width (unless COLUMNS is given).
  const savedTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true, writable: true })
  const savedColumns = process.env.COLUMNS
  if (!options.env || !('COLUMNS' in options.env)) delete process.env.COLUMNS
  try {
    // oclif's own runner with the argument array as given (no re-splitting on spaces).
    const { stdout, stderr, error } = await captureOutput(async () => run(args, { root: PROJECT_ROOT }), { stripAnsi: true })
    const oclifExit = (error as { oclif?: { exit?: number } } | undefined)?.oclif?.exit
    const code = Number(process.exitCode ?? oclifExit ?? (error ? 1 : 0))
    return { stdout, stderr: stderr + (error && oclifExit !== 0 && !stderr ? String(error.message) : ''), code }
  } finally {
    if (savedTTY) Object.defineProperty(process.stdout, 'isTTY', savedTTY)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
    if (savedColumns !== undefined && (!options.env || !('COLUMNS' in options.env))) process.env.COLUMNS = savedColumns
    process.exitCode = savedExit
    process.chdir(savedCwd)
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

export const BUILT_BIN = join(PROJECT_ROOT, 'bin', 'run.js')

/** Runs the BUILT CLI as a separate process (needs `npm run build`). */
export function ssmdProcess(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeout?: number } = {}): CliResult {
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'commands'))) throw new Error('the CLI is not built; run `npm run build` first')
  const env: Record<string, string> = {}
  // NODE_ENV=test (set for in-process tests) would make oclif load TypeScript sources: run as users do.
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', NODE_ENV: undefined, COLUMNS: undefined, ...options.env })) if (v !== undefined) env[k] = v
  const r = spawnSync(process.execPath, [BUILT_BIN, ...args], { cwd: options.cwd ?? PROJECT_ROOT, env, encoding: 'utf8', input: options.input, timeout: options.timeout ?? 60000 })
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? (r.signal ? 128 : 1) }
}
