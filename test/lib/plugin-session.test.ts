// The plugin session itself (src/lib/validate/plugins.ts): real fixture plugins in their sealed
// processes, on a real copy of the example repository. Needs `npm run build` (the host is dist/).
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PluginSession, type InstalledPlugin } from '../../src/lib/validate/plugins.js'
import { reservedNamespaces } from '../../src/lib/validate/report.js'
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
})
