#!/usr/bin/env node
// ssmd's own git layer against isomorphic-git, for the operations ssmd does
// (`node scripts/bench-git.js`): the status of the ssmd paths, reading the index, and
// committing one changed file, on a generated repository of about 20,000
// files (N=3000: 3,000 feeds, 1,500 schemas with their definition files,
// 15,000 environments), committed with git. Each operation runs in a fresh
// Node.js process, as a command does, so loading the library counts; the
// median of --runs runs is reported, with git's own CLI for reference.
//
//   node scripts/bench-git.js [--n <feeds>] [--runs <n>]
//
// Needs a built CLI (npm run build) and git. Wall times on a shared machine are
// noisy: compare the columns of one run, and run it on a quiet one for numbers.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { generateRepo, gitEnv } from './gen-repo.js'

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { n: { type: 'string', default: '3000' }, runs: { type: 'string', default: '5' } } })
const n = Number(values.n)
const runs = Number(values.runs)

const dist = name => JSON.stringify(pathToFileURL(join(PROJECT, 'dist', 'lib', 'git', name)).href)
const iso = JSON.stringify(pathToFileURL(join(PROJECT, 'node_modules', 'isomorphic-git', 'index.js')).href)
const PATHS = JSON.stringify(['feeds', 'schemas', 'environments', 'ssmd.yaml'])
/** A change to commit: a comment appended to one feed, different on every run. */
const TOUCH = `import { appendFileSync } from 'node:fs'; appendFileSync(process.argv[1] + '/feeds/' + process.argv[2], '# run ' + process.hrtime.bigint() + '\\n');`

const OPS = {
  'status of the ssmd paths': {
    ssmd: `const { openRepository } = await import(${dist('repo.js')}); const { ssmdStatus } = await import(${dist('status.js')}); const s = await ssmdStatus(openRepository(process.argv[1])); if (s.changes.length) throw new Error('not clean')`,
    'isomorphic-git': `const git = await import(${iso}); const fs = await import('node:fs'); const m = await git.statusMatrix({ fs, dir: process.argv[1], filepaths: ${PATHS} }); if (m.some(r => r[1] !== 1 || r[2] !== 1 || r[3] !== 1)) throw new Error('not clean')`,
    git: ['status', '--porcelain', '--', 'feeds', 'schemas', 'environments', 'ssmd.yaml'],
  },
  'reading the index': {
    ssmd: `const { GitIndex } = await import(${dist('index-file.js')}); const { readFileSync } = await import('node:fs'); GitIndex.parse(readFileSync(process.argv[1] + '/.git/index')).byPath()`,
    'isomorphic-git': `const git = await import(${iso}); const fs = await import('node:fs'); await git.listFiles({ fs, dir: process.argv[1] })`,
    git: ['ls-files', '--stage'],
  },
  'committing one changed file': {
    ssmd: `${TOUCH} const { commitSsmdChanges } = await import(${dist('commit.js')}); await commitSsmdChanges(process.argv[1], { message: 'bench', verify: false })`,
    'isomorphic-git': `${TOUCH} const git = await import(${iso}); const fs = await import('node:fs'); await git.add({ fs, dir: process.argv[1], filepath: 'feeds/' + process.argv[2] }); await git.commit({ fs, dir: process.argv[1], message: 'bench', author: { name: 'ssmd bench', email: 'bench@example.com' } })`,
    git: null,
  },
}

function time(fn) {
  const ms = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    fn()
    ms.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]
}

const dir = mkdtempSync(join(tmpdir(), 'ssmd-bench-git-'))
try {
  const repo = generateRepo(join(dir, 'repo'), n, { git: true })
  const files = execFileSync('git', ['ls-files'], { cwd: repo.root, encoding: 'utf8' }).split('\n').length - 1
  const feed = readdirSync(join(repo.root, 'feeds'))[0]
  // As a repository in use is: files older than the index, which git has refreshed (no racily clean entry to hash again).
  execFileSync('sleep', ['2'])
  execFileSync('git', ['update-index', '--really-refresh'], { cwd: repo.root, env: gitEnv(), stdio: 'ignore' })
  console.log(`repository: ${files} files, ${runs} runs each, median wall time (one process per run)`)
  const node = (code, args) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, repo.root, ...args], { env: gitEnv(), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
  }
  console.log(`node -e 0: ${time(() => node('', [])).toFixed(0)} ms`)
  for (const [name, op] of Object.entries(OPS)) {
    const row = []
    for (const who of ['ssmd', 'isomorphic-git']) row.push(`${who} ${time(() => node(op[who], [feed])).toFixed(0)} ms`)
    if (op.git) row.push(`git ${time(() => execFileSync('git', op.git, { cwd: repo.root, env: gitEnv(), stdio: 'ignore' })).toFixed(0)} ms`)
    console.log(`${name}: ${row.join(', ')}`)
  }
  const fsck = spawnSync('git', ['fsck', '--strict', '--no-progress'], { cwd: repo.root, encoding: 'utf8' })
  console.log(`git fsck --strict after both committed: ${fsck.status === 0 ? 'clean' : fsck.stderr.trim().split('\n')[0]}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
