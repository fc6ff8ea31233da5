import { expect } from 'chai'
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_BIN } from '../helpers/cli.js'
import { onCleanup } from '../helpers/cleanup.js'
import { brokenRepo, pluginCli, PLUGINS, tree } from '../helpers/plugins.js'
import { PROJECT_ROOT, tempDir } from '../helpers/repo.js'
import type { Finding as JsonFinding } from '../../src/lib/validate/types.js'

interface JsonOutput {
  findings: JsonFinding[]
  summary: { errors: number; plugins: Array<{ name: string; status: string; ms: number }> }
}

const BUDGET_MS = 3000
/** In ssmd's environment during every run: it must never reach any output. */
const CANARY = 'canary-9f3b2c7e1d-not-for-plugins'

/** Command lines of running processes that mention `text` (a plugin's folder): none may outlive ssmd. */
function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(l => l.includes(text) && !l.includes('ps -eo'))
}

describe('sealed plugins (built CLI, private plugin home): every escape and every excess ends as one plugin/failed', function () {
  this.timeout(120000)
  const cli = pluginCli(() => ({ SSMD_PLUGIN_TIMEOUT_MS: String(BUDGET_MS), SSMD_SEAL_CANARY: CANARY }))
  const { run, link } = cli
  let repo: string
  let repoBefore: Record<string, string>

  before(() => {
    // One repository for every case, with one real mistake for a built-in rule, to prove it is never hidden.
    repo = brokenRepo()
    repoBefore = tree(repo)
  })

  /** Links the plugin, validates the shared repository and checks everything the issue asks of a hostile plugin. */
  function attack(dir: string, pkg: string, why: RegExp, extra: Record<string, string> = {}, on = { repo, before: repoBefore }): JsonOutput {
    link(dir)
    const pluginBefore = tree(dir)
    const started = Date.now()
    const r = run(['validate', '--json', '-C', on.repo], extra)
    const took = Date.now() - started
    expect(r.code, r.stderr).to.equal(1)
    const out = JSON.parse(r.stdout) as JsonOutput
    expect(out.findings.map(f => f.rule)).to.include('feed/timezone')
    const failed = out.findings.filter(f => f.rule === 'plugin/failed')
    expect(failed, JSON.stringify(failed)).to.have.length(1)
    expect(failed[0].message).to.match(new RegExp(`^plugin '${pkg}' failed: `))
    expect(failed[0].message).to.match(why)
    expect(out.summary.plugins.map(p => `${p.name} ${p.status}`)).to.deep.equal([`${pkg} failed`])
    // Nothing leaked, nothing written, no stack trace, nothing left running, no hang.
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.to.contain(CANARY)
      expect(text).not.to.match(/root:x?:0:0|Debugger listening/)
      expect(text).not.to.match(/\n\s+at /)
    }
    expect(tree(on.repo)).to.deep.equal(on.before)
    expect(tree(dir)).to.deep.equal(pluginBefore)
    expect(readdirSync(PROJECT_ROOT).filter(n => n.startsWith('node_trace'))).to.deep.equal([])
    expect(processesMentioning(dir)).to.deep.equal([])
    expect(took).to.be.below(Number(extra.SSMD_PLUGIN_TIMEOUT_MS ?? BUDGET_MS) + 15000)
    return out
  }

  const BUILTIN = /a Node\.js built-in module; validation plugins run sealed, without file system, network, processes, workers, inspector or environment/
  const NO_PROCESS = /ReferenceError: 'process' is not defined/
  const cases: Array<[string, RegExp, Record<string, string>?]> = [
    // Escapes
    ['signal-debugger', new RegExp(`rule 'debugger/sigusr1' threw: ${NO_PROCESS.source}`)],
    ['signal-parent', new RegExp(`rule 'signals/stop' threw: ${NO_PROCESS.source}`)],
    ['net-tcp', new RegExp(`its code could not be loaded: hooks/validate\\.js imports 'node:net', ${BUILTIN.source}`)],
    ['net-http', new RegExp(`its code could not be loaded: hooks/validate\\.js imports 'http', ${BUILTIN.source}`)],
    ['net-fetch', /rule 'fetcher\/exfiltrate' threw on feeds\/[a-z]+\.yaml: ReferenceError: 'fetch' is not defined/],
    ['reads-env', new RegExp(`rule 'envy/steal' threw on feeds/[a-z]+\\.yaml: ${NO_PROCESS.source}`)],
    ['ipc-frame', new RegExp(`rule 'framer/garbage' threw: ${NO_PROCESS.source}`)],
    // Unbounded
    ['huge-message', /rule 'huge\/message' reported a 'message' of 20971520 characters; the limit is 4000/],
    ['many-findings', /reported more than 10000 findings \(in rule 'many\/findings'\); it was stopped/],
    // A smaller limit than the default 512 MB and a longer budget: filling memory takes time on a busy machine.
    ['memory-hog', /exceeded its memory limit of 128 MB \(in rule 'hog\/memory'\); it was stopped/, { SSMD_PLUGIN_MEMORY_MB: '128', SSMD_PLUGIN_TIMEOUT_MS: '30000' }],
    ['imports-worker-threads', new RegExp(`its code could not be loaded: hooks/validate\\.js imports 'node:worker_threads', ${BUILTIN.source}`)],
    ['imports-inspector', new RegExp(`its code could not be loaded: hooks/validate\\.js imports 'inspector', ${BUILTIN.source}`)],
    ['imports-trace-events', new RegExp(`its validate hook threw: hooks/validate\\.js imports 'trace_events', ${BUILTIN.source}`)],
  ]
  for (const [name, why, extra] of cases) {
    it(name, () => {
      attack(join(PLUGINS, name), `ssmd-plugin-${name}`, why, extra)
    })
  }

  // Documents larger than the engine's memory: copying a part in, parsing it or freezing it fails first, as the engine's
  // "out of memory", as a null exception (8 feeds, 24 MB) or as a WebAssembly memory fault (16 feeds, 16 MB): at the limit, each is the limit.
  for (const [feeds, mb] of [
    [16, 16],
    [8, 24],
  ]) {
    it(`documents larger than the memory limit (${feeds} feeds of 750 KB, ${mb} MB): the limit, named, while the documents are taken in`, () => {
      const big = brokenRepo()
      for (let i = 0; i < feeds; i++) {
        const notes = Array.from({ length: 25000 }, (_, j) => `  - note ${String(j).padStart(6, '0')} of bulk feed ${i}\n`).join('')
        writeFileSync(join(big, 'feeds', `bulk-${i}.yaml`), `name: bulk-${i}\ndisplay_name: Bulk ${i}\ntype: rest\nstatus: active\nnotes:\n${notes}`)
      }
      const why = new RegExp(`^plugin '[^']+' failed: exceeded its memory limit of ${mb} MB \\(while reading the documents\\); it was stopped; its findings are incomplete$`)
      attack(join(PLUGINS, 'sealed-ok'), 'ssmd-plugin-sealed-ok', why, { SSMD_PLUGIN_MEMORY_MB: String(mb), SSMD_PLUGIN_TIMEOUT_MS: '30000' }, { repo: big, before: tree(big) })
    })
  }

  it('reads-link: a file of the plugin that links to /etc/passwd is not loaded', () => {
    const dir = join(tempDir(), 'reads-link')
    cpSync(join(PLUGINS, 'reads-link'), dir, { recursive: true })
    symlinkSync('/etc/passwd', join(dir, 'hooks/passwd.js'))
    attack(dir, 'ssmd-plugin-reads-link', /its code could not be loaded: hooks\/validate\.js imports '\.\/passwd\.js', which leads outside its package \(through a link\)/)
  })

  it('a well-behaved plugin loads its CommonJS and JSON files and sees the validation date as its clock', () => {
    link('sealed-ok')
    const r = run(['validate', '--json', '-C', repo])
    expect(r.code, r.stderr).to.equal(1)
    const out = JSON.parse(r.stdout) as JsonOutput
    const today = new Date().toISOString().slice(0, 10)
    expect(out.findings.filter(f => f.rule.startsWith('sealedok/') || f.rule === 'plugin/failed').map(f => `${f.rule} ${f.file} ${f.message}`)).to.deep.equal([
      `sealedok/clock feeds/kalshi.yaml hello from CommonJS on ${today}, one clock`,
    ])
  })

  it('SIGUSR1 sent to ssmd while it validates opens no debugger: ssmd finishes as usual', async () => {
    link('infinite-loop')
    const childEnv: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...cli.env, SSMD_PLUGIN_TIMEOUT_MS: '2000', NO_COLOR: '1' })) if (v !== undefined && k !== 'NODE_ENV') childEnv[k] = v
    const child = spawn(process.execPath, [BUILT_BIN, 'validate', '--json', '-C', repo], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    onCleanup(() => child.kill('SIGKILL'))
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
    // While the plugin loops, ssmd is running and waiting: signal it twice.
    await new Promise(resolve => setTimeout(resolve, 1200))
    child.kill('SIGUSR1')
    await new Promise(resolve => setTimeout(resolve, 300))
    child.kill('SIGUSR1')
    const code = await exited
    expect(stderr).not.to.match(/Debugger listening|inspector/i)
    expect(code, stderr).to.equal(1)
    const out = JSON.parse(stdout) as JsonOutput
    expect(out.findings.map(f => f.rule).sort()).to.deep.equal(['feed/timezone', 'plugin/failed'])
  })
})
