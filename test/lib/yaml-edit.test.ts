import { expect } from 'chai'
import { applyEdits } from '../../src/lib/yaml/edit.js'

describe('applyEdits on flow collections', () => {
  const text = 'a: 1   # keep this spacing\nt: {type: nats, url: "nats://x:1"}\nl: [1, 2, 3]\n'

  it('deletes a flow-map entry without re-rendering the rest of the document', () => {
    expect(applyEdits(text, [{ op: 'delete', path: ['t', 'url'] }])).to.equal('a: 1   # keep this spacing\nt: {type: nats}\nl: [1, 2, 3]\n')
    expect(applyEdits(text, [{ op: 'delete', path: ['t', 'type'] }])).to.equal('a: 1   # keep this spacing\nt: {url: "nats://x:1"}\nl: [1, 2, 3]\n')
  })

  it('deletes first, middle and last flow-sequence items', () => {
    expect(applyEdits(text, [{ op: 'delete', path: ['l', 0] }])).to.contain('l: [2, 3]\n')
    expect(applyEdits(text, [{ op: 'delete', path: ['l', 1] }])).to.contain('l: [1, 3]\n')
    expect(applyEdits(text, [{ op: 'delete', path: ['l', 2] }])).to.contain('l: [1, 2]\n')
  })

  it('empties a flow collection when its only entry goes', () => {
    expect(applyEdits('x: {a: 1}  # c\ny: 2\n', [{ op: 'delete', path: ['x', 'a'] }])).to.equal('x: {}  # c\ny: 2\n')
  })

  it('keeps multi-line flow maps intact around the removed entry', () => {
    const multi = 'm: {\n  a: 1,\n  b: 2,\n  c: 3\n}\nz: 0   # tail\n'
    expect(applyEdits(multi, [{ op: 'delete', path: ['m', 'b'] }])).to.equal('m: {\n  a: 1,\n  c: 3\n}\nz: 0   # tail\n')
  })
})
