import { expect } from 'chai'
import { checkCapnpSource, STD_FILES } from '../../src/lib/capnp/index.js'

describe('capnp: bundled standard files', () => {
  for (const [path, text] of Object.entries(STD_FILES)) {
    it(`${path} parses cleanly and can be imported`, () => {
      expect(checkCapnpSource(text, path).diagnostics).to.deep.equal([])
      const user = checkCapnpSource(`@0xd4c9a3f2b1e08a68;\nusing Imp = import "${path}";\nstruct S { a @0 :Text; }\n`, 'user.capnp')
      expect(user.diagnostics).to.deep.equal([])
    })
  }

  it('includes the rpc and persistent files', () => {
    expect(Object.keys(STD_FILES)).to.include.members(['/capnp/rpc.capnp', '/capnp/persistent.capnp', '/capnp/c++.capnp', '/capnp/schema.capnp'])
  })
})
