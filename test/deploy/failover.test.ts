import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { generateRepo } from '../../scripts/gen-repo.js'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { startEtcd, type EtcdCluster } from '../helpers/etcd.js'
import { git, tempDir } from '../helpers/repo.js'
import { digestOf } from '../../src/lib/deploy/layout.js'

const AS_OF = '2025-03-01'
const PREFIX = '/failover'

/** env name → (key relative to the environment → value). */
function byEnvironment(kvs: Map<string, string>): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>()
  const base = `${PREFIX}/environments/`
  for (const [k, v] of kvs) {
    const [name, ...rest] = k.slice(base.length).split('/')
    if (!out.has(name)) out.set(name, new Map())
    out.get(name)!.set(rest.join('/'), v)
  }
  return out
}

const content = (m: Map<string, string>) => new Map([...m].filter(([k]) => k !== 'deploy'))
const commitOf = (m: Map<string, string> | undefined) => (m?.get('deploy') ? JSON.parse(m.get('deploy')!).commit : undefined)

describe('ssmd deploy: a three-member etcd cluster losing its leader mid-deploy', function () {
  this.timeout(300000)
  let etcd: EtcdCluster

  before(async () => {
    etcd = await startEtcd(3)
  })
  after(async () => {
    await etcd?.stop()
  })

  it('leaves every environment entirely old or entirely new, and a rerun completes (1,000 environments)', async () => {
    const dir = join(tempDir(), 'repo')
    const repo = generateRepo(dir, 200)
    expect(repo.environments).to.have.length(1000)
    const endpoints = etcd.endpoints()
    const args = ['deploy', '--all', '--etcd', endpoints, '--prefix', PREFIX, '--as-of', AS_OF, '--dial-timeout', '10']

    const first = ssmdProcess(args, { cwd: dir, timeout: 240000 })
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout).to.contain('1000 written, 0 unchanged')
    const old = byEnvironment(etcd.getPrefix(`${PREFIX}/environments/`))
    expect(old.size).to.equal(1000)
    const oldCommit = git(dir, 'rev-parse', 'HEAD').trim()

    // A change that touches every environment in two keys (feed and storage) besides its record.
    for (const f of readdirSync(join(dir, 'feeds'))) {
      const p = join(dir, 'feeds', f)
      writeFileSync(p, readFileSync(p, 'utf8').replace(/^display_name: (.*)$/m, 'display_name: $1 (moved)'))
    }
    for (const f of readdirSync(join(dir, 'environments'))) {
      const p = join(dir, 'environments', f)
      writeFileSync(
        p,
        readFileSync(p, 'utf8')
          .replace('/var/lib/ssmd/', '/srv/ssmd/')
          .replace(/bucket: ssmd-/, 'bucket: ssmd2-'),
      )
    }
    git(dir, 'commit', '-qam', 'move everything')
    const newCommit = git(dir, 'rev-parse', 'HEAD').trim()

    // Watch from the followers and kill the leader once the new deploy has written its first environments.
    const leader = etcd.leader()
    const followers = etcd.members.filter(m => m !== leader)
    const watcher = new Etcd3({ hosts: followers.map(m => m.clientUrl) })
    let written = 0
    let killedAt: number | undefined
    let deployRunningAtKill = false
    let deployExit: number | null | undefined
    const watch = await watcher.watch().prefix(`${PREFIX}/environments/`).create()
    const deployDone = new Promise<{ code: number | null; stdout: string; stderr: string }>(resolve => {
      const env: Record<string, string> = {}
      for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', NODE_ENV: undefined })) if (v !== undefined) env[k] = v
      const child = spawn(process.execPath, [BUILT_BIN, ...args], { cwd: dir, env })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', d => (stdout += d))
      child.stderr.on('data', d => (stderr += d))
      child.on('exit', code => {
        deployExit = code
        resolve({ code, stdout, stderr })
      })
    })
    watch.on('put', kv => {
      if (!kv.key.toString().endsWith('/deploy') || JSON.parse(kv.value.toString()).commit !== newCommit) return
      written++
      if (written === 20 && killedAt === undefined) {
        killedAt = written
        deployRunningAtKill = deployExit === undefined
        leader.process!.kill('SIGKILL')
      }
    })
    const interrupted = await deployDone
    await watch.cancel()
    watcher.close()
    expect(killedAt, 'the leader was killed during the deploy').to.equal(20)
    expect(deployRunningAtKill, 'the deploy was still running when the leader died').to.equal(true)
    // Either the client failed over and finished, or it stopped with one clear line.
    if (interrupted.code !== 0) {
      expect(interrupted.code).to.equal(1)
      expect(interrupted.stderr.trim().split('\n').at(-1)).to.match(/^Error: /)
    }

    // Every environment is entirely old or entirely new.
    await etcd.ready(60000, followers)
    const mid = byEnvironment(etcd.getPrefix(`${PREFIX}/environments/`, followers))
    expect(mid.size).to.equal(1000)
    let midNew = 0
    for (const name of repo.environments) {
      const m = mid.get(name)!
      const isOld = JSON.stringify([...m]) === JSON.stringify([...old.get(name)!])
      const isNew = commitOf(m) === newCommit
      expect(isOld || isNew, `${name} is neither the old nor a new deploy`).to.equal(true)
      if (isNew) midNew++
      // Exactly the two keys, the record naming the content's digest.
      const record = JSON.parse(m.get('deploy')!)
      expect([...m.keys()].sort(), name).to.deep.equal(['content', 'deploy'])
      expect(digestOf(m.get('content')!), name).to.equal(record.digest)
      if (isNew) {
        expect(JSON.stringify(JSON.parse(m.get('content')!).storage), name).to.match(/\/srv\/ssmd\/|"bucket":"ssmd2-/)
        expect(JSON.parse(m.get('content')!).feed.display_name, name).to.match(/ \(moved\)$/)
      }
    }
    expect(midNew).to.be.at.least(20)

    // A rerun (one member still down) completes, writing only what is not new yet.
    const rerun = ssmdProcess(args, { cwd: dir, timeout: 240000 })
    expect(rerun.code, rerun.stderr).to.equal(0)
    expect(rerun.stdout).to.contain(`${1000 - midNew} written, ${midNew} unchanged`)
    const final = byEnvironment(etcd.getPrefix(`${PREFIX}/environments/`, followers))
    for (const name of repo.environments) {
      expect(commitOf(final.get(name)), name).to.equal(newCommit)
      if (commitOf(mid.get(name)) === newCommit) expect(content(final.get(name)!)).to.deep.equal(content(mid.get(name)!))
    }
    expect(commitOf(old.get(repo.environments[0]))).to.equal(oldCommit)
  })
})
