// Schema metadata and definition-file rules (Cap'n Proto, protobuf, JSON Schema).
import { readFileSync } from 'node:fs'
import { fixture } from '../fixtures/schema/helpers.js'
import { todayUtc } from '../../src/lib/core/dates.js'
import { builtin, EXAMPLE, edited, tester } from './helpers.js'

const TRADE = 'schemas/trade.yaml'
const ORDERBOOK = 'schemas/orderbook.yaml'
const ZERO_HASH = `sha256:${'0'.repeat(64)}`
/** schemas/quote.yaml of `format` with v1 (`v1File`) and v2 (`v2File`), v2 claiming compatibility with v1 unless `claim` is false. */
function quoteYaml(format: string, v1File: string, v2File: string, claim = true): string {
  return [
    'name: quote',
    `format: ${format}`,
    `schema_file: ${v1File}`,
    'versions:',
    '  - version: v1',
    '    effective_from: 2025-01-01',
    '    effective_to: 2025-02-28',
    '    status: active',
    `    hash: ${ZERO_HASH}`,
    '  - version: v2',
    '    effective_from: 2025-03-01',
    '    status: draft',
    `    schema_file: ${v2File}`,
    `    hash: ${ZERO_HASH}`,
    ...(claim ? ['    compatible_with: [v1]'] : []),
    '',
  ].join('\n')
}
const fixtureText = (name: string) => readFileSync(fixture(name), 'utf8')
/** A protobuf schema whose v2 narrows bid from double to float, or only adds a field. */
const protoNarrowed = { 'schemas/quote.proto': fixtureText('quote.proto'), 'schemas/quote-v2.proto': fixtureText('quote-v3-narrow.proto') }
const protoAdded = { 'schemas/quote.proto': fixtureText('quote.proto'), 'schemas/quote-v2.proto': fixtureText('quote-v2.proto') }
const QUOTE = 'schemas/quote.yaml'

/** A Float64 price narrowed to Float32 in v2: a breaking change. */
const narrowed = { 'schemas/trade-v2.capnp': edited('schemas/trade-v2.capnp', 'price @2 :Float64;', 'price @2 :Float32;') }

tester.run('schema/version-overlap', builtin('schema/version-overlap'), {
  valid: [{ name: 'the example schemas', files: {} }],
  invalid: [
    {
      name: 'v1 extended into v2',
      files: { [TRADE]: edited(TRADE, 'effective_to: 2025-05-31', 'effective_to: 2025-06-30') },
      findings: [{ file: TRADE, line: 11, column: 21, severity: 'error', message: 'v2 overlaps v1 (both cover 2025-06-01); start v2 after 2025-06-30' }],
    },
  ],
})

tester.run('schema/file-missing', builtin('schema/file-missing'), {
  valid: [{ name: 'the example schemas', files: {} }],
  invalid: [
    {
      name: 'the definition file was removed',
      files: { 'schemas/orderbook.capnp': null },
      findings: [
        {
          file: ORDERBOOK,
          line: 3,
          column: 14,
          severity: 'error',
          message: 'definition file schemas/orderbook.capnp does not exist (referenced by v1); add the file or fix the path',
        },
      ],
    },
    {
      name: 'a per-version file that does not exist',
      files: { [TRADE]: edited(TRADE, 'schema_file: trade-v2.capnp', 'schema_file: trade-v3.capnp') },
      findings: [
        { file: TRADE, line: 13, column: 18, severity: 'error', message: 'definition file schemas/trade-v3.capnp does not exist (referenced by v2); add the file or fix the path' },
      ],
    },
    {
      name: 'a path that names a folder',
      files: { 'schemas/defs/level.capnp': EXAMPLE['schemas/orderbook.capnp'], [ORDERBOOK]: edited(ORDERBOOK, 'schema_file: orderbook.capnp', 'schema_file: defs') },
      findings: [{ file: ORDERBOOK, line: 3, column: 14, severity: 'error', message: 'definition path schemas/defs is not a file' }],
    },
  ],
})

tester.run('schema/path-escape', builtin('schema/path-escape'), {
  valid: [{ name: 'the example schemas', files: {} }],
  invalid: [
    {
      name: 'climbing out of schemas/',
      files: { [ORDERBOOK]: edited(ORDERBOOK, 'schema_file: orderbook.capnp', 'schema_file: ../feeds/kalshi.yaml') },
      findings: [
        {
          file: ORDERBOOK,
          line: 3,
          column: 14,
          severity: 'error',
          message: "definition path '../feeds/kalshi.yaml' leaves schemas/ with '..'; keep definition files inside schemas/",
        },
      ],
    },
    {
      name: 'an absolute path',
      files: { [ORDERBOOK]: edited(ORDERBOOK, 'schema_file: orderbook.capnp', 'schema_file: /etc/passwd') },
      findings: [{ file: ORDERBOOK, line: 3, column: 14, severity: 'error', message: "definition path '/etc/passwd' is absolute; use a path relative to schemas/" }],
    },
  ],
})

tester.run('schema/hash-mismatch', builtin('schema/hash-mismatch'), {
  valid: [
    { name: 'the example schemas', files: {} },
    { name: 'a hash that is not sha256:<hex> is the contract’s finding', files: { [ORDERBOOK]: EXAMPLE[ORDERBOOK].replace(/hash: \S+/, 'hash: md5:abc') } },
  ],
  invalid: [
    {
      name: 'the definition changed after hashing',
      files: { 'schemas/orderbook.capnp': edited('schemas/orderbook.capnp', 'sequence @2', 'seq @2') },
      findings: [
        {
          file: ORDERBOOK,
          line: 8,
          column: 11,
          severity: 'error',
          message:
            "hash of v1 does not match schemas/orderbook.capnp: stored sha256:9cb44209751d6866edf4df3b2a019f7a585630db9412fd96dad5c25497dd76c1, file has sha256:b621ca40fe5a11358182da3d969433d4b89ef1cf17fb05c335a7f02660c2f49a; run 'ssmd schema hash orderbook' if the change is intended",
        },
      ],
    },
  ],
})

tester.run('schema/parse', builtin('schema/parse'), {
  valid: [{ name: 'the example definitions', files: {} }],
  invalid: [
    {
      name: 'an unknown Cap’n Proto type, located in the .capnp file',
      files: { 'schemas/orderbook.capnp': edited('schemas/orderbook.capnp', 'price @0 :Float64;', 'price @0 :Float65;') },
      findings: [{ file: 'schemas/orderbook.capnp', line: 5, column: 13, severity: 'error', message: 'Not defined: Float65' }],
    },
    {
      name: 'protobuf and JSON Schema definitions',
      files: {
        'schemas/quote.proto': 'syntax = "proto3";\nmessage Quote {\n  string ticker = 1\n}\n',
        'schemas/quote.yaml': `name: quote\nformat: protobuf\nschema_file: quote.proto\nversions:\n  - version: v1\n    effective_from: 2025-01-01\n    status: active\n    hash: ${ZERO_HASH}\n`,
        'schemas/json/bar.json': '{"type": "object", "properties": {"a": {"type": "nonsense"}}}',
        'schemas/bar.yaml': `name: bar\nformat: json_schema\nschema_file: json/bar.json\nversions:\n  - version: v1\n    effective_from: 2025-01-01\n    status: active\n    hash: ${ZERO_HASH}\n`,
      },
      findings: [
        {
          file: 'schemas/json/bar.json',
          line: 1,
          column: 1,
          severity: 'error',
          message:
            'not a valid JSON Schema: /properties/a/type must be equal to one of the allowed values; /properties/a/type must be array; /properties/a/type must match a schema in anyOf',
        },
        { file: 'schemas/quote.proto', line: 4, column: 1, severity: 'error', message: "protobuf: unexpected token '}', ';' expected (line 4)" },
      ],
    },
  ],
})

tester.run('schema/compat-claim', builtin('schema/compat-claim'), {
  valid: [
    { name: 'v2 really is compatible with v1', files: {} },
    { name: 'no claim, no check', files: { ...narrowed, [TRADE]: edited(TRADE, '    compatible_with: [v1]\n', '') } },
    { name: 'a protobuf v2 that only adds a field', files: { ...protoAdded, [QUOTE]: quoteYaml('protobuf', 'quote.proto', 'quote-v2.proto') } },
    {
      name: 'a JSON Schema v2 that is the same JSON, reformatted',
      files: {
        'schemas/quote.json': fixtureText('quote.json'),
        'schemas/quote-v2.json': JSON.stringify(JSON.parse(fixtureText('quote.json'))),
        [QUOTE]: quoteYaml('json_schema', 'quote.json', 'quote-v2.json'),
      },
    },
  ],
  invalid: [
    {
      name: 'a claim the definitions contradict',
      files: narrowed,
      findings: [
        {
          file: TRADE,
          line: 15,
          column: 23,
          severity: 'error',
          message:
            'v2 is not compatible with v1: field Trade.price @2 type changed from Float64 to Float32 (schemas/trade-v2.capnp:8:3); field Trade.quantity @3 moved on the wire from data bytes 16-19 to data bytes 12-15: old readers would read it elsewhere (schemas/trade-v2.capnp:9:3); field Trade.side @4 moved on the wire from data bytes 20-21 to data bytes 16-17: old readers would read it elsewhere (schemas/trade-v2.capnp:10:3)',
        },
      ],
    },
    {
      name: 'a protobuf claim the definitions contradict (double narrowed to float)',
      files: { ...protoNarrowed, [QUOTE]: quoteYaml('protobuf', 'quote.proto', 'quote-v2.proto') },
      findings: [
        {
          file: QUOTE,
          line: 15,
          column: 23,
          severity: 'error',
          message: 'v2 is not compatible with v1: field Quote.bid = 2 type changed from double to float (schemas/quote-v2.proto:7:3)',
        },
      ],
    },
    {
      name: 'a JSON Schema claim across a change, which cannot be checked',
      files: {
        'schemas/quote.json': fixtureText('quote.json'),
        'schemas/quote-v2.json': fixtureText('quote-v2.json'),
        [QUOTE]: quoteYaml('json_schema', 'quote.json', 'quote-v2.json'),
      },
      findings: [
        {
          file: QUOTE,
          line: 15,
          column: 23,
          severity: 'error',
          message:
            'compatible_with names v1, but schemas/quote.json and schemas/quote-v2.json differ, and a change to a JSON Schema cannot be checked for compatibility; remove the claim and describe what breaks in breaking_changes',
        },
      ],
    },
    {
      name: 'a claim naming no version, and one naming a newer version',
      files: { [TRADE]: edited(TRADE, 'compatible_with: [v1]', 'compatible_with: [v0, v2]') },
      findings: [
        { file: TRADE, line: 15, column: 23, severity: 'error', message: "compatible_with names 'v0', which is not a version of schema 'trade'" },
        { file: TRADE, line: 15, column: 27, severity: 'error', message: "compatible_with names 'v2', which is not older than v2" },
      ],
    },
  ],
})

tester.run('schema/undocumented-break', builtin('schema/undocumented-break'), {
  valid: [
    { name: 'a compatible evolution', files: {} },
    { name: 'a documented break', files: { ...narrowed, [TRADE]: edited(TRADE, '    compatible_with: [v1]\n', '    breaking_changes: price is now Float32\n') } },
    { name: 'a protobuf v2 that only adds a field', files: { ...protoAdded, [QUOTE]: quoteYaml('protobuf', 'quote.proto', 'quote-v2.proto', false) } },
    {
      name: 'a JSON Schema change, which cannot be classified',
      files: {
        'schemas/quote.json': fixtureText('quote.json'),
        'schemas/quote-v2.json': fixtureText('quote-v2.json'),
        [QUOTE]: quoteYaml('json_schema', 'quote.json', 'quote-v2.json', false),
      },
    },
  ],
  invalid: [
    {
      name: 'an unexplained break',
      files: { ...narrowed, [TRADE]: edited(TRADE, '    compatible_with: [v1]\n', '') },
      findings: [
        {
          file: TRADE,
          line: 10,
          column: 5,
          severity: 'warning',
          message: 'v2 breaks compatibility with v1 (3 breaking changes, first: field Trade.price @2 type changed from Float64 to Float32) but has no breaking_changes text',
        },
      ],
    },
    {
      name: 'an unexplained protobuf break',
      files: { ...protoNarrowed, [QUOTE]: quoteYaml('protobuf', 'quote.proto', 'quote-v2.proto', false) },
      findings: [
        {
          file: QUOTE,
          line: 10,
          column: 5,
          severity: 'warning',
          message: 'v2 breaks compatibility with v1 (1 breaking change, first: field Quote.bid = 2 type changed from double to float) but has no breaking_changes text',
        },
      ],
    },
  ],
})

tester.run('schema/no-current-version', builtin('schema/no-current-version'), {
  valid: [{ name: 'the example schemas (each has an open-ended version)', files: {} }],
  invalid: [
    {
      name: 'the only version ended',
      files: { [ORDERBOOK]: edited(ORDERBOOK, '    effective_from: 2025-01-01\n', '    effective_from: 2025-01-01\n    effective_to: 2025-03-31\n') },
      findings: [
        {
          file: ORDERBOOK,
          line: 7,
          column: 19,
          severity: 'warning',
          message: `no version of schema 'orderbook' is in effect today (${todayUtc()}): v1 ended 2025-03-31; add a version (ssmd schema add-version orderbook --file <file> --effective-from ${todayUtc()}) or reopen v1 (ssmd schema update-version orderbook:v1 --no-effective-to)`,
        },
      ],
    },
    {
      name: 'the first version starts later',
      files: { [ORDERBOOK]: edited(ORDERBOOK, '    effective_from: 2025-01-01\n', '    effective_from: 2999-01-01\n') },
      findings: [
        {
          file: ORDERBOOK,
          line: 6,
          column: 21,
          severity: 'warning',
          message: `no version of schema 'orderbook' is in effect today (${todayUtc()}): v1 starts 2999-01-01; start it earlier (ssmd schema update-version orderbook:v1 --effective-from ${todayUtc()})`,
        },
      ],
    },
  ],
})
