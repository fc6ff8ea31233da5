/**
 * Files git left mid-merge, made by a real `git merge` that conflicts: the
 * built CLI reports "unresolved merge conflict" at the first marker, from
 * validate and from every command that reads the file, and edits leave the
 * file alone. A YAML syntax error is reported as such by show commands too.
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, git } from '../helpers/repo.js'

interface Finding {
  file: string
  rule: string
  line: number
  column: number
  message: string
}

/** Changes `file` in two branches so that merging them conflicts; returns the repository. */
function conflicted(root: string, file: string, change: (text: string, side: 'ours' | 'theirs') => string): string {
  const path = join(root, file)
  const base = readFileSync(path, 'utf8')
  git(root, 'checkout', '-q', '-b', 'theirs')
  writeFileSync(path, change(base, 'theirs'))
  git(root, 'commit', '-q', '-am', 'theirs')
  git(root, 'checkout', '-q', 'main')
  writeFileSync(path, change(base, 'ours'))
  git(root, 'commit', '-q', '-am', 'ours')
  let merged = true
  try {
    git(root, 'merge', '-q', 'theirs')
  } catch {
    merged = false
  }
  expect(merged, 'the merge was meant to conflict').to.equal(false)
  return root
}

/** 1-based line of the first line of `text` starting with `prefix`. */
const lineOf = (text: string, prefix: string) => text.split('\n').findIndex(l => l.startsWith(prefix)) + 1

const ONE_LINE_ERROR = (r: { stderr: string }) => expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)

describe('conflict markers and YAML syntax errors (built CLI)', function () {
  this.timeout(240000)

  it('a feed with conflict markers: validate, feed show/list and feed update name the conflict at the marker', () => {
    const root = conflicted(exampleRepo({ git: true }), 'feeds/kraken.yaml', (t, side) => t.replace('status: deprecated', `status: ${side === 'ours' ? 'active' : 'disabled'}`))
    const text = readFileSync(join(root, 'feeds/kraken.yaml'), 'utf8')
    const line = lineOf(text, '<<<<<<<')
    expect(line).to.be.greaterThan(0)

    const v = ssmdProcess(['validate', '--json', '-C', root])
    expect(v.code, v.stderr).to.equal(1)
    const findings = (JSON.parse(v.stdout) as { findings: Finding[] }).findings.filter(f => f.file === 'feeds/kraken.yaml')
    expect(findings).to.have.length(1)
    expect(findings[0]).to.deep.include({ rule: 'yaml/syntax', line, column: 1 })
    expect(findings[0].message).to.match(/^unresolved merge conflict \(git conflict marker '<<<<<<<'\)/)

    const text1 = ssmdProcess(['validate', '-C', root])
    expect(text1.stdout).to.contain(`feeds/kraken.yaml:${line}:1  error    unresolved merge conflict`)

    const show = ssmdProcess(['feed', 'show', 'kraken', '-C', root])
    expect(show.code).to.equal(1)
    ONE_LINE_ERROR(show)
    expect(show.stderr).to.contain(`feeds/kraken.yaml:${line}:1: unresolved merge conflict`)
    expect(show.stderr).not.to.contain('no versions list')

    const list = ssmdProcess(['feed', 'list', '-C', root])
    expect(list.code, list.stderr).to.equal(0)
    expect(list.stderr).to.contain('feeds/kraken.yaml: unresolved merge conflict')

    const update = ssmdProcess(['feed', 'update', 'kraken', '--status', 'active', '-C', root])
    expect(update.code).to.equal(1)
    ONE_LINE_ERROR(update)
    expect(update.stderr).to.contain(`feeds/kraken.yaml:${line}:1: unresolved merge conflict`)
    expect(readFileSync(join(root, 'feeds/kraken.yaml'), 'utf8')).to.equal(text)

    // An environment naming the conflicted feed is not created on the strength of it.
    const create = ssmdProcess([
      'env',
      'create',
      'kraken-dev',
      '--feed',
      'kraken',
      '--schema',
      'trade:v1',
      '--transport.type',
      'memory',
      '--storage.type',
      'local',
      '--storage.path',
      '/srv/kraken',
      '-C',
      root,
    ])
    expect(create.code).to.equal(1)
    expect(create.stderr).to.contain(`feeds/kraken.yaml:${line}:1: unresolved merge conflict`)
  })

  it('an environment with conflict markers: env show, key list and env update refuse at the marker', () => {
    const root = conflicted(exampleRepo({ git: true }), 'environments/kalshi-dev.yaml', (t, side) => t.replace(/^feed: .*$/m, `feed: ${side === 'ours' ? 'kraken' : 'polymarket'}`))
    const text = readFileSync(join(root, 'environments/kalshi-dev.yaml'), 'utf8')
    const line = lineOf(text, '<<<<<<<')
    for (const args of [
      ['env', 'show', 'kalshi-dev'],
      ['key', 'list', 'kalshi-dev'],
      ['env', 'update', 'kalshi-dev', '--feed', 'kalshi'],
    ]) {
      const r = ssmdProcess([...args, '-C', root])
      expect(r.code, args.join(' ')).to.equal(1)
      ONE_LINE_ERROR(r)
      expect(r.stderr, args.join(' ')).to.contain(`environments/kalshi-dev.yaml:${line}:1: unresolved merge conflict`)
    }
    expect(readFileSync(join(root, 'environments/kalshi-dev.yaml'), 'utf8')).to.equal(text)
  })

  it("a schema and a Cap'n Proto definition with conflict markers: schema show, validate and schema hash say so", () => {
    const root = conflicted(exampleRepo({ git: true }), 'schemas/trade.capnp', (t, side) =>
      t.replace(/price @(\d+) :Float64;/, side === 'ours' ? 'price @$1 :Float64;  # ours' : 'price @$1 :Float64;  # theirs'),
    )
    const capnp = readFileSync(join(root, 'schemas/trade.capnp'), 'utf8')
    const line = lineOf(capnp, '<<<<<<<')
    expect(line).to.be.greaterThan(0)
    const v = ssmdProcess(['validate', '--json', '-C', root])
    expect(v.code, v.stderr).to.equal(1)
    const parse = (JSON.parse(v.stdout) as { findings: Finding[] }).findings.filter(f => f.rule === 'schema/parse')
    expect(parse).to.have.length(1)
    expect(parse[0]).to.deep.include({ file: 'schemas/trade.capnp', line, column: 1 })
    expect(parse[0].message).to.match(/^unresolved merge conflict/)

    const show = ssmdProcess(['schema', 'show', 'trade:v1', '--structure', '-C', root])
    expect(show.code).to.equal(1)
    expect(show.stderr).to.contain(`schemas/trade.capnp:${line}:1  unresolved merge conflict`)

    // The hash of a file mid-merge is not recorded.
    const yamlBefore = readFileSync(join(root, 'schemas/trade.yaml'), 'utf8')
    const hash = ssmdProcess(['schema', 'hash', 'trade', '-C', root])
    expect(hash.code).to.equal(1)
    ONE_LINE_ERROR(hash)
    expect(hash.stderr).to.contain(`schemas/trade.capnp:${line}:1: unresolved merge conflict`)
    expect(readFileSync(join(root, 'schemas/trade.yaml'), 'utf8')).to.equal(yamlBefore)

    const other = conflicted(exampleRepo({ git: true }), 'schemas/trade.yaml', (t, side) => t.replace('status: active', `status: ${side === 'ours' ? 'deprecated' : 'retired'}`))
    const yaml = readFileSync(join(other, 'schemas/trade.yaml'), 'utf8')
    const s = ssmdProcess(['schema', 'show', 'trade', '-C', other])
    expect(s.code).to.equal(1)
    ONE_LINE_ERROR(s)
    expect(s.stderr).to.contain(`schemas/trade.yaml:${lineOf(yaml, '<<<<<<<')}:1: unresolved merge conflict`)
  })

  it('a protobuf definition with a conflict marker is a schema/parse finding at the marker', () => {
    const root = exampleRepo()
    writeFileSync(
      join(root, 'schemas/quote.proto'),
      'syntax = "proto3";\n<<<<<<< HEAD\nmessage Quote { double bid = 1; }\n=======\nmessage Quote { double ask = 1; }\n>>>>>>> other\n',
    )
    const r = ssmdProcess(['schema', 'register', 'quote', '--file', join(root, 'schemas/quote.proto'), '-C', root])
    expect(r.code).to.equal(1)
    expect(r.stderr).to.contain('schemas/quote.proto:2:1  unresolved merge conflict')
  })

  it('feed show and env show on a YAML syntax error report the error at its line:col, not a missing versions list', () => {
    const root = exampleRepo()
    writeFileSync(join(root, 'feeds/kraken.yaml'), 'name: kraken\ntype: [rest\nstatus: deprecated\n')
    const show = ssmdProcess(['feed', 'show', 'kraken', '-C', root])
    expect(show.code).to.equal(1)
    ONE_LINE_ERROR(show)
    expect(show.stderr).to.match(/feeds\/kraken\.yaml:3:\d+: invalid YAML: /)
    expect(show.stderr).not.to.contain('no versions list')

    writeFileSync(join(root, 'environments/kalshi-dev.yaml'), 'name: kalshi-dev\nfeed: [kalshi\n')
    const env = ssmdProcess(['env', 'show', 'kalshi-dev', '-C', root])
    expect(env.code).to.equal(1)
    expect(env.stderr).to.match(/environments\/kalshi-dev\.yaml:\d+:\d+: invalid YAML: /)
  })
})
