// Plugins pinned per repository (ssmd.yaml + ssmd-plugins.lock), rule options, presets and
// overrides, and the cache of plugin findings: the built CLI with a private plugin home.
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineChecks } from '../../src/lib/validate/define.js'
import type { CliResult } from '../helpers/cli.js'
import { ok, packPlugin, pluginCli } from '../helpers/plugins.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import type { Finding as JsonFinding } from '../../src/lib/validate/types.js'

interface JsonOutput {
  findings: JsonFinding[]
  summary: { errors: number; plugins: Array<{ name: string; version: string; status: string; cached?: boolean }> }
}

const PKG = 'ssmd-plugin-rate-ceiling'

const sha512 = (file: string) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`
const line = (f: JsonFinding) => `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`

describe('pinned plugins, rule options, presets and overrides (built CLI, private plugin home)', () => {
  const cli = pluginCli()
  const { link, run } = cli
  const json = (r: CliResult) => JSON.parse(r.stdout) as JsonOutput
  /** One rule's findings of a JSON run, as `file message`. */
  const ruleFindings = (r: CliResult, rule: string) =>
    json(r)
      .findings.filter(f => f.rule === rule)
      .map(f => `${f.file} ${f.message}`)
  const policy = (repo: string, text: string) => writeFileSync(join(repo, 'ssmd.yaml'), text)

  describe('pins and the lock', () => {
    it('fails validate naming both versions when ssmd.yaml pins 1.0.0 and 1.1.0 is installed; JSON and SARIF name what ran', () => {
      ok(run(['plugins', 'install', packPlugin('rate-ceiling', { dest: tempDir(), version: '1.1.0' })]))
      const repo = exampleRepo()
      policy(repo, `plugins: ['${PKG}@1.0.0']\nrules:\n  ref/unused: off\n`)
      const r = run(['validate', '--json', '-C', repo])
      expect(r.code).to.equal(1)
      const out = json(r)
      expect(out.findings.filter(f => f.rule !== 'ceiling/calls').map(line)).to.deep.equal([
        `policy/plugin-pin error ssmd.yaml:1:11 ${PKG}: ssmd.yaml pins 1.0.0, 1.1.0 is installed; run 'ssmd plugins install'`,
      ])
      expect(out.summary.plugins.map(p => `${p.name}@${p.version} ${p.status}`)).to.deep.equal([`${PKG}@1.1.0 ok`])
      const sarif = JSON.parse(run(['validate', '--format', 'sarif', '-C', repo]).stdout) as { runs: Array<{ tool: { extensions: Array<{ name: string; version: string }> } }> }
      expect(sarif.runs[0].tool.extensions.map(e => `${e.name}@${e.version}`)).to.deep.equal([`${PKG}@1.1.0`])
      // A range is not a pin.
      policy(repo, `plugins: ['${PKG}@^1.0.0']\nrules:\n  ref/unused: off\n`)
      expect(
        json(run(['validate', '--json', '-C', repo]))
          .findings.filter(f => f.rule !== 'ceiling/calls')
          .map(f => f.message),
      ).to.deep.equal([
        `ssmd.yaml pins '${PKG}' to '^1.0.0', which is not an exact version; write '${PKG}@<major.minor.patch>' (ranges would let two machines run different rules)`,
      ])
    })

    it('installs the locked set with no argument: from a folder, then offline from the cache; refuses a tarball the lock does not record', () => {
      const folder = tempDir()
      const integrity = sha512(packPlugin('rate-ceiling', { dest: folder, version: '1.0.0' }))
      const repo = exampleRepo()
      policy(repo, `plugins: ['${PKG}@1.0.0']\nrules:\n  ref/unused: off\n`)
      // The registry is unreachable and nothing is cached: the folder is needed, and the error says so.
      const none = run(['plugins', 'install'], {}, repo)
      expect(none.code).to.equal(1)
      expect(none.stderr).to.match(
        new RegExp(
          `cannot get plugin ${PKG}@1\\.0\\.0: it is not in ssmd's tarball cache, and npm could not fetch it \\(.+\\); give a folder holding ${PKG}-1\\.0\\.0\\.tgz with --from`,
        ),
      )
      const first = ok(run(['plugins', 'install', '--from', folder], {}, repo))
      expect(first.stderr).to.contain(`${PKG}@1.0.0 (${integrity.slice(0, 19)}…) from ${folder}`)
      expect(first.stderr).to.contain('recorded the plugins in ssmd-plugins.lock; commit it')
      expect(JSON.parse(readFileSync(join(repo, 'ssmd-plugins.lock'), 'utf8'))).to.deep.equal({
        lockfileVersion: 1,
        plugins: { [PKG]: { version: '1.0.0', integrity: integrity } },
      })
      expect(json(ok(run(['validate', '--json', '-C', repo]))).findings.filter(f => f.rule.startsWith('policy/'))).to.deep.equal([])

      // Offline, without the folder: from ssmd's tarball cache, verified against the lock.
      ok(run(['plugins', 'uninstall', PKG]))
      rmSync(folder, { recursive: true })
      const again = ok(run(['plugins', 'install'], {}, repo))
      expect(again.stderr).to.contain(`${PKG}@1.0.0 (${integrity.slice(0, 19)}…) from ssmd's tarball cache`)
      expect(again.stderr).not.to.contain('recorded')
      expect(ok(run(['plugins'])).stdout).to.match(new RegExp(`^${PKG} 1\\.0\\.0$`, 'm'))

      // Another tarball under the same name and version: refused, nothing installed.
      ok(run(['plugins', 'uninstall', PKG]))
      const other = tempDir()
      const forged = packPlugin('claims-ceiling', { dest: other, version: '1.0.0' })
      const impostor = join(other, `${PKG}-1.0.0.tgz`)
      cpSync(forged, impostor)
      rmSync(join(cli.env.XDG_CACHE_HOME, 'ssmd', 'plugin-tarballs'), { recursive: true })
      const refused = run(['plugins', 'install', '--from', other], {}, repo)
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.contain(
        `${PKG}@1.0.0: the tarball from ${other} has integrity ${sha512(impostor).slice(0, 19)}…, ssmd-plugins.lock records ${integrity.slice(0, 19)}…; nothing was installed`,
      )
      expect(ok(run(['plugins'])).stdout).not.to.contain(PKG)
    })

    it('takes no path, URL or option from ssmd.yaml or the lock: refused before any tarball is read, written or installed', () => {
      // A tarball planted beside the --from folder; '../../../../escaped' would reach it from inside the folder.
      const outside = tempDir()
      const from = join(outside, 'from')
      mkdirSync(from)
      const planted = packPlugin('rate-ceiling', { dest: tempDir(), version: '1.0.0' })
      cpSync(planted, join(outside, 'escaped-1.0.0.tgz'))
      cpSync(planted, join(outside, 'escaped.tgz'))
      const cache = join(cli.env.XDG_CACHE_HOME, 'ssmd')
      const repo = exampleRepo()
      for (const name of ['../../../../escaped', 'github:acme/checks', '--registry=http://127.0.0.1:7/']) {
        policy(repo, `plugins: ['${name}@1.0.0']\n`)
        const r = run(['plugins', 'install', '--from', from], {}, repo)
        expect(r.code, name).to.equal(1)
        expect(r.stderr).to.equal(`Error: ssmd.yaml: plugin '${name}' is not an npm package name (e.g. acme-checks or @acme/checks@1.0.0; a path, URL or option is not a pin)\n`)
        expect(
          json(run(['validate', '--json', '-C', repo]))
            .findings.filter(f => f.rule === 'policy/plugin-pin')
            .map(f => f.message),
        ).to.deep.equal([`plugin '${name}' is not an npm package name (e.g. acme-checks or @acme/checks@1.0.0; a path, URL or option is not a pin)`])
      }
      // A lock whose version is a path.
      policy(repo, `plugins: ['${PKG}']\n`)
      writeFileSync(join(repo, 'ssmd-plugins.lock'), JSON.stringify({ lockfileVersion: 1, plugins: { [PKG]: { version: '1.0.0/../../escaped', integrity: sha512(planted) } } }))
      const r = run(['plugins', 'install', '--from', from], {}, repo)
      expect(r.code).to.equal(1)
      expect(r.stderr).to.equal(
        `Error: ssmd-plugins.lock: the entry of '${PKG}' needs an exact version (major.minor.patch) and a sha512 integrity; restore it from git or run 'ssmd plugins install'\n`,
      )
      expect(existsSync(join(cache, 'escaped-1.0.0.tgz')) || existsSync(join(cache, 'escaped.tgz'))).to.equal(false)
      expect(ok(run(['plugins'])).stdout).to.equal('No plugins installed.\n')
    })

    it('fails validate when the installed copy is not the one the lock records', () => {
      const repo = exampleRepo()
      policy(repo, `plugins: ['${PKG}']\nrules:\n  ref/unused: off\n`)
      const locked = packPlugin('rate-ceiling', { dest: tempDir(), version: '1.0.0' })
      writeFileSync(join(repo, 'ssmd-plugins.lock'), JSON.stringify({ lockfileVersion: 1, plugins: { [PKG]: { version: '1.0.0', integrity: sha512(locked) } } }))
      ok(run(['plugins', 'install', packPlugin('rate-ceiling', { dest: tempDir(), version: '1.1.0' })]))
      expect(
        json(run(['validate', '--json', '-C', repo]))
          .findings.filter(f => f.rule === 'policy/plugin-pin')
          .map(line),
      ).to.deep.equal([`policy/plugin-pin error ssmd.yaml:1:11 ${PKG}: ssmd-plugins.lock records 1.0.0, 1.1.0 is installed; run 'ssmd plugins install'`])
    })
  })

  it('refuses two packages claiming one namespace, naming both', () => {
    link('rate-ceiling')
    link('claims-ceiling')
    const r = run(['validate', '--json', '-C', exampleRepo()])
    expect(r.code).to.equal(1)
    expect(json(r).findings.map(f => f.message)).to.deep.equal([
      "plugin 'ssmd-plugin-claims-ceiling' failed: its rule pack 'ceiling' is also declared by 'ssmd-plugin-rate-ceiling'; a namespace belongs to one package: uninstall the one that is not yours (ssmd plugins uninstall <package>); its findings are incomplete",
      "plugin 'ssmd-plugin-rate-ceiling' failed: its rule pack 'ceiling' is also declared by 'ssmd-plugin-claims-ceiling'; a namespace belongs to one package: uninstall the one that is not yours (ssmd plugins uninstall <package>); its findings are incomplete",
    ])
  })

  it('stops a file-scoped rule that reaches for the workspace: its findings are cached per file', () => {
    link('file-scope-peek')
    const r = run(['validate', '--json', '-C', exampleRepo()])
    expect(r.code).to.equal(1)
    const out = json(r)
    expect(out.findings.filter(f => f.rule === 'peek/others')).to.deep.equal([])
    expect(out.findings.filter(f => f.rule === 'plugin/failed').map(f => f.message)).to.deep.equal([
      "plugin 'ssmd-plugin-file-scope-peek' failed: rule 'peek/others' threw on feeds/kalshi.yaml: it is declared to read one file at a time (meta.scope: file) but reached for the workspace (and 2 more failed checks); its findings are incomplete",
    ])
  })

  describe('rule options, presets and overrides', () => {
    const ceilings = (r: CliResult) =>
      json(r)
        .findings.filter(f => f.rule === 'ceiling/rate' || f.rule.startsWith('policy/'))
        .map(line)

    it('hands a rule its options, and refuses options its schema does not allow with a located error', () => {
      link('rate-ceiling')
      const repo = exampleRepo()
      policy(repo, 'rules:\n  ref/unused: off\n  ceiling/calls: off\n  ceiling/rate: [error, { max: 4 }]\n')
      expect(ceilings(run(['validate', '--json', '-C', repo]))).to.deep.equal([
        'ceiling/rate error feeds/kalshi.yaml:24:28 rate_limit_per_second 10 is over the ceiling of 4',
        'ceiling/rate error feeds/polymarket.yaml:16:28 rate_limit_per_second 5 is over the ceiling of 4',
      ])
      policy(repo, "rules:\n  ref/unused: off\n  ceiling/calls: off\n  ceiling/rate: [error, { max: 'fifty' }]\n  feed/timezone: [error, { strict: true }]\n")
      const bad = run(['validate', '--json', '-C', repo])
      expect(bad.code).to.equal(1)
      expect(ceilings(bad)).to.deep.equal([
        `policy/rule-config error ssmd.yaml:4:32 rule 'ceiling/rate': option 'max' must be integer (its options schema: {"type":"object","properties":{"max":{"type":"integer","minimum":1}},"additionalProperties":false})`,
        "policy/rule-config error ssmd.yaml:5:26 rule 'feed/timezone' takes no options; set only its severity ('feed/timezone: error')",
      ])
    })

    it("extends a plugin's preset and a preset file of the repository; an unknown preset is a located error", () => {
      link('rate-ceiling')
      const repo = exampleRepo()
      policy(repo, `extends: ['${PKG}/recommended']\nrules:\n  ref/unused: off\n  ceiling/calls: off\n`)
      expect(ceilings(run(['validate', '--json', '-C', repo]))).to.deep.equal([
        'ceiling/rate warning feeds/kalshi.yaml:24:28 rate_limit_per_second 10 is over the ceiling of 4',
        'ceiling/rate warning feeds/polymarket.yaml:16:28 rate_limit_per_second 5 is over the ceiling of 4',
      ])
      // ssmd.yaml's own setting wins over the preset's, and keeps its options.
      mkdirSync(join(repo, 'policies'))
      writeFileSync(join(repo, 'policies/team.yaml'), 'rules:\n  ceiling/rate: [error, { max: 7 }]\n')
      policy(repo, `extends: ['${PKG}/recommended', policies/team.yaml]\nrules:\n  ref/unused: off\n  ceiling/calls: off\n`)
      expect(ceilings(run(['validate', '--json', '-C', repo]))).to.deep.equal(['ceiling/rate error feeds/kalshi.yaml:24:28 rate_limit_per_second 10 is over the ceiling of 7'])
      policy(repo, `extends: ['${PKG}/strict', policies/nope.yaml]\nrules:\n  ref/unused: off\n  ceiling/calls: off\n`)
      expect(ceilings(run(['validate', '--json', '-C', repo]))).to.deep.equal([
        `policy/rule-config error ssmd.yaml:1:11 plugin '${PKG}' has no preset 'strict' (its presets: recommended)`,
        "policy/rule-config error ssmd.yaml:1:46 preset file 'policies/nope.yaml' does not exist",
      ])
    })

    it('applies overrides to the files they match, as ESLint does', () => {
      link('rate-ceiling')
      const repo = exampleRepo()
      policy(
        repo,
        [
          'rules:',
          '  ref/unused: off',
          '  ceiling/calls: off',
          '  ceiling/rate: [error, { max: 4 }]',
          'overrides:',
          "  - files: ['feeds/poly*.yaml']",
          '    rules:',
          '      ceiling/rate: warning',
          "  - files: ['kalshi.yaml']",
          '    rules:',
          '      ceiling/rate: [error, { max: 20 }]',
          '      feed/timezone: off',
          '',
        ].join('\n'),
      )
      // kalshi: a larger ceiling by override; polymarket: the base options at warning.
      const feed = join(repo, 'feeds/kalshi.yaml')
      writeFileSync(feed, readFileSync(feed, 'utf8').replace('America/New_York', 'America/Nowhere'))
      const r = run(['validate', '--json', '-C', repo])
      expect(ceilings(r)).to.deep.equal(['ceiling/rate warning feeds/polymarket.yaml:16:28 rate_limit_per_second 5 is over the ceiling of 4'])
      expect(json(r).findings.map(f => f.rule)).not.to.include('feed/timezone')
    })

    it('makes a template value a rule left out the failure of its plugin, never a literal {{env}}', () => {
      link('rate-ceiling')
      const repo = exampleRepo()
      policy(repo, 'rules:\n  ref/unused: off\n  ceiling/calls: off\n  ceiling/template: [warning, { forget: true }]\n')
      const r = run(['validate', '-C', repo])
      expect(r.code).to.equal(1)
      expect(r.stdout).not.to.contain('{{')
      expect(r.stdout).to.contain(
        "plugin 'ssmd-plugin-rate-ceiling' failed: rule 'ceiling/template' reported messageId 'named', whose template has a placeholder 'env', but the report's data has no 'env'",
      )
    })

    it('refuses an options schema with a regular expression or an outside reference when the rule pack is defined', () => {
      const rule = (options: object) => () => defineChecks({ plugin: 'x', rules: { 'x/y': { meta: { severity: 'error', description: 'd', options } } } })
      expect(rule({ type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } })).to.throw(
        "rule 'x/y' has meta.options that uses 'pattern'; options schemas may not use regular expressions or formats",
      )
      expect(rule({ $ref: 'https://example.com/schema.json' })).to.throw("rule 'x/y' has meta.options that has a $ref outside the schema itself")
      expect(rule({ type: 'object', properties: { max: { type: 'integer' } } })).not.to.throw()
    })

    it('refuses a malformed placeholder when the rule pack is defined', () => {
      expect(() => defineChecks({ plugin: 'x', rules: { 'x/y': { meta: { severity: 'error', description: 'd', messages: { m: 'in {{env' } } } } })).to.throw(
        "rule 'x/y' has message 'm' with a malformed placeholder at column 4; write {{name}}",
      )
    })
  })

  it("caches the findings of a plugin's file-scoped rules, keyed by its version, integrity and options and by the file", () => {
    ok(run(['plugins', 'install', packPlugin('rate-ceiling', { dest: tempDir(), version: '1.0.0' })]))
    const repo = exampleRepo()
    policy(repo, 'rules:\n  ref/unused: off\n')
    const calls = (r: CliResult) => ruleFindings(r, 'ceiling/calls')
    expect(calls(run(['validate', '--json', '-C', repo]))).to.deep.equal([
      'feeds/kalshi.yaml call 1 of this process',
      'feeds/kraken.yaml call 2 of this process',
      'feeds/polymarket.yaml call 3 of this process',
    ])
    // One file changed: only it is checked again (its call is the first of the new process).
    const poly = join(repo, 'feeds/polymarket.yaml')
    writeFileSync(poly, `${readFileSync(poly, 'utf8')}# changed\n`)
    expect(calls(run(['validate', '--json', '-C', repo]))).to.deep.equal([
      'feeds/kalshi.yaml call 1 of this process',
      'feeds/kraken.yaml call 2 of this process',
      'feeds/polymarket.yaml call 1 of this process',
    ])
    // Other options for the plugin's rules: nothing of the cache applies.
    policy(repo, 'rules:\n  ref/unused: off\n  ceiling/rate: [error, { max: 50 }]\n')
    expect(calls(run(['validate', '--json', '-C', repo]))).to.deep.equal([
      'feeds/kalshi.yaml call 1 of this process',
      'feeds/kraken.yaml call 2 of this process',
      'feeds/polymarket.yaml call 3 of this process',
    ])
    // --no-cache: every file checked.
    expect(calls(run(['validate', '--json', '--no-cache', '-C', repo]))).to.have.length(3)
  })

  it("reuses an installed plugin's whole result on an unchanged repository: the same findings, without running it", () => {
    ok(run(['plugins', 'install', packPlugin('rate-ceiling', { dest: tempDir(), version: '1.0.0' })]))
    const repo = exampleRepo()
    policy(repo, 'rules:\n  ref/unused: off\n  ceiling/rate: [error, { max: 1 }]\n')
    const first = run(['validate', '--json', '-C', repo])
    expect(first.code, first.stderr).to.equal(1)
    expect(json(first).summary.plugins.map(p => `${p.name} ${p.status} ${p.cached === true}`)).to.deep.equal([`${PKG} ok false`])
    const again = run(['validate', '--json', '-C', repo])
    expect(again.code).to.equal(1)
    expect(json(again).summary.plugins.map(p => `${p.name} ${p.status} ${p.cached === true}`)).to.deep.equal([`${PKG} ok true`])
    // The same findings, file-scoped and not, down to the call numbers of the run that made them.
    expect(json(again).findings.map(line)).to.deep.equal(json(first).findings.map(line))
    expect(json(first).findings.filter(f => f.rule === 'ceiling/rate')).to.have.length.above(0)
    expect(run(['validate', '-v', '-C', repo]).stderr, '-v').to.contain(`${PKG}@1.0.0 (ceiling, 3 rules): ok, from the cache (nothing it reads changed)`)
    // --no-cache: it runs.
    expect(json(run(['validate', '--json', '--no-cache', '-C', repo])).summary.plugins[0].cached).to.equal(undefined)
  })

  it('runs the plugin again when a document changes, on its new data, and starts no process on a hit', () => {
    ok(run(['plugins', 'install', packPlugin('rate-ceiling', { dest: tempDir(), version: '1.0.0' })]))
    const repo = exampleRepo()
    policy(repo, 'rules:\n  ref/unused: off\n  ceiling/rate: [error, { max: 7 }]\n')
    const rates = (r: CliResult) => ruleFindings(r, 'ceiling/rate')
    const state = (r: CliResult) => json(r).summary.plugins.map(p => `${p.status} ${p.cached === true}`)
    const first = run(['validate', '--json', '-C', repo])
    expect(rates(first)).to.deep.equal(['feeds/kalshi.yaml rate_limit_per_second 10 is over the ceiling of 7'])
    // The data the plugin is given comes from the cache's data file now: a changed document's is its new content.
    const kraken = join(repo, 'feeds/kraken.yaml')
    writeFileSync(kraken, readFileSync(kraken, 'utf8').replace('rate_limit_per_second: 1', 'rate_limit_per_second: 9'))
    const changed = run(['validate', '--json', '-C', repo])
    expect(state(changed)).to.deep.equal(['ok false'])
    expect(rates(changed)).to.deep.equal([
      'feeds/kalshi.yaml rate_limit_per_second 10 is over the ceiling of 7',
      'feeds/kraken.yaml rate_limit_per_second 9 is over the ceiling of 7',
    ])
    // A hit starts no process: with the plugin's hook file gone, the kept result still answers...
    const hook = join(cli.env.XDG_DATA_HOME, 'ssmd', 'node_modules', PKG, 'hooks', 'validate.js')
    rmSync(hook)
    const hit = run(['validate', '--json', '-C', repo])
    expect(state(hit)).to.deep.equal(['ok true'])
    expect(rates(hit)).to.deep.equal(rates(changed))
    // ... and the next change starts it, which then fails for the missing file.
    writeFileSync(kraken, readFileSync(kraken, 'utf8').replace('rate_limit_per_second: 9', 'rate_limit_per_second: 3'))
    const started = run(['validate', '--json', '-C', repo])
    expect(state(started)).to.deep.equal(['failed false'])
    expect(
      json(started)
        .findings.filter(f => f.rule === 'plugin/failed')
        .map(f => f.message),
    ).to.deep.equal([`plugin '${PKG}' failed: its hook file hooks/validate.js, which does not exist; its findings are incomplete`])
  })
})
