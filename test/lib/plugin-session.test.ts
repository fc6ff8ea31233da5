// The plugin session itself (src/lib/validate/plugins.ts): real fixture plugins in their sealed
// processes, on a real copy of the example repository. Needs `npm run build` (the host is dist/).
import { expect } from 'chai'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pluginResults } from '../../src/lib/cli/validation.js'
import type { PolicySeverity } from '../../src/lib/validate/engine.js'
import { DocumentIntake, PluginSession, validationDate, type InstalledPlugin, type PluginOutcome } from '../../src/lib/validate/plugins.js'
import { reservedNamespaces } from '../../src/lib/validate/report.js'
import { DocumentCache } from '../../src/lib/workspace/cache.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { exampleRepo, FIXTURES } from '../helpers/repo.js'

/** A fixture plugin as oclif would list it; `integrity` as npm records it for an installed (not linked) package. */
function fixture(name: string, extra: Partial<InstalledPlugin> = {}): InstalledPlugin {
  const root = join(FIXTURES, 'plugins', name)
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; oclif: { hooks: { validate: string } } }
  return { name: pkg.name, version: pkg.version, root, hooks: [{ target: pkg.oclif.hooks.validate, identifier: 'default' }], ...extra }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

describe('plugin session (sealed processes, real fixture plugins)', function () {
  this.timeout(60000)
  let saved: string | undefined

  beforeEach(() => {
    saved = process.env.SSMD_PLUGIN_TIMEOUT_MS
    delete process.env.SSMD_PLUGIN_TIMEOUT_MS
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.SSMD_PLUGIN_TIMEOUT_MS
    else process.env.SSMD_PLUGIN_TIMEOUT_MS = saved
  })

  it('does not count the time ssmd spends reading the repository against a plugin that waits for its documents', async () => {
    // Budget 200 ms: the process waits for the documents (ssmd reading a large repository) longer than
    // the budget plus the 5 s it may take to start; that wait is ssmd's, not the plugin's.
    const session = new PluginSession([fixture('sealed-ok')], { root: exampleRepo(), mode: 'run', budgetMs: 200 })
    const ws = new Workspace(exampleRepo())
    await sleep(5600)
    await session.send(ws, { off: [], installedPlugins: [] })
    const [outcome] = await session.finish({ ws, reserved: reservedNamespaces() })
    expect(outcome.failure).to.equal(undefined)
    expect(outcome.run.status).to.equal('ok')
    expect(outcome.findings.map(f => f.rule)).to.deep.equal(['sealedok/clock'])
  })

  it("stops a plugin's checks at the budget ssmd computed from the number of documents (10 s plus 1 ms each), inside the engine too", async () => {
    const root = exampleRepo()
    const ws = new Workspace(root)
    const session = new PluginSession([fixture('infinite-loop')], { root, mode: 'run' })
    await session.send(ws, { off: [], installedPlugins: [] })
    const [outcome] = await session.finish({ ws, reserved: reservedNamespaces() })
    expect(outcome.failure).to.equal(`exceeded its time budget of ${10000 + ws.documents.length} ms (in rule 'looper/forever'); it was stopped`)
  })

  it('hands the documents over through a spool file that leaves nothing behind, or through the pipe where no such file can be made: the same findings', async () => {
    const root = exampleRepo()
    const run = async () => {
      const ws = new Workspace(root)
      const session = new PluginSession([fixture('sealed-ok')], { root, mode: 'run' })
      await session.send(ws, { off: [], installedPlugins: [] })
      const [outcome] = await session.finish({ ws, reserved: reservedNamespaces() })
      expect(outcome.failure).to.equal(undefined)
      return outcome.findings.map(f => `${f.rule} ${f.file}:${f.line} ${f.message}`)
    }
    const savedTmp = process.env.TMPDIR
    const tmp = mkdtempSync(join(tmpdir(), 'ssmd-session-tmp-'))
    try {
      process.env.TMPDIR = tmp
      const spooled = await run()
      expect(readdirSync(tmp)).to.deep.equal([])
      process.env.TMPDIR = join(tmp, 'missing')
      expect(await run()).to.deep.equal(spooled)
      expect(spooled).to.have.length(1)
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = savedTmp
      rmSync(tmp, { recursive: true, force: true })
    }
  })

  it('takes the documents in the workspace order whatever order they are added in: what add was not given, close sends, in order', async () => {
    const root = exampleRepo()
    const said = async (hand: (intake: DocumentIntake, ws: Workspace) => void) => {
      const ws = new Workspace(root)
      const session = new PluginSession([fixture('sealed-ok')], { root, mode: 'run' })
      const intake = session.open(ws, { off: [], installedPlugins: [] })
      hand(intake, ws)
      await intake.close()
      const [outcome] = await session.finish({ ws, reserved: reservedNamespaces() })
      expect(outcome.failure).to.equal(undefined)
      return outcome.findings.map(f => `${f.rule} ${f.file}:${f.line} ${f.message}`)
    }
    const inOrder = await said((intake, ws) => ws.documents.forEach(d => intake.add(d)))
    // The finding is about one feed, found by its name: a document out of place would move it to another file.
    expect(inOrder).to.have.length(1)
    expect(inOrder[0]).to.match(/^sealedok\/clock feeds\/kalshi\.yaml:2 /)
    expect(await said((intake, ws) => [...ws.documents].reverse().forEach(d => intake.add(d)))).to.deep.equal(inOrder)
    expect(await said(() => {})).to.deep.equal(inOrder)
  })

  describe("a plugin's whole result, kept in the validation cache", () => {
    const DAY = 86400000
    const today = validationDate()
    /** sealed-ok as npm installs it from a tarball: with an integrity. */
    const installed = (version = '1.0.0') => fixture('sealed-ok', { version, integrity: 'sha512-AAAA' })

    /** One `ssmd validate`: the cache read, the plugin run or reused, the cache written. */
    async function validate(root: string, plugin: InstalledPlugin, options: { now?: number; policy?: Record<string, PolicySeverity> } = {}): Promise<PluginOutcome> {
      const cache = new DocumentCache(root, { keepData: true })
      const session = new PluginSession([plugin], { root, mode: 'run', results: pluginResults(cache) })
      const ws = new Workspace(root, { cache })
      await session.send(ws, { off: [], installedPlugins: [], now: options.now, policy: options.policy })
      const [outcome] = await session.finish({ ws, reserved: reservedNamespaces(), policy: options.policy })
      cache.save()
      expect(outcome.failure).to.equal(undefined)
      return outcome
    }
    const said = (o: PluginOutcome) => o.findings.map(f => `${f.rule} ${f.severity} ${f.file}:${f.line} ${f.message}`)
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

    it('is reused on an unchanged repository (the plugin does not run), and recomputed when any document changes', async () => {
      const root = exampleRepo()
      const first = await validate(root, installed())
      expect(first.run.cached).to.equal(undefined)
      expect(said(first)).to.deep.equal([`sealedok/clock warning feeds/kalshi.yaml:2 hello from CommonJS on ${day(today)}, one clock`])
      const again = await validate(root, installed())
      expect(again.run).to.include({ cached: true, status: 'ok', ms: 0 })
      expect(said(again)).to.deep.equal(said(first))
      // A document the plugin's findings are not even about.
      appendFileSync(join(root, 'environments/kalshi-prod.yaml'), '# reviewed\n')
      expect((await validate(root, installed())).run.cached).to.equal(undefined)
      expect((await validate(root, installed())).run.cached).to.equal(true)
    })

    it('is recomputed on another date (the clock the plugin sees) and for another version of the plugin', async () => {
      const root = exampleRepo()
      await validate(root, installed())
      const tomorrow = await validate(root, installed(), { now: today + DAY })
      expect(tomorrow.run.cached).to.equal(undefined)
      expect(said(tomorrow)).to.deep.equal([`sealedok/clock warning feeds/kalshi.yaml:2 hello from CommonJS on ${day(today + DAY)}, one clock`])
      expect((await validate(root, installed(), { now: today + DAY })).run.cached).to.equal(true)
      expect((await validate(root, installed('1.0.1'), { now: today + DAY })).run.cached).to.equal(undefined)
      expect((await validate(root, installed('1.0.1'), { now: today + DAY })).run.cached).to.equal(true)
    })

    it('is recomputed under other rule settings, and never kept for a linked plugin (no integrity: its code may change under the same version)', async () => {
      const root = exampleRepo()
      await validate(root, installed())
      const info = await validate(root, installed(), { policy: { 'sealedok/clock': 'info' } })
      expect(info.run.cached).to.equal(undefined)
      expect(said(info)[0]).to.match(/^sealedok\/clock info /)
      expect((await validate(root, installed(), { policy: { 'sealedok/clock': 'info' } })).run.cached).to.equal(true)
      const linked = fixture('sealed-ok')
      await validate(root, linked)
      expect((await validate(root, linked)).run.cached).to.equal(undefined)
    })

    it('gives the plugin the validation date as its clock: the start of the day (UTC), whatever the hour', () => {
      expect(validationDate(Date.UTC(2026, 2, 14, 23, 59, 59, 999))).to.equal(Date.UTC(2026, 2, 14))
      expect(validationDate(Date.UTC(2026, 2, 14))).to.equal(Date.UTC(2026, 2, 14))
    })
  })
})
