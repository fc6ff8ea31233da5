import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, git, tempDir } from '../helpers/repo.js'

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
      importers: [],
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
      importers: [],
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

  /** The example with schemas whose definitions import trade.capnp (`fill`: relative, through lib/wrap.capnp) and /trade-v2.capnp (`settle`: absolute). */
  function repoWithImports(): string {
    const repo = exampleRepo()
    // Nothing else uses trade: only the imports stand in the way.
    for (const env of ['kalshi-dev', 'kalshi-prod']) expect(ssmdProcess(['env', 'remove', env], { cwd: repo }).code).to.equal(0)
    mkdirSync(join(repo, 'schemas/lib'))
    writeFileSync(join(repo, 'schemas/lib/wrap.capnp'), '@0xc0c8a9e6f3d2b1a4;\n\nusing T = import "../trade.capnp";\n\nstruct Wrapped {\n  trade @0 :T.Trade;\n}\n')
    const defs = tempDir()
    writeFileSync(join(defs, 'fill.capnp'), '@0xe1d2c3b4a5968778;\n\nusing Wrap = import "lib/wrap.capnp";\n\nstruct Fill {\n  wrapped @0 :Wrap.Wrapped;\n  fee @1 :Float64;\n}\n')
    writeFileSync(join(defs, 'settle.capnp'), '@0xf1e2d3c4b5a69788;\n\nusing V2 = import "/trade-v2.capnp";\n\nstruct Settle {\n  trade @0 :V2.Trade;\n}\n')
    for (const name of ['fill', 'settle']) {
      const reg = ssmdProcess(['schema', 'register', name, '--file', join(defs, `${name}.capnp`), '--effective-from', '2025-01-01'], { cwd: repo })
      expect(reg.code, reg.stderr).to.equal(0)
    }
    const v = ssmdProcess(['validate', '--json'], { cwd: repo })
    expect(JSON.parse(v.stdout).summary.errors, v.stdout).to.equal(0)
    git(repo, 'init', '-q', '-b', 'main')
    git(repo, 'add', '-A')
    git(repo, 'commit', '-q', '-m', 'initial')
    return repo
  }

  it('schema remove refuses while a definition file that stays imports one of its files (directly or through another file), naming each import as file:line', () => {
    const repo = repoWithImports()
    const r = ssmdProcess(['schema', 'remove', 'trade'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.equal(
      'Error: cannot remove schema \'trade\': schemas/trade.capnp is imported by schemas/lib/wrap.capnp:3 (import "../trade.capnp"); schemas/trade-v2.capnp is imported by schemas/settle.capnp:3 (import "/trade-v2.capnp"); remove those imports first, or pass --force to remove it anyway\n',
    )
    // The lines are where git sees the imports; nothing changed, the repository is still valid.
    expect(git(repo, 'grep', '-n', 'import "', '--', 'schemas').trim().split('\n')).to.deep.equal([
      'schemas/fill.capnp:3:using Wrap = import "lib/wrap.capnp";',
      'schemas/lib/wrap.capnp:3:using T = import "../trade.capnp";',
      'schemas/settle.capnp:3:using V2 = import "/trade-v2.capnp";',
    ])
    expect(git(repo, 'status', '--porcelain')).to.equal('')
    expect(JSON.parse(ssmdProcess(['validate', '--json'], { cwd: repo }).stdout).summary.errors).to.equal(0)

    // The version's own file alone: remove-version refuses the same way.
    const version = ssmdProcess(['schema', 'remove-version', 'trade:v2'], { cwd: repo })
    expect(version.code).to.equal(1)
    expect(version.stderr).to.equal(
      'Error: cannot remove trade:v2: schemas/trade-v2.capnp is imported by schemas/settle.capnp:3 (import "/trade-v2.capnp"); remove those imports first, or pass --force to remove it anyway\n',
    )
    expect(git(repo, 'status', '--porcelain')).to.equal('')

    // The importer itself can go: what it imports stays.
    const fill = ssmdProcess(['schema', 'remove', 'fill'], { cwd: repo })
    expect(fill.code, fill.stderr).to.equal(0)
    expect(fill.stdout).to.equal('removed schemas/fill.yaml\nremoved schemas/fill.capnp\n')
  })

  it('schema remove --force removes an imported definition anyway, with a warning and the imports in --json', () => {
    const repo = repoWithImports()
    const r = ssmdProcess(['schema', 'remove', 'trade', '--force', '--json'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    const out = JSON.parse(r.stdout)
    expect(out.forced).to.equal(true)
    expect(out.removed_definitions).to.deep.equal(['schemas/trade-v2.capnp', 'schemas/trade.capnp'])
    expect(out.importers).to.deep.equal([
      { file: 'schemas/lib/wrap.capnp', line: 3, column: 11, text: 'import "../trade.capnp"', imports: 'schemas/trade.capnp' },
      { file: 'schemas/settle.capnp', line: 3, column: 12, text: 'import "/trade-v2.capnp"', imports: 'schemas/trade-v2.capnp' },
    ])
    // What the refusal protected against: the repository no longer validates.
    const v = ssmdProcess(['validate', '--json'], { cwd: repo })
    expect(JSON.parse(v.stdout).summary.errors).to.be.greaterThan(0)

    const text = ssmdProcess(['schema', 'remove', 'trade', '--force'], { cwd: repoWithImports() })
    expect(text.code, text.stderr).to.equal(0)
    expect(text.stderr).to.equal(
      'warning: removed definitions are still imported by schemas/lib/wrap.capnp:3 (import "../trade.capnp"), schemas/settle.capnp:3 (import "/trade-v2.capnp"); \'ssmd validate\' reports them until they change\n',
    )
  })

  it('protobuf imports count too: a .proto that stays importing the file of a schema being removed', () => {
    const repo = exampleRepo()
    const defs = tempDir()
    writeFileSync(join(defs, 'common.proto'), 'syntax = "proto3";\npackage md;\n\nmessage Price {\n  int64 units = 1;\n}\n')
    writeFileSync(join(defs, 'quote.proto'), 'syntax = "proto3";\npackage md;\n\nimport public "common.proto";\n\nmessage Quote {\n  Price bid = 1;\n}\n')
    for (const name of ['common', 'quote']) {
      const reg = ssmdProcess(['schema', 'register', name, '--file', join(defs, `${name}.proto`), '--effective-from', '2025-01-01'], { cwd: repo })
      expect(reg.code, reg.stderr).to.equal(0)
    }
    const r = ssmdProcess(['schema', 'remove', 'common'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal(
      'Error: cannot remove schema \'common\': schemas/common.proto is imported by schemas/quote.proto:4 (import public "common.proto"); remove those imports first, or pass --force to remove it anyway\n',
    )
    expect(existsSync(join(repo, 'schemas/common.proto'))).to.equal(true)
    expect(existsSync(join(repo, 'schemas/common.yaml'))).to.equal(true)
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
