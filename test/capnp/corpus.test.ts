import * as fs from 'node:fs'
import * as path from 'node:path'
import { expect } from 'chai'
import { checkCapnpSource, loadCapnpFile, renderStructure, structureModel } from '../../src/lib/capnp/index.js'
import { invalidDir, loadCorpus, tradeFile, validDir } from './helpers.js'
import { debug } from '../helpers/debug.js'

describe('capnp: valid corpus', () => {
  const files = fs
    .readdirSync(validDir)
    .filter(f => f.endsWith('.capnp'))
    .sort()

  it('finds the corpus', () => {
    expect(files.length).to.be.greaterThan(5)
  })

  for (const f of files) {
    it(`parses ${f} with no error`, () => {
      const r = loadCorpus(validDir, f)
      expect(r.diagnostics.map(d => `${d.line}:${d.column} ${d.message}`)).to.deep.equal([])
      expect(r.ok).to.equal(true)
      expect(r.model?.nodes.length).to.be.greaterThan(0)
    })
  }

  it('addressbook.capnp declarations', () => {
    const m = loadCorpus(validDir, 'addressbook.capnp').model!
    const person = m.nodes.find(n => n.path === 'Person')!
    expect(person.fields!.map(f => [f.name, f.ordinal])).to.deep.include.members([
      ['id', 0],
      ['name', 1],
      ['email', 2],
    ])
    const phoneType = m.nodes.find(n => n.path === 'Person.PhoneNumber.Type')!
    expect(phoneType.enumerants!.map(e => e.name)).to.deep.equal(['mobile', 'home', 'work'])
    const employment = m.nodes.find(n => n.path === 'Person.employment')!
    expect(employment.isGroup).to.equal(true)
    expect(employment.fields!.map(f => f.discriminant)).to.deep.equal([0, 1, 2, 3])
  })

  it('test.capnp spot checks (generics, interfaces, constants)', () => {
    const m = loadCorpus(validDir, 'test.capnp').model!
    const all = m.nodes.find(n => n.path === 'TestAllTypes')!
    expect(all.fields!.find(f => f.name === 'textField')!.ordinal).to.equal(12)
    expect(m.nodes.find(n => n.path === 'TestGenerics')!.genericParams).to.deep.equal(['Foo', 'Bar'])
    const iface = m.nodes.find(n => n.path === 'TestInterface')!
    expect(iface.methods!.map(x => x.name)).to.include('foo')
    const streaming = m.nodes.find(n => n.path === 'TestStreaming')!
    expect(streaming.methods!.find(x => x.name === 'doStreamI')!.streaming).to.equal(true)
    const block = m.nodes.find(n => n.path === 'blockText')!
    expect(block.value).to.contain('foo bar baz\\n')
  })

  it('attaches doc comments', () => {
    const m = loadCorpus(validDir, 'schema.capnp').model!
    const node = m.nodes.find(n => n.path === 'Node')!
    expect(node.fields!.find(f => f.name === 'displayName')!.doc).to.match(/^Name to present to humans/)
  })

  it('ssmd-original trade.capnp parses and renders', () => {
    const r = loadCapnpFile(tradeFile, { rootDir: path.dirname(tradeFile), displayPath: 'trade.capnp' })
    expect(r.diagnostics).to.deep.equal([])
    const trade = r.model!.nodes.find(n => n.path === 'Trade')!
    expect(trade.fields!.map(f => f.name)).to.deep.equal(['timestamp', 'ticker', 'price', 'size', 'side', 'tradeId'])
    expect(trade.fields![0].doc).to.equal('Unix nanos')
    const text = renderStructure(r.model!)
    expect(text).to.contain('struct Trade')
    expect(text).to.match(/@2\s+price\s+Float64/)
    expect(text).to.contain('enum Side')
    expect(JSON.parse(JSON.stringify(structureModel(r.model!)))[0].name).to.equal('Side')
  })
})

describe('capnp: invalid corpus', () => {
  it('rejects a file without an id', () => {
    const r = loadCorpus(invalidDir, 'no-file-id.capnp.nobuild')
    expect(r.ok).to.equal(false)
    expect(r.diagnostics[0].message).to.match(/File does not declare an ID/)
    expect(r.diagnostics[0].line).to.equal(1)
  })

  it('reports an error on every line errors.txt lists', () => {
    const expected = new Set<number>()
    for (const line of fs.readFileSync(path.join(invalidDir, 'errors.txt'), 'utf8').split('\n')) {
      const m = /^file:(\d+)(:\d+)?/.exec(line)
      if (m) expected.add(Number(m[1]))
    }
    const r = loadCorpus(invalidDir, 'errors.capnp.nobuild')
    expect(r.ok).to.equal(false)
    const got = new Set(r.diagnostics.map(d => d.line))
    const hit = [...expected].filter(l => got.has(l))
    const missed = [...expected].filter(l => !got.has(l))
    debug(`      errors.txt lines reported: ${hit.length}/${expected.size}${missed.length ? ` (missed ${missed.join(', ')})` : ''}`)
    expect(hit.length / expected.size).to.be.at.least(0.95)
    // no diagnostics on lines the official compiler accepts
    const extra = [...got].filter(l => !expected.has(l))
    expect(extra, `unexpected error lines ${extra.join(', ')}`).to.have.length.at.most(3)
  })

  it('never throws on garbage and keeps going after errors', () => {
    const inputs = ['', '@', 'struct {', '@0xffffffffffffffff; struct A { a @0 :; b @1 :Text; c @x; }', '}}}}', '"', 'struct A(', '@0x8000000000000000;\nconst x :Text = 0x"zz";']
    for (const s of inputs) {
      const r = checkCapnpSource(s, 'x.capnp')
      expect(r.ok).to.equal(false)
      expect(r.diagnostics.length).to.be.greaterThan(0)
    }
    const r = checkCapnpSource('@0xd1c2b3a495867768;\nstruct A { a @0 :Nope; b @1 :Int8 = 999; c @1 :Text; }\nstruct b {}', 'x.capnp')
    expect(r.diagnostics.length).to.be.at.least(4)
  })
})
