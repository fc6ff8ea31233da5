import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { readBounded, readListed, type ReadOptions } from '../../src/lib/io/read.js'
import { builtinPack } from '../../src/hooks/validate/builtin.js'
import { runRules } from '../../src/lib/validate/engine.js'
import { DocumentCache } from '../../src/lib/workspace/cache.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { fsCalls } from '../helpers/fs-calls.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'

describe('reads of listed files (io/read.ts readListed)', () => {
  const both = (abs: string, options: ReadOptions) => ({ listed: readListed(abs, options), bounded: readBounded(abs, options) })

  it('reads a regular file whole, below and above the first read of 64 KiB, and refuses one over the cap by its size', () => {
    const dir = tempDir()
    const cases: Array<[string, number, number]> = [
      ['small.yaml', 8, 1024],
      ['exact.yaml', 1024, 1024],
      ['empty.yaml', 0, 1024],
      ['big.yaml', 200 * 1024, 1024 * 1024],
      ['chunk.yaml', 64 * 1024, 1024 * 1024],
      ['over.yaml', 1025, 1024],
      ['far-over.yaml', 300 * 1024, 100 * 1024],
    ]
    for (const [file, size, maxBytes] of cases) {
      const content = Buffer.alloc(size, file.charCodeAt(0))
      writeFileSync(join(dir, file), content)
      const { listed, bounded } = both(join(dir, file), { maxBytes, display: file, root: dir })
      expect(listed, file).to.deep.equal(bounded)
      if (size <= maxBytes) expect(Buffer.compare(listed.bytes!, content), file).to.equal(0)
      else expect(listed.refusal, file).to.deep.include({ kind: 'too-large', size })
    }
  })

  it('gives readBounded’s refusals, word for word, for what the listing took for a regular file', () => {
    const root = tempDir()
    const outside = tempDir()
    writeFileSync(join(outside, 'secret.yaml'), 'token: x\n')
    writeFileSync(join(root, 'target.yaml'), 'name: x\n')
    symlinkSync(join(outside, 'secret.yaml'), join(root, 'out.yaml'))
    symlinkSync(join(root, 'target.yaml'), join(root, 'in.yaml'))
    symlinkSync(join(root, 'nowhere.yaml'), join(root, 'broken.yaml'))
    execFileSync('mkfifo', [join(root, 'fifo.yaml')])
    mkdirSync(join(root, 'dir.yaml'))
    mkdirSync(join(outside, 'feeds'))
    writeFileSync(join(outside, 'feeds', 'x.yaml'), 'name: x\n')
    symlinkSync(join(outside, 'feeds'), join(root, 'feeds'))
    const expected: Record<string, string | undefined> = {
      'out.yaml': 'outside-root',
      'in.yaml': undefined,
      'broken.yaml': 'missing',
      'fifo.yaml': 'not-regular',
      'dir.yaml': 'not-regular',
      'gone.yaml': 'missing',
      'feeds/x.yaml': 'outside-root',
    }
    for (const [file, kind] of Object.entries(expected)) {
      const { listed, bounded } = both(join(root, file), { maxBytes: 1024, display: file, root })
      expect(listed, file).to.deep.equal(bounded)
      expect(listed.refusal?.kind, file).to.equal(kind)
    }
    expect(readListed(join(root, 'in.yaml'), { maxBytes: 1024, display: 'in.yaml', root }).bytes?.toString()).to.equal('name: x\n')
  })

  it('refuses a device and keeps the cap for a file whose size lies (procfs)', () => {
    const zero = both('/dev/zero', { maxBytes: 1024, display: 'zero' })
    expect(zero.listed).to.deep.equal(zero.bounded)
    expect(zero.listed.refusal?.kind).to.equal('not-regular')
    expect(readListed('/proc/self/status', { maxBytes: 1024 * 1024, display: 'status' }).bytes?.toString()).to.include('VmPeak')
    expect(readListed('/proc/self/status', { maxBytes: 64, display: 'status' }).refusal?.kind).to.equal('too-large')
  })

  it('a validation reads the documents of a listed folder without an lstat each, with or without a cache', async () => {
    const root = tempDir()
    mkdirSync(join(root, 'feeds'))
    for (const name of ['a', 'b', 'c']) writeFileSync(join(root, 'feeds', `${name}.yaml`), `name: ${name}\n`)
    execFileSync('mkfifo', [join(root, 'feeds', 'pipe.yaml')])
    for (const cache of [undefined, new DocumentCache(root)]) {
      const ws = new Workspace(root, { cache })
      const { result, paths: lstats } = await fsCalls('lstatSync', () => ws.feeds.map(f => [f.name, f.data, f.problem?.message]))
      expect(result).to.deep.equal([
        ['a', { name: 'a' }, undefined],
        ['b', { name: 'b' }, undefined],
        ['c', { name: 'c' }, undefined],
        ['pipe', undefined, 'feeds/pipe.yaml is a FIFO (named pipe), not a regular file; ssmd reads only regular files (remove it or replace it with a file)'],
      ])
      // Only the FIFO, which the listing does not take for a regular file, is checked with lstat.
      expect([...new Set(lstats.filter(p => p.includes('.yaml')))], cache ? 'with a cache' : 'without a cache').to.deep.equal([join(root, 'feeds', 'pipe.yaml')])
    }
  })

  it('validation reads definition files once resolved, and scans the other files, without a further lstat each', async () => {
    const root = exampleRepo()
    const { result, paths: lstats } = await fsCalls('lstatSync', () => runRules(new Workspace(root), [{ plugin: 'ssmd', result: builtinPack }]))
    expect(result.findings.map(f => `${f.file} ${f.rule}`)).to.deep.equal(['feeds/kraken.yaml ref/unused'])
    const counts: Record<string, number> = {}
    for (const p of lstats) if (p.startsWith(root)) counts[relative(root, p)] = (counts[relative(root, p)] ?? 0) + 1
    // One lstat per definition file (resolving it: type, symlink, inside the root) and for ssmd.yaml (not listed),
    // none for the listed documents nor for the files scanned for secrets (the empty .gitkeep files included).
    expect(counts).to.deep.equal({ 'schemas/orderbook.capnp': 1, 'schemas/trade-v2.capnp': 1, 'schemas/trade.capnp': 1, 'ssmd.yaml': 1 })
  })
})
