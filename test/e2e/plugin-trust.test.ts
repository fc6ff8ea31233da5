import { expect } from 'chai'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CliResult } from '../helpers/cli.js'
import { gitIn, isolatedGitEnv } from '../helpers/git.js'
import { brokenRepo, ok, packPlugin, pluginCli, PLUGINS, tree } from '../helpers/plugins.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

const SECRET = 'hunter2-in-ssmds-environment'

interface ListItem {
  name: string
  version: string
  type: string
  // Given for user and linked plugins, the only ones looked at here.
  rules: string[]
  hooks: Array<{ event: string; runs: boolean }>
  commands: Array<{ id: string; runs: boolean; reason?: string }>
  refused?: string
}

describe('what ssmd runs of a plugin (built CLI, private plugin home)', () => {
  let markers: string
  const cli = pluginCli(() => {
    markers = tempDir()
    return { SSMD_TEST_MARKERS: markers, SSMD_TEST_SECRET: SECRET }
  })
  const { run } = cli
  const clean = (r: CliResult) => {
    const all = r.stdout + r.stderr
    expect(all).not.to.contain('HOOK-RAN')
    expect(all).not.to.contain('SHADOW-RAN')
    expect(all).not.to.contain(SECRET)
    expect(readdirSync(markers), 'plugin code left markers').to.deep.equal([])
    return r
  }
  const list = () => JSON.parse(ok(run(['plugins', '--json'])).stdout) as ListItem[]
  /** Links a fixture plugin (by name) or a folder (absolute path): reading it as a plugin runs none of its code. */
  const link = (name: string) => clean(cli.link(name))

  describe('lifecycle hooks of a plugin never run', () => {
    it('validate, with and without plugins: exit 1, the built-in finding kept, no hook ran, nothing written', () => {
      link('lifecycle-hooks')
      const repo = brokenRepo()
      const before = tree(repo)
      for (const [args, extra] of [
        [['validate', '--json', '-C', repo], {}],
        [['validate', '--json', '--no-plugins', '-C', repo], {}],
        [['validate', '--json', '-C', repo], { SSMD_NO_PLUGINS: '1' }],
      ] as Array<[string[], Record<string, string>]>) {
        const r = clean(run(args, extra))
        expect(r.code, r.stderr).to.equal(1)
        const out = JSON.parse(r.stdout) as { findings: Array<{ rule: string }> }
        expect(out.findings.map(f => f.rule)).to.deep.equal(['feed/timezone'])
      }
      expect(tree(repo)).to.deep.equal(before)
    })

    it('commit refuses a repository with an error, whatever the plugin hooks would do', () => {
      link('lifecycle-hooks')
      const repo = brokenRepo({ git: true })
      const r = clean(run(['commit', '-m', 'try', '-C', repo]))
      expect(r.code).to.equal(1)
      expect(r.stderr).to.match(/^Error: validation found 1 error; nothing was staged or committed/m)
    })

    it('other commands, help, an unknown command and a parse error run no hook either', () => {
      link('lifecycle-hooks')
      const repo = exampleRepo()
      expect(clean(run(['feed', 'show', 'kalshi', '-C', repo])).code).to.equal(0)
      expect(clean(run(['--help'])).code).to.equal(0)
      expect(clean(run(['frobnicate'])).code).to.equal(2)
      expect(clean(run(['feed', 'show', '--bogus'])).code).to.equal(2)
      expect(clean(run(['plugins'])).code).to.equal(0)
    })

    it('ssmd plugins lists the hooks and marks every one but validate as not run', () => {
      link('lifecycle-hooks')
      const item = list().find(p => p.name === 'ssmd-plugin-lifecycle-hooks')!
      expect(item.rules).to.deep.equal(['lifecycle/noop'])
      expect(item.hooks.filter(h => h.runs).map(h => h.event)).to.deep.equal(['validate'])
      expect(item.hooks.filter(h => !h.runs).map(h => h.event)).to.have.members([
        'init',
        'prerun',
        'postrun',
        'finally',
        'preparse',
        'command_not_found',
        'plugins:preinstall',
        'plugins:postinstall',
      ])
      const text = ok(run(['plugins'])).stdout
      expect(text).to.match(/^ {2}hooks: validate, command_not_found \(not run\), .*prerun \(not run\)$/m)
      clean({ stdout: '', stderr: '', code: 0 })
    })
  })

  describe('commands of a plugin', () => {
    it('run when the user runs them, but never in place of an ssmd command or topic', () => {
      link('lifecycle-hooks')
      const repo = brokenRepo()
      expect(ok(run(['lifecycle', 'hello'])).stdout).to.equal('hello from the lifecycle plugin\n')

      const v = clean(run(['validate', '-C', repo]))
      expect(v.code).to.equal(1)
      expect(v.stdout).to.match(/feed\/timezone/)
      expect(v.stderr).to.equal(
        "Warning: plugin 'ssmd-plugin-lifecycle-hooks' declares the command 'validate', which is ssmd's own; ssmd runs its own and never the plugin's (see 'ssmd plugins')\n",
      )
      const fl = clean(run(['feed', 'list', '-C', repo]))
      expect(fl.code).to.equal(0)
      expect(fl.stdout).to.match(/^kalshi /m)
      // Under ssmd's topic: not loaded at all.
      expect(clean(run(['feed', 'audit', '-C', repo])).code).to.equal(2)
      // An alias and a permutation that would take `commit` and `deploy`.
      expect(clean(run(['deploy', '--help'])).stdout).to.match(/Write rendered environments into etcd|deploy/i)
      // A topic description of ssmd's is not replaced.
      expect(clean(run(['feed', '--help'])).stdout).not.to.contain('HIJACKED')

      const item = list().find(p => p.name === 'ssmd-plugin-lifecycle-hooks')!
      expect(item.commands).to.deep.equal([
        { id: 'lifecycle:hello', runs: true },
        { id: 'validate', runs: false, reason: "'validate' is ssmd's own" },
        { id: 'feed:list', runs: false, reason: "'feed list' is ssmd's own" },
        { id: 'feed:audit', runs: false, reason: "'feed audit' would sit under ssmd's own 'feed'" },
        { id: 'lifecycle:sneaky', runs: false, reason: "'commit' is ssmd's own" },
      ])
    })

    it('are never imported to be found: a plugin without a manifest has its commands listed as not run', () => {
      link('commands-no-manifest')
      const repo = brokenRepo()
      const r = clean(run(['validate', '--json', '-C', repo]))
      expect(r.code).to.equal(1)
      const item = list().find(p => p.name === 'ssmd-plugin-commands-no-manifest')!
      expect(item.rules).to.deep.equal(['nomanifest/noop'])
      expect(item.commands).to.have.length(1)
      expect(item.commands[0]).to.include({ id: '*', runs: false })
      expect(item.commands[0].reason).to.match(/no oclif\.manifest\.json/)
      clean({ stdout: '', stderr: '', code: 0 })
      // Installing it (not only linking) imports none of its files either.
      ok(run(['plugins', 'unlink', 'ssmd-plugin-commands-no-manifest']))
      const installed = clean(run(['plugins', 'install', packPlugin('commands-no-manifest')]))
      expect(installed.stderr).to.contain('ssmd-plugin-commands-no-manifest: brings commands ssmd will not run: all (the package ships no oclif.manifest.json')
      clean(run(['plugins', '--json']))
    })

    it('a package named like one of ssmd’s built-in plugins is not loaded, and ssmd’s stays', () => {
      link('claims-core-name')
      const refused = list().filter(p => p.refused !== undefined)
      expect(refused.map(p => `${p.name} ${p.version} ${p.type} ${p.refused}`)).to.deep.equal([
        "@oclif/plugin-help 99.0.0 link '@oclif/plugin-help' is the name of one of ssmd's built-in plugins",
      ])
      const r = clean(run(['validate', '--json', '-C', brokenRepo()]))
      expect(r.code).to.equal(1)
      expect(clean(run(['help', 'validate'])).stdout).to.match(/^USAGE/m)
    })
  })

  describe('plugins install', () => {
    it('runs no lifecycle script from a tarball or a folder, and says so', () => {
      for (const source of [packPlugin('install-scripts', { ignoreScripts: true }), join(PLUGINS, 'install-scripts')]) {
        const r = clean(run(['plugins', 'install', source]))
        expect(r.code, r.stderr).to.equal(0)
        expect(r.stderr).to.match(/npm ran with --ignore-scripts: no lifecycle script \(preinstall, install, postinstall, prepare\) of a package or its dependencies ran/)
        ok(run(['plugins', 'uninstall', 'ssmd-plugin-install-scripts']))
      }
      const first = clean(run(['plugins', 'install', packPlugin('install-scripts', { ignoreScripts: true })]))
      expect(first.stderr).to.match(
        /^ssmd-plugin-install-scripts: installed with npm --ignore-scripts; its lifecycle scripts were not run \(preinstall, install, postinstall, prepare\)$/m,
      )
      expect(list().find(p => p.name === 'ssmd-plugin-install-scripts')?.rules).to.deep.equal(['scripts/noop'])
    })

    it("runs no program a git dependency's .npmrc names (git=…), nor its prepare script", () => {
      const git = isolatedGitEnv()
      const root = tempDir()
      const repo = (name: string, files: Record<string, string>) => {
        const dir = join(root, name)
        mkdirSync(dir)
        for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { mode: 0o755 })
        gitIn(dir, git, 'init', '-q')
        gitIn(dir, git, 'add', '.')
        gitIn(dir, git, 'commit', '-qm', name)
        return `git+file://${dir}`
      }
      const plain = repo('plain', { 'package.json': JSON.stringify({ name: 'plain-dep', version: '1.0.0' }) })
      // npm prepares a git dependency that has a prepare script by running npm install in its clone, where
      // the clone's .npmrc is the project's configuration: its git= would be the program npm runs for git.
      const hostile = repo('hostile', {
        'package.json': JSON.stringify({ name: 'hostile-dep', version: '1.0.0', scripts: { prepare: `touch ${join(markers, 'prepare')}` }, dependencies: { 'plain-dep': plain } }),
        '.npmrc': 'git=./pwn.sh\nignore-scripts=false\nglobal=true\n',
        'pwn.sh': `#!/bin/sh\ntouch ${join(markers, 'git-program')}\nexec git "$@"\n`,
      })
      const plugin = join(root, 'plugin')
      mkdirSync(plugin)
      writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'ssmd-plugin-git-dep', version: '1.0.0', oclif: {}, dependencies: { 'hostile-dep': hostile } }))
      // The clone's npm reads the environment: a user's npm setting in either case must not turn scripts on there.
      // npm's global folder, where global=true would install the clone and link its programs.
      const prefix = tempDir()
      const r = clean(
        run(['plugins', 'install', packPlugin(plugin)], { ...git, npm_config_prefix: prefix, npm_config_ignore_scripts: 'false', NPM_CONFIG_IGNORE_SCRIPTS: 'false' }),
      )
      expect(r.code, r.stderr).to.equal(0)
      expect(list().map(p => p.name)).to.include('ssmd-plugin-git-dep')
      expect(readdirSync(prefix)).to.deep.equal([])
    })

    it('installs nothing globally for a folder linked with --install whose .npmrc says global=true or location=global', () => {
      for (const setting of ['global=true', 'location=global']) {
        const plugin = tempDir()
        // A program named git: installed globally, npm would link it into npm's bin folder, on the user's PATH.
        writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'ssmd-plugin-global', version: '1.0.0', oclif: {}, bin: { git: 'git.sh' } }))
        writeFileSync(join(plugin, 'git.sh'), `#!/bin/sh\ntouch ${join(markers, 'git')}\n`, { mode: 0o755 })
        writeFileSync(join(plugin, '.npmrc'), `${setting}\n`)
        const prefix = tempDir()
        clean(ok(run(['plugins', 'link', '--install', plugin], { npm_config_prefix: prefix })))
        expect(readdirSync(prefix), setting).to.deep.equal([])
        expect(readdirSync(plugin).sort()).to.deep.equal(['.npmrc', 'git.sh', 'package-lock.json', 'package.json'])
        ok(run(['plugins', 'unlink', plugin]))
      }
    })

    it("runs none of the new package's hooks (plugins:postinstall included) and says what it brings besides rules", () => {
      const r = clean(run(['plugins', 'install', packPlugin('lifecycle-hooks', { ignoreScripts: true })]))
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stderr).to.contain(
        'ssmd-plugin-lifecycle-hooks: brings oclif hooks ssmd never runs: command_not_found, finally, init, plugins:postinstall, plugins:preinstall, postrun, preparse, prerun\n',
      )
      expect(r.stderr).to.contain('ssmd-plugin-lifecycle-hooks: brings commands, run only when you run them: lifecycle hello\n')
      expect(r.stderr).to.contain("ssmd-plugin-lifecycle-hooks: brings commands ssmd will not run: validate ('validate' is ssmd's own), feed list")
      const help = ok(run(['plugins', 'install', '--help'])).stdout
      expect(help).to.match(/--ignore-scripts: no lifecycle script/)
    })
  })

  describe('turning required plugins off', () => {
    const requiring = (options: { git?: boolean } = {}) => {
      const repo = brokenRepo(options)
      writeFileSync(join(repo, 'ssmd.yaml'), 'plugins: [ssmd-plugin-acme]\nrules:\n  ref/unused: off\n')
      return repo
    }
    const notice = (how: string) => `Notice: plugins are turned off (${how}): the rules of 'ssmd-plugin-acme', which ssmd.yaml requires, did not run\n`

    it('validate says so on stderr (also with --json and --quiet), in JSON and in SARIF', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const repo = requiring()
      const j = run(['validate', '--json', '--no-plugins', '-C', repo])
      expect(j.code).to.equal(1)
      expect(j.stderr).to.equal(notice('--no-plugins'))
      const out = JSON.parse(j.stdout) as { findings: Array<{ rule: string }>; summary: { plugins_off: unknown } }
      expect(out.findings.map(f => f.rule)).to.deep.equal(['feed/timezone'])
      expect(out.summary.plugins_off).to.deep.equal({ by: '--no-plugins', required: ['ssmd-plugin-acme'] })
      const q = run(['validate', '-q', '-C', repo], { SSMD_NO_PLUGINS: '1' })
      expect(q.code).to.equal(1)
      expect(q.stderr).to.equal(notice('SSMD_NO_PLUGINS=1'))
      const sarif = JSON.parse(run(['validate', '--format', 'sarif', '-C', repo], { SSMD_NO_PLUGINS: '1' }).stdout)
      expect(sarif.runs[0].invocations).to.deep.equal([
        { executionSuccessful: true, toolExecutionNotifications: [{ level: 'warning', message: { text: notice('SSMD_NO_PLUGINS=1').slice('Notice: '.length, -1) } }] },
      ])
      // Plugins on: no notice, no plugins_off.
      const on = run(['validate', '--json', '-C', repo])
      expect(on.stderr).to.equal('')
      expect(JSON.parse(on.stdout).summary).not.to.have.property('plugins_off')
    })

    it('commit and deploy refuse with one line naming the plugins; env render says so', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const repo = exampleRepo({ git: true })
      writeFileSync(join(repo, 'ssmd.yaml'), 'plugins: [ssmd-plugin-acme]\nrules:\n  ref/unused: off\n')
      const before = tree(repo)
      const c = run(['commit', '-m', 'x', '-C', repo], { SSMD_NO_PLUGINS: '1' })
      expect(c.code).to.equal(1)
      expect(c.stderr).to.equal(
        "Error: commit refused: ssmd.yaml requires 'ssmd-plugin-acme', but plugins are turned off (SSMD_NO_PLUGINS=1); unset SSMD_NO_PLUGINS to run them, or commit with --no-validate to skip validation altogether\n",
      )
      const d = run(['deploy', 'kalshi-dev', '--etcd', 'http://127.0.0.1:9', '-C', repo], { SSMD_NO_PLUGINS: '1' })
      expect(d.code).to.equal(1)
      expect(d.stderr).to.equal("Error: deploy refused: ssmd.yaml requires 'ssmd-plugin-acme', but plugins are turned off (SSMD_NO_PLUGINS=1); unset SSMD_NO_PLUGINS to run them\n")
      const e = run(['env', 'render', 'kalshi-dev', '-C', repo], { SSMD_NO_PLUGINS: '1' })
      expect(e.code, e.stderr).to.equal(0)
      expect(e.stderr).to.equal(notice('SSMD_NO_PLUGINS=1'))
      expect(tree(repo)).to.deep.equal(before)
      // Required plugins on: commit goes ahead.
      ok(run(['commit', '-m', 'require acme', '-C', repo]))
    })
  })
})
