// One check of every report: a built-in rule (in ssmd's process) and a plugin rule (sealed, in its own) are held to the same rules.
import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runRules } from '../../src/lib/validate/engine.js'
import { PluginSession, pluginFailedFinding } from '../../src/lib/validate/plugins.js'
import { reservedNamespaces } from '../../src/lib/validate/report.js'
import { pluginAt } from '../../src/lib/validate/tester.js'
import type { Finding } from '../../src/lib/validate/types.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { tempDir } from '../helpers/repo.js'

const FEED = 'name: f\nstatus: active\n'
const MESSAGES = { m: 'value {{v}}' }

/** What became of one report: the finding it made, or why the rule failed. */
type Outcome = { finding: Pick<Finding, 'message' | 'file' | 'line' | 'column' | 'severity' | 'path'> } | { refused: string }

function repo(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'feeds'))
  writeFileSync(join(dir, 'feeds/f.yaml'), FEED)
  return dir
}

function outcome(findings: Finding[], rule: string, failed: RegExp): Outcome {
  const failure = findings.find(f => f.rule === 'plugin/failed')
  if (failure) {
    const m = failed.exec(failure.message)
    if (!m) throw new Error(`unexpected failure: ${failure.message}`)
    return { refused: m[1] }
  }
  const own = findings.filter(f => f.rule === rule)
  expect(own, JSON.stringify(findings)).to.have.length(1)
  const { message, file, line, column, severity, path } = own[0]
  return { finding: { message, file, line, column, severity, path } }
}

async function asBuiltin(report: unknown, scope: 'file' | undefined): Promise<Outcome> {
  const rule = {
    meta: { id: 'feed/probe', severity: 'warning' as const, description: 'd', messages: MESSAGES, ...(scope ? { scope } : {}) },
    feed: (_doc: unknown, ctx: { report(r: unknown): void }) => ctx.report(report),
  }
  const { findings } = await runRules(new Workspace(repo()), [{ plugin: 'ssmd', result: { plugin: 'ssmd', rules: { 'feed/probe': rule } } }])
  return outcome(findings, 'feed/probe', /^built-in rule 'feed\/probe' failed: (.*); please report this$/)
}

async function asPlugin(report: unknown): Promise<Outcome> {
  const dir = join(tempDir(), 'acme')
  mkdirSync(join(dir, 'hooks'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme-probe', version: '1.0.0', type: 'module', oclif: { hooks: { validate: './hooks/validate.js' } } }))
  const rule = `{ meta: { severity: 'warning', description: 'd', messages: ${JSON.stringify(MESSAGES)} }, feed(doc, ctx) { ctx.report(${JSON.stringify(report)}) } }`
  writeFileSync(join(dir, 'hooks/validate.js'), `export default async () => ({ plugin: 'acme', rules: { 'acme/probe': ${rule} } })\n`)
  const root = repo()
  const plugin = pluginAt(dir)
  const session = new PluginSession([plugin], { root, mode: 'run' })
  const ws = new Workspace(root)
  await session.send(ws, { off: [], installedPlugins: [] })
  const [o] = await session.finish({ ws, reserved: reservedNamespaces() })
  const findings = o.failure !== undefined ? [...o.findings, pluginFailedFinding(plugin.name, o.failure)] : o.findings
  return outcome(findings, 'acme/probe', /^plugin 'acme-probe' failed: rule 'acme\/probe' (.*); its findings are incomplete$/)
}

const CASES: Array<[string, unknown, Outcome]> = [
  ['null', null, { refused: 'reported null instead of { message, path }' }],
  ['no message', { path: '/name' }, { refused: 'reported no message' }],
  ['an empty message', { message: ' ' }, { refused: 'reported a message that is empty' }],
  ['a message that is an object', { message: { a: 1 } }, { refused: "reported a 'message' that is an object" }],
  ['an undeclared messageId', { messageId: 'nope' }, { refused: "reported messageId 'nope', which its meta.messages does not declare" }],
  ['a placeholder without data', { messageId: 'm' }, { refused: "reported messageId 'm', whose template has a placeholder 'v', but the report's data has no 'v'" }],
  ['data that is not plain', { messageId: 'm', data: { v: [1] } }, { refused: 'reported data.v that is not a string, number or boolean' }],
  ['an unknown severity', { message: 'x', severity: 'fatal' }, { refused: "reported severity 'fatal'; use error, warning or info" }],
  ['a path that is not a JSON Pointer', { message: 'x', path: 'name' }, { refused: "reported path 'name', which is not a JSON Pointer (like '/versions/0/endpoint')" }],
  ['an unknown at', { message: 'x', at: 'middle' }, { refused: "reported at: 'middle'; use 'key' or 'value'" }],
  [
    'a file outside the repository',
    { message: 'x', file: '../etc/passwd' },
    { refused: "reported file '../etc/passwd', which is not a path inside the repository (relative, no '..')" },
  ],
  ['line 0', { message: 'x', file: 'feeds/f.yaml', line: 0 }, { refused: 'reported line 0; lines and columns are whole numbers from 1' }],
  [
    'a template filled',
    { messageId: 'm', data: { v: 7 }, path: '/status' },
    { finding: { message: 'value 7', file: 'feeds/f.yaml', line: 2, column: 9, severity: 'warning', path: '/status' } },
  ],
  [
    'control characters',
    { message: 'a\nb\u001b[31mc', at: 'key', path: '/status', severity: 'error' },
    { finding: { message: 'a b [31mc', file: 'feeds/f.yaml', line: 2, column: 1, severity: 'error', path: '/status' } },
  ],
  ['a long message', { message: 'z'.repeat(1500) }, { finding: { message: `${'z'.repeat(999)}…`, file: 'feeds/f.yaml', line: 1, column: 1, severity: 'warning', path: '' } }],
  [
    'a secret',
    { message: 'see https://bob:hunter2@example.com/x' },
    { finding: { message: 'see https://bob:****@example.com/x', file: 'feeds/f.yaml', line: 1, column: 1, severity: 'warning', path: '' } },
  ],
  [
    'another file at a position',
    { message: 'x', file: 'schemas/t.capnp', line: 3, column: 2 },
    { finding: { message: 'x', file: 'schemas/t.capnp', line: 3, column: 2, severity: 'warning', path: '' } },
  ],
]

describe('one check of every report, for built-in and plugin rules alike (built host)', () => {
  for (const [label, report, expected] of CASES) {
    it(`${label}: ${'refused' in expected ? 'refused' : 'shown'} the same way`, async () => {
      const builtin = await asBuiltin(report, undefined)
      const builtinFileScoped = await asBuiltin(report, 'file')
      const plugin = await asPlugin(report)
      expect(builtin, 'built-in').to.deep.equal(expected)
      expect(builtinFileScoped, 'built-in, one file at a time').to.deep.equal(expected)
      expect(plugin, 'plugin').to.deep.equal(expected)
    })
  }

  // The one difference: ssmd's own rules quote what the checked files hold, so their over-long strings are cut, where a plugin's are refused.
  it("an over-long string: a plugin's is refused; a built-in's is cut, its path back to the ancestor that fits", async () => {
    const key = 'k'.repeat(50000)
    const report = { message: 'y'.repeat(4001), path: `/status/${key}`, messageId: undefined }
    expect(await asPlugin(report)).to.deep.equal({ refused: "reported a 'message' of 4001 characters; the limit is 4000" })
    const expected = { finding: { message: `${'y'.repeat(999)}…`, file: 'feeds/f.yaml', line: 2, column: 9, severity: 'warning', path: '/status' } }
    expect(await asBuiltin(report, undefined)).to.deep.equal(expected)
    expect(await asBuiltin(report, 'file')).to.deep.equal(expected)
    const templated = { messageId: 'm', data: { v: 'v'.repeat(5000) }, path: `/${key}` }
    expect(await asPlugin(templated)).to.deep.equal({ refused: "reported a 'path' of 50001 characters; the limit is 4000" })
    expect(await asBuiltin(templated, undefined)).to.deep.equal({
      finding: { message: `value ${'v'.repeat(993)}…`, file: 'feeds/f.yaml', line: 1, column: 1, severity: 'warning', path: '' },
    })
  })
})
