import * as path from 'node:path'
import { expect } from 'chai'
import { checkCapnpSource, loadCapnpFile } from '../../src/lib/capnp/index.js'
import { fixturesDir } from './helpers.js'

const root = path.join(fixturesDir, 'schemas')

describe('capnp: imports', () => {
  it('resolves relative imports inside the root and bundled /capnp/ files', () => {
    const r = loadCapnpFile(path.join(root, 'sub/order.capnp'), { rootDir: root, displayPath: 'schemas/sub/order.capnp' })
    expect(r.diagnostics).to.deep.equal([])
    const order = r.model!.nodes.find(n => n.path === 'Order')!
    expect(order.fields![0].type).to.include({ kind: 'struct', name: 'common.capnp:Money' })
  })

  it('rejects imports that leave the schemas root, naming the file given', () => {
    const r = loadCapnpFile(path.join(root, 'sub/escape.capnp'), { rootDir: root, displayPath: 'schemas/sub/escape.capnp' })
    expect(r.ok).to.equal(false)
    expect(r.diagnostics[0]).to.include({ file: 'schemas/sub/escape.capnp', line: 2, message: 'Import failed: ../../outside.capnp' })
  })

  it('without a reader only bundled imports resolve', () => {
    const ok = checkCapnpSource('@0xd1c2b3a495867768;\nusing S = import "/capnp/schema.capnp";\nstruct A { n @0 :S.Node; }\n', 'a.capnp')
    expect(ok.diagnostics).to.deep.equal([])
    const bad = checkCapnpSource('@0xd1c2b3a495867768;\nusing X = import "x.capnp";\n', 'a.capnp')
    expect(bad.diagnostics.map(d => d.message)).to.deep.equal(['Import failed: x.capnp'])
  })
})
