import { Config } from '@oclif/core'
import { expect } from 'chai'
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateForCommit } from '../../src/lib/cli/validation.js'
import { commitSsmdChanges } from '../../src/lib/git/commit.js'
import { exampleRepo, git, PROJECT_ROOT } from '../helpers/repo.js'

/*
 * The gate commits exactly what it validated: `ssmd commit` validates, then
 * commits; these tests run the same two library calls and change the
 * repository between them, where another process could.
 */

const author = 'Ssmd Tester <tester@example.com>'

/** Everything a refused commit must leave as it was: the branch, the index, what git reports. */
function state(dir: string) {
  return {
    head: git(dir, 'rev-parse', 'HEAD'),
    log: git(dir, 'log', '--oneline'),
    index: readFileSync(join(dir, '.git', 'index')),
    status: git(dir, 'status', '--porcelain', '-uall'),
  }
}

async function refused(dir: string, between: () => void): Promise<string> {
  const config = await Config.load(PROJECT_ROOT)
  const outcome = await validateForCommit(config, dir, { cache: false })
  expect(outcome.errors, outcome.report).to.equal(0)
  between()
  const before = state(dir)
  let message = ''
  try {
    await commitSsmdChanges(dir, { message: 'kalshi: reviewed', author, checked: outcome.checked })
    expect.fail('the commit should have been refused')
  } catch (error) {
    message = (error as Error).message
    expect((error as { exitCode?: number }).exitCode).to.equal(1)
  }
  expect(state(dir)).to.deep.equal(before)
  expect(existsSync(join(dir, '.git', 'index.lock'))).to.equal(false)
  return message
}

describe('ssmd commit: the gate commits what it validated', function () {
  this.timeout(60_000)

  it('refuses when a file the commit takes changes after validation, and commits it once validated again', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# reviewed\n')
    const message = await refused(dir, () => writeFileSync(join(dir, 'feeds/kalshi.yaml'), 'name: kalshi\nthis is: [not valid\n'))
    expect(message).to.equal('feeds/kalshi.yaml changed while ssmd commit was validating it; nothing was committed (run ssmd commit again)')

    // Validated again, the same bytes are refused by the gate itself: nothing slipped past it.
    const config = await Config.load(PROJECT_ROOT)
    expect((await validateForCommit(config, dir, { cache: false })).errors).to.be.greaterThan(0)
  })

  it('commits when nothing changes between validation and the commit', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# reviewed\n')
    const config = await Config.load(PROJECT_ROOT)
    const outcome = await validateForCommit(config, dir, { cache: true })
    expect(outcome.errors, outcome.report).to.equal(0)
    const result = await commitSsmdChanges(dir, { message: 'kalshi: reviewed', author, checked: outcome.checked })
    expect(result.files.map(f => f.path)).to.deep.equal(['feeds/kalshi.yaml'])
    expect(git(dir, 'show', 'HEAD:feeds/kalshi.yaml')).to.equal(readFileSync(join(dir, 'feeds/kalshi.yaml'), 'utf8'))
    expect(git(dir, 'status', '--porcelain', '-uall')).to.equal('')
  })

  it('refuses a file that appears after validation', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# reviewed\n')
    const message = await refused(dir, () => writeFileSync(join(dir, 'feeds/zz-new.yaml'), 'token: ghp_0123456789abcdefghijABCDEFGHIJ012345\n'))
    expect(message).to.equal('feeds/zz-new.yaml changed while ssmd commit was validating it; nothing was committed (run ssmd commit again)')
  })

  it('refuses a file that vanishes, or is reverted, after validation', async () => {
    const dir = exampleRepo({ git: true })
    appendFileSync(join(dir, 'feeds/kalshi.yaml'), '# reviewed\n')
    appendFileSync(join(dir, 'environments/kalshi-dev.yaml'), '# reviewed\n')
    expect(await refused(dir, () => rmSync(join(dir, 'environments/kalshi-dev.yaml')))).to.match(/^environments\/kalshi-dev\.yaml changed while ssmd commit/)
    git(dir, 'checkout', '--', 'environments/kalshi-dev.yaml')
    appendFileSync(join(dir, 'environments/kalshi-dev.yaml'), '# reviewed\n')
    expect(await refused(dir, () => git(dir, 'checkout', '--', 'environments/kalshi-dev.yaml'))).to.match(/^environments\/kalshi-dev\.yaml changed while ssmd commit/)
  })

  it('compares the working-tree bytes, not the blob: a CRLF file converted by core.autocrlf commits', async () => {
    const dir = exampleRepo({ git: true })
    git(dir, 'config', 'core.autocrlf', 'true')
    const text = readFileSync(join(dir, 'feeds/kalshi.yaml'), 'utf8')
    writeFileSync(join(dir, 'feeds/kalshi.yaml'), (text + '# reviewed\n').replace(/\n/g, '\r\n'))
    const config = await Config.load(PROJECT_ROOT)
    const outcome = await validateForCommit(config, dir, { cache: false })
    expect(outcome.errors, outcome.report).to.equal(0)
    await commitSsmdChanges(dir, { message: 'kalshi: reviewed', author, checked: outcome.checked })
    expect(git(dir, 'show', 'HEAD:feeds/kalshi.yaml')).to.equal(text + '# reviewed\n')
  })
})
