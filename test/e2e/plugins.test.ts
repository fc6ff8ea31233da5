import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CliResult } from '../helpers/cli.js'
import { brokenRepo, ok, packPlugin, pluginCli, PLUGINS, tree } from '../helpers/plugins.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'
import type { Finding as JsonFinding } from '../../src/lib/validate/types.js'

interface JsonRun {
  name: string
  pack?: string
  rules: number
  ms: number
  status: string
}
interface JsonOutput {
  findings: JsonFinding[]
  summary: { errors: number; plugins: JsonRun[] }
}

const BUDGET_MS = 1500
/**
 * Nineteen plugin processes start at once in the test of all of them together: on a loaded
 * two-core machine the honest one may need more than BUDGET_MS plus the start-up slack just to
 * start, and would fail for that alone. The looping ones still end at this budget.
 */
const ALL_AT_ONCE_BUDGET_MS = 10000

describe('validation plugins (built CLI, private plugin home)', () => {
  // A private oclif data/cache/config home: never the user's plugins. The registry is unreachable:
  // everything here installs from local files.
  const cli = pluginCli()
  const { run, link } = cli
  const json = (r: CliResult) => JSON.parse(r.stdout) as JsonOutput

  describe('installation', () => {
    it('installs the example plugin from its npm pack tarball with the registry unreachable, and runs it', () => {
      const tarball = packPlugin(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const installed = ok(run(['plugins', 'install', tarball]))
      expect(installed.stderr).to.match(/installed v1\.0\.0/)
      expect(ok(run(['plugins'])).stdout).to.match(/^ssmd-plugin-acme 1\.0\.0$/m)
      // Installed, not linked: the package sits in the private data folder.
      const pkg = join(cli.env.XDG_DATA_HOME, 'ssmd', 'node_modules', 'ssmd-plugin-acme', 'package.json')
      expect(JSON.parse(readFileSync(pkg, 'utf8')).name).to.equal('ssmd-plugin-acme')

      const rules = JSON.parse(ok(run(['rules', 'list', '--json'])).stdout) as Array<{ id: string; plugin: string }>
      expect(
        rules
          .filter(r => r.plugin === 'acme')
          .map(r => r.id)
          .sort(),
      ).to.deep.equal(['acme/prod-s3', 'acme/websocket-rate-limit'])
      const repo = exampleRepo()
      const r = ok(run(['validate', '--json', '-C', repo]))
      const out = json(r)
      expect(out.findings.map(f => `${f.rule} ${f.file}:${f.line}:${f.column} ${f.plugin}`)).to.deep.equal(['acme/websocket-rate-limit feeds/kalshi.yaml:13:5 acme'])
      expect(out.summary.plugins.map(p => `${p.name} ${p.pack} ${p.rules} ${p.status}`)).to.deep.equal(['ssmd-plugin-acme acme 2 ok'])
      expect(out.summary.plugins[0].ms).to.be.a('number').and.be.at.least(0)
      expect(r.stderr).to.equal('')
    })

    it('takes a relative tarball path, a file: spec relative to the working folder and a folder', () => {
      const tarball = packPlugin(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const cwd = join(tarball, '..')
      ok(run(['plugins', 'install', `./${tarball.split('/').pop()}`], {}, cwd))
      ok(run(['plugins', 'uninstall', 'ssmd-plugin-acme']))
      ok(run(['plugins', 'install', `file:${tarball.split('/').pop()}`], {}, cwd))
      ok(run(['plugins', 'install', join(PLUGINS, 'broken-garbage')]))
      expect(ok(run(['plugins'])).stdout).to.match(/ssmd-plugin-acme 1\.0\.0[\s\S]*ssmd-plugin-broken-garbage 1\.0\.0/)
    })

    it('refuses a local path that does not exist, without asking GitHub', () => {
      const r = run(['plugins', 'install', '/nonexistent/acme-1.0.0.tgz'])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.match(/no such file or directory: \/nonexistent\/acme-1\.0\.0\.tgz/)
      expect(r.stderr).not.to.match(/github/i)
    })

    it('runs a TypeScript plugin written from docs/plugins.md alone: compiles under strict, installs from its tarball offline', () => {
      const docs = readFileSync(join(PROJECT_ROOT, 'docs/plugins.md'), 'utf8')
      const blocks = [...docs.matchAll(/```(json|ts)\n([\s\S]*?)```/g)].map(m => ({ lang: m[1], text: m[2] }))
      const pkgJson = blocks.find(b => b.lang === 'json' && b.text.includes('"oclif"'))!.text
      const source = blocks.find(b => b.lang === 'ts' && b.text.includes('defineChecks'))!.text
      const tsconfig = blocks.find(b => b.lang === 'json' && b.text.includes('compilerOptions'))!.text
      expect(JSON.parse(pkgJson)).not.to.have.any.keys('peerDependencies', 'dependencies')
      const dir = join(tempDir(), 'acme-checks')
      mkdirSync(join(dir, 'src/hooks'), { recursive: true })
      writeFileSync(join(dir, 'package.json'), pkgJson)
      writeFileSync(join(dir, 'tsconfig.json'), tsconfig)
      writeFileSync(join(dir, 'src/hooks/validate.ts'), source)
      // What `npm install -D /path/to/ssmd` leaves: a link to ssmd for its types (dev only).
      mkdirSync(join(dir, 'node_modules'))
      symlinkSync(PROJECT_ROOT, join(dir, 'node_modules/ssmd'))
      symlinkSync(join(PROJECT_ROOT, 'node_modules/@types'), join(dir, 'node_modules/@types'))
      execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' })
      const compiled = readFileSync(join(dir, 'dist/hooks/validate.js'), 'utf8')
      expect(compiled).not.to.match(/from ['"]ssmd['"]/)

      ok(run(['plugins', 'install', packPlugin(dir)]))
      const repo = exampleRepo()
      const feedFile = join(repo, 'feeds/kraken.yaml')
      writeFileSync(
        join(repo, 'feeds/oops.yaml'),
        readFileSync(feedFile, 'utf8')
          .replace(/^name: .*$/m, 'name: oops')
          .replace(/^versions:[\s\S]*$/m, 'versions: oops\n'),
      )
      const r = run(['validate', '--json', '-C', repo])
      const out = json(r)
      expect(out.summary.plugins.map(p => `${p.name} ${p.status}`)).to.deep.equal(['@acme/ssmd-checks ok'])
      expect(out.findings.filter(f => f.plugin === 'acme').map(f => `${f.rule} ${f.file}:${f.line}`)).to.deep.equal(['acme/feed-rate-limit feeds/kalshi.yaml:13'])
      expect(out.findings.map(f => f.rule)).not.to.include('plugin/failed')
    })
  })

  describe('the example plugin', () => {
    it('does not throw on malformed data (versions: oops) and keeps its findings on the other feeds', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const repo = exampleRepo()
      const kraken = join(repo, 'feeds/kraken.yaml')
      writeFileSync(kraken, readFileSync(kraken, 'utf8').replace(/^versions:[\s\S]*$/m, 'versions: oops\n'))
      const out = json(run(['validate', '--json', '-C', repo]))
      expect(out.findings.map(f => f.rule)).not.to.include('plugin/failed')
      expect(out.findings.filter(f => f.plugin === 'acme').map(f => `${f.rule} ${f.file}`)).to.deep.equal(['acme/websocket-rate-limit feeds/kalshi.yaml'])
    })

    it('is not seen changed by another plugin that tries to rewrite every document it is given (the data is frozen)', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      link(join(PLUGINS, 'mutates-data'))
      const r = run(['validate', '--json', '-C', exampleRepo()])
      expect(r.code).to.equal(1)
      expect(json(r).findings.map(f => `${f.rule} ${f.file}:${f.line} ${f.rule === 'plugin/failed' ? f.message : ''}`)).to.deep.equal([
        "plugin/failed :1 plugin 'ssmd-plugin-mutates-data' failed: rule 'mutator/rewrite' threw: TypeError: 'type' is read-only; its findings are incomplete",
        'acme/websocket-rate-limit feeds/kalshi.yaml:13 ',
      ])
    })

    it('is frozen at every depth, a "__proto__" key included, however a plugin tries to write to it', () => {
      link(join(PLUGINS, 'frozen-deep'))
      const repo = exampleRepo()
      const feed = join(repo, 'feeds/kalshi.yaml')
      writeFileSync(feed, `${readFileSync(feed, 'utf8')}extra:\n  __proto__:\n    nested: [1, { deeper: [true] }]\n`)
      const r = run(['validate', '--json', '-C', repo])
      const mine = json(r).findings.filter(f => f.rule === 'frozen/deep' || f.rule === 'plugin/failed')
      expect(mine.map(f => f.message)).to.have.length(1)
      expect(mine[0].message).to.match(/^0 of [1-9][0-9]{2,} writes to the documents took effect$/)
    })
  })

  describe('rule meta across the process boundary', () => {
    it('fills messageId templates, and carries docs into rules list and SARIF', () => {
      link(join(PLUGINS, 'meta-messages'))
      const repo = exampleRepo()
      const out = json(ok(run(['validate', '--json', '-C', repo])))
      expect(out.findings.map(f => `${f.rule} ${f.severity} ${f.file}:${f.line} ${f.message}`)).to.deep.equal([
        'metas/display-name warning feeds/kraken.yaml:1 feed kraken has no display_name (1 checked)',
      ])
      const rules = JSON.parse(ok(run(['rules', 'list', '--json'])).stdout) as Array<{ id: string; docs?: string }>
      expect(rules.find(r => r.id === 'metas/display-name')?.docs).to.equal('https://wiki.example.com/ssmd/metas-display-name')
      const sarif = JSON.parse(ok(run(['validate', '--format', 'sarif', '-C', repo])).stdout)
      const rule = sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'metas/display-name')
      expect(rule.helpUri).to.equal('https://wiki.example.com/ssmd/metas-display-name')
    })
  })

  describe('policy (ssmd.yaml)', () => {
    it('lets ssmd.yaml tighten a plugin rule and require the plugin by package name', () => {
      const repo = exampleRepo()
      writeFileSync(join(repo, 'ssmd.yaml'), 'plugins: [ssmd-plugin-acme]\nrules:\n  acme/websocket-rate-limit: error\n  ref/unused: off\n')
      const missing = run(['validate', '--json', '-C', repo])
      expect(missing.code).to.equal(1)
      const [finding, ...rest] = json(missing).findings
      expect(rest).to.deep.equal([])
      expect(`${finding.rule} ${finding.file}:${finding.line}:${finding.column}`).to.equal('policy/plugin-missing ssmd.yaml:1:11')
      expect(finding.message).to.contain("run 'ssmd plugins install ssmd-plugin-acme'")
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const present = run(['validate', '--json', '-C', repo])
      expect(present.code).to.equal(1)
      expect(json(present).findings.map(f => `${f.rule} ${f.severity}`)).to.deep.equal(['acme/websocket-rate-limit error'])
    })

    it('names the package when ssmd.yaml lists a rule-pack name', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const repo = exampleRepo()
      writeFileSync(join(repo, 'ssmd.yaml'), 'plugins: [acme]\n')
      const r = run(['validate', '--json', '-C', repo])
      expect(r.code).to.equal(1)
      const missing = json(r).findings.filter(f => f.rule === 'policy/plugin-missing')
      expect(missing.map(f => f.message)).to.deep.equal([
        "ssmd.yaml requires plugin 'acme', which is the rule-pack name of the installed package 'ssmd-plugin-acme'; list the package name instead (plugins: ['ssmd-plugin-acme'])",
      ])
    })

    it('reports an unknown rule id with a did-you-mean, and applies info as the file contract allows it', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      const repo = exampleRepo()
      writeFileSync(join(repo, 'ssmd.yaml'), 'rules:\n  acme/websocket-rate-limt: error\n  acme/websocket-rate-limit: info\n  ref/unused: off\n')
      const r = run(['validate', '--json', '-C', repo])
      expect(r.code).to.equal(1)
      expect(json(r).findings.map(f => `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`)).to.deep.equal([
        'acme/websocket-rate-limit info feeds/kalshi.yaml:13:5 websocket version v1 declares no rate_limit_per_second',
        "policy/unknown-rule error ssmd.yaml:2:3 ssmd.yaml sets rule 'acme/websocket-rate-limt', which no built-in rule or installed plugin declares; did you mean 'acme/websocket-rate-limit'?",
      ])
      // Without plugins, ids outside ssmd's namespaces are not judged; built-in ones still are.
      writeFileSync(join(repo, 'ssmd.yaml'), 'rules:\n  acme/websocket-rate-limt: error\n  feed/timezon: warning\n  ref/unused: off\n')
      const builtinOnly = json(run(['validate', '--json', '--no-plugins', '-C', repo]))
      expect(builtinOnly.findings.map(f => `${f.rule} ${f.line} ${f.message}`)).to.deep.equal([
        "policy/unknown-rule 3 ssmd.yaml sets rule 'feed/timezon', which no built-in rule or installed plugin declares; did you mean 'feed/timezone'?",
      ])
    })
  })

  describe('validation before env render and deploy', () => {
    it('runs plugins in their own processes too: a hostile one blocks the render, naming its package', () => {
      link(join(PLUGINS, 'severity-banana'))
      const repo = exampleRepo()
      const r = run(['env', 'render', 'kalshi-dev', '-C', repo])
      expect(r.code).to.equal(1)
      expect(r.stderr).to.match(/^Error: environment 'kalshi-dev' does not validate: plugin 'ssmd-plugin-severity-banana' failed: rule 'banana\/split' reported severity 'banana'/)
      const builtinOnly = run(['env', 'render', 'kalshi-dev', '-C', repo], { SSMD_NO_PLUGINS: '1' })
      expect(builtinOnly.code, builtinOnly.stderr).to.equal(0)
      expect(builtinOnly.stdout).to.match(/^name: kalshi-dev$/m)
    })
  })

  describe('switching plugins off and seeing what ran', () => {
    it('--no-plugins and SSMD_NO_PLUGINS=1 run the built-in rules only; -v names each plugin and its time', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      link(join(PLUGINS, 'infinite-loop'))
      const repo = brokenRepo()
      for (const r of [run(['validate', '--json', '--no-plugins', '-C', repo]), run(['validate', '--json', '-C', repo], { SSMD_NO_PLUGINS: '1' })]) {
        expect(r.code).to.equal(1)
        const out = json(r)
        expect(out.findings.map(f => f.rule)).to.deep.equal(['feed/timezone'])
        expect(out.summary.plugins).to.deep.equal([])
      }
      const rules = JSON.parse(ok(run(['rules', 'list', '--json', '--no-plugins'])).stdout) as Array<{ plugin: string }>
      expect(rules.every(r => r.plugin === 'ssmd')).to.equal(true)
      const verbose = run(['validate', '-v', '-C', repo], { SSMD_PLUGIN_TIMEOUT_MS: String(BUDGET_MS) })
      expect(verbose.code).to.equal(1)
      expect(verbose.stderr).to.match(/^ {2}ssmd-plugin-acme@1\.0\.0 \(acme, 2 rules\): ok, \d+ ms$/m)
      expect(verbose.stderr).to.match(/^ {2}ssmd-plugin-infinite-loop@\d+\.\d+\.\d+ \(looper, 1 rule\): failed, \d+ ms$/m)
    })

    it('rules list reads declarations without running any check', () => {
      link(join(PLUGINS, 'broken-check-throws'))
      const outside = tempDir()
      const r = ok(run(['rules', 'list', '--json'], {}, outside))
      expect(r.stderr).to.equal('')
      expect((JSON.parse(r.stdout) as Array<{ id: string }>).map(x => x.id)).to.include('crashy/explodes')
      expect(readdirSync(outside)).to.deep.equal([])
    })
  })

  describe('hostile and broken plugins: exit 1, the built-in finding kept, one plugin/failed naming the package, no file changed', () => {
    const cases: Array<[string, RegExp]> = [
      // Sealed: no `process` at all, built-ins frozen.
      ['exit-in-check', /rule 'exiter\/bye' threw on feeds\/[a-z]+\.yaml: ReferenceError: 'process' is not defined/],
      ['exit-handler', /its code could not be loaded: ReferenceError: 'process' is not defined \(hooks\/validate\.js:2:1\)/],
      ['patch-filter', /its code could not be loaded: TypeError: 'filter' is read-only \(hooks\/validate\.js:2:\d+\)/],
      ['patch-stdout', /its code could not be loaded: ReferenceError: 'process' is not defined/],
      ['claims-ssmd', /rule pack is named 'ssmd', which is reserved/],
      ['never-settles', /its validate hook never settles \(it awaits a promise nothing can resolve\)/],
      ['infinite-loop', new RegExp(`exceeded its time budget of ${BUDGET_MS} ms \\(in rule 'looper/forever'\\)`)],
      ['throwing-getter', /rule pack could not be read: gotcha from a getter/],
      ['writes-files', /its code could not be loaded: hooks\/validate\.js imports 'node:fs', a Node\.js built-in module; validation plugins run sealed/],
      ['severity-banana', /rule 'banana\/split' reported severity 'banana'; use error, warning or info/],
      ['negative-column', /rule 'negative\/column' reported column -7; lines and columns are whole numbers from 1/],
      ['report-null', /rule 'nothing\/null' reported null instead of \{ message, path \}/],
      ['path-outside', /rule 'escape\/outside' reported file '\.\.\/\.\.\/etc\/passwd', which is not a path inside the repository/],
      ['broken-throws', /its validate hook threw: boom while registering/],
      ['broken-garbage', /its validate hook returned number instead of a rule pack/],
      ['broken-slow', /a check in rule 'slow\/never-finishes' never settles/],
      ['broken-check-throws', /rule 'crashy\/explodes' threw on feeds\/kalshi\.yaml/],
    ]
    for (const [name, why] of cases) {
      it(name, () => {
        link(join(PLUGINS, name))
        const pkg = `ssmd-plugin-${name}`
        const repo = brokenRepo()
        const before = tree(repo)
        const r = run(['validate', '--json', '-C', repo], { SSMD_PLUGIN_TIMEOUT_MS: String(BUDGET_MS) })
        expect(r.code, r.stderr).to.equal(1)
        const out = json(r)
        expect(out.findings.map(f => f.rule)).to.include('feed/timezone')
        const failed = out.findings.filter(f => f.rule === 'plugin/failed')
        expect(failed).to.have.length(1)
        expect(failed[0].message).to.match(new RegExp(`^plugin '${pkg}' failed: `))
        expect(failed[0].message).to.match(why)
        expect(out.summary.errors).to.equal(2)
        expect(out.summary.plugins.map(p => `${p.name} ${p.status}`)).to.deep.equal([`${pkg} failed`])
        // Killed on time: ssmd's own measure of the plugin, from start to verdict.
        if (name === 'infinite-loop') expect(out.summary.plugins[0].ms).to.be.below(BUDGET_MS + 2000)
        expect(tree(repo)).to.deep.equal(before)
        expect(r.stderr).not.to.match(/\n\s+at /)
      })
    }

    it('all at once: each reported by package, the example plugin and the built-in rules unaffected', () => {
      link(join(PROJECT_ROOT, 'examples/plugin-acme'))
      for (const [name] of cases) link(join(PLUGINS, name))
      const repo = brokenRepo()
      const before = tree(repo)
      const r = run(['validate', '--json', '-C', repo], { SSMD_PLUGIN_TIMEOUT_MS: String(ALL_AT_ONCE_BUDGET_MS) })
      expect(r.code).to.equal(1)
      const out = json(r)
      const failed = out.findings
        .filter(f => f.rule === 'plugin/failed')
        .map(f => /^plugin '([^']+)'/.exec(f.message)![1])
        .sort()
      expect(failed).to.deep.equal(cases.map(([n]) => `ssmd-plugin-${n}`).sort())
      expect(out.findings.filter(f => f.rule !== 'plugin/failed').map(f => f.rule)).to.deep.equal(['acme/websocket-rate-limit', 'feed/timezone'])
      expect(tree(repo)).to.deep.equal(before)
    })
  })
})
