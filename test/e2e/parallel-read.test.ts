// A second thread reads and checks part of the feeds and environments of a
// validation run (src/lib/validate/parallel-read.ts). The built CLI is run as a
// process on the same repository with the thread forced on (SSMD_WORKERS=1,
// whatever the repository's size) and off (SSMD_WORKERS=0): every output,
// exit code and validation cache they make must be the same.
import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { generateRepo } from '../../scripts/gen-repo.js'
import { BUILT_BIN, ssmdProcess, type CliResult } from '../helpers/cli.js'
import { moduleRecorder } from '../helpers/modules.js'
import { pluginCli } from '../helpers/plugins.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

const ON = { SSMD_WORKERS: '1' }
const OFF = { SSMD_WORKERS: '0' }

/** A generated repository (100 feeds, 50 schemas, 500 environments) with mistakes for rules of one file and across files, and files the thread must leave to the main one. */
function brokenRepository(): string {
  const root = join(tempDir(), 'repo')
  generateRepo(root, 100, { git: false })
  const feeds = readdirSync(join(root, 'feeds')).sort()
  const envs = readdirSync(join(root, 'environments')).sort()
  const edit = (file: string, change: (text: string) => string) => writeFileSync(join(root, file), change(readFileSync(join(root, file), 'utf8')))
  // Rules of one file: syntax, the contract, an unsafe integer, a secret literal, a name that is not the file's.
  edit(`feeds/${feeds[3]}`, t => `${t}\n  bad: [unclosed\n`)
  edit(`environments/${envs[7]}`, t => `${t}\nsurprise_field: 1\n`)
  edit(`environments/${envs[450]}`, t => `${t}\nretention_days: 12345678901234567890\n`)
  edit(`feeds/${feeds[60]}`, t => `${t}\nnotes: "AKIAIOSFODNN7EXAMPLE"\n`)
  edit(`environments/${envs[420]}`, t => t.replace(/^name: .*$/m, 'name: someone-else'))
  // Across files: a feed that does not exist.
  edit(`environments/${envs[480]}`, t => t.replace(/^feed: .*$/m, 'feed: no-such-feed'))
  // Left to the main thread: too large, a symlink leading outside, a FIFO (listed as not regular files).
  writeFileSync(join(root, 'environments', 'zz-large.yaml'), `name: zz-large\n# ${'x'.repeat(1024 * 1024)}\n`)
  const outside = join(tempDir(), 'outside.yaml')
  writeFileSync(outside, 'name: outside\n')
  symlinkSync(outside, join(root, 'environments', 'zz-link.yaml'))
  execFileSync('mkfifo', [join(root, 'environments', 'zz-fifo.yaml')])
  // Older than the cache's racy window (2.5 s), so that whichever run comes first writes its entries as settled.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000)
  return root
}

/** The built CLI's validate in `root`; the output gate and its exit code are part of what must match. */
function validate(root: string, args: string[], env: Record<string, string>): CliResult {
  return ssmdProcess(['validate', ...args], { cwd: root, env, timeout: 120_000 })
}

/** How many feeds and environments the second thread answered, from `validate -v` (undefined: not used). */
function threadShare(r: CliResult): number | undefined {
  const line = r.stderr.split('\n').find(l => l.includes('second thread:'))
  expect(line, r.stderr).to.be.a('string')
  const m = /read and checked (\d+) /.exec(line!)
  return m ? Number(m[1]) : undefined
}

describe('validate: the second thread that reads feeds and environments', function () {
  this.timeout(300_000)
  let root: string
  before(() => {
    root = brokenRepository()
  })

  it('gives exactly the findings and exit code of a run without it (--no-cache)', () => {
    const off = validate(root, ['--no-cache', '--format', 'json'], OFF)
    const on = validate(root, ['--no-cache', '--format', 'json'], ON)
    expect(off.code).to.equal(1)
    expect(on.code).to.equal(off.code)
    expect(on.stdout).to.equal(off.stdout)
    const rules = new Set((JSON.parse(off.stdout) as { findings: Array<{ rule: string }> }).findings.map(f => f.rule))
    for (const rule of ['yaml/syntax', 'schema/contract', 'yaml/unsafe-integer', 'security/secret-literal', 'name/matches-file', 'ref/feed-exists', 'yaml/unsafe'])
      expect([...rules]).to.include(rule)
    // Text output too, with the files' lines and columns.
    expect(validate(root, ['--no-cache'], ON).stdout).to.equal(validate(root, ['--no-cache'], OFF).stdout)
  })

  it('answers files when forced on (at least its first block), none when off, and leaves the refused ones to the main thread', () => {
    const on = validate(root, ['--no-cache', '-v', '--format', 'json'], ON)
    const share = threadShare(on)
    expect(share).to.be.greaterThan(0)
    // 600 feeds and environments listed as regular files (the FIFO and the symlink are not), the large one refused by the thread.
    expect(on.stderr).to.match(/of 601\b/)
    expect(threadShare(validate(root, ['--no-cache', '-v', '--format', 'json'], OFF))).to.equal(undefined)
  })

  it("starts from the build's CommonJS files, on the code cache the build made: no ES module of dist/ loads in either thread", () => {
    const recorder = moduleRecorder()
    const r = spawnSync(process.execPath, [...recorder.nodeArgs, BUILT_BIN, 'validate', '--no-cache', '-v'], {
      cwd: exampleRepo(),
      env: { ...process.env, ...ON },
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).to.equal(0)
    expect(threadShare({ stdout: r.stdout, stderr: r.stderr, code: r.status ?? 1 })).to.be.greaterThan(0)
    const loaded = recorder.loaded()
    expect(loaded).to.include.members(['dist/lib/light/validate-thread.cjs', 'dist/lib/light/validate-worker.cjs'])
    expect(loaded.filter(p => p.startsWith('dist/') && p.endsWith('.js'))).to.deep.equal([])
    // The thread's bundle holds ajv's helper: its licence ships beside it.
    expect(readFileSync(join(PROJECT_ROOT, 'dist', 'lib', 'light', 'validate-worker.licenses.txt'), 'utf8')).to.match(/^ajv@\S+ \(MIT\)$/m)
    // V8 takes the bundle's code cache (the same in any thread of a process).
    const loader = pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'cli', 'bundle-loader.js')).href
    const bundle = join(PROJECT_ROOT, 'dist', 'lib', 'light', 'validate-worker.cjs')
    const dist = JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', '/')).href)
    const probe = `const { runBundle } = await import(${JSON.stringify(loader)}); console.log(runBundle(${JSON.stringify(bundle)}, { url: rel => new URL(rel, ${dist}).href }).codeCacheAccepted)`
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }).trim()).to.equal('true')
  })

  it('a thread whose code fails to load leaves every file to the main thread, with the same findings', () => {
    // A copy of the built CLI whose thread bundle throws as it loads.
    const copy = join(tempDir(), 'cli')
    for (const f of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(PROJECT_ROOT, f), join(copy, f), { recursive: true })
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'))
    const bundle = join(copy, 'dist', 'lib', 'light', 'validate-worker.cjs')
    writeFileSync(bundle, `throw new Error('damaged')\n${readFileSync(bundle, 'latin1')}`)
    const r = spawnSync(process.execPath, [join(copy, 'bin', 'run.js'), 'validate', '--no-cache', '-v', '--format', 'json'], {
      cwd: root,
      env: { ...process.env, ...ON },
      encoding: 'utf8',
    })
    expect(threadShare({ stdout: r.stdout, stderr: r.stderr, code: r.status ?? 1 })).to.equal(0)
    expect(r.stderr).to.not.include('damaged')
    expect(r.stdout).to.equal(validate(root, ['--no-cache', '--format', 'json'], OFF).stdout)
    expect(r.status).to.equal(1)
  })

  it('writes a validation cache the next run uses exactly as one written without it', () => {
    const caches = { on: join(tempDir(), 'cache-on'), off: join(tempDir(), 'cache-off') }
    const first = {
      on: validate(root, ['--format', 'json', '-v', '--cache-location', caches.on], ON),
      off: validate(root, ['--format', 'json', '--cache-location', caches.off], OFF),
    }
    expect(threadShare(first.on)).to.be.greaterThan(0)
    expect(first.on.stdout).to.equal(first.off.stdout)
    expect(first.on.code).to.equal(first.off.code)
    // The next run (without the thread) takes every file from either cache, with the same findings.
    const next = {
      on: validate(root, ['--format', 'json', '-v', '--cache-location', caches.on], OFF),
      off: validate(root, ['--format', 'json', '-v', '--cache-location', caches.off], OFF),
    }
    expect(next.on.stdout).to.equal(first.off.stdout)
    expect(next.off.stdout).to.equal(first.off.stdout)
    const cacheLine = (r: CliResult) =>
      r.stderr
        .split('\n')
        .find(l => l.startsWith('cache ('))
        ?.replace(/\(metadata, [^)]*\)/, '')
    expect(cacheLine(next.on)).to.equal(cacheLine(next.off))
    expect(cacheLine(next.on)).to.match(/ 0 read anew;/)
  })

  it("writes cache entries a fresh clone proves by git's index, as one written without it", () => {
    const repo = join(tempDir(), 'committed')
    generateRepo(repo, 60, { git: true })
    // Definitions are kept in the cache once their files have settled (see RACY_MS in cache.ts): both runs after that.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000)
    const caches = { on: join(tempDir(), 'cache-on'), off: join(tempDir(), 'cache-off') }
    expect(threadShare(validate(repo, ['-v', '--format', 'json', '--cache-location', caches.on], ON))).to.be.greaterThan(0)
    expect(validate(repo, ['--format', 'json', '--cache-location', caches.off], OFF).code).to.equal(0)
    const clone = join(tempDir(), 'clone')
    execFileSync('git', ['clone', '-q', repo, clone])
    const restored = (cache: string) => {
      const copy = join(tempDir(), 'restored')
      cpSync(cache, copy, { recursive: true })
      const r = validate(clone, ['-v', '--format', 'json', '--cache-location', copy], OFF)
      expect(r.code, r.stderr).to.equal(0)
      return r.stderr
        .split('\n')
        .find(l => l.startsWith('cache ('))
        ?.replace(/\(metadata, [^)]*\)/, '')
    }
    const on = restored(caches.on)
    expect(on).to.equal(restored(caches.off))
    expect(on).to.match(/ 0 read anew;/)
    expect(on).to.not.match(/ 0 by git's index/)
  })

  describe('with a plugin', () => {
    const cli = pluginCli()

    it('is not used (the plugin works on the second core), and the plugin sees the same documents', () => {
      const plugin = join(tempDir(), 'reads-all')
      mkdirSync(join(plugin, 'hooks'), { recursive: true })
      writeFileSync(
        join(plugin, 'package.json'),
        JSON.stringify({ name: 'ssmd-plugin-reads-all', version: '1.0.0', type: 'module', license: 'MIT', oclif: { hooks: { validate: './hooks/validate.js' } } }),
      )
      writeFileSync(
        join(plugin, 'hooks', 'validate.js'),
        `export default async function validate() {
  return { plugin: 'readsall', rules: { 'readsall/echo': { severity: 'info', description: 'Echoes what each environment and feed holds.',
    environment(doc, ctx) { ctx.report({ message: 'env ' + JSON.stringify(doc.data) }) },
    feed(doc, ctx) { ctx.report({ message: 'feed ' + JSON.stringify(doc.data).length }) } } } }
}\n`,
      )
      cli.link(plugin)
      const on = cli.run(['validate', '--no-cache', '-v', '--format', 'json'], ON, root)
      expect(threadShare(on)).to.equal(undefined)
      expect((JSON.parse(on.stdout) as { findings: Array<{ rule: string }> }).findings.filter(f => f.rule === 'readsall/echo')).to.have.length.greaterThan(590)
      // The built-in findings are those of a run without the plugin.
      const builtin = (r: CliResult) => (JSON.parse(r.stdout) as { findings: Array<{ rule: string }> }).findings.filter(f => f.rule !== 'readsall/echo')
      expect(builtin(on)).to.deep.equal(builtin(validate(root, ['--no-cache', '--format', 'json'], ON)))
    })
  })
})
