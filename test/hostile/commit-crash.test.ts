import { expect } from 'chai'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BUILT_BIN } from '../helpers/cli.js'
import { copyExample, tempDir } from '../helpers/repo.js'

/**
 * `ssmd commit` (the built CLI, as a process) interrupted at any point of a
 * 2,000-file commit: by SIGINT/SIGTERM/SIGHUP (locks and temporary files
 * released), by SIGKILL (nothing to release, but nothing git rejects), and
 * by a full file system. After each, a retry must succeed and `git fsck
 * --strict` must be clean: no commit ever references a missing or bad object.
 */

const FILES = 2000
const KILLS = 50

const ENV: Record<string, string> = {}
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) ENV[k] = v
delete ENV.NODE_ENV
Object.assign(ENV, {
  NO_COLOR: '1',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Kill Tester',
  GIT_AUTHOR_EMAIL: 'kill@example.com',
  GIT_COMMITTER_NAME: 'Kill Tester',
  GIT_COMMITTER_EMAIL: 'kill@example.com',
})

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** git without blocking the event loop (the other lane's kill timers keep their time). */
function gitAsync(dir: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn('git', args, { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

async function fsckAsync(dir: string, label: string): Promise<void> {
  const r = await gitAsync(dir, 'fsck', '--strict', '--no-progress', '--no-dangling')
  expect(r.code, `${label}: git fsck --strict\n${r.stdout}${r.stderr}`).to.equal(0)
  expect(r.stdout + r.stderr, label).to.equal('')
}

function fsckClean(dir: string, label: string): void {
  const r = spawnSync('git', ['fsck', '--strict', '--no-progress', '--no-dangling'], { cwd: dir, env: ENV, encoding: 'utf8' })
  expect(r.status, `${label}: git fsck --strict\n${r.stdout}${r.stderr}`).to.equal(0)
  expect(r.stdout + r.stderr, label).to.equal('')
}

/** Scratch space in memory when the machine has it: thousands of small files on a busy disk are slow to write and remove. */
const scratch: string[] = []
function scratchDir(): string {
  let inMemory = false
  try {
    const fs = statfsSync('/dev/shm')
    inMemory = fs.bavail * fs.bsize > 2 ** 30
  } catch {
    /* no /dev/shm */
  }
  const d = inMemory ? mkdtempSync(join('/dev/shm', 'ssmd-kill-')) : tempDir('ssmd-kill-')
  scratch.push(d)
  return d
}
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

/** A repository with FILES extra feeds, committed. */
function bigRepo(dir?: string): string {
  const root = dir ?? join(scratchDir(), 'repo')
  copyExample(root)
  mkdirSync(join(root, 'feeds/bulk'), { recursive: true })
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, 'feeds/bulk', `f${i}.yaml`), `name: f${i}\nstamp: initial\n`)
  git(root, 'init', '-q', '-b', 'main')
  git(root, 'add', '-A')
  git(root, 'commit', '-q', '-m', 'initial')
  return root
}

function change(root: string, stamp: string): void {
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, 'feeds/bulk', `f${i}.yaml`), `name: f${i}\nstamp: ${stamp}\n${'#'.repeat(i % 97)}\n`)
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  /** ms from spawn until .git/index.lock was first seen (undefined: never seen). */
  lockSeenAt?: number
  ms: number
}

/**
 * Starts `ssmd commit`; optionally signals it `after` ms, or `afterLock` ms
 * after index.lock appears (0: at once) — so that start-up time, which varies
 * with the machine's load, does not move the kill out of the commit window.
 */
function commit(root: string, message: string, options: { signal?: NodeJS.Signals; after?: number; afterLock?: number } = {}): Promise<Run> {
  return new Promise(resolve => {
    const t0 = Date.now()
    const child = spawn(process.execPath, [BUILT_BIN, 'commit', '--no-validate', '-m', message], { cwd: root, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', d => (stderr += d))
    let lockSeenAt: number | undefined
    const lock = join(root, '.git/index.lock')
    let lockTimer: NodeJS.Timeout | undefined
    const poll = setInterval(() => {
      if (lockSeenAt === undefined && existsSync(lock)) {
        lockSeenAt = Date.now() - t0
        if (options.afterLock !== undefined && options.signal) {
          if (options.afterLock === 0) child.kill(options.signal)
          else lockTimer = setTimeout(() => child.kill(options.signal), options.afterLock)
        }
      }
    }, 2)
    const timer = options.after !== undefined && options.signal ? setTimeout(() => child.kill(options.signal), options.after) : undefined
    child.on('close', (code, signal) => {
      clearInterval(poll)
      if (timer) clearTimeout(timer)
      if (lockTimer) clearTimeout(lockTimer)
      resolve({ code, signal, stderr, lockSeenAt, ms: Date.now() - t0 })
    })
  })
}

function leftovers(root: string): string[] {
  const gitdir = join(root, '.git')
  const found = readdirSync(gitdir).filter(f => f.endsWith('.lock') || f.startsWith('next-index'))
  for (const sub of readdirSync(join(gitdir, 'objects'))) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue
    for (const f of readdirSync(join(gitdir, 'objects', sub))) if (f.startsWith('tmp_')) found.push(`objects/${sub}/${f}`)
  }
  return found
}

describe('ssmd commit under SIGKILL, signals and a full disk (built CLI)', function () {
  this.timeout(900000)

  it('SIGINT, SIGTERM and SIGHUP during a commit release index.lock and temporary files; git works right after', async () => {
    const root = bigRepo()
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      change(root, signal)
      const r = await commit(root, `interrupted by ${signal}`, { signal, afterLock: 0 })
      expect(r.lockSeenAt, `${signal}: index.lock was never seen`).to.not.equal(undefined)
      expect(r.signal, `${signal}: ${r.stderr}`).to.equal(signal)
      expect(leftovers(root), signal).to.deep.equal([])
      fsckClean(root, signal)
      expect(git(root, 'log', '-1', '--format=%s')).to.equal('initial\n')
    }
    // Interrupted while a hook runs: the temporary index given to the hook goes too.
    const hook = join(root, '.git/hooks/pre-commit')
    writeFileSync(hook, `#!/bin/sh\necho $$ > "${join(root, '.git/hook.pid')}"\nexec sleep 20\n`)
    chmodSync(hook, 0o755)
    const running = commit(root, 'in the hook', { signal: 'SIGTERM', after: 60000 })
    // The shell creates the file before it writes the pid: wait for the whole line.
    const hookPid = () => (existsSync(join(root, '.git/hook.pid')) ? readFileSync(join(root, '.git/hook.pid'), 'utf8') : '')
    for (let i = 0; i < 2000 && !/^\d+\n$/.test(hookPid()); i++) await new Promise(r => setTimeout(r, 10))
    expect(readdirSync(join(root, '.git')).filter(f => f.startsWith('next-index'))).to.have.length(1)
    const pid = Number(hookPid())
    const ssmdPid = Number(execFileSync('sh', ['-c', `ps -o ppid= -p ${pid}`], { encoding: 'utf8' }).trim())
    process.kill(ssmdPid, 'SIGTERM')
    const r = await running
    process.kill(pid, 'SIGKILL')
    expect(r.signal).to.equal('SIGTERM')
    rmSync(join(root, '.git/hook.pid'))
    expect(leftovers(root)).to.deep.equal([])
    rmSync(hook)
    git(root, 'add', '-A')
    git(root, 'commit', '-q', '-m', 'git commits right after')
    fsckClean(root, 'after git commit')
  })

  it(`${KILLS} SIGKILLs spread over the commit window of a ${FILES}-file change: fsck clean after each, every retry commits`, async () => {
    const template = bigRepo()
    change(template, 'calibration')
    const calib = await commit(template, 'calibration')
    expect(calib.code, calib.stderr).to.equal(0)
    expect(calib.lockSeenAt).to.not.equal(undefined)
    // The commit window: from index.lock appearing to the process ending (and a little beyond).
    // Shrunk whenever a commit ends before its kill: the other test worker's load changes how long
    // commits take, and a window measured once would send the late kills after the process is gone.
    let span = Math.round((calib.ms - calib.lockSeenAt!) * 1.05)
    let killedInside = 0
    // Two lanes on separate repositories use both cores; each starts a fresh copy every
    // five kills, since fsck reads every object and each 2,000-file commit adds 2,000.
    const lane = async (first: number) => {
      let root = ''
      for (let i = first, n = 0; i < KILLS; i += 2, n++) {
        if (n % 5 === 0) {
          if (root) {
            await fsckAsync(root, `before leaving ${root}`)
            rmSync(dirname(root), { recursive: true, force: true })
          }
          root = join(scratchDir(), 'repo')
          execFileSync('cp', ['-a', template, root])
        }
        const stamp = `kill-${i}`
        change(root, stamp)
        const at = Math.round((span * i) / (KILLS - 1))
        const r = await commit(root, stamp, { signal: 'SIGKILL', afterLock: at })
        if (r.signal === 'SIGKILL' && existsSync(join(root, '.git/index.lock'))) killedInside++
        else if (r.signal !== 'SIGKILL') span = Math.max(1, Math.round(Math.min(span, at) * 0.8))
        // What the message says to do after a crash: remove the stale lock.
        rmSync(join(root, '.git/index.lock'), { force: true })
        // Every object in the repository, so the previous retry's commit too.
        await fsckAsync(root, `after kill ${i} at ${at} ms into the commit window`)
        const retry = await commit(root, `${stamp} (retry)`)
        if (retry.code !== 0) expect(retry.stderr, `retry ${i}`).to.contain('nothing to commit')
        expect((await gitAsync(root, 'status', '--porcelain')).stdout, `retry ${i}`).to.equal('')
        expect((await gitAsync(root, 'show', `HEAD:feeds/bulk/f${i % FILES}.yaml`)).stdout).to.contain(`stamp: ${stamp}\n`)
      }
      await fsckAsync(root, 'after the last retry')
      git(root, 'archive', '-o', join(tempDir(), `all-${first}.tar`), 'HEAD')
    }
    await Promise.all([lane(0), lane(1)])
    // Most kills must land while the commit held its lock, or the test proves little.
    expect(killedInside, 'kills inside the commit window').to.be.greaterThan(KILLS / 2)
  })

  it('a full file system: the commit fails with one clear line, nothing git rejects; after freeing space the retry commits', async function () {
    if (process.getuid?.() !== 0) {
      console.warn('      SKIPPED: mounting a small tmpfs needs root; the full-disk case was NOT tested')
      this.skip()
    }
    const mnt = tempDir('ssmd-tmpfs-')
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt])
    if (mounted.status !== 0) {
      console.warn(`      SKIPPED: could not mount a tmpfs (${String(mounted.stderr).trim()}); the full-disk case was NOT tested`)
      this.skip()
    }
    try {
      const root = join(mnt, 'repo')
      mkdirSync(root)
      bigRepo(root)
      change(root, 'full')
      // Fill the file system to within a few KiB: the commit's objects cannot all fit.
      const filler = join(mnt, 'filler')
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' })
      const r = await commit(root, 'on a full disk')
      expect(r.code, r.stderr).to.equal(1)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
      expect(r.stderr).to.match(/no space left on device/i)
      expect(leftovers(root)).to.deep.equal([])
      fsckClean(root, 'full disk')
      expect(git(root, 'log', '-1', '--format=%s')).to.equal('initial\n')
      rmSync(filler)
      const retry = await commit(root, 'after freeing space')
      expect(retry.code, retry.stderr).to.equal(0)
      fsckClean(root, 'retry after full disk')
      expect(git(root, 'status', '--porcelain')).to.equal('')
    } finally {
      spawnSync('umount', [mnt])
    }
  })
})
