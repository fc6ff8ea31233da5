/**
 * docs/deploy.md's "Getting started", run as written against a real etcd: its
 * etcd command line (on free ports, with a temporary data folder), its etcdctl
 * commands, its deploys, and examples/capture-reader.mjs, whose printed lines
 * must be the ones the page shows. Needs `npm run build` (the example imports
 * `ssmd/runtime` from dist/).
 */
import { expect } from 'chai'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { ETCD_BIN, ETCDCTL_BIN, freePort } from '../helpers/etcd.js'
import { moduleRecorder, packageOf } from '../helpers/modules.js'
import { git, PROJECT_ROOT, tempDir } from '../helpers/repo.js'
import { openEnvironment, ReaderError } from '../../src/runtime.js'

/** The page's "Getting started" section: its shell commands (continuation lines joined) and its output blocks, in order. */
function gettingStarted(): { commands: string[][]; outputs: string[] } {
  const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8')
  const start = doc.indexOf('## Getting started')
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1))
  const commands: string[][] = []
  const outputs: string[] = []
  for (const m of section.matchAll(/```(sh)?\n([\s\S]*?)```/g)) {
    if (m[1])
      commands.push(
        m[2]
          .replace(/\\\n\s*/g, '')
          .trimEnd()
          .split('\n'),
      )
    else outputs.push(m[2].trimEnd())
  }
  return { commands, outputs }
}

/** A line's leading VAR=value assignments, and the rest split into words (the page uses no quoting there). */
function words(line: string): { env: Record<string, string>; argv: string[] } {
  const env: Record<string, string> = {}
  const argv = line.trim().split(/\s+/)
  while (argv.length > 0 && /^[A-Z_]+=/.test(argv[0])) {
    const [k, ...v] = argv.shift()!.split('=')
    env[k] = v.join('=')
  }
  return { env, argv }
}

/** Waits for the `n`-th line (1-based) a process prints. */
function lines(p: ChildProcess): (n: number, ms?: number) => Promise<string> {
  let out = ''
  let err = ''
  p.stdout!.on('data', d => (out += d))
  p.stderr!.on('data', d => (err += d))
  return (n, ms = 20000) =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + ms
      const check = () => {
        const all = out.split('\n')
        if (all.length > n) return resolve(all[n - 1])
        if (p.exitCode !== null || Date.now() > deadline) return reject(new Error(`no line ${n} (exit ${p.exitCode}); stdout: ${out} stderr: ${err}`))
        setTimeout(check, 50)
      }
      check()
    })
}

describe('docs/deploy.md "Getting started", run as written (built CLI)', function () {
  this.timeout(180000)
  const children: ChildProcess[] = []
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  })

  it('etcd on loopback, the deploy and capture users, a deploy, and the example reader following a redeploy', async () => {
    const { commands, outputs } = gettingStarted()
    expect(commands).to.have.length(5)
    const [client, peer] = [await freePort(), await freePort()]
    const data = join(tempDir(), 'etcd')
    const repo = join(tempDir(), 'market-data')
    const local = (line: string) =>
      line
        .replaceAll('127.0.0.1:2379', `127.0.0.1:${client}`)
        .replaceAll('127.0.0.1:2380', `127.0.0.1:${peer}`)
        .replaceAll('/tmp/ssmd-etcd', data)
        .replaceAll('/tmp/market-data', repo)
    const env: Record<string, string> = {}
    const sh = (line: string, cwd: string) => {
      const r = spawnSync('bash', ['-ec', local(line)], { cwd, encoding: 'utf8', env: { ...process.env, ...env } })
      expect(r.status, `${line}\n${r.stderr}`).to.equal(0)
      return r.stdout
    }
    const etcdctl = (line: string) => {
      const { argv } = words(local(line))
      expect(argv[0]).to.equal('etcdctl')
      const r = spawnSync(ETCDCTL_BIN!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } })
      return { code: r.status, out: r.stdout + r.stderr }
    }
    /** A deploy line of the page: the built CLI runs it as written (as the deploy user). */
    const deploy = (line: string) => {
      const { env: vars, argv } = words(local(line))
      expect(argv.slice(0, 2)).to.deep.equal(['ssmd', 'deploy'])
      const r = ssmdProcess(argv.slice(1), { cwd: repo, env: vars })
      expect(r.code, r.stderr).to.equal(0)
    }

    // 1. etcd on loopback.
    const [etcdLine, exportLine, health] = commands[0]
    const { argv: etcdArgv } = words(local(etcdLine).replace(/\s*>\S+ 2>&1 &$/, ''))
    expect(etcdArgv[0]).to.equal('etcd')
    const server = spawn(ETCD_BIN!, etcdArgv.slice(1), { stdio: 'ignore' })
    children.push(server)
    Object.assign(env, words(local(exportLine).replace(/^export /, '')).env)
    expect(env).to.deep.equal({ ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: `127.0.0.1:${client}` })
    const deadline = Date.now() + 60000
    while (etcdctl(health).code !== 0) {
      expect(Date.now(), 'etcd did not become healthy').to.be.below(deadline)
      await new Promise(r => setTimeout(r, 200))
    }

    // 2. Users and roles, authentication on.
    for (const line of commands[1]) {
      const r = etcdctl(line)
      expect(r.code, `${line}: ${r.out}`).to.equal(0)
    }

    // 3. The deploy, and what etcdctl shows of it.
    const [copy, commit, deployAll, get] = commands[2]
    sh(copy, PROJECT_ROOT)
    sh(commit, repo)
    deploy(deployAll)
    const shown = etcdctl(get)
    expect(shown.code, shown.out).to.equal(0)
    expect(shown.out).to.contain('/ssmd/environments/kalshi-dev/content\n').and.to.contain('/ssmd/environments/kalshi-dev/deploy\n')

    // 4. The capture process: its first line is the page's, with this repository's commit.
    const { env: captureEnv, argv: captureArgv } = words(local(commands[3][0]))
    expect(captureArgv.slice(0, 2)).to.deep.equal(['node', 'examples/capture-reader.mjs'])
    const recorder = moduleRecorder()
    const capture = spawn(process.execPath, [...recorder.nodeArgs, ...captureArgv.slice(1)], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NODE_ENV: '', ...captureEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(capture)
    const line = lines(capture)
    const withCommit = (text: string) => text.replace(/\(commit [0-9a-f]{12}\)/, `(commit ${git(repo, 'rev-parse', 'HEAD').trim().slice(0, 12)})`)
    expect(await line(1)).to.equal(withCommit(outputs[0]))

    // The capture user reads its environment only; a wrong password is one line without the password.
    const other = await openEnvironment('kalshi-prod', { env: captureEnv }).then(
      r => (r.close(), undefined),
      (e: ReaderError) => e,
    )
    expect(other?.code).to.equal('etcd-permission')
    const wrong = await openEnvironment('kalshi-dev', { env: { ...captureEnv, SSMD_ETCD_PASSWORD: 'not-the-Password-4x' } }).then(
      r => (r.close(), undefined),
      (e: ReaderError) => e,
    )
    expect(wrong?.code).to.equal('etcd-auth')
    expect(wrong?.message).to.contain("refused user 'capture'").and.not.to.contain('not-the-Password-4x')

    // 5. Change, commit, redeploy: the running process prints the page's second line.
    const [edit, commitAgain, deployOne] = commands[4]
    sh(edit, repo)
    sh(commitAgain, repo)
    deploy(deployOne)
    expect(await line(2)).to.equal(withCommit(outputs[1]))

    // Ctrl-C closes the reader; the watch loop ends and so does the process, without a warning.
    const exited = new Promise<number | null>(resolve => capture.once('exit', code => resolve(code)))
    capture.kill('SIGINT')
    expect(await exited).to.equal(0)
    // ssmd/runtime loads the etcd client, not the command line (no oclif, no YAML, no validators).
    const loaded = recorder.loaded()
    expect(loaded).to.include('dist/runtime.js')
    expect(loaded.filter(p => /^dist\/(commands|hooks|vendor|generated)\/|^dist\/lib\/(cli|validate|workspace|yaml|git|capnp)\//.test(p))).to.deep.equal([])
    const packages = new Set(loaded.map(packageOf).filter(Boolean))
    for (const heavy of ['@oclif/core', 'js-yaml', 'yaml', 'ajv', 'isomorphic-git', 'capnp-es']) expect(packages.has(heavy), heavy).to.equal(false)
    expect(packages.has('etcd3')).to.equal(true)
  })
})
