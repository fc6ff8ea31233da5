#!/usr/bin/env node
// Deploy at fleet scale (`npm run bench:deploy`): a generated repository of 5N
// environments (N feeds; default N=20,000, so 100,000 environments) deployed
// to a local one-member etcd that this script starts and stops. Measures the
// wall time, CPU time (user + sys) and peak RSS of each deploy command against the targets:
//
//   deploy --all --dry-run (nothing deployed yet)   peak RSS ≤ 600 MiB
//   deploy --all (all new, no validation cache)     ≤ 60 s, peak RSS ≤ 600 MiB
//   deploy --all (unchanged)                        ≤ 15 s, peak RSS ≤ 600 MiB
//   deploy status                                   ≤ 15 s, peak RSS ≤ 600 MiB
//   deploy --all --dry-run (unchanged)              peak RSS ≤ 600 MiB
//
//   node scripts/bench-deploy.js [--n <feeds>] [--repo <dir>] [--json <file>]
//
//   --n <feeds>    repository size (5 environments per feed); default 20000
//   --repo <dir>   generate the repository there once and reuse it on later runs
//   --json <file>  also write the results as JSON
//
// Needs Debian's etcd on PATH (apt-get install etcd-server) and a built CLI
// (npm run build). Wall times on a shared machine are noisy: run it on a quiet one.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateRepo } from './gen-repo.js'

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(PROJECT, 'bin', 'run.js')
const { values: opts } = parseArgs({ options: { n: { type: 'string', default: '20000' }, repo: { type: 'string' }, json: { type: 'string' } } })
const N = Number(opts.n)
const MIB = 1024 * 1024

if (!existsSync(join(PROJECT, 'dist', 'commands'))) throw new Error('build first: npm run build')
if (spawnSync('etcd', ['--version']).status !== 0) throw new Error('etcd is not on PATH (apt-get install etcd-server)')

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** Runs the CLI, sampling its peak RSS (VmHWM) and its CPU time (user + sys, last sample before it exits) from /proc. */
function measure(args, cwd) {
  return new Promise(done => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
    let stderr = ''
    child.stderr.on('data', d => (stderr += d))
    let peak = 0
    let cpu = 0
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peak = Math.max(peak, Number(m[1]) * 1024)
        // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the command name's closing parenthesis.
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        cpu = Math.max(cpu, ((Number(fields[11]) + Number(fields[12])) / TICKS) * 1000)
      } catch {
        // exited
      }
    }
    const timer = setInterval(sample, 50)
    child.on('exit', code => {
      clearInterval(timer)
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      done({ code, ms, cpu, peak, stderr: stderr.slice(-500) })
    })
  })
}

const base = mkdtempSync(join(tmpdir(), 'ssmd-bench-deploy-'))
const repoDir = opts.repo ? resolve(opts.repo) : join(base, 'repo')
if (!existsSync(join(repoDir, 'environments'))) {
  console.error(`generating ${5 * N} environments in ${repoDir} …`)
  generateRepo(repoDir, N)
}
const client = await freePort()
const peer = await freePort()
const etcd = spawn(
  'etcd',
  [
    '--name',
    'bench',
    '--data-dir',
    join(base, 'etcd'),
    '--listen-client-urls',
    `http://127.0.0.1:${client}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${client}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peer}`,
    '--initial-cluster',
    `bench=http://127.0.0.1:${peer}`,
    '--quota-backend-bytes',
    String(8 * 1024 * MIB),
  ],
  { stdio: 'ignore' },
)
const results = []
try {
  await new Promise(r => setTimeout(r, 2000))
  const ETCD = ['--etcd', `127.0.0.1:${client}`, '--prefix', '/bench', '-q']
  const cases = [
    // The first two run with no validation cache (as on a fresh checkout), the others with the one they left.
    ['deploy --all --dry-run (nothing deployed, no cache)', ['deploy', '--all', '--dry-run', ...ETCD], undefined, true],
    ['deploy --all (all new, no cache)', ['deploy', '--all', ...ETCD], 60000, true],
    ['deploy --all (unchanged)', ['deploy', '--all', ...ETCD], 15000],
    ['deploy status', ['deploy', 'status', ...ETCD], 15000],
    ['deploy --all --dry-run (unchanged)', ['deploy', '--all', '--dry-run', ...ETCD], undefined],
  ]
  for (const [label, args, limit, noCache] of cases) {
    console.error(`${label} …`)
    if (noCache) rmSync(join(repoDir, '.ssmd'), { recursive: true, force: true })
    const r = await measure(args, repoDir)
    if (r.code !== 0) throw new Error(`${label} exited ${r.code}: ${r.stderr}`)
    results.push({
      label,
      environments: 5 * N,
      ms: Math.round(r.ms),
      cpu_ms: Math.round(r.cpu),
      peak_mib: Math.round(r.peak / MIB),
      time_target_ms: limit ?? null,
      rss_target_mib: 600,
    })
  }
} finally {
  etcd.kill('SIGKILL')
  rmSync(base, { recursive: true, force: true })
}
const pad = (s, n) => String(s).padEnd(n)
console.log(`${pad('command', 52)} ${pad('wall', 10)} ${pad('target', 9)} ${pad('CPU', 10)} ${pad('peak RSS', 10)} target`)
for (const r of results) {
  const t = r.time_target_ms ? `≤ ${r.time_target_ms / 1000} s` : ''
  console.log(
    `${pad(r.label, 52)} ${pad(`${(r.ms / 1000).toFixed(1)} s`, 10)} ${pad(t, 9)} ${pad(`${(r.cpu_ms / 1000).toFixed(1)} s`, 10)} ${pad(`${r.peak_mib} MiB`, 10)} ≤ 600 MiB`,
  )
}
if (opts.json) writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`)
