/**
 * Deploy at fleet scale: what a deploy of many environments does not do —
 * parse an environment it does not render, hold a fleet's documents parsed.
 */
import { expect } from 'chai'
import { builtinPack } from '../../src/hooks/validate/builtin.js'
import { involvedFiles, loadInvolved, newRenderCache, renderEnvironment, renderReleasing } from '../../src/lib/deploy/render.js'
import { runRules } from '../../src/lib/validate/engine.js'
import { policySeverities } from '../../src/lib/validate/policy.js'
import { DocumentCache } from '../../src/lib/workspace/cache.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { exampleRepo } from '../helpers/repo.js'

const AS_OF = '2025-03-01'
const NAMES = ['kalshi-dev', 'kalshi-prod', 'polymarket-dev']

/** `ssmd validate` with the cache, so that the next run finds every file in it. */
async function warmCache(root: string): Promise<void> {
  const cache = new DocumentCache(root)
  const ws = new Workspace(root, { cache })
  await runRules(ws, [{ plugin: 'ssmd', result: builtinPack }], { policy: policySeverities(ws), releaseData: true })
  cache.save()
}

describe('deploy at scale: documents', () => {
  it('finds the files each environment is made of from the validation cache, without parsing any environment', async () => {
    const root = exampleRepo()
    await warmCache(root)
    const cache = new DocumentCache(root)
    const { involved } = loadInvolved(root, NAMES, cache)
    const files = involved.map(inv => involvedFiles(inv))
    expect(files[0]).to.deep.equal(['environments/kalshi-dev.yaml', 'feeds/kalshi.yaml', 'schemas/trade.yaml', 'schemas/trade.capnp'])
    expect(files.map(f => f[0])).to.deep.equal(NAMES.map(n => `environments/${n}.yaml`))
    // Nothing was read again: the feed and schema names come from the facts the cache keeps.
    expect(cache.rereads).to.equal(0)
    // Rendering reads the environment (and its feed) when it comes to it.
    const rendering = renderEnvironment(involved[0], AS_OF)
    expect(rendering.files).to.deep.equal(files[0])
    expect(cache.rereads).to.equal(2)
  })

  it('drops an environment’s parsed data once it is rendered: a fleet is never held parsed', async () => {
    const root = exampleRepo()
    await warmCache(root)
    const cache = new DocumentCache(root)
    const { involved } = loadInvolved(root, NAMES, cache)
    const renders = newRenderCache()
    const first = renderReleasing(involved[1], AS_OF, renders)
    const reads = cache.rereads
    // Rendered again, the environment is read again (its data was dropped); the feed's rendering is shared.
    const again = renderReleasing(involved[1], AS_OF, renders)
    expect(cache.rereads).to.equal(reads + 1)
    expect(again).to.deep.equal(first)
  })
})
