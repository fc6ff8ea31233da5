import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readBounded } from '../../src/lib/io/read.js'
import { tempDir } from '../helpers/repo.js'

describe('bounded reads (io/read.ts)', () => {
  it('reads a file whole, including one of exactly the cap', () => {
    const dir = tempDir()
    const small = join(dir, 'small.yaml')
    writeFileSync(small, 'name: x\n')
    expect(readBounded(small, { maxBytes: 1024, display: 'small.yaml' }).bytes?.toString()).to.equal('name: x\n')
    const exact = join(dir, 'exact.yaml')
    writeFileSync(exact, 'a'.repeat(1024))
    expect(readBounded(exact, { maxBytes: 1024, display: 'exact.yaml' }).bytes?.length).to.equal(1024)
    const over = join(dir, 'over.yaml')
    writeFileSync(over, 'a'.repeat(1025))
    expect(readBounded(over, { maxBytes: 1024, display: 'over.yaml' }).refusal?.kind).to.equal('too-large')
  })

  it('keeps reading past the stated size of a file whose size lies (procfs), within the cap', () => {
    const r = readBounded('/proc/self/status', { maxBytes: 1024 * 1024, display: 'status' })
    expect(r.refusal).to.equal(undefined)
    expect(r.bytes!.toString()).to.match(/^Name:/)
    expect(r.bytes!.toString()).to.include('VmPeak')
    // The cap still holds for such a file.
    expect(readBounded('/proc/self/status', { maxBytes: 64, display: 'status' }).refusal?.kind).to.equal('too-large')
  })

  it('refuses a device without reading it', () => {
    expect(readBounded('/dev/zero', { maxBytes: 1024, display: 'zero' }).refusal?.kind).to.equal('not-regular')
  })
})
