import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RuleDefinition as PublicRuleDefinition } from '../../src/index.js'
import { RuleTester, RuleTestError, type RuleDefinition, type RulePack } from '../../src/testing.js'
import { FIXTURES, tempDir } from '../helpers/repo.js'

// A plugin-style rule written with meta and message templates.
const prodS3: RuleDefinition = {
  meta: {
    severity: 'error',
    description: 'Production environments store data in s3.',
    docs: 'https://example.com/rules#prod-s3',
    messages: { local: 'production environment {{name}} must use s3 storage, not {{type}}' },
  },
  environment(env, ctx) {
    const storage = (env.data as { storage?: { type?: unknown } }).storage
    if (env.name.endsWith('-prod') && storage?.type !== 's3') ctx.report({ path: '/storage/type', messageId: 'local', data: { name: env.name, type: String(storage?.type) } })
  },
}
const pack: RulePack = { plugin: 'acme', rules: { 'acme/prod-s3': prodS3 } }
const hook = async () => pack

// The same rule as the plugin's own file, the form the tester runs (sealed, as validate does).
const PROD_S3 = `{
  meta: { severity: 'error', description: 'Production environments store data in s3.', docs: 'https://example.com/rules#prod-s3', messages: { local: 'production environment {{name}} must use s3 storage, not {{type}}' } },
  environment(env, ctx) {
    const storage = env.data.storage
    if (env.name.endsWith('-prod') && storage?.type !== 's3') ctx.report({ path: '/storage/type', messageId: 'local', data: { name: env.name, type: String(storage?.type) } })
  },
}`

/** A plugin package (named acme-checks) whose validate hook is `hook`, the source of an async function returning the pack. */
function pluginWith(hookSource: string): string {
  const dir = join(tempDir(), 'acme-checks')
  mkdirSync(join(dir, 'hooks'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme-checks', version: '1.0.0', type: 'module', oclif: { hooks: { validate: './hooks/validate.js' } } }))
  writeFileSync(join(dir, 'hooks/validate.js'), `export default ${hookSource}\n`)
  return dir
}
const packOf = (rules: Record<string, string>) =>
  pluginWith(
    `async () => ({ plugin: 'acme', rules: { ${Object.entries(rules)
      .map(([id, r]) => `'${id}': ${r}`)
      .join(', ')} } })`,
  )

const LOCAL_PROD = 'name: x-prod\nfeed: f\nschema: s:v1\nstorage:\n  type: local\n  path: /data\n'
const S3_PROD = 'name: x-prod\nfeed: f\nschema: s:v1\nstorage:\n  type: s3\n'
const expected = { file: 'environments/x-prod.yaml', line: 5, column: 9, message: 'production environment x-prod must use s3 storage, not local' }

async function failureOf(p: Promise<void>): Promise<RuleTestError> {
  try {
    await p
  } catch (error) {
    expect(error).to.be.instanceOf(RuleTestError)
    return error as RuleTestError
  }
  throw new Error('expected the rule test to fail')
}

describe('ssmd/testing RuleTester (built host)', () => {
  const tester = new RuleTester()
  let plugin: string
  before(() => {
    plugin = packOf({ 'acme/prod-s3': PROD_S3 })
  })

  it('passes valid and invalid cases for the plugin, as its hook file (file: URL or path) or its package folder', async () => {
    for (const subject of [pathToFileURL(join(plugin, 'hooks/validate.js')), join(plugin, 'hooks/validate.js'), plugin]) {
      await tester.check('acme/prod-s3', subject, {
        valid: [{ files: { 'environments/x-prod.yaml': S3_PROD } }, { files: { 'environments/x-dev.yaml': LOCAL_PROD.replace('x-prod', 'x-dev') } }],
        invalid: [{ files: { 'environments/x-prod.yaml': LOCAL_PROD }, findings: [{ ...expected, severity: 'error' }] }],
      })
    }
  })

  for (const [label, subject] of [
    ['a single rule', prodS3],
    ['a pack', pack],
    ["a plugin's validate hook function", hook],
  ] as const) {
    it(`refuses ${label} with one error pointing to the hook file or package folder (a function cannot be sealed with its closure)`, async () => {
      const what = typeof subject === 'function' ? 'a function' : 'an object'
      const message = `RuleTester was given ${what}; it runs a plugin's rules as ssmd validate does, sealed, from the plugin's own files, so pass the URL of its hook file (new URL('../hooks/validate.js', import.meta.url)) or the path of its package folder`
      const cases = { valid: [{ files: {} }] }
      expect(() => RuleTester.run('acme/prod-s3', subject as never, cases)).to.throw(TypeError, message)
      const rejected = await tester.check('acme/prod-s3', subject as never, cases).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(rejected).to.be.instanceOf(TypeError)
      expect((rejected as Error).message).to.equal(message)
    })
  }

  it('fails each case that differs, naming what was expected and what was reported', async () => {
    const error = await failureOf(
      tester.check('acme/prod-s3', plugin, {
        valid: [{ name: 'not really valid', files: { 'environments/x-prod.yaml': LOCAL_PROD } }],
        invalid: [
          { name: 'wrong column', files: { 'environments/x-prod.yaml': LOCAL_PROD }, findings: [{ ...expected, column: 3 }] },
          { name: 'wrong severity', files: { 'environments/x-prod.yaml': LOCAL_PROD }, findings: [{ ...expected, severity: 'warning' }] },
          { name: 'nothing reported', files: { 'environments/x-prod.yaml': S3_PROD }, findings: [expected] },
          { name: 'right', files: { 'environments/x-prod.yaml': LOCAL_PROD }, findings: [expected] },
        ],
      }),
    )
    expect(error.failures).to.have.length(4)
    expect(error.failures[0]).to.equal(
      'valid #1: not really valid\n  expected no finding, got:\n    environments/x-prod.yaml:5:9 error acme/prod-s3 "production environment x-prod must use s3 storage, not local"',
    )
    expect(error.failures[1]).to.contain(
      'invalid #1: wrong column\n  expected 1 finding, got 1\n  missing (expected, not reported):\n    environments/x-prod.yaml:5:3 (any severity) acme/prod-s3',
    )
    expect(error.failures[1]).to.contain('unexpected (reported, not expected):\n    environments/x-prod.yaml:5:9 error acme/prod-s3')
    expect(error.failures[2]).to.match(/^invalid #2: wrong severity\n[^]*environments\/x-prod\.yaml:5:9 warning acme\/prod-s3/)
    expect(error.failures[3]).to.match(/^invalid #3: nothing reported\n {2}expected 1 finding, got 0\n/)
    expect(error.message).to.match(/^acme\/prod-s3: 4 cases failed\n\nvalid #1/)
  })

  it('fails a case when the rule throws, as validate reports it', async () => {
    const crashy = packOf({ 'acme/crashy': "{ severity: 'error', description: 'd', feed() { throw new Error('boom') } }" })
    const error = await failureOf(tester.check('acme/crashy', crashy, { valid: [{ files: { 'feeds/f.yaml': 'name: f\n' } }] }))
    expect(error.failures[0]).to.equal("valid #1\n  plugin 'acme-checks' failed: rule 'acme/crashy' threw on feeds/f.yaml: boom; its findings are incomplete")
  })

  it('fails on an unknown messageId, a rule the pack lacks, an invalid case without findings and a path outside the root', async () => {
    const wrongId = packOf({ 'acme/x': "{ meta: { severity: 'error', description: 'd', messages: {} }, feed(doc, ctx) { ctx.report({ messageId: 'nope' }) } }" })
    const e1 = await failureOf(tester.check('acme/x', wrongId, { valid: [{ files: { 'feeds/f.yaml': 'name: f\n' } }] }))
    expect(e1.failures[0]).to.contain("rule 'acme/x' reported messageId 'nope', which its meta.messages does not declare")
    const e2 = await failureOf(tester.check('acme/other', plugin, { valid: [{ files: {} }] }))
    expect(e2.failures[0]).to.equal("valid #1\n  the pack declares no rule 'acme/other' (it has acme/prod-s3)")
    const e3 = await failureOf(tester.check('acme/prod-s3', plugin, { invalid: [{ files: {}, findings: [] }] }))
    expect(e3.failures[0]).to.contain('an invalid case lists at least one expected finding')
    const e4 = await failureOf(tester.check('acme/prod-s3', plugin, { valid: [{ files: { '../escape.yaml': 'x' } }] }))
    expect(e4.failures[0]).to.contain("file path '../escape.yaml' must be relative to the ssmd root")
  })

  it('fails a plugin whose hook throws or whose pack is unusable', async () => {
    const throwing = pluginWith("async () => { throw new Error('cannot load') }")
    const e1 = await failureOf(tester.check('acme/prod-s3', throwing, { valid: [{ files: {} }] }))
    expect(e1.failures[0]).to.equal("valid #1\n  plugin 'acme-checks' failed: its validate hook threw: cannot load; its findings are incomplete")
    const badSeverity = packOf({ 'acme/b': "{ meta: { severity: 'banana', description: 'd' } }" })
    const e2 = await failureOf(tester.check('acme/b', badSeverity, { valid: [{ files: {} }] }))
    expect(e2.failures[0]).to.contain("rule 'acme/b' has severity 'banana'; use error, warning or info")
  })

  it('starts each case from the base files; null removes one', async () => {
    const base = new RuleTester({ files: { 'environments/x-prod.yaml': LOCAL_PROD } })
    await base.check('acme/prod-s3', plugin, {
      valid: [{ files: { 'environments/x-prod.yaml': null } }, { files: { 'environments/x-prod.yaml': S3_PROD } }],
      invalid: [{ files: {}, findings: [expected] }],
    })
  })

  it('declares one test per case through describe/it when a framework provides them', async () => {
    const titles: string[] = []
    const bodies: Array<() => Promise<void>> = []
    const { describe: savedDescribe, it: savedIt } = RuleTester
    RuleTester.describe = (name, fn) => {
      titles.push(`describe ${name}`)
      fn()
    }
    RuleTester.it = (name, fn) => {
      titles.push(`it ${name}`)
      bodies.push(fn)
    }
    try {
      await tester.run('acme/prod-s3', plugin, {
        valid: [{ name: 's3', files: { 'environments/x-prod.yaml': S3_PROD } }],
        invalid: [{ files: { 'environments/x-prod.yaml': LOCAL_PROD }, findings: [{ ...expected, line: 4 }] }],
      })
    } finally {
      RuleTester.describe = savedDescribe
      RuleTester.it = savedIt
    }
    expect(titles).to.deep.equal(['describe acme/prod-s3', 'it valid #1: s3', 'it invalid #1'])
    await bodies[0]()
    let failed: unknown
    await bodies[1]().catch(error => {
      failed = error
    })
    expect(failed).to.be.instanceOf(RuleTestError)
    expect((failed as RuleTestError).failures[0]).to.contain('environments/x-prod.yaml:4:9 (any severity)')
  })

  describe('the plugin itself, sealed, as ssmd validate runs it', () => {
    const RULES = {
      text: "'acme/text': { severity: 'error', description: 'Reads the file text, which only ssmd has.', feed(doc, ctx) { if (doc.text.includes('kalshi')) ctx.report({ message: 'kalshi' }) } }",
      lines: "'acme/lines': { severity: 'warning', description: 'Two lines.', feed(doc, ctx) { ctx.report({ message: 'first line\\nsecond line' }) } }",
    }
    /** A plugin folder with one hook file and one rule. */
    function plugin(rule: keyof typeof RULES): string {
      const dir = join(tempDir(), 'acme-sealed')
      mkdirSync(join(dir, 'hooks'), { recursive: true })
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/sealed', version: '1.0.0', type: 'module', oclif: { hooks: { validate: './hooks/validate.js' } } }))
      writeFileSync(join(dir, 'hooks/validate.js'), `export default async () => ({ plugin: 'acme', rules: { ${RULES[rule]} } })\n`)
      return dir
    }

    it('flattens a newline in a message as validate does, from the hook file as a file: URL or the package folder', async () => {
      const dir = plugin('lines')
      for (const subject of [pathToFileURL(join(dir, 'hooks/validate.js')), dir]) {
        await tester.check('acme/lines', subject, {
          invalid: [{ files: { 'feeds/f.yaml': 'name: f\n' }, findings: [{ file: 'feeds/f.yaml', line: 1, column: 1, message: 'first line second line', severity: 'warning' }] }],
        })
      }
    })

    it('fails a rule that reads what validate does not hand over (doc.text), with the message validate gives', async () => {
      const error = await failureOf(tester.check('acme/text', plugin('text'), { valid: [{ files: { 'feeds/f.yaml': 'name: f\n' } }] }))
      expect(error.failures[0]).to.match(
        /^valid #1\n {2}plugin '@acme\/sealed' failed: rule 'acme\/text' threw on feeds\/f\.yaml: TypeError: cannot read property 'includes' of undefined/,
      )
    })

    it('runs a plugin written in several files (ES module, CommonJS, JSON) and gives it the validation date', async () => {
      const today = new Date().toISOString().slice(0, 10)
      await tester.check('sealedok/clock', join(FIXTURES, 'plugins/sealed-ok'), {
        invalid: [{ files: { 'feeds/f.yaml': 'name: f\n' }, findings: [{ file: 'feeds/f.yaml', line: 1, column: 1, message: `hello from CommonJS on ${today}, one clock` }] }],
      })
    })

    it('fails a plugin that imports a Node.js module, naming it', async () => {
      const error = await failureOf(tester.check('tcp/exfiltrate', join(FIXTURES, 'plugins/net-tcp'), { valid: [{ files: {} }] }))
      expect(error.failures[0]).to.contain("plugin 'ssmd-plugin-net-tcp' failed: its code could not be loaded: hooks/validate.js imports 'node:net', a Node.js built-in module")
    })
  })

  it("uses the same rule type as the 'ssmd' package", () => {
    const rule: PublicRuleDefinition = prodS3
    const back: RuleDefinition = rule
    expect(back).to.equal(prodS3)
  })
})
