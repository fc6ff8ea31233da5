import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { generatedFiles } from '../../../src/lib/spec/generate.js'
import { PROJECT_ROOT } from '../../helpers/repo.js'

describe('spec → generated files', () => {
  for (const [rel, text] of Object.entries(generatedFiles())) {
    it(`${rel} is up to date (run \`npm run schemas\` after changing src/lib/spec)`, () => {
      expect(readFileSync(join(PROJECT_ROOT, rel), 'utf8')).to.equal(text)
    })
  }

  it('feed schema says what file-formats.md says', () => {
    const feed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas-json/feed.schema.json'), 'utf8'))
    expect(feed.required).to.deep.equal(['name', 'type', 'versions'])
    expect(feed.properties.type.enum).to.deep.equal(['websocket', 'rest', 'multicast'])
    expect(feed.properties.status.default).to.equal('active')
    const version = feed.properties.versions.items
    expect(version.required).to.deep.equal(['version', 'effective_from', 'protocol', 'endpoint'])
    expect(version.properties.supports_trades.default).to.equal(true)
    expect(version.properties.effective_from.format).to.equal('date')
    expect(version.patternProperties).to.have.property('^x-')
    expect(version.additionalProperties).to.equal(false)
  })
})
