import { expect } from 'chai'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readBounded } from '../../src/lib/io/read.js'
import { RealPaths } from '../../src/lib/io/real-paths.js'
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

describe('folders inside the root (io/real-paths.ts)', () => {
  it('answers for each file by its folder, the last folder remembered, as resolving every folder does', () => {
    const base = tempDir()
    const root = join(base, 'repo')
    const outside = join(base, 'elsewhere')
    for (const d of [join(root, 'feeds', 'a'), join(root, 'feeds', 'ab'), outside]) mkdirSync(d, { recursive: true })
    // A folder of the repository that is a link to a folder outside it, and one whose name extends another's.
    symlinkSync(outside, join(root, 'feeds', 'a', 'out'))
    symlinkSync(join(root, 'feeds', 'ab'), join(root, 'feeds', 'in'))
    const files = [
      join(root, 'feeds', 'a', 'x.yaml'),
      join(root, 'feeds', 'a', 'out', 'x.yaml'),
      join(root, 'feeds', 'a', 'y.yaml'),
      join(root, 'feeds', 'ab', 'x.yaml'),
      join(root, 'feeds', 'a', 'z.yaml'),
      join(root, 'feeds', 'a', 'out', 'y.yaml'),
      join(root, 'feeds', 'a', 'outer.yaml'),
      join(root, 'feeds', 'a', 'out', 'deeper', 'y.yaml'),
      join(root, 'feeds', 'in', 'x.yaml'),
      join(root, 'feeds', 'a', 'w.yaml'),
      join(root, 'feeds', 'a') + '/',
    ]
    const remembering = new RealPaths()
    const answers = files.map(f => remembering.folderInside(root, f))
    // Each asked of a fresh resolver, with nothing remembered.
    expect(answers).to.deep.equal(files.map(f => new RealPaths().folderInside(root, f)))
    expect(answers).to.deep.equal([true, false, true, true, true, false, true, false, true, true, true])
  })
})
