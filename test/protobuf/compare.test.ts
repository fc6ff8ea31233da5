import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SchemaChange } from '../../src/lib/core/schema-change.js'
import { buildProtoModel, compareProtobuf, locateProto } from '../../src/lib/protobuf/index.js'

type Syntax = 'proto2' | 'proto3'

/** A whole .proto file: syntax, package `md`, then `body` from line 4. */
const proto = (body: string, syntax: Syntax = 'proto3', pkg = 'md') => `syntax = "${syntax}";\npackage ${pkg};\n\n${body}\n`

function diff(a: string, b: string): SchemaChange[] {
  return compareProtobuf(buildProtoModel(a, 'old.proto'), buildProtoModel(b, 'new.proto'))
}

interface Case {
  name: string
  syntax?: Syntax
  old: string
  new: string
  /** kinds expected among the breaking changes (exactly these), or none */
  breaking?: string[]
  /** a kind expected among the compatible changes */
  compatible?: string
  /** a kind expected among the info changes */
  info?: string
  /** `file:line:col` of the first breaking change (else of the first change) */
  at?: string
  /** text the first reported change's message contains */
  message?: string
}

const QUOTE = 'message Quote {\n  uint64 timestamp_ns = 1;\n  double bid = 2;\n  double ask = 3;\n  string ticker = 4;\n}'
const QUOTE2 = 'message Quote {\n  optional uint64 timestamp_ns = 1;\n  optional double bid = 2;\n  optional string ticker = 4;\n}'
const SIDE = 'enum Side {\n  SIDE_UNSPECIFIED = 0;\n  BUY = 1;\n  SELL = 2;\n}'
const field = (type: string, extra = '') => `message M {\n  ${type} x = 1${extra};\n  string keep = 2;\n}`
/** `field` for proto2, where every field has a label. */
const field2 = (type: string, extra = '') => field(type, extra).replace('  string keep', '  optional string keep')
const SERVICE = `message Req { string id = 1; }\nmessage Res { string id = 1; }\nmessage Other { string id = 1; }\nservice Quotes {\n  rpc Get(Req) returns (Res);\n  rpc Watch(Req) returns (stream Res);\n}`

const CASES: Case[] = [
  // FIELD_WIRE_COMPATIBLE_TYPE
  {
    name: 'double → float is breaking (64-bit vs 32-bit)',
    old: QUOTE,
    new: QUOTE.replace('double bid', 'float bid'),
    breaking: ['field-type-changed'],
    at: 'new.proto:6:3',
    message: 'field Quote.bid = 2 type changed from double to float',
  },
  { name: 'float → fixed32 is breaking (same size, other meaning)', old: field('float'), new: field('fixed32'), breaking: ['field-type-changed'] },
  { name: 'int32 → int64 is wire-compatible', old: field('int32'), new: field('int64'), compatible: 'field-type-wire-compatible' },
  { name: 'uint64 → bool is wire-compatible (varint)', old: field('uint64'), new: field('bool'), compatible: 'field-type-wire-compatible' },
  { name: 'int32 → sint32 is breaking (zigzag encoding)', old: field('int32'), new: field('sint32'), breaking: ['field-type-changed'] },
  { name: 'sint32 → sint64 is wire-compatible', old: field('sint32'), new: field('sint64'), compatible: 'field-type-wire-compatible' },
  { name: 'fixed32 → sfixed32 is wire-compatible', old: field('fixed32'), new: field('sfixed32'), compatible: 'field-type-wire-compatible' },
  { name: 'fixed64 → fixed32 is breaking', old: field('fixed64'), new: field('fixed32'), breaking: ['field-type-changed'] },
  { name: 'string → bytes is wire-compatible', old: field('string'), new: field('bytes'), compatible: 'field-type-wire-compatible' },
  { name: 'string → int32 is breaking', old: field('string'), new: field('int32'), breaking: ['field-type-changed'] },
  { name: 'enum → int32 is wire-compatible', old: `${SIDE}\n${field('Side')}`, new: `${SIDE}\n${field('int32')}`, compatible: 'field-type-wire-compatible' },
  { name: 'enum → string is breaking', old: `${SIDE}\n${field('Side')}`, new: `${SIDE}\n${field('string')}`, breaking: ['field-type-changed'] },
  {
    name: 'a message field retyped to another message is breaking',
    old: `message A { int32 a = 1; }\nmessage B { int32 a = 1; }\n${field('A')}`,
    new: `message A { int32 a = 1; }\nmessage B { int32 a = 1; }\n${field('B')}`,
    breaking: ['field-type-changed'],
  },
  {
    name: 'a type referenced by a shorter or longer name is the same type',
    old: `message Outer {\n  message Inner { int32 a = 1; }\n  Inner x = 1;\n}`,
    new: `message Outer {\n  message Inner { int32 a = 1; }\n  .md.Outer.Inner x = 1;\n}`,
  },
  {
    name: 'a field type changed in a nested message is located in the new file',
    old: `message Outer {\n  message Inner {\n    double px = 1;\n  }\n  Inner inner = 1;\n}`,
    new: `message Outer {\n  // the price\n  message Inner {\n    float px = 1;\n  }\n  Inner inner = 1;\n}`,
    breaking: ['field-type-changed'],
    at: 'new.proto:7:5',
    message: 'field Outer.Inner.px = 1 type changed from double to float',
  },
  // fields added, deleted, renumbered, renamed
  { name: 'adding a field is compatible', old: QUOTE, new: QUOTE.replace('}', '  uint32 bid_size = 5;\n}'), compatible: 'field-added', at: 'new.proto:9:3' },
  {
    name: 'adding a required field is breaking (proto2)',
    syntax: 'proto2',
    old: QUOTE2,
    new: QUOTE2.replace('}', '  required uint32 bid_size = 5;\n}'),
    breaking: ['required-field-added'],
  },
  { name: 'deleting a field is breaking, located in the old file', old: QUOTE, new: QUOTE.replace('  double ask = 3;\n', ''), breaking: ['field-removed'], at: 'old.proto:7:3' },
  {
    name: 'deleting a field whose number is reserved is compatible',
    old: QUOTE,
    new: QUOTE.replace('  double ask = 3;\n', '  reserved 3;\n  reserved "ask";\n'),
    compatible: 'field-removed-reserved',
  },
  {
    name: 'renumbering a field is breaking',
    old: QUOTE,
    new: QUOTE.replace('ticker = 4', 'ticker = 5'),
    breaking: ['field-renumbered'],
    message: 'field Quote.ticker renumbered from 4 to 5',
  },
  { name: 'renaming a field is info (JSON sees names)', old: QUOTE, new: QUOTE.replace('ticker', 'symbol'), info: 'field-renamed' },
  { name: 'changing json_name is info', old: QUOTE, new: QUOTE.replace('ticker = 4', 'ticker = 4 [json_name = "sym"]'), info: 'field-json-name-changed' },
  // FIELD_WIRE_COMPATIBLE_CARDINALITY
  { name: 'singular → repeated is breaking', old: field('int64'), new: field('repeated int64'), breaking: ['field-cardinality-changed'] },
  { name: 'implicit → optional presence is compatible (proto3)', old: field('int64'), new: field('optional int64'), compatible: 'field-presence-changed' },
  { name: 'optional → required is breaking (proto2)', syntax: 'proto2', old: field2('optional int64'), new: field2('required int64'), breaking: ['field-cardinality-changed'] },
  { name: 'required → optional is breaking (proto2)', syntax: 'proto2', old: field2('required int64'), new: field2('optional int64'), breaking: ['field-cardinality-changed'] },
  // FIELD_SAME_DEFAULT
  {
    name: 'changing a default is breaking (proto2)',
    syntax: 'proto2',
    old: field2('optional int64', ' [default = 1]'),
    new: field2('optional int64', ' [default = 2]'),
    breaking: ['field-default-changed'],
  },
  { name: 'an unchanged default is no change (proto2)', syntax: 'proto2', old: field2('optional int64', ' [default = 1]'), new: field2('optional int64', ' [default = 1]') },
  // FIELD_SAME_ONEOF
  {
    name: 'moving a field into an existing oneof is breaking',
    old: 'message M {\n  int32 a = 1;\n  oneof o {\n    int32 b = 2;\n  }\n}',
    new: 'message M {\n  oneof o {\n    int32 a = 1;\n    int32 b = 2;\n  }\n}',
    breaking: ['field-oneof-changed'],
  },
  {
    name: 'moving one field into a new oneof is compatible',
    old: 'message M {\n  int32 a = 1;\n  int32 b = 2;\n}',
    new: 'message M {\n  int32 b = 2;\n  oneof o {\n    int32 a = 1;\n    string c = 3;\n  }\n}',
    compatible: 'field-moved-into-new-oneof',
  },
  {
    name: 'moving two fields into a new oneof is breaking',
    old: 'message M {\n  int32 a = 1;\n  int32 b = 2;\n}',
    new: 'message M {\n  oneof o {\n    int32 a = 1;\n    int32 b = 2;\n  }\n}',
    breaking: ['field-oneof-changed', 'field-oneof-changed'],
  },
  {
    name: 'moving a field out of a oneof is breaking',
    old: 'message M {\n  oneof o {\n    int32 a = 1;\n    int32 b = 2;\n  }\n}',
    new: 'message M {\n  int32 a = 1;\n  oneof o {\n    int32 b = 2;\n  }\n}',
    breaking: ['field-oneof-changed'],
  },
  {
    name: 'renaming a oneof is info',
    old: 'message M {\n  oneof o {\n    int32 a = 1;\n    int32 b = 2;\n  }\n}',
    new: 'message M {\n  oneof choice {\n    int32 a = 1;\n    int32 b = 2;\n  }\n}',
    info: 'oneof-renamed',
  },
  // maps
  { name: 'a map value int32 → int64 is wire-compatible', old: field('map<string, int32>'), new: field('map<string, int64>'), compatible: 'field-type-wire-compatible' },
  { name: 'a map key int32 → string is breaking', old: field('map<int32, string>'), new: field('map<string, string>'), breaking: ['field-type-changed'] },
  {
    name: 'a map → repeated message is breaking',
    old: `message E { string key = 1; int32 value = 2; }\n${field('map<string, int32>')}`,
    new: `message E { string key = 1; int32 value = 2; }\n${field('repeated E')}`,
    breaking: ['field-type-changed'],
  },
  // groups (proto2)
  {
    name: 'a group → message field is breaking (start/end-group vs length-delimited)',
    syntax: 'proto2',
    old: 'message M {\n  optional group Leg = 1 {\n    optional int32 a = 2;\n  }\n}',
    new: 'message M {\n  message Leg {\n    optional int32 a = 2;\n  }\n  optional Leg leg = 1;\n}',
    breaking: ['field-type-changed'],
  },
  // declarations
  { name: 'identical files have no changes', old: `${QUOTE}\n${SIDE}`, new: `${QUOTE}\n${SIDE}` },
  {
    name: 'reordering declarations and fields, comments and options are not changes',
    old: `${QUOTE}\n${SIDE}`,
    new: `// sides\n${SIDE}\n/* quotes */\nmessage Quote {\n  string ticker = 4; // symbol\n  double ask = 3;\n  double bid = 2 [deprecated = true];\n  uint64 timestamp_ns = 1;\n}`,
  },
  { name: 'deleting a message is breaking', old: `${QUOTE}\nmessage Trade { double px = 1; }`, new: QUOTE, breaking: ['message-removed'], at: 'old.proto:10:1' },
  { name: 'adding a message is compatible', old: QUOTE, new: `${QUOTE}\nmessage Trade { double px = 1; }`, compatible: 'message-added' },
  {
    name: 'deleting a nested message is breaking',
    old: 'message O {\n  message I { int32 a = 1; }\n}',
    new: 'message O {\n}',
    breaking: ['message-removed'],
    message: 'message O.I removed',
  },
  { name: 'changing the package is breaking, once', old: proto(QUOTE), new: proto(QUOTE, 'proto3', 'md.v2'), breaking: ['package-changed'], at: 'new.proto:2:1' },
  {
    name: 'changing the syntax is breaking',
    old: proto(QUOTE2, 'proto2'),
    new: proto(QUOTE2.replace(/optional /g, ''), 'proto3'),
    breaking: ['syntax-changed'],
    compatible: 'field-presence-changed',
    at: 'new.proto:1:1',
  },
  // enums
  { name: 'deleting an enum value is breaking', old: SIDE, new: SIDE.replace('  SELL = 2;\n', ''), breaking: ['enum-value-removed'], at: 'old.proto:7:3' },
  {
    name: 'deleting an enum value whose number is reserved is compatible',
    old: SIDE,
    new: SIDE.replace('  SELL = 2;\n', '  reserved 2;\n'),
    compatible: 'enum-value-removed-reserved',
  },
  { name: 'adding an enum value is compatible', old: SIDE, new: SIDE.replace('}', '  CROSS = 3;\n}'), compatible: 'enum-value-added' },
  { name: 'renaming an enum value is info', old: SIDE, new: SIDE.replace('BUY', 'BID'), info: 'enum-value-renamed' },
  { name: 'renumbering an enum value is breaking', old: SIDE, new: SIDE.replace('SELL = 2', 'SELL = 3'), breaking: ['enum-value-renumbered'] },
  { name: 'deleting an enum is breaking', old: `${QUOTE}\n${SIDE}`, new: QUOTE, breaking: ['enum-removed'] },
  {
    name: 'an alias added to an enum value is no break (proto2)',
    syntax: 'proto2',
    old: 'enum E {\n  A = 0;\n  B = 1;\n}',
    new: 'enum E {\n  option allow_alias = true;\n  A = 0;\n  B = 1;\n  BB = 1;\n}',
  },
  // RESERVED_MESSAGE_NO_DELETE / RESERVED_ENUM_NO_DELETE
  {
    name: 'un-reserving a field number is breaking',
    old: 'message M {\n  reserved 2, 5 to 9;\n  int32 a = 1;\n}',
    new: 'message M {\n  reserved 2, 5 to 6;\n  int32 a = 1;\n  int32 b = 7;\n}',
    breaking: ['reserved-range-removed'],
    message: 'reserved numbers 7 to 9 of message M no longer reserved',
  },
  {
    name: 'un-reserving a field name is breaking',
    old: 'message M {\n  reserved "old";\n  int32 a = 1;\n}',
    new: 'message M {\n  int32 a = 1;\n}',
    breaking: ['reserved-name-removed'],
  },
  { name: 'widening a reserved range is no break', old: 'message M {\n  reserved 5 to 9;\n}', new: 'message M {\n  reserved 4 to 20, 30;\n}' },
  { name: 'un-reserving an enum number is breaking', old: 'enum E {\n  A = 0;\n  reserved 3;\n}', new: 'enum E {\n  A = 0;\n  C = 3;\n}', breaking: ['reserved-range-removed'] },
  // extensions (proto2)
  {
    name: 'removing an extension range is breaking (proto2)',
    syntax: 'proto2',
    old: 'message M {\n  optional int32 a = 1;\n  extensions 100 to 199;\n}',
    new: 'message M {\n  optional int32 a = 1;\n  extensions 100 to 149;\n}',
    breaking: ['extension-range-removed'],
  },
  {
    name: 'retyping an extension is breaking (proto2)',
    syntax: 'proto2',
    old: 'message M {\n  extensions 100 to 199;\n}\nextend M {\n  optional double ext = 100;\n}',
    new: 'message M {\n  extensions 100 to 199;\n}\nextend M {\n  optional float ext = 100;\n}',
    breaking: ['extension-type-changed'],
    at: 'new.proto:8:3',
  },
  // services
  { name: 'deleting an rpc is breaking', old: SERVICE, new: SERVICE.replace('  rpc Get(Req) returns (Res);\n', ''), breaking: ['rpc-removed'] },
  { name: "changing an rpc's request type is breaking", old: SERVICE, new: SERVICE.replace('Get(Req)', 'Get(Other)'), breaking: ['rpc-request-type-changed'] },
  { name: 'making an rpc stream is breaking', old: SERVICE, new: SERVICE.replace('returns (Res)', 'returns (stream Res)'), breaking: ['rpc-response-streaming-changed'] },
  { name: 'adding an rpc is compatible', old: SERVICE, new: `${SERVICE.slice(0, -1)}  rpc List(Req) returns (stream Res);\n}`, compatible: 'rpc-added' },
  { name: 'deleting a service is breaking', old: SERVICE, new: SERVICE.slice(0, SERVICE.indexOf('service')), breaking: ['service-removed'] },
]

/** The whole file of a case's side (already whole when it starts with `syntax`). */
const sourceOf = (c: Case, side: 'old' | 'new') => (c[side].startsWith('syntax') ? c[side] : proto(c[side], c.syntax))

describe('protobuf: structural compare (Buf WIRE rules)', () => {
  it('covers at least 30 cases, breaking and compatible, proto2 and proto3', () => {
    expect(CASES.length).to.be.at.least(30)
    expect(CASES.filter(c => c.breaking?.length).length).to.be.at.least(15)
    expect(CASES.filter(c => c.compatible).length).to.be.at.least(10)
    expect(CASES.filter(c => c.syntax === 'proto2').length).to.be.at.least(5)
  })

  for (const c of CASES) {
    it(c.name, () => {
      const changes = diff(sourceOf(c, 'old'), sourceOf(c, 'new'))
      const show = JSON.stringify(changes, null, 1)
      const breaking = changes.filter(x => x.severity === 'breaking')
      expect(
        breaking.map(x => x.kind),
        show,
      ).to.deep.equal(c.breaking ?? [])
      if (c.compatible)
        expect(
          changes.filter(x => x.severity === 'compatible').map(x => x.kind),
          show,
        ).to.include(c.compatible)
      if (c.info)
        expect(
          changes.filter(x => x.severity === 'info').map(x => x.kind),
          show,
        ).to.include(c.info)
      if (!c.breaking && !c.compatible && !c.info) expect(changes, show).to.deep.equal([])
      const first = breaking[0] ?? changes[0]
      if (c.at) expect(`${first.file}:${first.line}:${first.column}`, show).to.equal(c.at)
      if (c.message) expect(first.message, show).to.contain(c.message)
    })
  }

  it('every source in the table is a valid .proto file for protoc (slow)', function () {
    const version = spawnSync('protoc', ['--version'], { encoding: 'utf8' })
    if (version.status !== 0) {
      console.warn('      SKIPPED: protoc is not on PATH; install it (apt-get install protobuf-compiler) to check the table against it')
      this.skip()
    }
    const dir = mkdtempSync(join(tmpdir(), 'ssmd-proto-'))
    try {
      CASES.forEach((c, i) => {
        for (const side of ['old', 'new'] as const) {
          const file = `case${i}_${side}.proto`
          writeFileSync(join(dir, file), sourceOf(c, side))
          const r = spawnSync('protoc', ['-I', dir, '--descriptor_set_out=/dev/null', file], { encoding: 'utf8' })
          expect(r.status, `${c.name} (${side}):\n${sourceOf(c, side)}\n${r.stderr}`).to.equal(0)
        }
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('protobuf: declaration positions', () => {
  it('finds fields, values, rpcs and nested types at their first token, past comments and strings', () => {
    const at = locateProto(
      [
        'syntax = "proto3"; // message Fake { int32 no = 1; }',
        'package md.v1;',
        '/* message Fake2 {',
        '   int32 no = 1; } */',
        'message Quote {',
        '  string ticker = 1 [json_name = "t = 2"];',
        '  oneof side { int32 a = 2; string b = 3; }',
        '  map<string, int32> m = 4;',
        '  message Leg { repeated double px = 1; }',
        '}',
        'enum Side { SIDE_UNSPECIFIED = 0; BUY = 1; }',
        'service S {',
        '  rpc Get(Quote) returns (Quote) { option deprecated = true; }',
        '}',
      ].join('\n'),
    )
    const pos = (key: string) => {
      const p = at.get(key)
      return p && `${p.line}:${p.column}`
    }
    expect(pos('syntax')).to.equal('1:1')
    expect(pos('package')).to.equal('2:1')
    expect(pos('type:.md.v1.Fake')).to.equal(undefined)
    expect(pos('type:.md.v1.Quote')).to.equal('5:1')
    expect(pos('field:.md.v1.Quote.ticker')).to.equal('6:3')
    expect(pos('oneof:.md.v1.Quote.side')).to.equal('7:3')
    expect(pos('field:.md.v1.Quote.a')).to.equal('7:16')
    expect(pos('field:.md.v1.Quote.b')).to.equal('7:29')
    expect(pos('field:.md.v1.Quote.m')).to.equal('8:3')
    expect(pos('field:.md.v1.Quote.Leg.px')).to.equal('9:17')
    expect(pos('value:.md.v1.Side.BUY')).to.equal('11:35')
    expect(pos('rpc:.md.v1.S.Get')).to.equal('13:3')
  })
})
