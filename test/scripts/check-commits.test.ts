import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { git, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'check-commits.js')

/**
 * A tiny project whose build fails when src.txt says "broken" and whose lint
 * fails when it says "ugly": four commits, the second and third of them bad.
 */
function tinyProject(): string {
  const dir = join(tempDir(), 'project')
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n')
  const check = (word: string) => `node -e "if (require('fs').readFileSync('src.txt', 'utf8').includes('${word}')) { console.error('src.txt: ${word}'); process.exit(1) }"`
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tiny', private: true, scripts: { build: check('broken'), lint: check('ugly') } }, null, 2))
  writeFileSync(join(dir, 'src.txt'), 'fine\n')
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'base')
  for (const [content, message] of [
    ['broken\n', 'Break the build'],
    ['ugly\n', 'Fix the build, break lint'],
    ['fine again\n', 'All good'],
  ]) {
    writeFileSync(join(dir, 'src.txt'), content)
    git(dir, 'commit', '-q', '-am', message)
  }
  return dir
}

const run = (dir: string, ...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, encoding: 'utf8' })

describe('scripts/check-commits.js', () => {
  it('builds and lints each commit since the base in a worktree of its own, one line per commit, and fails if one fails', () => {
    const dir = tinyProject()
    writeFileSync(join(dir, 'src.txt'), 'uncommitted work\n')
    const r = run(dir, 'HEAD~3')
    const lines = r.stdout.trimEnd().split('\n')
    expect(r.status, r.stdout + r.stderr).to.equal(1)
    expect(lines.filter(l => /^(ok|FAIL)/.test(l)).map(l => l.replace(/ [0-9a-f]{7,} /, ' <sha> ').replace(/ \[\d+ s\]$/, ''))).to.deep.equal([
      'FAIL (build) <sha> Break the build',
      'FAIL (lint) <sha> Fix the build, break lint',
      'ok   <sha> All good',
    ])
    expect(r.stdout).to.include('    src.txt: broken')
    expect(lines.at(-1)).to.equal('2 of 3 commits fail.')
    // The user's work tree is untouched, and no worktree is left behind.
    expect(git(dir, 'status', '--porcelain')).to.equal(' M src.txt\n')
    expect(git(dir, 'worktree', 'list').trim().split('\n')).to.have.length(1)
    expect(existsSync(join(dir, 'node_modules'))).to.equal(true)
  })

  it('passes when every commit since the base passes', () => {
    const dir = tinyProject()
    const r = run(dir, 'HEAD~1')
    expect(r.status, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^ok {3}[0-9a-f]{7,} All good \[\d+ s\]\n1 commit checked: all build and lint\.\n$/)
  })

  it('checks the commits up to a head other than HEAD when given one', () => {
    const dir = tinyProject()
    const r = run(dir, 'HEAD~3', 'HEAD~2')
    expect(r.status, r.stdout + r.stderr).to.equal(1)
    expect(r.stdout).to.match(/^FAIL \(build\) [0-9a-f]{7,} Break the build \[\d+ s\]\n/)
    expect(r.stdout.trimEnd().split('\n').at(-1)).to.equal('1 of 1 commit fail.')
  })

  it('refuses a missing or unknown base with a usage error', () => {
    const dir = tinyProject()
    const none = run(dir)
    expect(none.status).to.equal(2)
    expect(none.stderr.split('\n')[0]).to.equal('check-commits: missing the base commit')
    const bad = run(dir, 'no-such-ref')
    expect(bad.status).to.equal(2)
    expect(bad.stderr.split('\n')[0]).to.equal("check-commits: 'no-such-ref' is not a commit (try origin/main or a hash)")
    expect(readdirSync(dir).sort()).to.deep.equal(['.git', '.gitignore', 'node_modules', 'package.json', 'src.txt'])
  })
})
