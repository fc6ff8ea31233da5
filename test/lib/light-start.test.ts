import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LightConfig, plainStart } from '../../src/lib/cli/light-start.js'
import { tempDir } from '../helpers/repo.js'

/** A package root named `app` whose oclif config lists the core plugins given (name → its package.json `oclif`). */
function packageRoot(plugins: Record<string, object>): string {
  const root = tempDir()
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', oclif: { bin: 'app', plugins: Object.keys(plugins), hooks: { validate: './rules.js' } } }),
  )
  for (const [name, oclif] of Object.entries(plugins)) {
    mkdirSync(join(root, 'node_modules', name), { recursive: true })
    writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '2.0.0', oclif }))
  }
  return root
}

describe('light start: what it takes from the package (plainStart)', () => {
  it("lists the package and its core plugins by name, as oclif's config lists its plugins (for ssmd.yaml's required plugins)", () => {
    const start = plainStart(packageRoot({ '@scope/help': {}, other: { commands: './x' } }))
    expect(start?.plugins).to.deep.equal(['app', '@scope/help', 'other'])
    expect(new LightConfig(start!, new Map(), 'linux').pluginNames).to.deep.equal(['app', '@scope/help', 'other'])
  })

  it('refuses when a core plugin declares validation rules (a validate hook): a validating command would run them through oclif', () => {
    expect(plainStart(packageRoot({ '@scope/help': {}, rules: { hooks: { validate: './v.js' } } }))).to.equal(undefined)
    // The package's own validate hook is its rule pack, which the light start loads itself.
    expect(plainStart(packageRoot({}))?.plugins).to.deep.equal(['app'])
  })
})
