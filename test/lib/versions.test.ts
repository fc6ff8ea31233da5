import { expect } from 'chai'
import { join } from 'node:path'
import { displayPath } from '../../src/lib/cli/output.js'
import { hasControlChar, plural, pluralWord } from '../../src/lib/core/text.js'
import { parseSchemaRef } from '../../src/lib/domain/input.js'
import { findOverlap, placeNewVersion, rangesOverlap } from '../../src/lib/domain/versions.js'

describe('dated versions: one placement and overlap check for feeds and schemas', () => {
  const v1 = { version: 'v1', effective_from: '2025-01-01', effective_to: '2025-05-31' }
  const v2 = { version: 'v2', effective_from: '2025-06-01' }

  it('treats ranges as inclusive, an open end as forever', () => {
    expect(rangesOverlap(v1, { effective_from: '2025-05-31' })).to.equal(true)
    expect(rangesOverlap(v1, { effective_from: '2025-06-01' })).to.equal(false)
    expect(rangesOverlap(v2, { effective_from: '2099-01-01', effective_to: '2099-01-01' })).to.equal(true)
  })

  it('ends the open-ended earlier version the day before a new one starts', () => {
    expect(placeNewVersion([v1, v2], { version: 'v3', effective_from: '2025-09-01' })).to.deep.equal({
      closed: { index: 1, version: 'v2', effective_to: '2025-08-31' },
      overlap: undefined,
    })
  })

  it('reports what a new version would still overlap, with the range as checked', () => {
    expect(placeNewVersion([v1, v2], { version: 'v3', effective_from: '2025-03-01' })).to.deep.equal({
      closed: undefined,
      overlap: { index: 0, version: 'v1', range: v1 },
    })
    // v2 starts on the same day: nothing is open before it, so v2 itself is the overlap.
    expect(placeNewVersion([v1, v2], { version: 'v3', effective_from: '2025-06-01' }).overlap?.version).to.equal('v2')
  })

  it('skips the version being changed and entries without a start date', () => {
    expect(findOverlap([v1, v2], { ...v1, effective_to: '2025-06-15' })?.version).to.equal('v1')
    expect(findOverlap([v1, v2], { ...v1, effective_to: '2025-06-15' }, { skip: 0 })?.version).to.equal('v2')
    expect(findOverlap([null, 'x', { version: 'v9' }, v1], { version: 'v5', effective_from: '2025-02-01', effective_to: '2025-02-01' }, { skip: 3 })).to.equal(undefined)
  })
})

describe('schema references', () => {
  it('parses name and name:version, naming the flag in errors', () => {
    expect(parseSchemaRef('trade', { requireVersion: false })).to.deep.equal({ name: 'trade' })
    expect(parseSchemaRef('trade:v2', { requireVersion: true })).to.deep.equal({ name: 'trade', version: 'v2' })
    expect(() => parseSchemaRef('trade', { requireVersion: true, flag: 'schema' })).to.throw("--schema 'trade' names no version; use <schema>:<version>, e.g. trade:v1")
    expect(() => parseSchemaRef('trade:2', { requireVersion: false })).to.throw("'trade:2': '2' is not a version id")
    expect(() => parseSchemaRef('../x:v1', { requireVersion: true })).to.throw('is not a valid schema name')
  })
})

describe('text helpers', () => {
  it('plural and pluralWord agree with the count', () => {
    expect([plural(0, 'file'), plural(1, 'file'), plural(2, 'hash', 'hashes')]).to.deep.equal(['0 files', '1 file', '2 hashes'])
    expect([pluralWord(1, 'uses', 'use'), pluralWord(3, 'uses', 'use'), pluralWord(2, 'it', 'them')]).to.deep.equal(['uses', 'use', 'them'])
  })

  it('hasControlChar finds C0 control characters only', () => {
    expect(['a\nb', 'tab\there', '\u0000', 'esc\u001b[0m'].map(hasControlChar)).to.deep.equal([true, true, true, true])
    expect(['plain', 'ünïcödé', 'del\u007f', ' '].map(hasControlChar)).to.deep.equal([false, false, false, false])
  })
})

describe('displayPath: paths as git shows them', () => {
  const root = join('/', 'work', 'repo')
  it('is relative to the folder the command runs from, with ../ for files outside it', () => {
    expect(displayPath(root, 'feeds/kalshi.yaml', root)).to.equal('feeds/kalshi.yaml')
    expect(displayPath(root, 'feeds/kalshi.yaml', join(root, 'feeds'))).to.equal('kalshi.yaml')
    expect(displayPath(root, 'schemas/trade.yaml', join(root, 'feeds'))).to.equal('../schemas/trade.yaml')
  })

  it('falls back to the root-relative path when the folder is outside the root', () => {
    expect(displayPath(root, 'feeds/kalshi.yaml', join('/', 'elsewhere'))).to.equal('feeds/kalshi.yaml')
    expect(displayPath(root, 'feeds/kalshi.yaml', join('/', 'work', 'repository'))).to.equal('feeds/kalshi.yaml')
  })
})
