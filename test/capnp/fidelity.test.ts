import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { expect } from 'chai'
import { compareCapnp, loadCapnpFile, type CapnpChange } from '../../src/lib/capnp/index.js'
import { check } from './helpers.js'

/** Disagreements with the official compiler found on real-world schemas, one test per class. */
describe('capnp: agreement with the official compiler', () => {
  it('an alias of an applied built-in generic (`using S = List(Bool)`) is a type', () => {
    const r = check('using PermissionSet = List(Bool);\nstruct A { p @0 :PermissionSet; q @1 :List(PermissionSet); }')
    expect(r.diagnostics).to.deep.equal([])
    const a = r.model!.nodes.find(n => n.path === 'A')!
    expect(a.fields![0].type).to.deep.equal({ kind: 'List', element: { kind: 'Bool' } })
    expect(a.fields![1].type).to.deep.equal({ kind: 'List', element: { kind: 'List', element: { kind: 'Bool' } } })
    // a bare `List` is still refused
    expect(check('struct A { p @0 :List; }').diagnostics.map(d => d.message)).to.deep.equal(["'List' requires exactly one parameter."])
  })

  it('parameters applied to a generic parameter (`:T(Text)`) leave the parameter as the type', () => {
    const r = check('struct G(T) { just @0 :T(Text); }')
    expect(r.diagnostics).to.deep.equal([])
    const g = r.model!.nodes.find(n => n.path === 'G')!
    expect(g.fields![0].type).to.include({ kind: 'param', index: 0, name: 'T' })
    expect(check('struct G(T) { just @0 :T(Nope); }').diagnostics.map(d => d.message)).to.deep.equal(['Not defined: Nope'])
  })

  it('a field without a number is a parse error on its line', () => {
    const r = check('struct A {\n  x @0 :Int32;\n  more :Text;\n}')
    expect(r.ok).to.equal(false)
    expect(r.diagnostics.map(d => [d.line, d.column])).to.deep.equal([[4, 3]])
    expect(r.diagnostics[0].message).to.match(/^Parse error: expected '@'/)
  })

  it('the implied-first-field shorthand sets the field with the lowest ordinal', () => {
    const ok = check('struct B { b @1 :Int32; a @0 :Text; }\nstruct C { c @0 :B = "hi"; }')
    expect(ok.diagnostics).to.deep.equal([])
    const bad = check('struct B { b @1 :Int32; a @0 :Text; }\nstruct C { c @0 :B = 5; }')
    expect(bad.diagnostics.map(d => d.message)).to.deep.equal(['Type mismatch; expected Text.'])
  })

  describe('errors inside imported files', () => {
    let dir = ''
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssmd-capnp-imp-'))
      fs.writeFileSync(path.join(dir, 'bad.capnp'), '@0xd1c2b3a495867768;\nstruct Bad { a @0 :Nope; b @0 :Text; }\n')
      fs.writeFileSync(path.join(dir, 'noid.capnp'), 'struct Z { a @0 :Text; }\n')
      fs.writeFileSync(path.join(dir, 'a.capnp'), '@0xe1c2b3a495867768;\nusing import "bad.capnp".Bad;\nstruct M { b @0 :Bad; }\n')
      fs.writeFileSync(path.join(dir, 'b.capnp'), '@0xe1c2b3a495867768;\nusing N = import "noid.capnp";\nstruct M { z @0 :N.Z; }\n')
    })
    after(() => fs.rmSync(dir, { recursive: true, force: true }))

    it('fail the importing file, each reported at its own file:line:col', () => {
      const r = loadCapnpFile(path.join(dir, 'a.capnp'), { rootDir: dir, displayPath: 'a.capnp' })
      expect(r.ok).to.equal(false)
      expect(r.diagnostics.map(d => `${d.file}:${d.line}:${d.column} ${d.message}`)).to.deep.equal([
        'bad.capnp:2:17 Ordinal @0 originally used here.',
        'bad.capnp:2:20 Not defined: Nope',
        'bad.capnp:2:29 Duplicate ordinal number.',
      ])
    })

    it('an imported file without a file id fails the import', () => {
      const r = loadCapnpFile(path.join(dir, 'b.capnp'), { rootDir: dir, displayPath: 'b.capnp' })
      expect(r.ok).to.equal(false)
      expect(r.diagnostics).to.have.length(1)
      expect(r.diagnostics[0]).to.include({ file: 'noid.capnp', line: 1, column: 1 })
      expect(r.diagnostics[0].message).to.match(/^File does not declare an ID/)
    })
  })

  describe('renumbering is a breaking change, not two renames', () => {
    const diff = (a: string, b: string): CapnpChange[] => {
      const ma = check(a)
      const mb = check(b)
      expect(ma.diagnostics.concat(mb.diagnostics)).to.deep.equal([])
      return compareCapnp(ma.model!, mb.model!)
    }
    const kinds = (c: CapnpChange[]): string[] => c.map(x => `${x.severity}:${x.kind}:${x.path}:${x.line}`)

    it('swapped enumerants', () => {
      const c = diff('enum Side {\n  buy @0;\n  sell @1;\n}', 'enum Side {\n  buy @1;\n  sell @0;\n}')
      expect(kinds(c)).to.deep.equal(['breaking:enumerant-renumbered:Side.buy:3', 'breaking:enumerant-renumbered:Side.sell:4'])
    })

    it('swapped same-typed fields', () => {
      const c = diff('struct T {\n  bid @0 :Float64;\n  ask @1 :Float64;\n}', 'struct T {\n  bid @1 :Float64;\n  ask @0 :Float64;\n}')
      expect(kinds(c)).to.deep.include.members(['breaking:field-renumbered:T.bid:3', 'breaking:field-renumbered:T.ask:4'])
      expect(c.filter(x => x.kind === 'field-renamed')).to.deep.equal([])
    })

    it('swapped methods', () => {
      const c = diff('interface I {\n  a @0 ();\n  b @1 ();\n}', 'interface I {\n  a @1 ();\n  b @0 ();\n}')
      expect(kinds(c)).to.deep.include.members(['breaking:method-renumbered:I.a:3', 'breaking:method-renumbered:I.b:4'])
      expect(c.filter(x => x.kind === 'method-renamed')).to.deep.equal([])
    })

    it('a plain rename stays compatible', () => {
      const c = diff('enum Side {\n  buy @0;\n  sell @1;\n}', 'enum Side {\n  bid @0;\n  sell @1;\n}')
      expect(kinds(c)).to.deep.equal(['compatible:enumerant-renamed:Side.bid:3'])
    })
  })

  describe('wire-level compatibility: kept fields keep their place', () => {
    const diff = (a: string, b: string): CapnpChange[] => {
      const ma = check(a)
      const mb = check(b)
      expect(ma.diagnostics.concat(mb.diagnostics)).to.deep.equal([])
      return compareCapnp(ma.model!, mb.model!)
    }

    it('a field pushed elsewhere by a wider neighbour is reported at its line', () => {
      const c = diff('struct T {\n  a @0 :Int32;\n  b @1 :Int32;\n}', 'struct T {\n  a @0 :Int64;\n  b @1 :Int32;\n}')
      expect(c.map(x => `${x.severity}:${x.kind}:${x.line}:${x.column}`)).to.deep.equal(['breaking:field-type-changed:3:3', 'breaking:field-offset-changed:4:3'])
      expect(c[1].message).to.equal('field T.b @1 moved on the wire from data bytes 4-7 to data bytes 8-11: old readers would read it elsewhere')
    })

    it('a union member whose discriminant changes is reported', () => {
      const c = diff('struct T {\n  union {\n    a @0 :Void;\n    b @1 :Text;\n  }\n}', 'struct T {\n  union {\n    b @0 :Text;\n    a @1 :Void;\n  }\n}')
      // the swap is a renumbering of both members
      expect(c.filter(x => x.severity === 'breaking').map(x => x.kind)).to.include.members(['field-renumbered'])
    })

    it('adding fields and reordering the source keep every offset', () => {
      const c = diff('struct T {\n  a @0 :Int32;\n  b @1 :Text;\n}', 'struct T {\n  b @1 :Text;\n  c @2 :Int16;\n  a @0 :Int32;\n}')
      expect(c.map(x => `${x.severity}:${x.kind}`)).to.deep.equal(['compatible:field-added'])
    })
  })
})
