// ssmd's own `plugins install | link | uninstall | update` (src/lib/plugins/user-plugins.ts) on a
// private plugin home, with the user's npm and the registry unreachable, and the data folder an
// earlier ssmd (with @oclif/plugin-plugins 5) wrote.
import { expect } from 'chai'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_BIN } from '../helpers/cli.js'
import { ok, packPlugin, pluginCli, PLUGINS } from '../helpers/plugins.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

const ACME = join(PROJECT_ROOT, 'examples/plugin-acme')

interface ListItem {
  name: string
  version: string
  type: string
  root?: string
  rules?: string[]
}

describe('plugins install, link, uninstall and update (built CLI, private plugin home)', () => {
  const cli = pluginCli()
  const { run } = cli
  const dataDir = () => join(cli.env.XDG_DATA_HOME, 'ssmd')
  const dataPjson = () => JSON.parse(readFileSync(join(dataDir(), 'package.json'), 'utf8')) as { dependencies: Record<string, string>; oclif: { plugins: unknown[] } }
  const list = () => (JSON.parse(ok(run(['plugins', '--json'])).stdout) as ListItem[]).filter(p => p.type !== 'core')
  /** `npm ls` of the data folder: npm accepts the tree ssmd left (exit 0), and lists what it holds. */
  const npmLs = () =>
    execFileSync('npm', ['ls', '--prefix', dataDir(), '--parseable', '--long'], { encoding: 'utf8', env: { ...process.env, ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] })

  it('installs into the data folder as oclif did, in a tree npm accepts; uninstall (and its aliases) removes it, package and record', () => {
    const tarball = packPlugin(ACME)
    const r = ok(run(['plugins', 'install', tarball]))
    expect(r.stderr).to.contain('ssmd-plugin-acme: installed v1.0.0\n')
    expect(dataPjson().oclif.plugins).to.deep.equal([{ name: 'ssmd-plugin-acme', type: 'user', url: `file:${tarball}` }])
    expect(dataPjson().dependencies).to.have.keys('ssmd-plugin-acme')
    expect(npmLs()).to.contain(`${join(dataDir(), 'node_modules', 'ssmd-plugin-acme')}:ssmd-plugin-acme@1.0.0`)

    const gone = ok(run(['plugins', 'uninstall', 'ssmd-plugin-acme@1.0.0']))
    expect(gone.stderr).to.equal('ssmd-plugin-acme: uninstalled\n')
    expect(existsSync(join(dataDir(), 'node_modules', 'ssmd-plugin-acme'))).to.equal(false)
    expect(dataPjson()).to.deep.include({ dependencies: {}, oclif: { schema: 1, plugins: [] } })
    expect(list()).to.deep.equal([])
    npmLs()

    ok(run(['plugins', 'add', tarball]))
    ok(run(['plugins', 'remove', 'ssmd-plugin-acme']))
    expect(list()).to.deep.equal([])
  })

  it('refuses to uninstall what is not installed, in one line, changing nothing', () => {
    ok(run(['plugins', 'install', packPlugin(ACME)]))
    const before = readFileSync(join(dataDir(), 'package.json'), 'utf8')
    const r = run(['plugins', 'uninstall', 'ssmd-plugin-acme', 'ssmd-plugin-nope'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal("Error: plugin 'ssmd-plugin-nope' is not installed (see 'ssmd plugins' for the installed and linked ones)\n")
    expect(readFileSync(join(dataDir(), 'package.json'), 'utf8')).to.equal(before)
    const core = run(['plugins', 'uninstall', '@oclif/plugin-help'])
    expect(core.code).to.equal(1)
    expect(core.stderr).to.equal('Error: @oclif/plugin-help is built into ssmd and cannot be uninstalled\n')
  })

  it('uninstall with no argument outside a linked plugin asks for one, naming the folder it looked at', () => {
    const here = tempDir()
    const r = run(['plugins', 'uninstall'], {}, here)
    expect(r.code).to.equal(2)
    expect(r.stderr).to.equal(`Error: ${here} is not a linked plugin: name the plugin to remove (ssmd plugins uninstall <plugin>; see 'ssmd plugins')\n`)
  })

  it('refuses a package that is not an oclif plugin, leaving nothing installed', () => {
    const dir = join(tempDir(), 'not-a-plugin')
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'not-a-plugin', version: '1.0.0' }))
    const r = run(['plugins', 'install', packPlugin(dir)])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/^Error: not-a-plugin is not an ssmd plugin: its package\.json has no "oclif" section \(see 'ssmd docs plugins'\); nothing was installed\n$/m)
    expect(dataPjson()).to.deep.include({ dependencies: {}, oclif: { schema: 1, plugins: [] } })
    expect(existsSync(join(dataDir(), 'node_modules', 'not-a-plugin'))).to.equal(false)
  })

  it('links a folder without installing; unlink forgets it and leaves the folder; --install runs npm there with no lifecycle script', () => {
    const dir = join(tempDir(), 'install-scripts')
    cpSync(join(PLUGINS, 'install-scripts'), dir, { recursive: true })
    const linked = ok(run(['plugins', 'link', dir]))
    expect(linked.stderr).to.contain(`ssmd-plugin-install-scripts: linked v1.0.0 from ${dir}\n`)
    expect(linked.stderr).not.to.contain('installed with npm')
    expect(existsSync(join(dir, 'node_modules'))).to.equal(false)
    expect(list().map(p => `${p.name} ${p.type} ${p.root}`)).to.deep.equal([`ssmd-plugin-install-scripts link ${dir}`])
    expect(dataPjson().oclif.plugins).to.deep.equal([{ name: 'ssmd-plugin-install-scripts', root: dir, type: 'link' }])

    // No argument: the current folder.
    expect(ok(run(['plugins', 'unlink'], {}, dir)).stderr).to.equal(`ssmd-plugin-install-scripts: unlinked (${dir} stays)\n`)
    expect(list()).to.deep.equal([])
    expect(existsSync(join(dir, 'package.json'))).to.equal(true)

    const markers = tempDir()
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'ssmd-plugin-install-scripts', version: '1.0.0', lockfileVersion: 3, requires: true, packages: {} }))
    ok(run(['plugins', 'link', '--install', dir], { SSMD_TEST_MARKERS: markers, SSMD_TEST_SECRET: 'x' }))
    expect(execFileSync('ls', ['-A', markers], { encoding: 'utf8' })).to.equal('')
    expect(list().map(p => p.name)).to.deep.equal(['ssmd-plugin-install-scripts'])
    // The same folder by its path: the same plugin.
    ok(run(['plugins', 'uninstall', dir]))
    expect(list()).to.deep.equal([])
  })

  it('refuses to link a folder that is not a plugin, in one line', () => {
    const empty = tempDir()
    const r = run(['plugins', 'link', empty])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.equal(`Error: no readable package.json in ${empty} (give the plugin's folder, the one holding its package.json)\n`)
    expect(existsSync(join(dataDir(), 'package.json'))).to.equal(false)
  })

  it('changes no data folder package.json whose oclif, plugins or dependencies has the wrong type: one line naming it', () => {
    const file = join(dataDir(), 'package.json')
    mkdirSync(dataDir(), { recursive: true })
    for (const [text, key] of [
      ['{"name":"ssmd","oclif":"x"}', 'oclif'],
      ['{"name":"ssmd","oclif":{"plugins":{"a":1}}}', 'oclif.plugins'],
      ['{"name":"ssmd","dependencies":"abc","oclif":{"plugins":[]}}', 'dependencies'],
    ]) {
      writeFileSync(file, text)
      const r = run(['plugins', 'link', ACME])
      expect(r.code, text).to.equal(1)
      expect(r.stderr).to.equal(`Error: ${file}: "${key}" has the wrong type: it records your installed plugins; fix it, or move it away to start with no plugins\n`)
      expect(readFileSync(file, 'utf8')).to.equal(text)
    }
  })

  it('update moves an installed plugin to what its source now holds, and says from which version to which', () => {
    const src = join(tempDir(), 'acme')
    cpSync(ACME, src, { recursive: true })
    const fixed = join(tempDir(), 'acme.tgz')
    renameSync(packPlugin(src), fixed)
    ok(run(['plugins', 'install', fixed]))
    expect(ok(run(['plugins', 'update'])).stderr).to.contain('ssmd-plugin-acme: v1.0.0, up to date\n')
    renameSync(packPlugin(src, { version: '1.1.0' }), fixed)
    const r = ok(run(['plugins', 'update', '--json']))
    expect(JSON.parse(r.stdout)).to.deep.include({ updated: [{ name: 'ssmd-plugin-acme', from: '1.0.0', to: '1.1.0' }] })
    expect(list().map(p => `${p.name} ${p.version}`)).to.deep.equal(['ssmd-plugin-acme 1.1.0'])
    npmLs()
  })

  it('update with nothing installed says so', () => {
    expect(ok(run(['plugins', 'update'])).stderr).to.equal('No installed plugins to update.\n')
  })

  it('a registry name that is no package name is refused before npm runs', () => {
    const r = run(['plugins', 'install', 'Not_A-Package!'])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.equal(
      "Error: 'Not_A-Package!' is not a package name, a tarball, a folder or a URL (npm package names are lower case, e.g. ssmd-plugin-acme or @acme/ssmd-checks@1.2.0)\n",
    )
    expect(run(['plugins', 'install', 'ssmd']).stderr).to.equal('Error: ssmd is ssmd itself, not a plugin\n')
  })

  it('says why when the registry cannot be reached, leaving the data folder as it was', () => {
    ok(run(['plugins', 'install', packPlugin(ACME)]))
    const before = readFileSync(join(dataDir(), 'package.json'), 'utf8')
    const r = run(['plugins', 'install', 'ssmd-plugin-nowhere@1.0.0'])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/^Error: npm install ssmd-plugin-nowhere@1\.0\.0 --omit=dev failed: .*127\.0\.0\.1:9\b.*ECONNREFUSED.*\n$/m)
    expect(readFileSync(join(dataDir(), 'package.json'), 'utf8')).to.equal(before)
    // SSMD_NPM_REGISTRY is npm's --registry, over npm's own settings.
    const other = run(['plugins', 'install', 'ssmd-plugin-nowhere@1.0.0'], { SSMD_NPM_REGISTRY: 'http://127.0.0.1:7/' })
    expect(other.stderr).to.match(/^Error: npm install ssmd-plugin-nowhere@1\.0\.0 --omit=dev failed: .*127\.0\.0\.1:7\b/m)
  })

  it('runs the npm on PATH, with --ignore-scripts on its command line and in its environment', () => {
    const bin = tempDir()
    const record = join(tempDir(), 'npm-args')
    // An npm that records how it was run, then fails.
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nprintf '%s\\n' "$@" "env:$npm_config_ignore_scripts" > '${record}'\nexit 1\n`, { mode: 0o755 })
    const tarball = packPlugin(ACME)
    const r = run(['plugins', 'install', tarball], { PATH: `${bin}:${process.env.PATH}`, npm_config_ignore_scripts: 'false' })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal(`ssmd: installing ${tarball} with npm…\nError: npm install file:${tarball} --omit=dev failed: no reason given\n`)
    expect(readFileSync(record, 'utf8').split('\n')).to.deep.equal([
      'install',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--',
      `file:${tarball}`,
      'env:true',
      '',
    ])
  })

  it("gives npm's reason in one bounded line, its control characters escaped, however much npm prints", () => {
    const bin = tempDir()
    // An npm failing with a 300,000-character line that clears the screen and rings the bell.
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nprintf 'npm error FetchError: \\033[2J\\007%s\\n' "$(head -c 300000 /dev/zero | tr '\\0' x)" >&2\nexit 1\n`, { mode: 0o755 })
    const r = run(['plugins', 'install', 'ssmd-plugin-nowhere'], { PATH: `${bin}:${process.env.PATH}` })
    expect(r.code).to.equal(1)
    const lines = r.stderr.split('\n')
    expect(lines.slice(2)).to.deep.equal([''])
    expect(lines[1]).to.equal(
      `Error: npm install ssmd-plugin-nowhere@latest --omit=dev failed: FetchError: \\u001b[2J\\u0007${'x'.repeat(500 - 'FetchError: \x1b[2J\x07'.length)}…`,
    )
  })

  it("hands npm none of ssmd's own variables (the etcd password among them)", () => {
    const bin = tempDir()
    const record = join(tempDir(), 'npm-env')
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nenv | grep '^SSMD_' > '${record}'\nexit 1\n`, { mode: 0o755 })
    const r = run(['plugins', 'install', 'ssmd-plugin-x'], { PATH: `${bin}:${process.env.PATH}`, SSMD_ETCD_PASSWORD: 'hunter2-etcd', SSMD_ETCD_USER: 'root' })
    expect(r.code).to.equal(1)
    expect(readFileSync(record, 'utf8')).to.equal('')
  })

  it('never hands npm an option in place of a package: an argument starting with - is refused, and operands follow --', () => {
    const bin = tempDir()
    const record = join(tempDir(), 'npm-args')
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${record}'\nexit 1\n`, { mode: 0o755 })
    const path = { PATH: `${bin}:${process.env.PATH}` }
    // After --, oclif hands these over as arguments; npm would read them as its own options.
    for (const arg of ['--registry=http://127.0.0.1:7/:', '--foo', '-g']) {
      const r = run(['plugins', 'install', '--', arg], path)
      expect(r.code, arg).to.equal(2)
      expect(r.stderr).to.equal(`Error: '${arg}' is not a plugin: it starts with '-', as an npm option does (a tarball or folder of that name: ./${arg})\n`)
    }
    expect(existsSync(record)).to.equal(false)
    // What ssmd gives npm is always after --, so npm takes it as a package whatever it reads like.
    const tarball = packPlugin(ACME)
    expect(run(['plugins', 'install', tarball], path).code).to.equal(1)
    expect(readFileSync(record, 'utf8').split('\n').slice(-3)).to.deep.equal(['--', `file:${tarball}`, ''])
  })

  it('two plugins commands at once take turns: both plugins end up installed, recorded and in a tree npm accepts', async () => {
    const realNpm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()
    const bin = tempDir()
    const log = join(tempDir(), 'npm-runs')
    // npm, slowed down, noting when each run starts and ends.
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho start >> '${log}'\nsleep 1\n'${realNpm}' "$@"\nrc=$?\necho end >> '${log}'\nexit $rc\n`, { mode: 0o755 })
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...cli.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH}` })) if (v !== undefined && k !== 'NODE_ENV') env[k] = v
    const install = (tarball: string) =>
      new Promise<{ code: number | null; stderr: string }>(done => {
        const child = spawn(process.execPath, [BUILT_BIN, 'plugins', 'install', tarball], { env, stdio: ['ignore', 'ignore', 'pipe'] })
        let stderr = ''
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.on('close', code => done({ code, stderr }))
      })
    const [a, b] = await Promise.all([install(packPlugin(ACME)), install(packPlugin('rate-ceiling'))])
    expect(a.code, a.stderr).to.equal(0)
    expect(b.code, b.stderr).to.equal(0)
    expect(readFileSync(log, 'utf8')).to.equal('start\nend\nstart\nend\n')
    const waiting = `ssmd: waiting for another ssmd plugins command to finish with ${dataDir()}…\n`
    expect([a, b].filter(r => r.stderr.includes(waiting)).length).to.equal(1)
    expect(list().map(p => p.name)).to.deep.equal(['ssmd-plugin-acme', 'ssmd-plugin-rate-ceiling'])
    expect(dataPjson().dependencies).to.have.keys('ssmd-plugin-acme', 'ssmd-plugin-rate-ceiling')
    npmLs()
  })

  it('finds npm next to the Node.js running ssmd when PATH has none; says what to do when there is none there either', () => {
    const tarball = packPlugin(ACME)
    ok(run(['plugins', 'install', tarball], { PATH: '' }))
    expect(list().map(p => p.name)).to.deep.equal(['ssmd-plugin-acme'])

    // A Node.js with no npm beside it (the same binary, in a folder of its own), and no npm on PATH.
    const bare = tempDir()
    try {
      linkSync(process.execPath, join(bare, 'node'))
    } catch {
      copyFileSync(process.execPath, join(bare, 'node'))
    }
    // NODE_ENV=test (the suite's) would make oclif load TypeScript sources through tsx: run as users do.
    const r = spawnSync(join(bare, 'node'), [BUILT_BIN, 'plugins', 'install', tarball], {
      encoding: 'utf8',
      env: { ...process.env, ...cli.env, PATH: bare, NO_COLOR: '1', NODE_ENV: '' },
    })
    expect(r.status).to.equal(1)
    expect(r.stderr).to.equal(
      `Error: npm not found (not on PATH, nor next to ${join(bare, 'node')}): ssmd plugins installs with the npm that comes with Node.js; install Node.js with npm, or put npm on PATH\n`,
    )
    // Uninstalling a linked plugin needs no npm.
    ok(run(['plugins', 'link', join(PLUGINS, 'sealed-ok')]))
    const unlink = spawnSync(join(bare, 'node'), [BUILT_BIN, 'plugins', 'unlink', 'ssmd-plugin-sealed-ok'], {
      encoding: 'utf8',
      env: { ...process.env, ...cli.env, PATH: bare, NODE_ENV: '' },
    })
    expect(unlink.status, unlink.stderr).to.equal(0)
  })

  it('loads, lists, uninstalls and adds to a data folder written by @oclif/plugin-plugins 5', () => {
    // What plugin-plugins 5 wrote: its package.json (no trailing newline, its key order), npm's
    // node_modules and lock, a user plugin from a tarball, a linked one, and an old bare-string entry.
    const dir = dataDir()
    const tarball = packPlugin(ACME)
    mkdirSync(join(dir, 'node_modules'), { recursive: true })
    execFileSync('tar', ['-xzf', tarball, '-C', join(dir, 'node_modules')])
    renameSync(join(dir, 'node_modules', 'package'), join(dir, 'node_modules', 'ssmd-plugin-acme'))
    cpSync(join(PLUGINS, 'rate-ceiling'), join(dir, 'node_modules', 'ssmd-plugin-rate-ceiling'), { recursive: true })
    const pjson = {
      name: 'ssmd',
      dependencies: { 'ssmd-plugin-acme': `file:${tarball}`, 'ssmd-plugin-rate-ceiling': '^1.0.0' },
      oclif: {
        schema: 1,
        plugins: [
          'ssmd-plugin-rate-ceiling',
          { name: 'ssmd-plugin-acme', type: 'user', url: `file:${tarball}` },
          { name: 'ssmd-plugin-sealed-ok', root: join(PLUGINS, 'sealed-ok'), type: 'link' },
        ],
      },
      private: true,
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pjson, null, 2))

    expect(list().map(p => `${p.name} ${p.type}`)).to.deep.equal(['ssmd-plugin-acme user', 'ssmd-plugin-rate-ceiling user', 'ssmd-plugin-sealed-ok link'])
    const out = JSON.parse(ok(run(['validate', '--json', '-C', exampleRepo()])).stdout) as { summary: { plugins: Array<{ name: string; status: string }> } }
    expect(out.summary.plugins.map(p => `${p.name} ${p.status}`).sort()).to.deep.equal(['ssmd-plugin-acme ok', 'ssmd-plugin-rate-ceiling ok', 'ssmd-plugin-sealed-ok ok'])

    ok(run(['plugins', 'unlink', 'ssmd-plugin-sealed-ok']))
    ok(run(['plugins', 'uninstall', 'ssmd-plugin-acme']))
    ok(run(['plugins', 'install', packPlugin(join(PLUGINS, 'with-meta'))]))
    expect(list().map(p => `${p.name} ${p.type}`)).to.deep.equal(['ssmd-plugin-rate-ceiling user', 'ssmd-plugin-with-meta user'])
    // The bare-string entry is written in its full form, as plugin-plugins itself did on its next write.
    expect(dataPjson().oclif.plugins[0]).to.deep.equal({ name: 'ssmd-plugin-rate-ceiling', tag: 'latest', type: 'user' })
  })
})
