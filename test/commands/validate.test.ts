import { expect } from 'chai'
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'
import { ruleSection } from '../../src/lib/cli/docs.js'
import type { Finding as JsonFinding } from '../../src/lib/validate/types.js'

async function validateJson(dir: string, extra: string[] = []) {
  const r = await ssmd(['validate', '--json', ...extra], { cwd: dir })
  const out = JSON.parse(r.stdout) as { findings: JsonFinding[]; summary: { errors: number; warnings: number } }
  return { ...out, code: r.code }
}

function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const p = join(dir, file)
  const before = readFileSync(p, 'utf8')
  const after = before.replace(from, to)
  if (after === before) throw new Error(`fixture edit did not apply to ${file}: ${String(from)}`)
  writeFileSync(p, after)
}

describe('ssmd validate', () => {
  it('passes on the example repository', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['validate'], { cwd: dir })
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.equal('0 errors, 0 warnings in 9 files\n')
    const verbose = await ssmd(['validate', '-v'], { cwd: dir })
    expect(verbose.stdout).to.match(/✓ feeds\/kalshi\.yaml/)
  })

  // Each rule's own findings (exact file:line:col, message, severity) are tested with
  // valid/invalid tables in test/rules/; these tests cover the command around them.

  it('reports every finding of every file in one run', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    edit(dir, 'feeds/kalshi.yaml', 'rate_limit_per_second: 10', 'rate_limit_per_sec: 10')
    edit(dir, 'environments/kalshi-dev.yaml', 'feed: kalshi', 'feed: kalshy')
    edit(dir, 'schemas/orderbook.capnp', 'sequence @2', 'seq @2')
    const { findings, summary } = await validateJson(dir)
    expect(findings.map(f => f.rule)).to.include.members(['feed/timezone', 'schema/contract', 'ref/feed-exists', 'schema/hash-mismatch'])
    expect(summary.errors).to.equal(findings.filter(f => f.severity === 'error').length)
  })

  it('reports a warning for a deprecated schema and fails only with --strict', async () => {
    const dir = exampleRepo()
    edit(dir, 'schemas/orderbook.yaml', 'status: active', 'status: deprecated')
    const normal = await validateJson(dir)
    expect(normal.findings.map(f => [f.rule, f.severity])).to.deep.equal([['ref/schema-status', 'warning']])
    expect(normal.code).to.equal(0)
    const strict = await validateJson(dir, ['--strict'])
    expect(strict.code).to.equal(1)
  })

  it('applies ssmd.yaml severities: off hides a rule, warning downgrades it', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    edit(dir, 'environments/kalshi-dev.yaml', 'feed: kalshi', 'feed: kalshy')
    writeFileSync(join(dir, 'ssmd.yaml'), 'rules:\n  feed/timezone: off\n  ref/feed-exists: warning\n  ref/unused: off\n')
    const { findings, code } = await validateJson(dir)
    expect(findings.map(f => [f.rule, f.severity])).to.deep.equal([['ref/feed-exists', 'warning']])
    expect(code).to.equal(0)
  })

  it('reports ref/unused as info when the policy does not turn it off', async () => {
    const dir = exampleRepo()
    rmSync(join(dir, 'ssmd.yaml'))
    const { findings, code } = await validateJson(dir)
    expect(findings.map(f => `${f.rule} ${f.severity} ${f.file}`)).to.deep.equal(['ref/unused info feeds/kraken.yaml'])
    expect(code).to.equal(0)
  })

  it('shows only findings under the given paths', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    edit(dir, 'environments/kalshi-dev.yaml', 'timezone: UTC', 'timezone: Mars/Olympus')
    const r = await ssmd(['validate', 'environments'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('env/schedule-timezone')
    expect(r.stdout).not.to.contain('feed/timezone')
    const flagsFirst = await ssmd(['validate', '-f', 'json', '-C', dir, 'environments'], { cwd: dir })
    expect(JSON.parse(flagsFirst.stdout).findings.map((f: JsonFinding) => f.rule)).to.deep.equal(['env/schedule-timezone'])
    const one = await ssmd(['validate', 'feeds/kalshi.yaml', '--json'], { cwd: dir })
    expect(JSON.parse(one.stdout).findings.map((f: JsonFinding) => f.rule)).to.deep.equal(['feed/timezone'])
  })

  it('prints text findings as file:line:col severity message rule with a summary', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    const r = await ssmd(['validate'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.match(/✗ feeds\/kalshi\.yaml\n {2}feeds\/kalshi\.yaml:33:13 +error +'America\/Nowhere' is not a known IANA time zone.* feed\/timezone/)
    expect(r.stdout.trim().split('\n').at(-1)).to.equal('1 error, 0 warnings in 9 files: feeds/kalshi.yaml (1 error)')
  })

  it('emits GitHub workflow commands, SARIF 2.1.0 and JUnit', async () => {
    const dir = exampleRepo()
    edit(dir, 'feeds/kalshi.yaml', 'America/New_York', 'America/Nowhere')
    const gh = await ssmd(['validate', '--format', 'github'], { cwd: dir })
    expect(gh.stdout).to.contain("::error file=feeds/kalshi.yaml,line=33,col=13,title=feed/timezone::'America/Nowhere' is not a known IANA time zone")
    const sarif = JSON.parse((await ssmd(['validate', '--format', 'sarif'], { cwd: dir })).stdout)
    expect(sarif.version).to.equal('2.1.0')
    const result = sarif.runs[0].results[0]
    expect(result).to.deep.include({ ruleId: 'feed/timezone', level: 'error' })
    expect(result.locations[0].physicalLocation.region).to.deep.equal({ startLine: 33, startColumn: 13 })
    const descriptor = sarif.runs[0].tool.driver.rules[result.ruleIndex]
    const section = ruleSection('feed/timezone')!
    expect(section).to.match(/^\*\*Default severity:\*\* error\n/)
    expect(descriptor).to.deep.equal({
      id: 'feed/timezone',
      shortDescription: { text: 'calendar.timezone is a known IANA time zone.' },
      help: { text: section, markdown: section },
      defaultConfiguration: { level: 'error' },
      properties: { plugin: 'ssmd' },
    })
    // Built-in rules carry their documentation; no link to a host that does not serve it.
    const rules = sarif.runs[0].tool.driver.rules as Array<{ helpUri?: string; help?: { text: string } }>
    expect(rules.every(r => r.helpUri === undefined && r.help!.text.startsWith('**Default severity:**'))).to.equal(true)
    expect(sarif.runs[0].tool.driver).not.to.have.property('informationUri')
    const junit = (await ssmd(['validate', '--format', 'junit'], { cwd: dir })).stdout
    expect(junit).to.match(/^<\?xml/)
    expect(junit).to.match(/<testcase classname="ssmd.validate" name="feeds\/kalshi.yaml">\n\s+<failure message="1 error" type="feed\/timezone">/)
    expect(junit).to.contain('<testcase classname="ssmd.validate" name="feeds/kraken.yaml"/>')
  })

  it('refuses a definition symlink leading outside the repository', async () => {
    const dir = exampleRepo()
    const outside = join(tempDir(), 'evil.capnp')
    writeFileSync(outside, readFileSync(join(dir, 'schemas/orderbook.capnp')))
    rmSync(join(dir, 'schemas/orderbook.capnp'))
    symlinkSync(outside, join(dir, 'schemas/orderbook.capnp'))
    const { findings, code } = await validateJson(dir)
    const escapes = findings.filter(f => f.rule === 'schema/path-escape').map(f => `${f.file}:${f.line}:${f.column} ${f.message}`)
    expect(escapes).to.have.length(1)
    expect(escapes[0]).to.equal(
      `schemas/orderbook.yaml:3:14 definition file schemas/orderbook.capnp is a symlink leading outside the repository; copy the file into schemas/ instead`,
    )
    expect(code).to.equal(1)
  })
})
