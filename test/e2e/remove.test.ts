import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, git } from '../helpers/repo.js'

const author = { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' }

describe('removal verbs (built CLI)', () => {
  it('feed remove refuses while environments use the feed, listing each as file:line; --force removes it', () => {
    const repo = exampleRepo({ git: true })
    const before = readFileSync(join(repo, 'feeds/kalshi.yaml'), 'utf8')
    const r = ssmdProcess(['feed', 'remove', 'kalshi'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal(
      "Error: feed 'kalshi' is still referred to by 2 places: environments/kalshi-dev.yaml:3 (feed: kalshi), environments/kalshi-prod.yaml:3 (feed: kalshi); point them at another feed (ssmd env update <env> --feed <feed>) or remove them (ssmd env remove <env>), or pass --force to remove it anyway\n",
    )
    expect(readFileSync(join(repo, 'feeds/kalshi.yaml'), 'utf8')).to.equal(before)
    // The line numbers are where git sees the references.
    expect(git(repo, 'grep', '-n', '^feed: kalshi', '--', 'environments').trim().split('\n')).to.deep.equal([
      'environments/kalshi-dev.yaml:3:feed: kalshi',
      'environments/kalshi-prod.yaml:3:feed: kalshi',
    ])

    const forced = ssmdProcess(['feed', 'remove', 'kalshi', '--force', '--json'], { cwd: repo })
    expect(forced.code, forced.stderr).to.equal(0)
    expect(JSON.parse(forced.stdout)).to.deep.equal({
      file: 'feeds/kalshi.yaml',
      name: 'kalshi',
      forced: true,
      referrers: [
        { file: 'environments/kalshi-dev.yaml', line: 3, column: 7, text: 'feed: kalshi' },
        { file: 'environments/kalshi-prod.yaml', line: 3, column: 7, text: 'feed: kalshi' },
      ],
    })
    expect(existsSync(join(repo, 'feeds/kalshi.yaml'))).to.equal(false)
    const v = ssmdProcess(['validate', '--json'], { cwd: repo })
    expect(JSON.parse(v.stdout).findings.filter((f: { rule: string }) => f.rule === 'ref/feed-exists')).to.have.length(2)
  })

  it('feed remove of an unused feed, then commit records the deletion', () => {
    const repo = exampleRepo({ git: true })
    const r = ssmdProcess(['feed', 'remove', 'kraken'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('removed feeds/kraken.yaml\n')
    const c = ssmdProcess(['commit', '-m', 'drop kraken'], { cwd: repo, env: author })
    expect(c.code, c.stderr).to.equal(0)
    expect(git(repo, 'show', '--name-status', '--format=', 'HEAD')).to.equal('D\tfeeds/kraken.yaml\n')
    expect(git(repo, 'status', '--porcelain')).to.equal('')
    const missing = ssmdProcess(['feed', 'remove', 'krakn'], { cwd: repo })
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.match(/^Error: feed 'krakn' not found/)
  })

  it('env remove deletes the environment file', () => {
    const repo = exampleRepo()
    const r = ssmdProcess(['env', 'remove', 'kalshi-dev', '--json'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({ file: 'environments/kalshi-dev.yaml', name: 'kalshi-dev' })
    expect(existsSync(join(repo, 'environments/kalshi-dev.yaml'))).to.equal(false)
    expect(ssmdProcess(['env', 'remove', 'kalshi-dev'], { cwd: repo }).code).to.equal(1)
  })

  it('schema remove deletes the schema and its definition files, keeping a file another schema shares', () => {
    const repo = exampleRepo()
    const refused = ssmdProcess(['schema', 'remove', 'trade'], { cwd: repo })
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.match(
      /^Error: schema 'trade' is still referred to by 2 places: environments\/kalshi-dev\.yaml:4 \(schema: trade:v1\), environments\/kalshi-prod\.yaml:4 \(schema: trade:v1\);/,
    )
    for (const env of ['kalshi-dev', 'kalshi-prod']) expect(ssmdProcess(['env', 'remove', env], { cwd: repo }).code).to.equal(0)
    // A second schema sharing trade.capnp.
    writeFileSync(
      join(repo, 'schemas/trade-copy.yaml'),
      readFileSync(join(repo, 'schemas/trade.yaml'), 'utf8')
        .replace('name: trade', 'name: trade-copy')
        .replace(/ {2}- version: v2[\s\S]*$/, ''),
    )
    const r = ssmdProcess(['schema', 'remove', 'trade', '--json'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'schemas/trade.yaml',
      name: 'trade',
      forced: false,
      referrers: [],
      removed_definitions: ['schemas/trade-v2.capnp'],
      kept_definitions: [{ file: 'schemas/trade.capnp', used_by: ['trade-copy', 'trade-copy:v1'] }],
    })
    expect(existsSync(join(repo, 'schemas/trade.yaml'))).to.equal(false)
    expect(existsSync(join(repo, 'schemas/trade-v2.capnp'))).to.equal(false)
    expect(existsSync(join(repo, 'schemas/trade.capnp'))).to.equal(true)
    const v = ssmdProcess(['validate', '--json'], { cwd: repo })
    expect(JSON.parse(v.stdout).summary.errors, v.stdout).to.equal(0)
  })

  it('schema remove also removes a schema file that cannot be read', () => {
    const repo = exampleRepo()
    writeFileSync(join(repo, 'schemas/broken.yaml'), 'name: [unclosed\n')
    const r = ssmdProcess(['schema', 'remove', 'broken'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('removed schemas/broken.yaml\n')
    expect(r.stderr).to.equal('note: schemas/broken.yaml cannot be read as a schema; its definition files are left in place\n')
    expect(existsSync(join(repo, 'schemas/broken.yaml'))).to.equal(false)
  })

  it('schema remove-version refuses while an environment or a compatible_with claim names it, and never removes the last version', () => {
    const repo = exampleRepo()
    const used = ssmdProcess(['schema', 'remove-version', 'trade:v1'], { cwd: repo })
    expect(used.code).to.equal(1)
    expect(used.stderr).to.equal(
      "Error: trade:v1 is still referred to by 3 places: environments/kalshi-dev.yaml:4 (schema: trade:v1), environments/kalshi-prod.yaml:4 (schema: trade:v1), schemas/trade.yaml:15 (v2 compatible_with: v1); move those environments to another version (ssmd env update <env> --schema trade:<version>) and drop v2's claim (ssmd schema update-version trade:v2 --remove-compatible-with v1), or pass --force to remove it anyway\n",
    )
    const r = ssmdProcess(['schema', 'remove-version', 'trade:v2', '--json'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout)).to.deep.equal({
      file: 'schemas/trade.yaml',
      name: 'trade',
      version: 'v2',
      forced: false,
      referrers: [],
      removed_definitions: ['schemas/trade-v2.capnp'],
      kept_definitions: [],
      // v2 had ended v1 the day before it started: removing v2 reopens v1, leaving no gap.
      reopened: { version: 'v1', effective_to: '2025-05-31' },
      gaps: [],
    })
    const text = readFileSync(join(repo, 'schemas/trade.yaml'), 'utf8')
    expect(text).not.to.match(/version: v2/)
    expect(text).not.to.match(/effective_to/)
    expect(text).to.match(/^ {2}- version: v1$/m)
    expect(existsSync(join(repo, 'schemas/trade-v2.capnp'))).to.equal(false)
    const last = ssmdProcess(['schema', 'remove-version', 'orderbook:v1', '--force'], { cwd: repo })
    expect(last.code).to.equal(1)
    expect(last.stderr).to.equal("Error: orderbook:v1 is the only version of schema 'orderbook'; remove the whole schema with 'ssmd schema remove orderbook'\n")
    const bad = ssmdProcess(['schema', 'remove-version', 'trade'], { cwd: repo })
    expect(bad.code).to.equal(2)
  })

  it('waits for the file lock like other edits and changes nothing when it cannot get it', () => {
    const repo = exampleRepo()
    const file = join(repo, 'feeds/kraken.yaml')
    // A lock held by a live process (this test runner), where ssmd keeps locks: .ssmd/locks/<encoded path>.lock
    mkdirSync(join(repo, '.ssmd', 'locks'), { recursive: true })
    writeFileSync(join(repo, '.ssmd', 'locks', `${encodeURIComponent('feeds/kraken.yaml')}.lock`), `${process.pid}@${hostname()}`)
    const r = ssmdProcess(['feed', 'remove', 'kraken'], { cwd: repo, env: { SSMD_LOCK_TIMEOUT_MS: '300' } })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/kraken\.yaml is locked by another ssmd process/)
    expect(existsSync(file)).to.equal(true)
  })
})
