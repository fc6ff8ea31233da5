import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { builtinPack } from '../../src/hooks/validate/builtin.js'
import { runRules } from '../../src/lib/validate/engine.js'
import type { Finding } from '../../src/lib/validate/types.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { BUILT_BIN, type CliResult } from '../helpers/cli.js'
import { PROJECT_ROOT, tempDir } from '../helpers/repo.js'

export const CORPUS = resolve(PROJECT_ROOT, 'test/fixtures/corpus/ssmd-original')

/** Where a document of each kind lives in a repository. */
export const KIND_FILE = {
  feed: 'feeds/x.yaml',
  schema: 'schemas/x.yaml',
  environment: 'environments/x.yaml',
  policy: 'ssmd.yaml',
} as const
export type Kind = keyof typeof KIND_FILE

/** An empty ssmd repository holding the given files (path relative to the root → content). */
export function repoWith(files: Record<string, string | Uint8Array>, root = join(tempDir('ssmd-hostile-'), 'repo')): string {
  for (const f of ['feeds', 'schemas', 'environments']) mkdirSync(join(root, f), { recursive: true })
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true })
    writeFileSync(join(root, rel), content)
  }
  return root
}

/** Every finding of the built-in rules over a repository, in-process (no oclif, no plugins). */
export async function validateInProcess(root: string): Promise<Finding[]> {
  const ws = new Workspace(root)
  const { findings } = await runRules(ws, [{ plugin: 'ssmd', result: builtinPack }], { installedPlugins: [] })
  return findings
}

/** A built-in rule that threw is a crash in disguise. */
export function expectNoRuleCrash(findings: Finding[], label = ''): void {
  const crashed = findings.filter(f => f.rule === 'plugin/failed')
  expect(crashed, `${label}: ${crashed.map(f => f.message).join('; ')}`).to.deep.equal([])
}

/** Each finding is located (1-based line and column) and names a file and a rule. */
export function expectLocated(findings: Finding[], label = ''): void {
  for (const f of findings) {
    expect(f.rule, label).to.be.a('string').and.not.equal('')
    expect(f.message, label).to.be.a('string').and.not.equal('')
    expect(Number.isInteger(f.line) && f.line >= 1, `${label}: line of ${JSON.stringify(f)}`).to.equal(true)
    expect(Number.isInteger(f.column) && f.column >= 1, `${label}: column of ${JSON.stringify(f)}`).to.equal(true)
  }
}

/** No stack trace, no uncaught-exception banner, no internal error text. */
export function expectNoCrashOutput(r: CliResult, label = ''): void {
  const out = r.stdout + r.stderr
  expect(out, `${label}: stack trace`).not.to.match(/\n\s+at .+[(:]\d+/)
  expect(out, label).not.to.match(/Uncaught|TypeError|ReferenceError|RangeError|SyntaxError: |Maximum call stack|run with --verbose for details/)
}

/** A small deterministic PRNG (mulberry32), so every run mutates the same way. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The built CLI as a process, with room for large outputs (thousands of findings). */
export function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeout?: number } = {}): CliResult {
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'commands'))) throw new Error('the CLI is not built; run `npm run build` first')
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, NODE_ENV: undefined, NO_COLOR: '1', ...options.env })) if (v !== undefined) env[k] = v
  const r = spawnSync(process.execPath, [BUILT_BIN, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env,
    encoding: 'utf8',
    timeout: options.timeout ?? 60000,
    maxBuffer: 256 * 1024 * 1024,
  })
  if (r.error) throw r.error
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 128 }
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Starts the built CLI; `killAfterMs` sends SIGKILL at that point if it is still running. */
export function start(args: string[], options: { env?: Record<string, string>; killAfterMs?: number } = {}): Promise<Exit> {
  return new Promise(resolve => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, NODE_ENV: undefined, NO_COLOR: '1', ...options.env })) if (v !== undefined) env[k] = v
    const child = spawn(process.execPath, [BUILT_BIN, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs)
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
