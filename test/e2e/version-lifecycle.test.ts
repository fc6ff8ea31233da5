// The version life cycle of feeds and schemas from the command line, on the
// built CLI: undo a version, reopen or move its dates, edit a schema version's
// claims, guard deployed definitions and statuses, and report a feed or schema
// with no version in effect.
import { expect } from 'chai'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'
import { addDays, todayUtc } from '../../src/lib/core/dates.js'

const read = (repo: string, file: string) => readFileSync(join(repo, file), 'utf8')
const run = (repo: string, ...args: string[]) => ssmdProcess(args, { cwd: repo })
const findings = (repo: string, rule: string) =>
  (JSON.parse(run(repo, 'validate', '--json').stdout) as { findings: Array<{ rule: string; severity: string; message: string; file: string; line: number }> }).findings.filter(
    f => f.rule === rule,
  )

describe('version life cycle (built CLI)', () => {
  const later = addDays(todayUtc(), 30)

  it('feed remove-version undoes add-version: the previous version is open-ended again, and the file is as before', () => {
    const repo = exampleRepo()
    const before = read(repo, 'feeds/kalshi.yaml')
    expect(run(repo, 'feed', 'add-version', 'kalshi', '--effective-from', later).code).to.equal(0)
    expect(read(repo, 'feeds/kalshi.yaml')).to.contain(`effective_to: ${addDays(later, -1)}`)
    const r = run(repo, 'feed', 'remove-version', 'kalshi', 'v3')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(
      `reopened v2 (it ended ${addDays(later, -1)}, the day before v3 started); to keep that end: ssmd feed update kalshi --version v2 --effective-to ${addDays(later, -1)}\n` +
        'removed kalshi v3 from feeds/kalshi.yaml\n',
    )
    expect(read(repo, 'feeds/kalshi.yaml')).to.equal(before)
  })

  it('feed remove-version refuses the only version and the version environments deploy today (unless --force)', () => {
    const repo = exampleRepo()
    const only = run(repo, 'feed', 'remove-version', 'kraken', 'v1')
    expect(only.code).to.equal(1)
    expect(only.stderr).to.equal("Error: v1 is the only version of feed 'kraken'; remove the whole feed with 'ssmd feed remove kraken'\n")
    const inUse = run(repo, 'feed', 'remove-version', 'kalshi', 'v2')
    expect(inUse.code).to.equal(1)
    expect(inUse.stderr.split('\n')).to.have.length(2)
    expect(inUse.stderr).to.contain(
      `Error: kalshi v2 is the version in effect today (${todayUtc()}) and 2 environments use feed 'kalshi' (environments/kalshi-dev.yaml:3 (feed: kalshi), environments/kalshi-prod.yaml:3 (feed: kalshi)); without it they would deploy v1;`,
    )
    expect(read(repo, 'feeds/kalshi.yaml')).to.contain('version: v2')
    const forced = run(repo, 'feed', 'remove-version', 'kalshi', 'v2', '--force', '--json')
    expect(forced.code, forced.stderr).to.equal(0)
    expect(JSON.parse(forced.stdout)).to.deep.include({ version: 'v2', forced: true, reopened: { version: 'v1', effective_to: '2024-12-31' }, gaps: [] })
    expect(read(repo, 'feeds/kalshi.yaml')).not.to.contain('version: v2')
  })

  it('schema remove-version reopens the version add-version had ended, and points at the command that drops a claim', () => {
    const repo = exampleRepo()
    const before = read(repo, 'schemas/trade.yaml')
    copyFileSync(join(repo, 'schemas/trade-v2.capnp'), join(repo, 'trade-v3.capnp'))
    writeFileSync(join(repo, 'trade-v3.capnp'), read(repo, 'trade-v3.capnp').replace(/@0x[0-9a-f]+;/, '@0xd6f2a3c4b5e60718;'))
    const add = run(repo, 'schema', 'add-version', 'trade', '--file', 'trade-v3.capnp', '--effective-from', later)
    expect(add.code, add.stderr).to.equal(0)
    const r = run(repo, 'schema', 'remove-version', 'trade:v3')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain(`reopened trade:v2 (it ended ${addDays(later, -1)}, the day before v3 started)`)
    expect(read(repo, 'schemas/trade.yaml')).to.equal(before)

    const refused = run(repo, 'schema', 'remove-version', 'trade:v1')
    expect(refused.code).to.equal(1)
    expect(refused.stderr.trim().split('\n')).to.have.length(1)
    expect(refused.stderr).to.contain("drop v2's claim (ssmd schema update-version trade:v2 --remove-compatible-with v1)")
    const drop = run(repo, 'schema', 'update-version', 'trade:v2', '--remove-compatible-with', 'v1')
    expect(drop.code, drop.stderr).to.equal(0)
    expect(read(repo, 'schemas/trade.yaml')).not.to.contain('compatible_with')
  })

  it('feed update sets and clears dates: --no-effective-to reopens, an empty --effective-to is refused, overlaps are refused, gaps warned about', () => {
    const repo = exampleRepo()
    const empty = run(repo, 'feed', 'update', 'kalshi', '--version', 'v1', '--effective-to', '')
    expect(empty.code).to.equal(2)
    expect(empty.stderr).to.equal('Error: --effective-to is empty; to make the version open-ended pass --no-effective-to instead\n')
    const overlap = run(repo, 'feed', 'update', 'kalshi', '--version', 'v1', '--no-effective-to')
    expect(overlap.code).to.equal(1)
    expect(overlap.stderr).to.equal(
      "Error: v1 (2024-06-01 → open) would overlap v2 (2025-01-01 → open); versions of a feed may not share a day — change v2's dates first or pick other dates\n",
    )
    const gap = run(repo, 'feed', 'update', 'kalshi', '--version', 'v1', '--effective-to', '2024-12-20')
    expect(gap.code, gap.stderr).to.equal(0)
    expect(gap.stderr).to.equal("warning: no version of feed 'kalshi' covers 2024-12-21 to 2024-12-31 (between v1 and v2) after this change\n")
    expect(read(repo, 'feeds/kalshi.yaml')).to.contain('effective_to: 2024-12-20')
    expect(run(repo, 'feed', 'update', 'kalshi', '--version', 'v2', '--effective-to', later).code).to.equal(0)
    const reopen = run(repo, 'feed', 'update', 'kalshi', '--version', 'v2', '--no-effective-to', '--json')
    expect(reopen.code, reopen.stderr).to.equal(0)
    expect(JSON.parse(reopen.stdout).changes).to.deep.equal([{ path: '/versions/1/effective_to', from: later }])
    expect(read(repo, 'feeds/kalshi.yaml')).not.to.contain(`effective_to: ${later}`)
  })

  it('schema update-version checks every claim it adds, as add-version does, and edits breaking_changes and dates', () => {
    const repo = exampleRepo()
    // trade-v2 narrows price: a claim of compatibility with v1 is false.
    writeFileSync(join(repo, 'schemas/trade-v2.capnp'), read(repo, 'schemas/trade-v2.capnp').replace('price @2 :Float64;', 'price @2 :Float32;'))
    expect(run(repo, 'schema', 'update-version', 'trade:v2', '--no-compatible-with').code).to.equal(0)
    const before = read(repo, 'schemas/trade.yaml')
    const refused = run(repo, 'schema', 'update-version', 'trade:v2', '--add-compatible-with', 'v1')
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.contain('schemas/trade-v2.capnp:8:3  field Trade.price @2 type changed from Float64 to Float32')
    expect(refused.stderr).to.contain('Error: v2 is not compatible with v1 (breaking changes above); fix the definition, drop the claim, or pass --force; nothing written')
    expect(read(repo, 'schemas/trade.yaml')).to.equal(before)
    const older = run(repo, 'schema', 'update-version', 'trade:v1', '--compatible-with', 'v2')
    expect(older.code).to.equal(1)
    expect(older.stderr).to.equal('Error: --compatible-with v2 is not older than v1\n')

    const r = run(repo, 'schema', 'update-version', 'trade:v2', '--breaking-changes', 'price is now Float32', '--effective-from', '2025-06-02')
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.equal("warning: no version of schema 'trade' covers 2025-06-01 (between v1 and v2) after this change\n")
    expect(read(repo, 'schemas/trade.yaml')).to.contain('    effective_from: 2025-06-02\n')
    expect(read(repo, 'schemas/trade.yaml')).to.contain('    breaking_changes: price is now Float32\n')
    expect(run(repo, 'schema', 'update-version', 'trade:v2', '--no-breaking-changes').code).to.equal(0)
    expect(read(repo, 'schemas/trade.yaml')).not.to.contain('breaking_changes')
    const overlap = run(repo, 'schema', 'update-version', 'trade:v1', '--no-effective-to')
    expect(overlap.code).to.equal(1)
    expect(overlap.stderr).to.contain('Error: v1 (2025-01-01 → open) would overlap v2 (2025-06-02 → open)')
  })

  it('schema hash refuses to re-hash an active version changed in place, unless --force; a draft re-hashes freely', () => {
    const repo = exampleRepo()
    writeFileSync(join(repo, 'schemas/trade-v2.capnp'), read(repo, 'schemas/trade-v2.capnp') + '# draft edit\n')
    const draft = run(repo, 'schema', 'hash', 'trade')
    expect(draft.code, draft.stderr).to.equal(0)
    expect(draft.stdout).to.match(/^trade:v2 {2}sha256:f497d0b5e537…/)

    writeFileSync(join(repo, 'schemas/trade.capnp'), read(repo, 'schemas/trade.capnp') + '# edited in place\n')
    const before = read(repo, 'schemas/trade.yaml')
    const refused = run(repo, 'schema', 'hash', 'trade')
    expect(refused.code).to.equal(1)
    expect(refused.stderr.trim().split('\n')).to.have.length(1)
    expect(refused.stderr).to.match(
      /^Error: trade:v1 \(active, schemas\/trade\.capnp: stored sha256:8c11ffe0a196…, file sha256:[0-9a-f]{12}…\) no longer matches its recorded hash; consumers deployed with that version read data by the recorded definition, so changing it in place breaks them: restore the file and add the change as a new version \(ssmd schema add-version trade --file <new file> --effective-from <date>\), or pass --force to re-hash anyway; nothing written\n$/,
    )
    expect(read(repo, 'schemas/trade.yaml')).to.equal(before)
    const forced = run(repo, 'schema', 'hash', 'trade', '--force')
    expect(forced.code, forced.stderr).to.equal(0)
    expect(forced.stderr).to.equal('warning: re-hashed active trade:v1 (--force); consumers deployed with it still expect the old definition\n')
    expect(read(repo, 'schemas/trade.yaml')).not.to.contain('8c11ffe0a1961d0d')
  })

  it('feed update --status disabled is refused while environments use the feed (--force overrides); deprecated warns with them', () => {
    const repo = exampleRepo()
    const before = read(repo, 'feeds/kalshi.yaml')
    const refused = run(repo, 'feed', 'update', 'kalshi', '--status', 'disabled')
    expect(refused.code).to.equal(1)
    expect(refused.stderr).to.equal(
      "Error: cannot disable feed 'kalshi': 2 environments still use it (environments/kalshi-dev.yaml:3 (feed: kalshi), environments/kalshi-prod.yaml:3 (feed: kalshi)) and a disabled feed fails validation and deploy; point them at another feed first (ssmd env update <env> --feed <feed>), or pass --force\n",
    )
    expect(read(repo, 'feeds/kalshi.yaml')).to.equal(before)
    const deprecated = run(repo, 'feed', 'update', 'kalshi', '--status', 'deprecated')
    expect(deprecated.code, deprecated.stderr).to.equal(0)
    expect(deprecated.stderr).to.equal(
      "warning: feed 'kalshi' is still used by environments/kalshi-dev.yaml:3 (feed: kalshi), environments/kalshi-prod.yaml:3 (feed: kalshi); deprecated feeds keep working, with a validation warning (ref/feed-status)\n",
    )
    const forced = run(repo, 'feed', 'update', 'kalshi', '--status', 'disabled', '--force')
    expect(forced.code, forced.stderr).to.equal(0)
    expect(read(repo, 'feeds/kalshi.yaml')).to.contain('status: disabled')
    // A feed nobody uses is disabled without a word.
    const kraken = run(repo, 'feed', 'update', 'kraken', '--status', 'disabled')
    expect([kraken.code, kraken.stderr]).to.deep.equal([0, ''])
  })

  it('validate reports a feed or schema with no version in effect today: an error while environments use the feed', () => {
    const repo = exampleRepo()
    expect(run(repo, 'validate').code).to.equal(0)
    expect(findings(repo, 'feed/no-current-version')).to.deep.equal([])
    expect(run(repo, 'feed', 'update', 'kalshi', '--version', 'v2', '--effective-to', '2025-12-31').code).to.equal(0)
    expect(run(repo, 'feed', 'update', 'polymarket', '--version', 'v1', '--effective-from', later).code).to.equal(0)
    expect(run(repo, 'schema', 'update-version', 'orderbook:v1', '--effective-to', '2025-12-31').code).to.equal(0)
    const today = todayUtc()
    expect(findings(repo, 'feed/no-current-version').map(f => [f.file, f.line, f.severity, f.message])).to.deep.equal([
      [
        'feeds/kalshi.yaml',
        21,
        'error',
        `no version of feed 'kalshi' is in effect today (${today}) and environments kalshi-dev, kalshi-prod cannot be deployed: v2 ended 2025-12-31; add a version (ssmd feed add-version kalshi --effective-from ${today}) or reopen v2 (ssmd feed update kalshi --version v2 --no-effective-to)`,
      ],
      [
        'feeds/polymarket.yaml',
        12,
        'error',
        `no version of feed 'polymarket' is in effect today (${today}) and environment polymarket-dev cannot be deployed: v1 starts ${later}; start it earlier (ssmd feed update polymarket --version v1 --effective-from ${today})`,
      ],
    ])
    expect(findings(repo, 'schema/no-current-version').map(f => [f.file, f.severity, f.message])).to.deep.equal([
      [
        'schemas/orderbook.yaml',
        'warning',
        `no version of schema 'orderbook' is in effect today (${today}): v1 ended 2025-12-31; add a version (ssmd schema add-version orderbook --file <file> --effective-from ${today}) or reopen v1 (ssmd schema update-version orderbook:v1 --no-effective-to)`,
      ],
    ])
    const v = run(repo, 'validate')
    expect(v.code).to.equal(1)
    // Without environments the feed's finding is a warning.
    for (const env of ['kalshi-dev', 'kalshi-prod']) expect(run(repo, 'env', 'remove', env).code).to.equal(0)
    expect(findings(repo, 'feed/no-current-version').find(f => f.file === 'feeds/kalshi.yaml')?.severity).to.equal('warning')
  })

  it('did-you-mean offers a destructive command only for a typo of that very command', () => {
    const repo = exampleRepo()
    const other = run(repo, 'env', 'remove-ver')
    expect(other.code).to.equal(2)
    expect(other.stderr).to.equal("Error: 'env remove-ver' is not an ssmd command; did you mean 'ssmd env'? (see 'ssmd env --help')\n")
    const plugins = run(repo, 'plugins', 'unset')
    expect(plugins.stderr).not.to.contain('plugins reset')
    for (const typed of ['env remove-version', 'feed delete-version', 'schema delete-version']) {
      const r = run(repo, ...typed.split(' '))
      expect(r.code, typed).to.equal(2)
      expect(r.stderr, typed).not.to.match(/did you mean 'ssmd [a-z]+ remove/)
    }
    expect(run(repo, 'schema', 'remove-versions').stderr).to.contain("did you mean 'ssmd schema remove-version'?")
    expect(run(repo, 'feed', 'remvoe').stderr).to.contain("did you mean 'ssmd feed remove'?")
    expect(run(repo, 'cache', 'clean').stderr).to.contain("did you mean 'ssmd cache clear'?")
  })
})
