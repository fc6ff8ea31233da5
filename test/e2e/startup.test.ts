import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { asciiSource } from '../../scripts/ascii-source.js'
import { BUILT_BIN, ssmdProcess, type CliResult } from '../helpers/cli.js'
import { moduleRecorder, packageOf } from '../helpers/modules.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

/** The environment of a built-CLI run with a private plugin home (never the user's plugins). */
function cliEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  const extra = { NO_COLOR: '1', XDG_DATA_HOME: tempDir(), XDG_CACHE_HOME: tempDir(), XDG_CONFIG_HOME: tempDir() }
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined && k !== 'NODE_ENV') env[k] = v
  return env
}

function node(args: string[], cwd: string, env: Record<string, string>): CliResult {
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 60000 })
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 1 }
}

const BUNDLES = ['oclif-core', 'js-yaml']

/** The light-start commands, as marked in the manifest. */
const LIGHT_IDS = Object.entries((JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { lightStart?: boolean }> }).commands)
  .filter(([, c]) => c.lightStart === true)
  .map(([id]) => id)

/** The light-start commands' bundles under dist/ (without extension), one per command. */
const LIGHT_BUNDLES = LIGHT_IDS.map(id => ['lib', 'light', ...id.split(':')].join('/'))

/** The light start's entry, which bin/run.js requires (scripts/bundle-light.js). */
const LIGHT_ENTRY = join(PROJECT_ROOT, 'dist', 'lib', 'light', 'start.cjs')

/** For each bundle under <root>/dist/vendor, whether it runs on the build's V8 code cache in a fresh process. */
function codeCacheAccepted(root: string): string[] {
  return BUNDLES.map(b => {
    const loader = pathToFileURL(join(root, 'dist', 'vendor', `${b}.js`)).href
    const accepted = execFileSync(process.execPath, ['--input-type=module', '-e', `console.log((await import(${JSON.stringify(loader)})).__codeCacheAccepted)`], {
      encoding: 'utf8',
    }).trim()
    return `${b}: ${accepted}`
  })
}

/** Every file (relative to the project) that a run of the built CLI loads as a module. */
function loadedModules(args: string[], cwd: string, extra: Record<string, string> = {}): string[] {
  const recorder = moduleRecorder()
  const r = node([...recorder.nodeArgs, BUILT_BIN, ...args], cwd, { ...cliEnv(), ...extra })
  expect(r.code, r.stderr).to.equal(0)
  return recorder.loaded()
}

describe('start-up: the bundled oclif and js-yaml (built CLI)', () => {
  it('feed list runs from CommonJS bundles only: the light start, oclif, js-yaml and its own; nothing from node_modules, no ES module', () => {
    for (const args of [
      ['feed', 'list'],
      ['-q', 'feed', 'list'],
    ]) {
      const loaded = loadedModules(args, exampleRepo())
      expect(loaded, args.join(' ')).to.deep.equal([
        'bin/run.js',
        'dist/lib/light/start.cjs',
        'dist/vendor/oclif-core.cjs',
        'dist/vendor/js-yaml.cjs',
        'dist/lib/light/feed/list.cjs',
      ])
    }
    // bin/ is CommonJS, so without ES modules Node.js's ES module loader never starts.
    expect(readFileSync(join(PROJECT_ROOT, 'bin', 'package.json'), 'utf8')).to.match(/"type": "commonjs"/)
  })

  it("feed list through oclif loads the bundles and nothing from node_modules; no validator, git, Cap'n Proto or deploy code", () => {
    const loaded = loadedModules(['feed', 'list'], exampleRepo(), { SSMD_FULL_START: '1' })
    expect(loaded).to.include.members(['dist/vendor/oclif-core.js', 'dist/vendor/js-yaml.js', 'dist/commands/feed/list.js'])
    // None of @oclif/core's ~100 CommonJS files, and not the help or plugins plugins' code.
    expect([...new Set(loaded.map(packageOf).filter(Boolean))]).to.deep.equal([])
    const heavy = loaded.filter(p => /^dist\/(generated\/|lib\/(validate|git|capnp|deploy)\/)/.test(p))
    expect(heavy).to.deep.equal([])
  })

  it("env render loads ajv's runtime helpers for the precompiled validators, never its schema compiler; the light start has the validators in its bundle", () => {
    for (const full of [false, true]) {
      const loaded = loadedModules(['env', 'render', 'kalshi-dev'], exampleRepo(), full ? { SSMD_FULL_START: '1' } : {})
      // Through oclif from their own file, with ajv's runtime helper; in the light start's bundle, both compiled with its code cache (scripts/bundle-light.js).
      expect(loaded.includes('dist/generated/validators.cjs'), `full start: ${full}`).to.equal(full)
      expect(loaded.includes('node_modules/ajv/dist/runtime/ucs2length.js'), `full start: ${full}`).to.equal(full)
      // The compiler (ajv/dist/core.js and its code generator) is loaded only when ssmd.yaml sets a rule's options.
      expect(loaded.filter(p => packageOf(p) === 'ajv' && !p.startsWith('node_modules/ajv/dist/runtime/'))).to.deep.equal([])
    }
  })

  it("env render runs from its light-start bundle, ssmd's rules included: no rule, validator or command module loads from dist/ on its own", () => {
    const loaded = loadedModules(['env', 'render', 'kalshi-dev'], exampleRepo({ git: true }))
    expect(loaded.filter(p => p.startsWith('dist/lib/light/'))).to.deep.equal(['dist/lib/light/start.cjs', 'dist/lib/light/env/render.cjs'])
    const separate = loaded.filter(p => /^dist\/(hooks|commands|lib\/(validate|deploy|git|workspace))\//.test(p) || p === 'dist/lib/cli/plugin-trust.js')
    expect(separate).to.deep.equal([])
    // Through oclif, the same run loads ssmd's validate hook as a module of its own.
    expect(loadedModules(['env', 'render', 'kalshi-dev'], exampleRepo(), { SSMD_FULL_START: '1' })).to.include('dist/hooks/validate/builtin.js')
  })

  it("a light-start bundle that holds package code ships those packages' licences beside it, and names the file", () => {
    const notices = LIGHT_BUNDLES.filter(b => existsSync(join(PROJECT_ROOT, 'dist', `${b}.licenses.txt`)))
    // Every bundle that validates carries ajv's helper; commit's does not validate (a validating commit runs through oclif).
    expect(notices).to.deep.equal(['lib/light/validate', 'lib/light/env/render'])
    const text = readFileSync(join(PROJECT_ROOT, 'dist', 'lib', 'light', 'env', 'render.licenses.txt'), 'utf8')
    expect(text).to.match(/^ajv@\S+ \(MIT\)$/m)
    expect(text).to.include(readFileSync(join(PROJECT_ROOT, 'node_modules', 'ajv', 'LICENSE'), 'utf8').trimEnd())
    expect(readFileSync(join(PROJECT_ROOT, 'dist', 'lib', 'light', 'env', 'render.cjs'), 'latin1').split('\n')[0]).to.include('render.licenses.txt')
  })

  it("commit's light-start bundle leaves validation out (only a validating commit runs it, through oclif), with a stub that says so", () => {
    const text = readFileSync(join(PROJECT_ROOT, 'dist', 'lib', 'light', 'commit.cjs'), 'latin1')
    expect(text).to.include("lib/cli/validation.js is not in the light start of 'ssmd commit'")
    for (const name of ['validateForCommit', 'validateRepository', 'runRules']) expect(text, name).to.not.include(`function ${name}(`)
    expect(readFileSync(join(PROJECT_ROOT, 'dist', 'lib', 'light', 'validate.cjs'), 'latin1')).to.include('function validateRepository(')
  })

  it('runs on the V8 code caches the build made (same Node.js)', () => {
    expect(codeCacheAccepted(PROJECT_ROOT)).to.deep.equal(BUNDLES.map(b => `${b}: true`))
    // Each light-start command's bundle, loaded as bin/run.js loads it.
    const root = JSON.stringify(PROJECT_ROOT)
    const probe = `const e = require(${JSON.stringify(LIGHT_ENTRY)}); const oclif = e.loadOclif(${root}); console.log(JSON.stringify(${JSON.stringify(LIGHT_IDS)}.map(id => e.loadLightCommand(${root}, id, oclif).codeCacheAccepted)))`
    const accepted = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })
    expect(LIGHT_IDS.length).to.equal(11)
    expect(JSON.parse(accepted)).to.deep.equal(LIGHT_IDS.map(() => true))
  })

  it("loads oclif's bundle without looking anything up in node_modules (fdir's optional picomatch is bundled)", () => {
    // A preloaded script records every package name Node.js resolves while the bundle loads.
    const preload = join(tempDir(), 'record-resolve.cjs')
    writeFileSync(
      preload,
      [
        "const Module = require('node:module')",
        'const resolve = Module._resolveFilename',
        'globalThis.resolved = []',
        'Module._resolveFilename = function (request, ...rest) {',
        '  if (!Module.isBuiltin(request)) globalThis.resolved.push(request)',
        '  return resolve.call(this, request, ...rest)',
        '}',
      ].join('\n'),
    )
    const loader = JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', 'vendor', 'oclif-core.js')).href)
    const out = execFileSync(process.execPath, ['-r', preload, '--input-type=module', '-e', `await import(${loader}); console.log(JSON.stringify(globalThis.resolved))`], {
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).to.deep.equal([])
  })

  it('the bundles are ASCII, read as latin1 (one byte a character, no UTF-8 decoding)', () => {
    const files = [...BUNDLES.map(b => join('vendor', `${b}.cjs`)), ...LIGHT_BUNDLES.map(b => `${b}.cjs`), join('lib', 'light', 'start.cjs')]
    const nonAscii = (f: string) => readFileSync(join(PROJECT_ROOT, 'dist', f)).findIndex(byte => byte > 0x7f)
    expect(files.map(f => `${f}: ${nonAscii(f)}`)).to.deep.equal(files.map(f => `${f}: -1`))
    // The rewrite keeps the code's meaning in literals and regular expressions, and refuses an escaped character.
    const source = "const s = '\u2014\u{1F600}', r = /[\u001b\u009b]/u // caf\u00e9\n"
    const ascii = asciiSource(source, 'x.cjs')
    expect(/[\u0080-\uffff]/.test(ascii)).to.equal(false)
    const run = (code: string) => new Function(`${code}; return [s, r.test('\u009b'), r.test('x')]`)() as unknown[]
    expect(run(ascii)).to.deep.equal(run(source))
    expect(() => asciiSource("'\\\u00e9'", 'x.cjs')).to.throw(/x\.cjs: an escaped non-ASCII character at offset 2/)
  })

  it('rejects a code cache that does not match (other source, other V8 flags, another bundle, truncated) and still runs', () => {
    /** A copy of the js-yaml bundle and its cache, changed by `change`; what the loader of every bundle reports of it in a fresh process. */
    const run = (change: (dir: string) => void, flags: string[] = []) => {
      const dir = tempDir()
      for (const ext of ['.cjs', '.cjs.cache']) cpSync(join(PROJECT_ROOT, 'dist', 'vendor', `js-yaml${ext}`), join(dir, `js-yaml${ext}`))
      change(dir)
      const loader = JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'cli', 'bundle-loader.js')).href)
      const probe = `const b = (await import(${loader})).runBundle(${JSON.stringify(join(dir, 'js-yaml.cjs'))}); console.log(b.codeCacheAccepted, JSON.stringify(b.exports.load('a: [1, 2]')))`
      return execFileSync(process.execPath, [...flags, '--input-type=module', '-e', probe], { encoding: 'utf8' }).trim()
    }
    const cache = (dir: string) => join(dir, 'js-yaml.cjs.cache')
    // The copy itself is accepted: what changes below is the only reason for a rejection.
    expect(run(() => {})).to.equal('true {"a":[1,2]}')
    expect(run(dir => appendFileSync(join(dir, 'js-yaml.cjs'), '\n'))).to.equal('false {"a":[1,2]}')
    expect(run(() => {}, ['--no-opt'])).to.equal('false {"a":[1,2]}')
    expect(run(dir => cpSync(join(PROJECT_ROOT, 'dist', 'vendor', 'oclif-core.cjs.cache'), cache(dir)))).to.equal('false {"a":[1,2]}')
    expect(run(dir => writeFileSync(cache(dir), readFileSync(cache(dir)).subarray(0, 1000)))).to.equal('false {"a":[1,2]}')
  })

  it('help and plugins, which come from the installed plugin packages, still run on the bundle', () => {
    const env = cliEnv()
    const help = ssmdProcess(['--help'], { env })
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout)
      .to.match(/^TOPICS$/m)
      .and.match(/^GLOBAL FLAGS/m)
    const plugins = ssmdProcess(['plugins'], { env })
    expect(plugins.code, plugins.stderr).to.equal(0)
    expect(plugins.stdout.trim()).to.equal('No plugins installed.')
    // `help` is plugin-help's command, on its own (installed) @oclif/core.
    const loaded = loadedModules(['help', 'feed'], PROJECT_ROOT)
    expect(loaded.some(p => p.startsWith('node_modules/@oclif/plugin-help/'))).to.equal(true)
  })

  describe('a linked plugin with its own command, built on the installed @oclif/core', () => {
    let env: Record<string, string>
    const run = (args: string[]) => ssmdProcess(args, { env })
    before(() => {
      env = cliEnv()
      const dir = tempDir()
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ssmd-plugin-hello', version: '1.0.0', type: 'module', oclif: { commands: './commands' } }))
      mkdirSync(join(dir, 'commands'))
      writeFileSync(
        join(dir, 'commands', 'hello.js'),
        [
          "import { Command, Flags } from '@oclif/core'",
          'export default class Hello extends Command {',
          "  static summary = 'Says hello.'",
          "  static flags = { exit: Flags.integer({ summary: 'Exit with this code.' }) }",
          '  async run() {',
          '    const { flags } = await this.parse(Hello)',
          "    this.log('hello from a plugin')",
          '    if (flags.exit !== undefined) this.exit(flags.exit)',
          '  }',
          '}',
          '',
        ].join('\n'),
      )
      // The manifest its publisher builds (oclif manifest): ssmd reads a plugin's commands from it and never imports one to find them.
      const flags = { exit: { name: 'exit', type: 'option', summary: 'Exit with this code.', multiple: false, hasDynamicHelp: false } }
      const hello = {
        id: 'hello',
        summary: 'Says hello.',
        strict: true,
        pluginName: 'ssmd-plugin-hello',
        pluginAlias: 'ssmd-plugin-hello',
        pluginType: 'link',
        aliases: [],
        hiddenAliases: [],
        hidden: false,
        args: {},
        flags,
        isESM: true,
        relativePath: ['commands', 'hello.js'],
      }
      writeFileSync(join(dir, 'oclif.manifest.json'), JSON.stringify({ version: '1.0.0', commands: { hello } }))
      // What the plugin's own `npm install` would give it.
      mkdirSync(join(dir, 'node_modules', '@oclif'), { recursive: true })
      symlinkSync(join(PROJECT_ROOT, 'node_modules', '@oclif', 'core'), join(dir, 'node_modules', '@oclif', 'core'))
      const linked = run(['plugins', 'link', '--no-install', dir])
      expect(linked.code, linked.stderr).to.equal(0)
    })

    it('runs, shows its help, and reports a wrong flag as one line with exit 2', () => {
      const r = run(['hello'])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.equal('hello from a plugin\n')
      const help = run(['hello', '--help'])
      expect(help.code, help.stderr).to.equal(0)
      expect(help.stdout).to.include('Says hello.')
      const bad = run(['hello', '--bogus'])
      expect(bad.code).to.equal(2)
      expect(bad.stderr.trim().split('\n')).to.have.length(1)
      expect(bad.stderr).to.match(/^Error: .*--bogus/)
    })

    it('exits with the code its exit() asks for, printing nothing more (its ExitError comes from another copy of oclif)', () => {
      const r = run(['hello', '--exit', '3'])
      expect(r.code).to.equal(3)
      expect(r.stdout).to.equal('hello from a plugin\n')
      expect(r.stderr).to.equal('')
    })
  })

  it("an error outside any command's handling (stdout on a full device) is one line through the gate, exit 1, on both starts", () => {
    const repo = exampleRepo()
    for (const full of ['', '1']) {
      const out = openSync('/dev/full', 'w')
      try {
        const r = spawnSync(process.execPath, [BUILT_BIN, 'env', 'render', 'kalshi-dev'], {
          cwd: repo,
          env: { ...cliEnv(), SSMD_FULL_START: full },
          stdio: ['ignore', out, 'pipe'],
          encoding: 'utf8',
        })
        expect(r.status, `full start: ${full}`).to.equal(1)
        expect(r.stderr, `full start: ${full}`).to.equal('Error: ENOSPC: no space left on device, write\n')
      } finally {
        closeSync(out)
      }
    }
  })

  describe('the packed package', () => {
    it('holds the bundles, their code caches and licences, and runs from an unpacked tarball', function () {
      this.timeout(120000)
      const dest = tempDir()
      const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, npm_config_cache: tempDir() },
      })
      const [{ filename, files }] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>
      const paths = files.map(f => f.path)
      const vendor = BUNDLES.flatMap(b => ['.js', '.cjs', '.cjs.cache', '.licenses.txt', '.meta.json'].map(ext => `${b}${ext}`)).sort()
      expect(paths.filter(p => p.startsWith('dist/vendor/')).sort()).to.deep.equal(vendor.map(f => `dist/vendor/${f}`))
      // A folder name a file URL encodes (a space, '#', '%'): every file of dist/ is still found.
      const unpacked = join(tempDir(), 'in a #%20 folder')
      mkdirSync(unpacked)
      execFileSync('tar', ['-xzf', join(dest, filename), '-C', unpacked])
      const root = join(unpacked, 'package')
      // The dependencies as an install would resolve them.
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'))
      expect(readdirSync(join(root, 'dist', 'vendor')).sort()).to.deep.equal(vendor)
      expect(codeCacheAccepted(root)).to.deep.equal(BUNDLES.map(b => `${b}: true`))
      const repo = exampleRepo()
      const env = cliEnv()
      const packed = node([join(root, 'bin', 'run.js'), 'feed', 'list'], repo, env)
      expect(packed.code, packed.stderr).to.equal(0)
      expect(packed.stdout).to.equal(ssmdProcess(['feed', 'list'], { cwd: repo, env }).stdout)
      // A validation run's second thread starts from its files in the package (found by URL from the folder above).
      const threaded = node([join(root, 'bin', 'run.js'), 'validate', '--no-cache', '-v'], repo, { ...env, SSMD_WORKERS: '1' })
      expect(threaded.code, threaded.stderr).to.equal(0)
      expect(threaded.stderr).to.match(/second thread: read and checked [1-9]\d* /)
      const plugins = node([join(root, 'bin', 'run.js'), 'plugins'], repo, env)
      expect(plugins.code, plugins.stderr).to.equal(0)
      expect(plugins.stdout.trim()).to.equal('No plugins installed.')
      // Both starts of a command that loads the precompiled validators (the light one holds them in its bundle).
      const rendered = ssmdProcess(['env', 'render', 'kalshi-dev'], { cwd: repo, env }).stdout
      for (const full of ['', '1']) {
        const render = node([join(root, 'bin', 'run.js'), 'env', 'render', 'kalshi-dev'], repo, { ...env, SSMD_FULL_START: full })
        expect(render.code, render.stderr).to.equal(0)
        expect(render.stdout).to.equal(rendered)
      }
      // bin/ is CommonJS in the package too, and the light start's entry ships.
      expect(paths).to.include.members([
        'bin/package.json',
        'bin/run.js',
        'dist/lib/light/start.cjs',
        'dist/lib/light/validate-thread.cjs',
        'dist/lib/light/validate-worker.cjs',
        'dist/lib/light/validate-worker.cjs.cache',
      ])

      // A start that fails before any command runs (here on a damaged command table, which Node.js's own report
      // of an uncaught error would quote whole) is one line through the output gate: no stack trace, no secret.
      const token = `ghp_${'a1B2'.repeat(9)}`
      writeFileSync(join(root, 'dist', 'lib', 'light', 'manifest.json'), `${token}\n`)
      const broken = node([join(root, 'bin', 'run.js'), 'feed', 'list'], repo, env)
      expect(broken.code).to.equal(1)
      expect(broken.stdout).to.equal('')
      expect(broken.stderr).to.match(/^Error: .*JSON.*\n$/)
      expect(broken.stderr).to.not.include(token)
      expect(broken.stderr).to.include('ghp_')
    })
  })
})
