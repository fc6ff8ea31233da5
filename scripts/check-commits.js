#!/usr/bin/env node
// Checks that every commit since a base builds and lints on its own, so that
// `git bisect` works across the whole history (`npm run check:commits BASE`).
// Run it before pushing, with the branch you push onto as BASE:
//
//   npm run check:commits origin/main
//   node scripts/check-commits.js [--verbose] <base> [<head>]
//
// Each commit of `git rev-list --reverse <base>..<head>` (head: HEAD unless
// given) is checked out into a
// temporary worktree of its own (your work tree, index and stash are never
// touched), with this checkout's node_modules linked in, and runs:
//   npm run build, npm run lint, and `tsc -p tsconfig.test.json --noEmit` when
//   the commit has that file and its lint script does not run it already.
// One line per commit: `ok` or `FAIL (<step>)`, the short hash, the subject and
// the time it took. The output of a failing step is printed under its line
// (its last 40 lines; all of it with --verbose). Exit code 0 when every commit
// passes, 1 when one fails, 2 for a bad BASE or usage.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

function usage(message) {
  process.stderr.write(`check-commits: ${message}\nUsage: npm run check:commits <base> [<head>]   (e.g. npm run check:commits origin/main)\n`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({ options: { verbose: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true })
} catch (e) {
  usage(e.message)
}
const { values: opts, positionals } = parsed
if (opts.help) {
  process.stdout.write('Usage: npm run check:commits <base> [<head>] [-- --verbose]\nBuilds and lints every commit of <base>..<head> (head: HEAD) in a temporary worktree.\n')
  process.exit(0)
}
if (positionals.length === 0 || positionals.length > 2)
  usage(positionals.length === 0 ? 'missing the base commit' : `expected a base and at most a head commit, got ${positionals.length} arguments`)
const [base, head = 'HEAD'] = positionals

const git = (args, cwd = process.cwd()) => spawnSync('git', args, { cwd, encoding: 'utf8' })

const top = git(['rev-parse', '--show-toplevel'])
if (top.status !== 0) usage('not inside a git repository')
const root = top.stdout.trim()
for (const rev of [base, head]) if (git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], root).status !== 0) usage(`'${rev}' is not a commit (try origin/main or a hash)`)
const list = git(['rev-list', '--reverse', `${base}..${head}`], root)
if (list.status !== 0) usage(list.stderr.trim())
const commits = list.stdout.split('\n').filter(Boolean)
if (commits.length === 0) {
  process.stdout.write(`No commits in ${base}..${head}\n`)
  process.exit(0)
}
const modules = join(root, 'node_modules')
if (!existsSync(modules)) usage(`${modules} is missing: run npm ci first`)
const modulesTarget = realpathSync(modules)

/** The steps a commit runs, read from its own package.json. */
function steps(dir) {
  const out = [
    ['build', 'npm', ['run', '--silent', 'build']],
    ['lint', 'npm', ['run', '--silent', 'lint']],
  ]
  let lint = ''
  try {
    lint = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.lint ?? ''
  } catch {
    /* no package.json: npm reports it in the build step */
  }
  if (existsSync(join(dir, 'tsconfig.test.json')) && !lint.includes('tsconfig.test.json'))
    out.push(['test type-check', process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json', '--noEmit']])
  return out
}

const scratch = mkdtempSync(join(tmpdir(), 'ssmd-check-commits-'))
let current
const cleanup = () => {
  if (current) git(['worktree', 'remove', '--force', current], root)
  current = undefined
  rmSync(scratch, { recursive: true, force: true })
  git(['worktree', 'prune'], root)
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    cleanup()
    process.exit(130)
  })

let failed = 0
try {
  for (const sha of commits) {
    const subject = git(['log', '-1', '--format=%h %s', sha], root).stdout.trim()
    const shown = subject.length > 100 ? subject.slice(0, 99) + '…' : subject
    const started = Date.now()
    const dir = join(scratch, sha.slice(0, 12))
    const add = git(['worktree', 'add', '--detach', '--quiet', dir, sha], root)
    if (add.status !== 0) {
      failed++
      process.stdout.write(`FAIL (checkout) ${shown}\n${add.stderr}`)
      continue
    }
    current = dir
    symlinkSync(modulesTarget, join(dir, 'node_modules'), 'dir')
    let failure
    for (const [name, cmd, args] of steps(dir)) {
      const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0' } })
      if (r.status !== 0) {
        failure = { name, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) + '\n' : ''}` }
        break
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(0)
    if (failure) {
      failed++
      process.stdout.write(`FAIL (${failure.name}) ${shown} [${seconds} s]\n`)
      const lines = failure.output.trimEnd().split('\n')
      const shownLines = opts.verbose ? lines : lines.slice(-40)
      process.stdout.write(shownLines.map(l => `    ${l}`).join('\n') + '\n')
    } else process.stdout.write(`ok   ${shown} [${seconds} s]\n`)
    git(['worktree', 'remove', '--force', dir], root)
    current = undefined
  }
} finally {
  cleanup()
}
const count = `${commits.length} commit${commits.length === 1 ? '' : 's'}`
process.stdout.write(failed === 0 ? `${count} checked: all build and lint.\n` : `${failed} of ${count} fail.\n`)
process.exit(failed === 0 ? 0 : 1)
