#!/usr/bin/env node
// Benchmarks of the built CLI (`npm run bench`). Every number is the median of
// several runs and is also shown as a ratio to `node -e 0` (and, for the
// commands that read the whole repository, to the I/O floor: `cat` of every
// file) measured in the same run, interleaved, because machines are shared and
// noisy: the ratios are what to compare between runs and machines.
//
//   node scripts/bench.js [--quick] [--reps <n>] [--build] [--keep] [--repos <dir>] [--json <file>]
//
//   --quick        smaller run (N up to 1,000, fewer repetitions), about a minute
//   --reps <n>     repetitions per measurement (default 11 for start-up, 5 otherwise)
//   --build        run `npm run build` first (done anyway when dist/ is missing)
//   --keep         keep the generated repositories (printed at the end)
//   --repos <dir>  generate repositories there and reuse them on later runs
//   --json <file>  also write the results as JSON
//   --large        also validate N=20,000 (about 130,000 files; peak memory target)
//   --no-deploy    skip the deploy benchmark (it needs Debian's etcd on PATH)
//   --only <list>  run only these sections, comma-separated: startup, validate, git, deploy, capnp, plugins,
//                  git-scale (capnp: schema compile of the real-world corpus against capnp compile -o-;
//                  plugins: validate with one plugin vs none, warm and cold; git-scale: diff and commit against git
//                  itself on 5,000 feeds among 20,000 unrelated files)
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateRepo, gitEnv } from './gen-repo.js'

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(PROJECT, 'bin', 'run.js')

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    build: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    repos: { type: 'string' },
    json: { type: 'string' },
    large: { type: 'boolean', default: false },
    'no-deploy': { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (opts.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 21)
      .map(l => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  )
  process.exit(0)
}

const QUICK = opts.quick
const SECTIONS = ['startup', 'validate', 'git', 'deploy', 'capnp', 'plugins', 'git-scale']
const ONLY = opts.only === undefined ? SECTIONS : opts.only.split(',').map(x => x.trim())
for (const x of ONLY) if (!SECTIONS.includes(x)) throw new Error(`--only: unknown section '${x}' (sections: ${SECTIONS.join(', ')})`)
const runs = section => ONLY.includes(section) && !(section === 'deploy' && opts['no-deploy'])
const REPS_START = Number(opts.reps ?? (QUICK ? 5 : 11))
const REPS = Number(opts.reps ?? (QUICK ? 3 : 5))
const VALIDATE_SIZES = QUICK ? [100, 1000] : opts.large ? [100, 1000, 5000, 20000] : [100, 1000, 5000]
/** The size at which the cache and one-file targets are measured. */
const CACHE_N = QUICK ? 1000 : 5000
const LIST_N = QUICK ? 1000 : 5000
/** Repositories for diff/commit: N = 1,000, and the N that makes about 20,000 files. */
const GIT_TARGETS = QUICK ? [{ n: 1000 }] : [{ n: 1000 }, { files: 20000 }]
/** deploy --all: a repository of N feeds has 5N environments. */
const DEPLOY_N = QUICK ? 200 : 1000

// ---------------------------------------------------------------------------
// running and timing

const TIME_BIN = ['/usr/bin/time', '/bin/time'].find(p => existsSync(p) && spawnSync(p, ['-f', '%M', 'true']).status === 0)
const CHILD_ENV = gitEnv({ NO_COLOR: '1', FORCE_COLOR: '0', NODE_OPTIONS: '' })
const memFile = join(tmpdir(), `ssmd-bench-mem-${process.pid}`)

/** Runs a command once: wall time in ms, exit code, output and (with GNU time available) peak RSS in KiB. */
function run(cmd, args, { cwd, memory = false, env = CHILD_ENV } = {}) {
  let file = cmd
  let argv = args
  if (memory && TIME_BIN) {
    file = TIME_BIN
    argv = ['-f', '%M %U %S', '-o', memFile, cmd, ...args]
  }
  const t0 = process.hrtime.bigint()
  const r = spawnSync(file, argv, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  let rssKiB
  let cpuMs
  if (memory && TIME_BIN) {
    const [kib, user, sys] = readFileSync(memFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
    rssKiB = kib
    cpuMs = (user + sys) * 1000
    unlinkSync(memFile)
  }
  if (r.error) throw r.error
  return { ms, code: r.status, stdout: r.stdout, stderr: r.stderr, rssKiB, cpuMs }
}

const ssmd = (args, cwd, memory, env) => run(process.execPath, [BIN, ...args], { cwd, memory, env })
const nodeBaseline = () => run(process.execPath, ['-e', '0'])
/** The I/O floor: every file of the repository (outside .git) read once by `cat`. */
const ioFloor = root => run('sh', ['-c', "find . -type f -not -path './.git/*' -print0 | xargs -0 cat > /dev/null"], { cwd: root })

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function check(label, r, expect = 0) {
  if (r.code !== expect) {
    throw new Error(`${label} exited with ${r.code} (expected ${expect})\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`)
  }
  return r
}

/**
 * Runs each entry `reps` times, interleaved (a, b, c, a, b, c, …) after one
 * unmeasured warm-up each, so load changes on a shared machine hit all alike.
 * Entries may have a `before` step (not timed) that runs ahead of each measured run.
 */
function series(reps, entries) {
  const samples = entries.map(() => [])
  const last = entries.map(() => undefined)
  for (let rep = -1; rep < reps; rep++) {
    entries.forEach((e, i) => {
      e.before?.(rep)
      const r = e.run(rep)
      if (e.expect !== null) check(e.label, r, e.expect ?? 0)
      e.after?.(r, rep)
      if (rep >= 0) samples[i].push(r)
      last[i] = r
    })
  }
  return entries.map((e, i) => ({
    label: e.label,
    ms: median(samples[i].map(s => s.ms)),
    min: Math.min(...samples[i].map(s => s.ms)),
    rssKiB: samples[i][0].rssKiB === undefined ? undefined : median(samples[i].map(s => s.rssKiB)),
    cpuMs: samples[i][0].cpuMs === undefined ? undefined : median(samples[i].map(s => s.cpuMs)),
    last: last[i],
  }))
}

// ---------------------------------------------------------------------------
// repositories

const scratch = opts.repos ? resolve(opts.repos) : mkdtempSync(join(tmpdir(), 'ssmd-bench-'))
mkdirSync(scratch, { recursive: true })

const filesFor = n => {
  const schemas = Math.max(1, Math.floor(n / 2))
  return n + schemas + 5 * n + schemas + Math.floor(schemas / 5)
}

function repo(n, git, tag = '') {
  const dir = join(scratch, `n${n}${git ? '-git' : ''}${tag}`)
  const marker = `${dir}.json`
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, 'utf8'))
  rmSync(dir, { recursive: true, force: true })
  const t = Date.now()
  process.stderr.write(`generating N=${n}${git ? ' (git)' : ''}… `)
  const out = generateRepo(dir, n, { git })
  const info = {
    root: dir,
    n,
    feed: out.feeds[0],
    environments: out.environments.slice(0, 4),
    feeds: out.feeds.slice(0, 5),
    documents: out.yamlFiles,
    files: out.yamlFiles + out.capnpFiles + (git ? 1 : 0),
  }
  writeFileSync(marker, JSON.stringify(info))
  process.stderr.write(`${info.files} files in ${((Date.now() - t) / 1000).toFixed(1)} s\n`)
  return info
}

// ---------------------------------------------------------------------------
// formatting

const fmtMs = ms => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`)
const fmtX = x => (x === undefined ? '' : `${x.toFixed(2)}×`)
const fmtMiB = kib => (kib === undefined ? '' : `${(kib / 1024).toFixed(0)} MiB`)
const fmtInt = n => n.toLocaleString('en-US')

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => String(r[i] ?? '').length)))
  const line = cells => `| ${cells.map((c, i) => (i === 0 ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join(' | ')} |`
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n')
}

// ---------------------------------------------------------------------------
// the benchmark

const results = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  quick: QUICK,
  rows: [],
  targets: [],
}
const rows = []
const row = (name, n, r, extra = {}) => {
  const item = { name, n, ms: r.ms, rssKiB: r.rssKiB, ...extra }
  results.rows.push(item)
  rows.push([
    name,
    n === undefined ? '' : fmtInt(n),
    fmtMs(r.ms),
    fmtX(extra.xNode),
    fmtX(extra.xFloor),
    extra.filesPerSecond ? fmtInt(Math.round(extra.filesPerSecond)) : '',
    fmtMiB(r.rssKiB),
  ])
  return item
}
const target = (what, value, limit, unit = '×') => {
  const met = value <= limit
  results.targets.push({ what, value, limit, met })
  const show = v => (unit === '×' ? `${v.toFixed(2)}×` : unit === 'MiB' ? `${v.toFixed(0)} MiB` : fmtMs(v))
  return [what, show(value), `≤ ${unit === '×' ? `${limit}×` : show(limit)}`, met ? 'met' : 'NOT met']
}
const targetRows = []

if (opts.build || !existsSync(join(PROJECT, 'dist', 'generated', 'validators.cjs')) || !existsSync(join(PROJECT, 'oclif.manifest.json'))) {
  process.stderr.write('building (npm run build)…\n')
  execFileSync('npm', ['run', 'build'], { cwd: PROJECT, stdio: ['ignore', 'ignore', 'inherit'] })
}

const started = Date.now()
const progress = msg => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`)

// 1. Start-up on a small repository.
if (runs('startup')) {
  const small = repo(10, false)
  progress(`start-up (N=10, ${REPS_START} runs each)`)
  const env = small.environments[0]
  const [base, version, list, show, envShow, envRender, completeName, completeRef] = series(REPS_START, [
    { label: 'node -e 0', run: nodeBaseline },
    { label: 'ssmd --version', run: () => ssmd(['--version'], small.root) },
    { label: 'ssmd feed list', run: () => ssmd(['feed', 'list'], small.root) },
    { label: `ssmd feed show ${small.feed}`, run: () => ssmd(['feed', 'show', small.feed], small.root) },
    { label: `ssmd env show ${env}`, run: () => ssmd(['env', 'show', env], small.root) },
    { label: `ssmd env render ${env}`, run: () => ssmd(['env', 'render', env], small.root) },
    // What a shell runs on <Tab>: a feed name, and a <schema>:<version> (reads the schema files).
    { label: 'complete: feed show <Tab>', run: () => ssmd(['__complete', 'bash', '--', 'feed', 'show', ''], small.root) },
    { label: 'complete: env create x --schema <Tab>', run: () => ssmd(['__complete', 'bash', '--', 'env', 'create', 'x', '--schema', ''], small.root) },
  ])
  results.baseline = base.ms
  row('node -e 0', undefined, base, { xNode: 1 })
  const v = row('ssmd --version', 10, version, { xNode: version.ms / base.ms })
  const l = row('ssmd feed list', 10, list, { xNode: list.ms / base.ms })
  const s = row('ssmd feed show', 10, show, { xNode: show.ms / base.ms })
  const cn = row('complete: feed show <Tab>', 10, completeName, { xNode: completeName.ms / base.ms })
  const cr = row('complete: --schema <Tab>', 10, completeRef, { xNode: completeRef.ms / base.ms })
  targetRows.push(target('completion (feed name) vs node -e 0', cn.xNode, 2), target('completion (schema ref) vs node -e 0', cr.xNode, 2))
  targetRows.push(target('--version vs node -e 0', v.xNode, 2.5), target('feed list (N=10) vs node -e 0', l.xNode, 2.5), target('feed show (N=10) vs node -e 0', s.xNode, 3))
  row('ssmd env show', 10, envShow, { xNode: envShow.ms / base.ms })
  row('ssmd env render', 10, envRender, { xNode: envRender.ms / base.ms })
  targetRows.push(target('env render vs env show (N=10)', envRender.ms / envShow.ms, 1.2))
}

// 2. validate at several sizes, each with its own I/O floor; feed list at the largest.
const validateMs = {}
for (const n of runs('validate') ? VALIDATE_SIZES : []) {
  const r = repo(n, false)
  const withList = n === LIST_N
  progress(`validate N=${n} (${r.documents} documents, ${REPS} runs)`)
  const touched = join(r.root, 'feeds', `${r.feed}.yaml`)
  const original = readFileSync(touched, 'utf8')
  let edits = 0
  const withCache = n === CACHE_N
  const entries = [
    { label: 'node -e 0', run: nodeBaseline },
    { label: 'I/O floor', run: () => ioFloor(r.root) },
    { label: 'ssmd validate --no-cache', run: () => ssmd(['validate', '-q', '--no-cache'], r.root, true) },
  ]
  if (withCache) {
    // From an empty cache: whatever an earlier run left there (a run with plugins keeps every document's data) is not measured.
    check('cache clear', ssmd(['cache', 'clear'], r.root))
    entries.push(
      // The first (unmeasured) run of the series fills the cache.
      { label: 'ssmd validate (warm)', run: () => ssmd(['validate', '-q'], r.root, true) },
      {
        label: 'ssmd validate (warm, one file changed)',
        before: () => writeFileSync(touched, `${original}# bench edit ${++edits}\n`),
        run: () => ssmd(['validate', '-q'], r.root, true),
      },
    )
  }
  if (withCache) {
    // The CI case: every run is a fresh checkout (new inodes, new times) with the cache CI restored
    // from an earlier run (--cache-location). The cache is written once, by a run on the committed
    // repository after its files have settled, and copied back before each measured run.
    const g = repo(n, true)
    const ci = {
      master: join(scratch, `ci-cache-n${n}`),
      restored: join(scratch, `ci-restored-n${n}`),
      clone: join(scratch, `ci-clone-n${n}`),
      first: join(scratch, `first-cache-n${n}`),
    }
    rmSync(ci.master, { recursive: true, force: true })
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000)
    check('filling the CI cache', ssmd(['validate', '-q', '--cache-location', ci.master], g.root))
    entries.push(
      {
        label: 'ssmd validate (first run, writes the cache)',
        before: () => rmSync(ci.first, { recursive: true, force: true }),
        run: () => ssmd(['validate', '-q', '--cache-location', ci.first], r.root, true),
      },
      {
        label: 'ssmd validate (CI: fresh clone, restored cache)',
        before: () => {
          rmSync(ci.clone, { recursive: true, force: true })
          execFileSync('git', ['clone', '-q', g.root, ci.clone], { env: CHILD_ENV })
          rmSync(ci.restored, { recursive: true, force: true })
          cpSync(ci.master, ci.restored, { recursive: true })
        },
        run: () => ssmd(['validate', '-q', '--cache-location', ci.restored], ci.clone, true),
      },
    )
  }
  if (withList) entries.push({ label: 'ssmd feed list', run: () => ssmd(['feed', 'list'], r.root) })
  const measured = series(REPS, entries)
  writeFileSync(touched, original)
  const [base, floor, validate] = measured
  const warm = withCache ? measured[3] : undefined
  const warmOne = withCache ? measured[4] : undefined
  const first = withCache ? measured[5] : undefined
  const ciRun = withCache ? measured[6] : undefined
  const list = withList ? measured.at(-1) : undefined
  const summary = /(\d+) errors?, (\d+) warnings? in (\d+) files/.exec(ssmd(['validate', '--no-cache'], r.root).stdout)
  if (!summary || summary[1] !== '0') throw new Error(`validate N=${n} did not report 0 errors: ${summary?.[0]}`)
  const files = Number(summary[3])
  row('I/O floor (cat every file)', n, floor, { xNode: floor.ms / base.ms, files: r.files })
  const item = row('ssmd validate (cold, --no-cache)', n, validate, {
    xNode: validate.ms / base.ms,
    xFloor: validate.ms / floor.ms,
    files,
    filesPerSecond: files / (validate.ms / 1000),
    rssKiB: validate.rssKiB,
  })
  validateMs[n] = validate.ms
  // `--no-cache` at most 3.5× the floor (speed round 3; the first run, which also writes the cache, has 4× below).
  if (n === 5000) targetRows.push(target('validate N=5,000 cold (--no-cache) vs I/O floor', item.xFloor, 3.5))
  if (n === 20000 && validate.rssKiB !== undefined) targetRows.push(target('validate N=20,000 peak RSS (MiB)', validate.rssKiB / 1024, 300, 'MiB'))
  if (warm && warmOne) {
    const w = row('ssmd validate (warm, nothing changed)', n, warm, { xNode: warm.ms / base.ms, xFloor: warm.ms / floor.ms, rssKiB: warm.rssKiB })
    const w1 = row('ssmd validate (warm, one file changed)', n, warmOne, { xNode: warmOne.ms / base.ms, xFloor: warmOne.ms / floor.ms, rssKiB: warmOne.rssKiB })
    targetRows.push(
      target(`validate N=${fmtInt(n)} warm, nothing changed, vs I/O floor`, w.xFloor, 1.5),
      target(`validate N=${fmtInt(n)} warm, one file changed, vs I/O floor`, w1.xFloor, 1.6),
    )
  }
  if (first && ciRun) {
    const f = row('ssmd validate (first run, writes the cache)', n, first, { xNode: first.ms / base.ms, xFloor: first.ms / floor.ms, rssKiB: first.rssKiB })
    const c = row('ssmd validate (CI: fresh clone, restored cache)', n, ciRun, { xNode: ciRun.ms / base.ms, xFloor: ciRun.ms / floor.ms, rssKiB: ciRun.rssKiB })
    targetRows.push(
      target(`validate N=${fmtInt(n)} first run (writes the cache) vs I/O floor`, f.xFloor, 4),
      target(`validate N=${fmtInt(n)} CI: fresh clone + restored cache vs I/O floor`, c.xFloor, 2),
    )
  }
  if (list) {
    const li = row('ssmd feed list', n, list, { xNode: list.ms / base.ms, xFloor: list.ms / floor.ms })
    targetRows.push(target(`feed list N=${fmtInt(n)} vs I/O floor`, li.xFloor, 2))
  }
}

// 2b. Commands about one feed or environment: at N=CACHE_N they read the files
// they are about, so they should cost what they cost at N=10 (same series).
if (runs('validate')) {
  const small = repo(10, false)
  const big = repo(CACHE_N, false)
  progress(`one-file commands N=10 vs N=${CACHE_N} (${REPS_START} runs each)`)
  const [fs10, es10, fsBig, esBig] = series(REPS_START, [
    { label: 'feed show N=10', run: () => ssmd(['feed', 'show', small.feed], small.root) },
    { label: 'env show N=10', run: () => ssmd(['env', 'show', small.environments[0]], small.root) },
    { label: `feed show N=${CACHE_N}`, run: () => ssmd(['feed', 'show', big.feed], big.root) },
    { label: `env show N=${CACHE_N}`, run: () => ssmd(['env', 'show', big.environments[0]], big.root) },
  ])
  row('ssmd feed show', 10, fs10)
  row('ssmd env show', 10, es10)
  row('ssmd feed show', CACHE_N, fsBig, { xSmall: fsBig.ms / fs10.ms })
  row('ssmd env show', CACHE_N, esBig, { xSmall: esBig.ms / es10.ms })
  targetRows.push(target(`feed show N=${fmtInt(CACHE_N)} vs N=10`, fsBig.ms / fs10.ms, 1.2), target(`env show N=${fmtInt(CACHE_N)} vs N=10`, esBig.ms / es10.ms, 1.2))
}
if (validateMs[5000] && validateMs[1000]) targetRows.push(target('validate N=5,000 / N=1,000 (linear)', validateMs[5000] / validateMs[1000], 5.5))

// 3. diff and commit with 10 changed files (9 modified + 1 added or deleted).
for (const t of runs('git') ? GIT_TARGETS : []) {
  let n = t.n
  if (n === undefined) {
    n = 100
    while (filesFor(n) < t.files) n += 10
  }
  const r = repo(n, true)
  const root = r.root
  const toggle = join(root, 'environments', 'env-bench.yaml')
  const stamp = { n: 0 }
  const change = () => {
    stamp.n++
    for (const f of r.feeds) {
      const p = join(root, 'feeds', `${f}.yaml`)
      writeFileSync(p, readFileSync(p, 'utf8').replace(/^display_name: .*$/m, `display_name: Bench edit ${stamp.n} of ${f}`))
    }
    for (const e of r.environments)
      writeFileSync(join(root, 'environments', `${e}.yaml`), readFileSync(join(root, 'environments', `${e}.yaml`), 'utf8') + `# bench edit ${stamp.n}\n`)
    if (existsSync(toggle)) rmSync(toggle)
    else writeFileSync(toggle, readFileSync(join(root, 'environments', `${r.environments[0]}.yaml`), 'utf8').replace(/^name: .*$/m, 'name: env-bench'))
  }
  const changed = out => {
    const lines = out.split('\n').filter(l => /\S/.test(l) && /(feeds|environments|schemas)\//.test(l))
    if (lines.length !== 10) throw new Error(`expected 10 changed files in ssmd diff, got ${lines.length}:\n${out}`)
  }
  progress(`diff and commit N=${n} (${r.files} files, ${REPS} runs)`)
  const [base, gitStatus, diff, commit, commitNoValidate] = series(REPS, [
    { label: 'node -e 0', run: nodeBaseline },
    { label: 'git status', before: change, run: () => run('git', ['status', '--porcelain'], { cwd: root }) },
    { label: 'ssmd diff', run: () => ssmd(['diff'], root), after: res => changed(res.stdout) },
    { label: 'ssmd commit', run: rep => ssmd(['commit', '-m', `bench ${rep}`], root, true) },
    { label: 'ssmd commit --no-validate', before: change, run: rep => ssmd(['commit', '--no-validate', '-m', `bench ${rep} (no validate)`], root, true) },
  ])
  const clean = run('git', ['status', '--porcelain'], { cwd: root })
  if (clean.stdout.trim() !== '') throw new Error(`commit left changes behind:\n${clean.stdout}`)
  row('git status --porcelain', n, gitStatus, { xNode: gitStatus.ms / base.ms, files: r.files })
  const d = row('ssmd diff (10 changed)', n, diff, { xNode: diff.ms / base.ms, files: r.files })
  row('ssmd commit (10 changed)', n, commit, { xNode: commit.ms / base.ms, files: r.files, rssKiB: commit.rssKiB })
  row('ssmd commit --no-validate', n, commitNoValidate, { xNode: commitNoValidate.ms / base.ms, files: r.files, rssKiB: commitNoValidate.rssKiB })
  if (n === 1000) targetRows.push(target('diff N=1,000', d.ms, 500, 'ms'))
  targetRows.push(target(`commit N=${fmtInt(n)} (warm cache) vs commit --no-validate`, commit.ms / commitNoValidate.ms, 2))
}

// 4. env render against env show on a large repository, and deploy --all to a local one-member etcd.
const ETCD = runs('deploy')
  ? (process.env.PATH ?? '')
      .split(':')
      .map(d => join(d, 'etcd'))
      .find(p => existsSync(p))
  : undefined
if (!runs('deploy')) progress('deploy: skipped')
else if (!ETCD) progress('deploy: skipped (no etcd on PATH; apt-get install etcd-server etcd-client)')
else {
  const r = repo(DEPLOY_N, true, '-deploy')
  const envCount = r.n * 5
  progress(`env render vs env show (N=${DEPLOY_N}, ${envCount} environments, ${REPS} runs)`)
  {
    const env = r.environments[0]
    const [base, show, render] = series(REPS, [
      { label: 'node -e 0', run: nodeBaseline },
      { label: 'ssmd env show', run: () => ssmd(['env', 'show', env], r.root) },
      { label: 'ssmd env render', run: () => ssmd(['env', 'render', env], r.root) },
    ])
    row('ssmd env show', DEPLOY_N, show, { xNode: show.ms / base.ms })
    row('ssmd env render', DEPLOY_N, render, { xNode: render.ms / base.ms })
    targetRows.push(target(`env render vs env show (N=${fmtInt(DEPLOY_N)})`, render.ms / show.ms, 1.2))
  }

  const freePort = () =>
    new Promise((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address()
        srv.close(() => resolve(port))
      })
    })
  const [clientPort, peerPort] = [await freePort(), await freePort()]
  const dataDir = mkdtempSync(join(tmpdir(), 'ssmd-bench-etcd-'))
  const client = `http://127.0.0.1:${clientPort}`
  const peer = `http://127.0.0.1:${peerPort}`
  const etcd = spawn(
    ETCD,
    [
      '--name',
      'bench',
      '--data-dir',
      join(dataDir, 'data'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `bench=${peer}`,
    ],
    { stdio: 'ignore' },
  )
  const stopEtcd = () => {
    try {
      etcd.kill('SIGKILL')
    } catch {
      /* gone */
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  process.on('exit', stopEtcd)
  try {
    const endpoint = `127.0.0.1:${clientPort}`
    const deadline = Date.now() + 30000
    while (ssmd(['deploy', 'status', r.environments[0], '--etcd', endpoint, '-q'], r.root).code !== 0) {
      if (Date.now() > deadline) throw new Error('etcd did not start within 30 s')
      execFileSync('sleep', ['0.2'])
    }
    // As after `ssmd validate` or `ssmd commit`: the validation cache is filled.
    check('ssmd validate', ssmd(['validate', '-q'], r.root))
    progress(`deploy --all of ${envCount} environments to a local one-member etcd (${REPS} runs)`)
    const summary = (res, want) => {
      const m = /(\d+) written, (\d+) unchanged/.exec(res.stdout)
      if (!m || `${m[1]}/${m[2]}` !== want) throw new Error(`deploy: expected written/unchanged ${want}, got: ${res.stdout.slice(-300)} ${res.stderr.slice(0, 500)}`)
    }
    const envFile = join(r.root, 'environments', `${r.environments[0]}.yaml`)
    let edits = 0
    const [base, all, unchanged, one] = series(REPS, [
      { label: 'node -e 0', run: nodeBaseline },
      {
        label: 'deploy --all (all new)',
        run: rep => ssmd(['deploy', '--all', '--etcd', endpoint, '--prefix', `/bench/r${rep + 1}`], r.root),
        after: res => summary(res, `${envCount}/0`),
      },
      {
        label: 'deploy --all (unchanged)',
        run: rep => ssmd(['deploy', '--all', '--etcd', endpoint, '--prefix', `/bench/r${rep + 1}`], r.root),
        after: res => summary(res, `0/${envCount}`),
      },
      {
        label: 'deploy --all (one file changed)',
        before: () => {
          // One environment changes: its cache section comes and goes.
          edits++
          const text = readFileSync(envFile, 'utf8')
          writeFileSync(envFile, /^cache:/m.test(text) ? text.replace(/^cache:\n( {2}.*\n)+/m, '') : text + 'cache:\n  type: memory\n')
          execFileSync('git', ['commit', '-qam', `bench deploy edit ${edits}`], { cwd: r.root, env: CHILD_ENV })
        },
        run: rep => ssmd(['deploy', '--all', '--etcd', endpoint, '--prefix', `/bench/r${rep + 1}`], r.root),
        after: res => summary(res, `1/${envCount - 1}`),
      },
    ])
    results.baseline ??= base.ms
    row(`deploy --all, ${fmtInt(envCount)} new`, DEPLOY_N, all, { xNode: all.ms / base.ms })
    row(`deploy --all, ${fmtInt(envCount)} unchanged`, DEPLOY_N, unchanged, { xNode: unchanged.ms / base.ms })
    row('deploy --all, 1 changed', DEPLOY_N, one, { xNode: one.ms / base.ms })
    if (envCount === 5000) targetRows.push(target('deploy --all, 5,000 environments', all.ms, 10000, 'ms'))
  } finally {
    stopEtcd()
  }
}

// 5. Cap'n Proto: compiling the real-world corpus (test/fixtures/capnp-corpus) to
// CodeGeneratorRequests. ssmd: one process compiles every file and builds one request per project
// (what `schema compile` does per file, without start-up per file). capnp: `capnp compile -o-`
// once per project (include root) on the same files.
const capnpBin = spawnSync('capnp', ['--version'], { encoding: 'utf8' })
if (!runs('capnp')) {
  // not asked for
} else if (capnpBin.status === 0) {
  const corpus = join(PROJECT, 'test', 'fixtures', 'capnp-corpus')
  const manifest = JSON.parse(readFileSync(join(corpus, 'corpus.json'), 'utf8')).projects
  const std = mkdtempSync(join(tmpdir(), 'ssmd-bench-std-'))
  const { STD_FILES } = await import(join(PROJECT, 'dist', 'lib', 'capnp', 'std.js'))
  for (const [p, text] of Object.entries(STD_FILES)) {
    mkdirSync(join(std, dirname(p)), { recursive: true })
    writeFileSync(join(std, p), text)
  }
  // the files both accept, per project (capnp runs on a project's files as one set)
  const worker = join(PROJECT, 'scripts', 'capnp-corpus-compile.js')
  const plan = JSON.parse(check('corpus check', run(process.execPath, [worker, corpus, '--list'])).stdout)
  const capnpArgs = name => {
    const a = ['compile', '-o-', '--no-standard-import', '-I', std]
    for (const d of manifest[name].importDirs) a.push('-I', d, `--src-prefix=${d}`)
    return a
  }
  // Files that cannot share one capnp run (two copies of one file with one id) go to separate
  // runs: each group is a set capnp compiles in one process, and ssmd builds one request per group.
  const groups = []
  for (const [name, files] of Object.entries(plan)) {
    const mine = []
    for (const f of files) {
      const g = mine.find(x => run('capnp', [...capnpArgs(name), ...x.files, f], { cwd: join(corpus, name) }).code === 0)
      if (g) g.files.push(f)
      else if (run('capnp', [...capnpArgs(name), f], { cwd: join(corpus, name) }).code === 0) mine.push({ project: name, files: [f] })
    }
    groups.push(...mine)
  }
  const listFile = join(std, 'plan.json')
  writeFileSync(listFile, JSON.stringify(groups))
  const total = groups.reduce((n, g) => n + g.files.length, 0)
  progress(`capnp corpus: ${total} files in ${groups.length} capnp runs over ${Object.keys(plan).length} projects (${REPS} runs)`)
  const [base, theirs, ours] = series(REPS, [
    { label: 'node -e 0', run: nodeBaseline },
    {
      label: 'capnp compile -o-',
      run: () => {
        let ms = 0
        let cpuMs = 0
        for (const g of groups) {
          const r = run('capnp', [...capnpArgs(g.project), ...g.files], { cwd: join(corpus, g.project), memory: true })
          check(`capnp compile (${g.project})`, r)
          ms += r.ms
          cpuMs += r.cpuMs ?? 0
        }
        return { ms, cpuMs: TIME_BIN ? cpuMs : undefined, code: 0, stdout: '', stderr: '' }
      },
    },
    { label: 'ssmd compile', run: () => run(process.execPath, [worker, corpus, listFile], { memory: true }) },
  ])
  results.baseline ??= base.ms
  row('node -e 0', undefined, base, { xNode: 1 })
  row(`capnp compile -o- (${groups.length} processes)`, total, theirs, { xNode: theirs.ms / base.ms, filesPerSecond: total / (theirs.ms / 1000) })
  const o = row('ssmd schema compile (1 process)', total, ours, { xNode: ours.ms / base.ms, filesPerSecond: total / (ours.ms / 1000), rssKiB: ours.rssKiB })
  if (ours.cpuMs !== undefined && theirs.cpuMs !== undefined) {
    row(`capnp compile -o- CPU time (user+sys)`, total, { ms: theirs.cpuMs })
    row('ssmd schema compile CPU time (user+sys)', total, { ms: ours.cpuMs })
  }
  results.capnpCorpus = { files: total, groups: groups.length, capnpMs: theirs.ms, ssmdMs: ours.ms, ratio: ours.ms / theirs.ms, capnpCpuMs: theirs.cpuMs, ssmdCpuMs: ours.cpuMs }
  targetRows.push([`schema compile corpus vs capnp, wall (${total} files)`, `${(o.ms / theirs.ms).toFixed(2)}×`, 'report', ''])
  if (ours.cpuMs !== undefined && theirs.cpuMs) targetRows.push([`schema compile corpus vs capnp, CPU`, `${(ours.cpuMs / theirs.cpuMs).toFixed(2)}×`, 'report', ''])

  // CPU time per file: each file compiled on its own (with its imports) by capnp, one process per
  // file, against ssmd compiling it in a process that validates the whole corpus. capnp's CPU
  // comes from GNU time, whose resolution is 10 ms: each file runs CAPNP_LOOP times in one
  // measured shell loop, and the least of REPS such loops counts.
  if (TIME_BIN) {
    const CAPNP_LOOP = 20
    const single = groups.flatMap(g => g.files.map(f => ({ project: g.project, files: [f] })))
    const singleFile = join(std, 'single.json')
    writeFileSync(singleFile, JSON.stringify(single))
    progress(`capnp corpus: CPU time per file, ${single.length} files (${REPS} runs, capnp ${CAPNP_LOOP} times per run)`)
    const mineCpu = JSON.parse(check('ssmd per-file CPU', run(process.execPath, [worker, corpus, '--cpu', singleFile, String(REPS)])).stdout)
    const loop = `i=0; while [ $i -lt ${CAPNP_LOOP} ]; do "$@" > /dev/null || exit 1; i=$((i+1)); done`
    const perFile = []
    for (const g of single) {
      let best = Infinity
      for (let i = 0; i < REPS; i++) {
        const r = run('sh', ['-c', loop, 'sh', 'capnp', ...capnpArgs(g.project), g.files[0]], { cwd: join(corpus, g.project), memory: true })
        check(`capnp compile ${g.project}/${g.files[0]}`, r)
        best = Math.min(best, r.cpuMs / CAPNP_LOOP)
      }
      const m = mineCpu[`${g.project}/${g.files[0]}`]
      perFile.push({ file: `${g.project}/${g.files[0]}`, capnpMs: best, ssmdMs: m.cpuMs, imports: m.imports })
    }
    // capnp's own process start-up (exec, dynamic linking), the same loop on `capnp --version`
    let startup = Infinity
    for (let i = 0; i < REPS; i++) startup = Math.min(startup, check('capnp --version', run('sh', ['-c', loop, 'sh', 'capnp', '--version'], { memory: true })).cpuMs / CAPNP_LOOP)
    const sum = (xs, k) => xs.reduce((n, x) => n + x[k], 0)
    const heavy = perFile.filter(x => x.imports >= 2)
    const ratios = xs => xs.map(x => x.ssmdMs / Math.max(x.capnpMs, 0.05)).sort((a, b) => a - b)
    const worst = [...perFile].sort((a, b) => b.ssmdMs / Math.max(b.capnpMs, 0.05) - a.ssmdMs / Math.max(a.capnpMs, 0.05))[0]
    row(`capnp compile -o-, CPU per file, all (${perFile.length} files, sum)`, perFile.length, { ms: sum(perFile, 'capnpMs') })
    row(`ssmd compile, CPU per file, all (${perFile.length} files, sum)`, perFile.length, { ms: sum(perFile, 'ssmdMs') })
    row(`capnp compile -o-, CPU per file, ≥ 2 imports (${heavy.length} files, sum)`, heavy.length, { ms: sum(heavy, 'capnpMs') })
    row(`ssmd compile, CPU per file, ≥ 2 imports (${heavy.length} files, sum)`, heavy.length, { ms: sum(heavy, 'ssmdMs') })
    const all = ratios(perFile)
    results.capnpCpuPerFile = {
      files: perFile,
      ratioAll: sum(perFile, 'ssmdMs') / sum(perFile, 'capnpMs'),
      ratioImportHeavy: heavy.length ? sum(heavy, 'ssmdMs') / sum(heavy, 'capnpMs') : undefined,
      medianRatio: median(all),
      worst,
    }
    progress(
      `capnp corpus CPU per file: median ratio ${median(all).toFixed(2)}×, 90th percentile ${all[Math.floor(all.length * 0.9)].toFixed(2)}×, worst ${worst.file} ${worst.ssmdMs.toFixed(2)} ms vs ${worst.capnpMs.toFixed(2)} ms`,
    )
    targetRows.push(target(`schema compile CPU per file vs capnp, all ${perFile.length} files`, results.capnpCpuPerFile.ratioAll, 2))
    if (heavy.length) targetRows.push(target(`schema compile CPU per file vs capnp, ${heavy.length} files with ≥ 2 imports`, results.capnpCpuPerFile.ratioImportHeavy, 2))
    targetRows.push(['schema compile CPU per file vs capnp, median file', `${median(all).toFixed(2)}×`, 'report', ''])
    // without capnp's start-up: what its compile itself costs, against ssmd's in-process compile
    const net = xs => sum(xs, 'ssmdMs') / xs.reduce((n, x) => n + Math.max(x.capnpMs - startup, 0.05), 0)
    results.capnpCpuPerFile.capnpStartupMs = startup
    targetRows.push([`… without capnp's start-up (${startup.toFixed(2)} ms a process), all files`, `${net(perFile).toFixed(2)}×`, 'report', ''])
    if (heavy.length) targetRows.push([`… without capnp's start-up, files with ≥ 2 imports`, `${net(heavy).toFixed(2)}×`, 'report', ''])
  } else {
    progress('capnp corpus: CPU time per file needs GNU time at /usr/bin/time; skipped')
  }
  rmSync(std, { recursive: true, force: true })
} else {
  progress('capnp corpus: skipped, the capnp compiler is not installed (apt-get install capnproto)')
}

// 6. The cost of a plugin: validate with scripts/bench-plugin (checks every feed and
//    environment, finds nothing on a generated repository) installed from its tarball
//    (as users install plugins: with the integrity npm records, which lets ssmd reuse
//    its result) in a private plugin home vs an empty one, same repository,
//    interleaved: warm (each with its own cache folder, so that one does not rewrite
//    the other's) and cold (--no-cache).
if (runs('plugins')) {
  const home = () => {
    const d = mkdtempSync(join(scratch, 'home-'))
    return { ...CHILD_ENV, XDG_DATA_HOME: join(d, 'data'), XDG_CACHE_HOME: join(d, 'cache'), XDG_CONFIG_HOME: join(d, 'config'), npm_config_cache: join(d, 'npm') }
  }
  const none = home()
  const one = home()
  const packed = mkdtempSync(join(scratch, 'pack-'))
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', packed], {
    cwd: join(PROJECT, 'scripts', 'bench-plugin'),
    encoding: 'utf8',
    env: { ...process.env, npm_config_cache: join(packed, 'npm') },
  })
    .trim()
    .split('\n')
    .pop()
  check('plugins install', ssmd(['plugins', 'install', join(packed, tarball)], PROJECT, false, one))
  for (const n of [10, QUICK ? 1000 : 5000]) {
    const r = repo(n, false)
    const reps = n === 10 ? REPS_START : REPS
    const cacheNone = mkdtempSync(join(scratch, 'cache-'))
    const cacheOne = mkdtempSync(join(scratch, 'cache-'))
    progress(`validate N=${n}, one plugin vs none, warm and cold (${reps} runs)`)
    const probe = JSON.parse(ssmd(['validate', '--json', '--cache-location', cacheOne], r.root, false, one).stdout)
    const ran = probe.summary.plugins.map(p => `${p.name} ${p.status}`).join(', ')
    if (ran !== 'ssmd-plugin-bench ok' || probe.summary.errors + probe.summary.warnings > 0)
      throw new Error(`the plugin did not run as expected: ${ran}, ${probe.summary.errors} errors`)
    const [base, without, withPlugin, coldWithout, coldWith] = series(reps, [
      { label: 'node -e 0', run: nodeBaseline },
      { label: 'ssmd validate (no plugin)', run: () => ssmd(['validate', '-q', '--cache-location', cacheNone], r.root, true, none) },
      { label: 'ssmd validate (one plugin)', run: () => ssmd(['validate', '-q', '--cache-location', cacheOne], r.root, true, one) },
      { label: 'ssmd validate --no-cache (no plugin)', run: () => ssmd(['validate', '-q', '--no-cache'], r.root, true, none) },
      { label: 'ssmd validate --no-cache (one plugin)', run: () => ssmd(['validate', '-q', '--no-cache'], r.root, true, one) },
    ])
    const show = (label, x) => row(label, n, x, { xNode: x.ms / base.ms, rssKiB: x.rssKiB, cpuMs: x.cpuMs })
    show('ssmd validate, no plugin (warm)', without)
    show('ssmd validate, one plugin (warm)', withPlugin)
    show('ssmd validate --no-cache, no plugin', coldWithout)
    show('ssmd validate --no-cache, one plugin', coldWith)
    if (withPlugin.cpuMs !== undefined)
      progress(
        `N=${n}: CPU time (user + sys, median) warm ${fmtMs(without.cpuMs)} without, ${fmtMs(withPlugin.cpuMs)} with the plugin; cold ${fmtMs(coldWithout.cpuMs)} without, ${fmtMs(coldWith.cpuMs)} with`,
      )
    if (n === 10) {
      targetRows.push(target('one plugin, N=10 (warm): added time', withPlugin.ms - without.ms, 100, 'ms'))
      targetRows.push(['one plugin, N=10 (cold, --no-cache): added time', fmtMs(coldWith.ms - coldWithout.ms), 'report', ''])
    } else {
      targetRows.push(target(`one plugin, N=${fmtInt(n)} (warm): ratio`, withPlugin.ms / without.ms, 1.15))
      targetRows.push(target(`one plugin, N=${fmtInt(n)} (cold, --no-cache): ratio`, coldWith.ms / coldWithout.ms, 1.3))
    }
    rmSync(cacheNone, { recursive: true, force: true })
    rmSync(cacheOne, { recursive: true, force: true })
  }
}

// 7. Against git itself: 5,000 feeds in a repository that also holds 20,000
// unrelated files, 10 ssmd files changed (9 modified + 1 added or deleted).
if (runs('git-scale')) {
  const FEEDS = QUICK ? 1000 : 5000
  const OTHER = QUICK ? 4000 : 20000
  const root = join(scratch, `scale-${FEEDS}-${OTHER}`)
  if (!existsSync(`${root}.done`)) {
    rmSync(root, { recursive: true, force: true })
    progress(`generating ${fmtInt(FEEDS)} feeds + ${fmtInt(OTHER)} unrelated files`)
    mkdirSync(join(root, 'feeds'), { recursive: true })
    mkdirSync(join(root, 'schemas'))
    mkdirSync(join(root, 'environments'))
    writeFileSync(join(root, 'ssmd.yaml'), '# Team policy\nrules: {}\n')
    for (let i = 0; i < FEEDS; i++) {
      const name = `feed-${String(i).padStart(5, '0')}`
      writeFileSync(
        join(root, 'feeds', `${name}.yaml`),
        `name: ${name}\ndisplay_name: Feed ${i}\ntype: rest\nstatus: active\nversions:\n  - version: v1\n    effective_from: "2024-01-01"\n    endpoint: https://${name}.example.com/api\n`,
      )
    }
    for (let d = 0; d < OTHER / 100; d++) {
      const dir = join(root, 'src', `pkg${String(d).padStart(3, '0')}`)
      mkdirSync(dir, { recursive: true })
      for (let i = 0; i < 100; i++) writeFileSync(join(dir, `m${i}.ts`), `export const v${d}_${i} = ${d * 100 + i}\n`)
    }
    const g = (...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: gitEnv() })
    g('init', '-q', '-b', 'main')
    g('add', '-A')
    g('commit', '-q', '--no-verify', '-m', 'scale repository')
    writeFileSync(`${root}.done`, '')
  }
  // A reused repository may hold the last run's pending change: start clean, with edits no earlier run made.
  execFileSync('git', ['reset', '-q', '--hard'], { cwd: root, env: gitEnv() })
  execFileSync('git', ['clean', '-fdq', '--', 'feeds'], { cwd: root, env: gitEnv() })
  const stamp = { n: 0, run: Date.now().toString(36) }
  const toggle = join(root, 'feeds', 'feed-bench.yaml')
  const change = () => {
    stamp.n++
    for (let i = 0; i < 9; i++) {
      const p = join(root, 'feeds', `feed-${String(i * Math.floor(FEEDS / 9)).padStart(5, '0')}.yaml`)
      writeFileSync(p, readFileSync(p, 'utf8').replace(/^display_name: .*$/m, `display_name: Edit ${stamp.run} ${stamp.n}`))
    }
    if (existsSync(toggle)) rmSync(toggle)
    else writeFileSync(toggle, 'name: feed-bench\ntype: rest\n')
  }
  const ssmdPaths = ['feeds', 'schemas', 'environments', 'ssmd.yaml']
  change()
  progress(`diff and commit vs git: ${fmtInt(FEEDS)} feeds + ${fmtInt(OTHER)} unrelated files (${REPS} runs)`)
  const [base, gitStatus, diff, gitCommit, commit] = series(REPS, [
    { label: 'node -e 0', run: nodeBaseline },
    { label: 'git status --porcelain', run: () => run('git', ['status', '--porcelain'], { cwd: root }) },
    {
      label: 'ssmd diff',
      run: () => ssmd(['diff'], root),
      after: res => {
        if (res.stdout.split('\n').filter(l => /feeds\//.test(l)).length !== 10) throw new Error(`expected 10 changed files:\n${res.stdout}`)
      },
    },
    {
      label: 'git add + git commit',
      run: rep => run('sh', ['-c', `git add -- ${ssmdPaths.join(' ')} && git commit -q --no-verify -m "git ${rep}"`], { cwd: root }),
      after: change,
    },
    { label: 'ssmd commit --no-validate', run: rep => ssmd(['commit', '--no-validate', '-m', `ssmd ${rep}`], root, true), after: change },
  ])
  const clean = run('git', ['status', '--porcelain'], { cwd: root })
  if (clean.stdout.split('\n').filter(Boolean).length !== 10) throw new Error(`expected exactly the next 10 changes pending:\n${clean.stdout}`)
  const files = FEEDS + OTHER + 1
  row('git status --porcelain', FEEDS, gitStatus, { xNode: gitStatus.ms / base.ms, files })
  row('ssmd diff (10 changed)', FEEDS, diff, { xNode: diff.ms / base.ms, files })
  row('git add + git commit', FEEDS, gitCommit, { xNode: gitCommit.ms / base.ms, files })
  row('ssmd commit --no-validate', FEEDS, commit, { xNode: commit.ms / base.ms, files, rssKiB: commit.rssKiB })
  results.gitScale = { feeds: FEEDS, other: OTHER, diffVsStatus: diff.ms / gitStatus.ms, commitVsGit: commit.ms / gitCommit.ms }
  targetRows.push(target(`diff vs git status (${fmtInt(FEEDS)} feeds + ${fmtInt(OTHER)} files)`, diff.ms / gitStatus.ms, 3))
  targetRows.push(target('commit --no-validate vs git add + commit', commit.ms / gitCommit.ms, 2))
}

// ---------------------------------------------------------------------------
// report

const cpu = results.cpu ? `${results.cpu} × ${results.cpus}` : `${results.cpus} CPUs`
console.log(
  `\nssmd benchmark — ${results.date.slice(0, 16).replace('T', ' ')} UTC, Node ${results.node}, ${results.platform}, ${cpu}, ${results.memoryGiB} GiB${QUICK ? ' (quick)' : ''}`,
)
console.log(
  `medians of ${REPS_START} (start-up) / ${REPS} (others) runs; ×node = ratio to \`node -e 0\` (${results.baseline === undefined ? 'see rows' : fmtMs(results.baseline)}), ×floor = ratio to the I/O floor of the same repository\n`,
)
console.log(table(['command', 'N', 'median', '×node', '×floor', 'files/s', 'peak RSS'], rows))
console.log('')
console.log(table(['target', 'measured', 'limit', ''], targetRows))
if (!TIME_BIN) console.log('\n(peak RSS needs GNU time at /usr/bin/time; not available here)')
console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`)

if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n')
if (opts.keep || opts.repos) console.log(`repositories kept in ${scratch}`)
else rmSync(scratch, { recursive: true, force: true })
