// Rule meta of a plugin reaches `rules list` and SARIF; a plugin's own tests run
// with `ssmd/testing` from the built package (node:test, and TypeScript under strict).
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { pluginHome } from '../helpers/plugins.js'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/plugins/with-meta')

describe('plugin rule meta (built CLI)', () => {
  it('carries description, default severity and docs link into rules list and SARIF, and message templates into findings', () => {
    const env = pluginHome()
    const link = ssmdProcess(['plugins', 'link', '--no-install', FIXTURE], { env })
    expect(link.code, link.stderr).to.equal(0)

    const rules = JSON.parse(ssmdProcess(['rules', 'list', '--json'], { env }).stdout) as Array<Record<string, string>>
    expect(rules.filter(r => r.plugin === 'meta')).to.deep.equal([
      {
        id: 'meta/legacy-form',
        plugin: 'meta',
        default_severity: 'info',
        severity: 'info',
        description: 'A rule in the older form: severity and description at the top level, no docs link.',
      },
      {
        id: 'meta/prod-s3',
        plugin: 'meta',
        default_severity: 'error',
        severity: 'error',
        description: 'Production environments (*-prod) store data in s3.',
        docs: 'https://example.com/ssmd-rules/prod-s3',
      },
    ])
    const text = ssmdProcess(['rules', 'list'], { env }).stdout
    expect(text).to.match(/\nmeta\/prod-s3 +error +error +meta +Production environments \(\*-prod\) store data in s3\. +https:\/\/example\.com\/ssmd-rules\/prod-s3\n/)

    const repo = exampleRepo()
    const prod = join(repo, 'environments/kalshi-prod.yaml')
    writeFileSync(prod, readFileSync(prod, 'utf8').replace('type: s3', 'type: local'))
    const r = ssmdProcess(['validate', '--format', 'sarif', '-C', repo], { env })
    expect(r.code, r.stderr).to.equal(1)
    const run = JSON.parse(r.stdout).runs[0]
    const result = run.results.find((x: { ruleId: string }) => x.ruleId === 'meta/prod-s3')
    expect(result.message.text).to.equal('production environment kalshi-prod must use s3 storage, not local')
    expect(result.locations[0].physicalLocation.region).to.deep.equal({ startLine: 26, startColumn: 9 })
    expect(run.tool.driver.rules[result.ruleIndex]).to.deep.equal({
      id: 'meta/prod-s3',
      shortDescription: { text: 'Production environments (*-prod) store data in s3.' },
      helpUri: 'https://example.com/ssmd-rules/prod-s3',
      defaultConfiguration: { level: 'error' },
      properties: { plugin: 'meta' },
    })
    const legacy = run.tool.driver.rules.find((x: { id: string }) => x.id === 'meta/legacy-form')
    expect(legacy).to.deep.equal({
      id: 'meta/legacy-form',
      shortDescription: { text: 'A rule in the older form: severity and description at the top level, no docs link.' },
      defaultConfiguration: { level: 'note' },
      properties: { plugin: 'meta' },
    })
  })
})

describe('ssmd/testing from the built package', () => {
  /** A copy of the fixture plugin with ssmd installed as a (dev) dependency, the way a plugin project has it. */
  function pluginProject(): string {
    const dir = join(tempDir(), 'plugin')
    cpSync(FIXTURE, dir, { recursive: true })
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(PROJECT_ROOT, join(dir, 'node_modules', 'ssmd'), 'dir')
    mkdirSync(join(dir, 'test'))
    return dir
  }

  const LOCAL_PROD = 'name: x-prod\\nfeed: f\\nschema: s:v1\\nstorage:\\n  type: local\\n  path: /data\\n'
  const testFile = (column: number) => `import { describe, it } from 'node:test'
import { RuleTester } from 'ssmd/testing'

const validate = new URL('../hooks/validate.js', import.meta.url)

RuleTester.describe = describe
RuleTester.it = it

RuleTester.run('meta/prod-s3', validate, {
  valid: [{ name: 's3', files: { 'environments/x-prod.yaml': 'name: x-prod\\nstorage:\\n  type: s3\\n' } }],
  invalid: [{
    name: 'local storage in production',
    files: { 'environments/x-prod.yaml': '${LOCAL_PROD}' },
    findings: [{ file: 'environments/x-prod.yaml', line: 5, column: ${column}, severity: 'error', message: 'production environment x-prod must use s3 storage, not local' }],
  }],
})
`

  it('runs valid and invalid cases as node:test tests, and fails a wrong expectation with the difference', () => {
    const dir = pluginProject()
    writeFileSync(join(dir, 'test/rules.test.mjs'), testFile(9))
    const pass = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'test/'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: undefined, NODE_OPTIONS: undefined },
    })
    expect(pass.status, pass.stdout + pass.stderr).to.equal(0)
    expect(pass.stdout).to.match(/# tests 2\n/)
    expect(pass.stdout).to.match(/# pass 2\n/)
    expect(pass.stdout).to.contain('ok 2 - invalid \\#1: local storage in production')

    writeFileSync(join(dir, 'test/rules.test.mjs'), testFile(3))
    const fail = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'test/'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: undefined, NODE_OPTIONS: undefined },
    })
    expect(fail.status).to.equal(1)
    expect(fail.stdout).to.match(/# fail 1\n/)
    expect(fail.stdout).to.contain('environments/x-prod.yaml:5:3 error meta/prod-s3')
    expect(fail.stdout).to.contain('environments/x-prod.yaml:5:9 error meta/prod-s3')
  })

  it('type-checks a TypeScript rule test under strict', () => {
    const dir = pluginProject()
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: [] },
        include: ['test/**/*.ts'],
      }),
    )
    writeFileSync(
      join(dir, 'test/rule.test.ts'),
      `import { RuleTester, type RuleDefinition } from 'ssmd/testing'

const rule: RuleDefinition = {
  meta: { severity: 'warning', description: 'feeds have a display name', docs: 'https://example.com/r', messages: { missing: 'feed {{name}} has no display_name' } },
  feed(feed, ctx) {
    if (feed.data?.display_name === undefined) ctx.report({ path: '/name', messageId: 'missing', data: { name: feed.name } })
  },
}

export default async () => ({ plugin: 'acme', rules: { 'acme/display-name': rule } })

const cases = {
  valid: [{ files: { 'feeds/a.yaml': 'name: a\\ndisplay_name: A\\n' } }],
  invalid: [{ files: { 'feeds/a.yaml': 'name: a\\n' }, findings: [{ file: 'feeds/a.yaml', line: 1, column: 7, severity: 'warning' as const, message: 'feed a has no display_name' }] }],
}
export const done: Promise<void> = new RuleTester().check('acme/display-name', new URL('../hooks/validate.js', import.meta.url), cases)
// @ts-expect-error the tester runs the plugin's own files, sealed: a rule object is not a subject
export const refused: Promise<void> = new RuleTester().check('acme/display-name', rule, cases)
`,
    )
    const tsc = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' })
    expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0)
  })
})

describe('docs/plugins.md "Testing your rules"', () => {
  it('its complete example passes with node --test as written', () => {
    const docs = readFileSync(join(PROJECT_ROOT, 'docs/plugins.md'), 'utf8')
    const section = docs.slice(docs.indexOf('## Testing your rules'), docs.indexOf('\n## ', docs.indexOf('## Testing your rules') + 5))
    const blocks = [...section.matchAll(/^```(json|js)\n([^]*?)^```$/gm)]
    const files: Record<string, string> = {}
    for (const [, lang, body] of blocks) {
      const path = lang === 'json' ? 'package.json' : /^\/\/ (\S+)/.exec(body)?.[1]
      if (path) files[path] = body
    }
    expect(Object.keys(files).sort()).to.deep.equal(['hooks/validate.js', 'package.json', 'test/rules.test.js'])
    const dir = join(tempDir(), 'acme-checks')
    for (const [path, body] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true })
      writeFileSync(join(dir, path), body)
    }
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(PROJECT_ROOT, join(dir, 'node_modules', 'ssmd'), 'dir')
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_ENV: undefined, NODE_OPTIONS: undefined } })
    expect(r.status, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/# pass 3\n/)
    expect(r.stdout).to.match(/# fail 0\n/)
  })
})
