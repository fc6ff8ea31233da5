import { expect } from 'chai'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { tempDir } from '../helpers/repo.js'
import { fixture, read, sha } from '../fixtures/schema/helpers.js'

describe('a schema from register to deprecate', () => {
  it('register → add-version (compatible) → activate → deprecate the old one → hash --check', async () => {
    const base = tempDir()
    const repo = join(base, 'config')
    const defs = join(base, 'defs')
    mkdirSync(repo)
    mkdirSync(defs)
    copyFileSync(fixture('quote.capnp'), join(defs, 'quote.capnp'))
    copyFileSync(fixture('quote-v2.capnp'), join(defs, 'quote-v2.capnp'))
    expect((await ssmd(['init', '--no-git'], { cwd: repo })).code).to.equal(0)

    const reg = await ssmd(['schema', 'register', 'quote', '--file', '../defs/quote.capnp', '--effective-from', '2025-01-01'], { cwd: repo })
    expect(reg.code, reg.stderr).to.equal(0)
    expect(reg.stdout).to.equal('copied ../defs/quote.capnp → schemas/quote.capnp\nregistered quote v1 (capnp, active, from 2025-01-01)\nwrote schemas/quote.yaml\n')

    const add = await ssmd(['schema', 'add-version', 'quote', '--file', '../defs/quote-v2.capnp', '--effective-from', '2025-07-01', '--compatible-with', 'v1'], { cwd: repo })
    expect(add.code, add.stderr).to.equal(0)
    expect(add.stdout).to.equal(
      [
        'ended v1 on 2025-06-30, the day before v2 starts',
        'copied ../defs/quote-v2.capnp → schemas/quote-v2.capnp',
        'added v2 (draft, from 2025-07-01, schemas/quote-v2.capnp); compatible with v1 (checked)',
        'wrote schemas/quote.yaml',
        '',
      ].join('\n'),
    )

    const list = await ssmd(['schema', 'list'], { cwd: repo })
    expect(list.stdout).to.equal(
      ['NAME   VERSION  FORMAT  STATUS  EFFECTIVE', 'quote  v1       capnp   active  2025-01-01 → 2025-06-30', 'quote  v2       capnp   draft   2025-07-01 →', ''].join('\n'),
    )

    expect((await ssmd(['schema', 'set-status', 'quote:v2', 'active'], { cwd: repo })).code).to.equal(0)
    expect((await ssmd(['schema', 'set-status', 'quote:v1', 'deprecated'], { cwd: repo })).code).to.equal(0)

    const check = await ssmd(['schema', 'hash', '--all', '--check'], { cwd: repo })
    expect(check.code, check.stderr).to.equal(0)
    expect(check.stdout).to.equal('all 2 hashes match\n')

    expect(read(repo, 'schemas/quote.yaml')).to.equal(
      [
        'name: quote',
        'format: capnp',
        'schema_file: quote.capnp',
        'versions:',
        '  - version: v1',
        '    effective_from: 2025-01-01',
        '    effective_to: 2025-06-30',
        '    status: deprecated',
        `    hash: ${sha(fixture('quote.capnp'))}`,
        '  - version: v2',
        '    effective_from: 2025-07-01',
        '    status: active',
        '    schema_file: quote-v2.capnp',
        `    hash: ${sha(fixture('quote-v2.capnp'))}`,
        '    compatible_with: [v1]',
        '',
      ].join('\n'),
    )
    expect(readFileSync(join(repo, 'schemas', 'quote-v2.capnp')).equals(readFileSync(fixture('quote-v2.capnp')))).to.equal(true)

    const diff = await ssmd(['schema', 'diff', 'quote', 'v1', 'v2'], { cwd: repo })
    expect(diff.stdout).to.contain('0 breaking, 4 compatible, 0 info: v2 can read v1 data (compatible)')
    const show = await ssmd(['schema', 'show', 'quote'], { cwd: repo })
    expect(show.stdout).to.match(/v1\s+deprecated\s+2025-01-01 → 2025-06-30\s+schemas\/quote\.capnp\s+sha256:\S+ ✓/)
    expect(show.stdout).to.match(/v2\s+active\s+2025-07-01 →\s+schemas\/quote-v2\.capnp\s+sha256:\S+ ✓/)

    const validate = await ssmd(['validate'], { cwd: repo })
    expect(validate.code, validate.stdout + validate.stderr).to.equal(0)
    expect(validate.stdout).to.contain('0 errors, 0 warnings')
  })
})
