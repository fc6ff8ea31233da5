import { expect } from 'chai'
import { checkCapnpSource, compareCapnp, type CapnpChange, type CapnpModel } from '../../src/lib/capnp/index.js'

const ID = '@0xd1c2b3a495867768;'

function model(body: string, id = ID): CapnpModel {
  const r = checkCapnpSource(`${id}\n${body}\n`, 'trade.capnp')
  expect(r.diagnostics, body).to.deep.equal([])
  return r.model!
}

function diff(a: string, b: string, ida = ID, idb = ID): CapnpChange[] {
  return compareCapnp(model(a, ida), model(b, idb))
}

function breaking(c: CapnpChange[]): CapnpChange[] {
  return c.filter(x => x.severity === 'breaking')
}

function expectCompatible(a: string, b: string, kind?: string): CapnpChange[] {
  const c = diff(a, b)
  expect(breaking(c), JSON.stringify(c, null, 1)).to.deep.equal([])
  if (kind) expect(c.map(x => x.kind)).to.include(kind)
  return c
}

function expectBreaking(a: string, b: string, kind: string): CapnpChange[] {
  const c = diff(a, b)
  expect(
    breaking(c).map(x => x.kind),
    JSON.stringify(c, null, 1),
  ).to.include(kind)
  return c
}

const TRADE = 'struct Trade {\n  price @0 :Float64;\n  size @1 :UInt32;\n}'

describe('capnp: structural compare', () => {
  it('identical files have no changes', () => {
    expect(diff(TRADE, TRADE)).to.deep.equal([])
  })

  it('reordering declarations and members is not a change', () => {
    expect(diff(`${TRADE}\nenum Side { buy @0; sell @1; }`, 'enum Side { buy @0; sell @1; }\nstruct Trade {\n  size @1 :UInt32;\n  price @0 :Float64;\n}')).to.deep.equal([])
  })

  describe('declarations', () => {
    it('new declarations are compatible', () => {
      expectCompatible(TRADE, `${TRADE}\nstruct Quote { bid @0 :Float64; }\nconst maxSize :UInt32 = 10;\nusing T = Trade;`, 'struct-added')
    })
    it('a removed declaration is breaking, with the older location', () => {
      const c = expectBreaking(`${TRADE}\nstruct Quote { bid @0 :Float64; }`, TRADE, 'struct-removed')
      const r = breaking(c)[0]
      expect([r.path, r.line]).to.deep.equal(['Quote', 6])
    })
    it('renaming a type without an explicit id is breaking', () => {
      expectBreaking(TRADE, TRADE.replace('Trade', 'Trade2'), 'struct-removed')
    })
    it('moving a type without an explicit id into another scope is breaking', () => {
      expectBreaking(`struct Outer {}\n${TRADE}`, `struct Outer {\n${TRADE}\n}`, 'struct-removed')
    })
    it('renaming or moving a type with an explicit id is info', () => {
      const c = diff('struct Trade @0xa1b2c3d4e5f60001 { price @0 :Float64; }', 'struct Outer { struct Deal @0xa1b2c3d4e5f60001 { price @0 :Float64; } }')
      expect(breaking(c)).to.deep.equal([])
      const info = c.find(x => x.severity === 'info')!
      expect(info.kind).to.equal('renamed')
      expect(info.path).to.equal('Outer.Deal')
    })
    it('changing an explicit id is breaking', () => {
      expectBreaking('struct Trade @0xa1b2c3d4e5f60001 { price @0 :Float64; }', 'struct Trade @0xa1b2c3d4e5f60002 { price @0 :Float64; }', 'id-changed')
    })
    it('the file id changing is breaking', () => {
      const c = diff(TRADE, TRADE, ID, '@0xd1c2b3a495867769;')
      expect(breaking(c).map(x => x.kind)).to.include('file-id-changed')
    })
    it('making a type generic is compatible; changing its parameters is breaking', () => {
      expectCompatible('struct Box { v @0 :AnyPointer; }', 'struct Box(T) { v @0 :AnyPointer; }', 'generic-params-added')
      expectBreaking('struct Box(T, U) { v @0 :AnyPointer; }', 'struct Box(T) { v @0 :AnyPointer; }', 'generic-params-changed')
    })
  })

  describe('fields', () => {
    it('a new field with a higher number is compatible', () => {
      const c = expectCompatible(TRADE, TRADE.replace('}', '  side @2 :Text;\n}'), 'field-added')
      const added = c.find(x => x.kind === 'field-added')!
      expect([added.path, added.file, added.line, added.column]).to.deep.equal(['Trade.side', 'trade.capnp', 5, 3])
    })
    it('a removed field is breaking', () => {
      expectBreaking(TRADE, 'struct Trade {\n  price @0 :Float64;\n}', 'field-removed')
    })
    it('changing a field number is breaking', () => {
      expectBreaking(TRADE, 'struct Trade {\n  price @0 :Float64;\n  size @2 :UInt32;\n  x @1 :Text;\n}', 'field-type-changed')
      expectBreaking('struct T { a @0 :Text; b @1 :Text; }', 'struct T { a @0 :Text; }', 'field-removed')
    })
    it('renaming a field is compatible', () => {
      expectCompatible(TRADE, TRADE.replace('size', 'quantity'), 'field-renamed')
    })
    it('width, signedness and Text/Data changes are breaking', () => {
      expectBreaking(TRADE, TRADE.replace('UInt32', 'UInt64'), 'field-type-changed')
      expectBreaking(TRADE, TRADE.replace('UInt32', 'Int32'), 'field-type-changed')
      expectBreaking('struct T { a @0 :Text; }', 'struct T { a @0 :Data; }', 'field-type-changed')
    })
    it('a changed default value is breaking; an unchanged one is not', () => {
      expectBreaking('struct T { a @0 :Int32 = 1; }', 'struct T { a @0 :Int32 = 2; }', 'default-changed')
      expectBreaking('struct T { a @0 :Int32; }', 'struct T { a @0 :Int32 = 2; }', 'default-changed')
      expect(diff('struct T { a @0 :Int32 = 16; }', 'struct T { a @0 :Int32 = 0x10; }')).to.deep.equal([])
    })
    it('a field whose struct type was renamed (implicit id) is breaking', () => {
      expectBreaking('struct L { p @0 :Float64; }\nstruct T { a @0 :L; }', 'struct M { p @0 :Float64; }\nstruct T { a @0 :M; }', 'field-type-changed')
    })
    it('List(T) to List(S) with S.@0 :T is compatible with a note', () => {
      const c = expectCompatible('struct T { a @0 :List(Int32); }', 'struct W { v @0 :Int32; }\nstruct T { a @0 :List(W); }', 'list-upgraded')
      expect(c.find(x => x.kind === 'list-upgraded')!.note).to.match(/canonical/)
    })
    it('List(Bool) upgrade, or a struct whose @0 differs, is breaking', () => {
      expectBreaking('struct T { a @0 :List(Bool); }', 'struct W { v @0 :Bool; }\nstruct T { a @0 :List(W); }', 'field-type-changed')
      expectBreaking('struct T { a @0 :List(Int32); }', 'struct W { v @0 :Int64; }\nstruct T { a @0 :List(W); }', 'field-type-changed')
    })
  })

  describe('unions and groups', () => {
    it('new fields added to an existing union or group are compatible', () => {
      expectCompatible('struct T { union { a @0 :Int32; b @1 :Text; } }', 'struct T { union { a @0 :Int32; b @1 :Text; c @2 :Data; } }', 'field-added')
      expectCompatible('struct T { g :group { a @0 :Int32; } }', 'struct T { g :group { a @0 :Int32; b @1 :Text; } }', 'field-added')
    })
    it('moving a field into a new union with only new fields is compatible with a note', () => {
      const c = expectCompatible('struct T { a @0 :Int32; }', 'struct T { u :union { a @0 :Int32; b @1 :Text; } }', 'field-moved-into-new-group')
      expect(c.find(x => x.kind === 'field-moved-into-new-group')!.note).to.match(/forwards-compatible/)
    })
    it('moving a field into a new group is compatible with a note', () => {
      expectCompatible('struct T { a @0 :Int32; }', 'struct T { g :group { a @0 :Int32; b @1 :Text; } }', 'field-moved-into-new-group')
    })
    it('a new union formed from more than one existing field is breaking', () => {
      expectBreaking('struct T { a @0 :Int32; b @1 :Text; }', 'struct T { union { a @0 :Int32; b @1 :Text; } }', 'union-formed-from-existing')
    })
    it('moving an existing field into an existing union is breaking', () => {
      expectBreaking(
        'struct T { x @0 :Int32; union { a @1 :Int32; b @2 :Text; } }',
        'struct T { union { x @0 :Int32; a @1 :Int32; b @2 :Text; } }',
        'field-moved-into-existing-group',
      )
    })
    it('moving a field out of a union is breaking', () => {
      expectBreaking('struct T { union { a @0 :Int32; b @1 :Text; c @2 :Data; } }', 'struct T { a @0 :Int32; union { b @1 :Text; c @2 :Data; } }', 'field-moved')
    })
    it('renaming a group is compatible', () => {
      expectCompatible('struct T { g :group { a @0 :Int32; } }', 'struct T { h :group { a @0 :Int32; } }', 'group-renamed')
    })
  })

  describe('enums', () => {
    const E = 'enum Side { buy @0; sell @1; }'
    it('new enumerant is compatible, removal breaking, rename compatible', () => {
      expectCompatible(E, 'enum Side { buy @0; sell @1; short @2; }', 'enumerant-added')
      expectBreaking(E, 'enum Side { buy @0; }', 'enumerant-removed')
      expectCompatible(E, 'enum Side { bid @0; sell @1; }', 'enumerant-renamed')
    })
  })

  describe('interfaces', () => {
    const I = 'interface Feed { get @0 (ticker :Text) -> (price :Float64); }'
    it('a new method is compatible; removal is breaking; rename is compatible', () => {
      expectCompatible(I, 'interface Feed { get @0 (ticker :Text) -> (price :Float64); stop @1 () -> (); }', 'method-added')
      expectBreaking('interface Feed { get @0 () -> (); other @1 () -> (); }', 'interface Feed { other @0 () -> (); }', 'method-removed')
      expectCompatible(I, I.replace('get', 'fetch'), 'method-renamed')
    })
    it('appending a parameter with a default is compatible, without one breaking', () => {
      expectCompatible(I, I.replace('(ticker :Text)', '(ticker :Text, depth :UInt32 = 10)'), 'parameter-added')
      expectBreaking(I, I.replace('(ticker :Text)', '(ticker :Text, depth :UInt32)'), 'parameter-added-without-default')
    })
    it('renaming a parameter is compatible; changing its type breaking', () => {
      expectCompatible(I, I.replace('ticker', 'symbol'), 'parameter-renamed')
      expectBreaking(I, I.replace('ticker :Text', 'ticker :Data'), 'parameter-type-changed')
    })
    it('new results are compatible; changed result types breaking', () => {
      expectCompatible(I, I.replace('(price :Float64)', '(price :Float64, size :UInt32)'), 'result-added')
      expectBreaking(I, I.replace('price :Float64', 'price :Float32'), 'result-type-changed')
    })
  })

  describe('generics (the rules let a type become generic)', () => {
    const MAP = 'struct Map {\n  entries @0 :List(Entry);\n  struct Entry {\n    key @0 :Text;\n    value @1 :Text;\n  }\n}'
    const GMAP = 'struct Map(Key, Value) {\n  entries @0 :List(Entry);\n  struct Entry {\n    key @0 :Key;\n    value @1 :Value;\n  }\n}'
    const USER = '\nstruct User { m @0 :Map; e @1 :Map.Entry; }'

    it("the rules' own Map example: the body's types become parameters every user binds to them", () => {
      const c = expectCompatible(MAP + USER, GMAP + '\nstruct User { m @0 :Map(Text, Text); e @1 :Map(Text, Text).Entry; }', 'field-type-generic')
      expect(c.find(x => x.path === 'Map.Entry.key')?.note).to.equal('compatible as long as every user of the type binds Key to Text')
      // Map alone: no user here binds it otherwise
      expectCompatible(MAP, GMAP, 'generic-params-added')
    })

    it('the Map example is breaking when a user binds a parameter to another type, or leaves it unbound', () => {
      expectBreaking(MAP + USER, GMAP + '\nstruct User { m @0 :Map(Data, Text); e @1 :Map(Data, Text).Entry; }', 'field-type-changed')
      expectBreaking(MAP + USER, GMAP + USER, 'field-type-changed')
    })

    it('a body type replaced by a parameter the type already had is breaking', () => {
      expectBreaking('struct G(T) { a @0 :Text; b @1 :T; }', 'struct G(T) { a @0 :T; b @1 :T; }', 'field-type-changed')
    })

    it('adding a generic parameter, its users binding it, is compatible; changing a binding breaking', () => {
      const a = 'struct G(A) { a @0 :A; }\nstruct U { g @0 :G(Text); }'
      expectCompatible(a, 'struct G(A, B) { a @0 :A; b @1 :B; }\nstruct U { g @0 :G(Text, Data); }', 'generic-params-added')
      expectBreaking(a, 'struct G(A, B) { a @0 :A; b @1 :B; }\nstruct U { g @0 :G(Data, Data); }', 'field-type-changed')
      expectBreaking(a, 'struct G(A) { a @0 :A; }\nstruct U { g @0 :G(Data); }', 'field-type-changed')
      expectBreaking(a, 'struct G(A) { a @0 :A; }\nstruct U { g @0 :G; }', 'field-type-changed')
    })

    it('a binding of an enclosing scope changed (`G(Text).Inner` to `G(Data).Inner`) is breaking', () => {
      const g = 'struct G(T) { struct Inner { t @0 :T; } }\n'
      expectBreaking(g + 'struct U { i @0 :G(Text).Inner; }', g + 'struct U { i @0 :G(Data).Inner; }', 'field-type-changed')
    })
  })

  describe('defaults compare as values', () => {
    it('`= 0` where the default was already zero is no change; another value is', () => {
      expect(diff('struct A { a @0 :Int32; f @1 :Float64; b @2 :Bool; }', 'struct A { a @0 :Int32 = 0; f @1 :Float64 = 0.0; b @2 :Bool = false; }')).to.deep.equal([])
      expectBreaking('struct A { a @0 :Int32; }', 'struct A { a @0 :Int32 = 1; }', 'default-changed')
      // -0.0 is another value on the wire
      expectBreaking('struct A { f @0 :Float64; }', 'struct A { f @0 :Float64 = -0.0; }', 'default-changed')
    })

    it('an enum default naming a renamed enumerant is the same default; naming another enumerant is not', () => {
      const a = 'enum E { a @0; b @1; }\nstruct S { e @0 :E = b; }'
      const c = expectCompatible(a, 'enum E { a @0; bee @1; }\nstruct S { e @0 :E = bee; }', 'enumerant-renamed')
      expect(c.map(x => x.kind)).to.not.include('default-changed')
      expectBreaking(a, 'enum E { a @0; bee @1; }\nstruct S { e @0 :E = a; }', 'default-changed')
    })

    it('a type change with no default on either side is one change, not a default change too', () => {
      expect(diff(TRADE, TRADE.replace('UInt32', 'Int64')).map(x => x.kind)).to.deep.equal(['field-type-changed'])
    })

    it('struct defaults compare field by field, in any order', () => {
      const t = 'struct P { x @0 :Int32; y @1 :Int32; }\n'
      expect(diff(t + 'struct S { p @0 :P = (x = 1, y = 2); }', t + 'struct S { p @0 :P = (y = 2, x = 1); }')).to.deep.equal([])
      expectBreaking(t + 'struct S { p @0 :P = (x = 1, y = 2); }', t + 'struct S { p @0 :P = (x = 1, y = 3); }', 'default-changed')
    })
  })

  it('compatible_with holds exactly when there is no breaking change', () => {
    const compatibleWith = (a: string, b: string): boolean => breaking(diff(a, b)).length === 0
    expect(compatibleWith(TRADE, TRADE.replace('}', '  side @2 :Text;\n}'))).to.equal(true)
    expect(compatibleWith(TRADE, TRADE.replace('UInt32', 'UInt64'))).to.equal(false)
  })
})
