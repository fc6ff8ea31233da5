/** Malformed and hostile YAML, each with the rule that must report it. */
export interface HostileCase {
  name: string
  content: string | Uint8Array
  /** The rule expected on the file; undefined: any located finding (wrong types etc.). */
  rule?: string
  /** Expected message fragment. */
  message?: RegExp
}

function laughs(levels: number, width: number): string {
  let out = `l0: &l0 [${Array(width).fill('"lol"').join(', ')}]\n`
  for (let k = 1; k <= levels; k++)
    out += `l${k}: &l${k} [${Array(width)
      .fill(`*l${k - 1}`)
      .join(', ')}]\n`
  return out
}

/** The anchor of each level is followed by a decoy anchor, which fools estimates that attribute aliases to the last anchor seen. */
function laughsWithDecoys(levels: number, width: number): string {
  let out = `l0: &l0 [${Array(width).fill('x').join(', ')}]\n`
  for (let k = 1; k <= levels; k++)
    out += `l${k}: &l${k} [&d${k} 0, ${Array(width)
      .fill(`*l${k - 1}`)
      .join(', ')}]\n`
  return out
}

export const HOSTILE_CASES: HostileCase[] = [
  { name: 'unclosed-flow', content: 'name: [a, b\ntype: rest\n', rule: 'yaml/syntax', message: /invalid YAML/ },
  { name: 'bad-indent', content: 'name: x\n  type: rest\n versions: []\n', rule: 'yaml/syntax' },
  { name: 'unclosed-quote', content: 'name: "x\ntype: rest\n', rule: 'yaml/syntax' },
  { name: 'tab-indent', content: 'name: x\nversions:\n\t- version: v1\n', rule: 'yaml/syntax', message: /tab/ },
  { name: 'duplicate-key', content: 'name: x\ntype: rest\nname: y\n', rule: 'yaml/syntax', message: /duplicate key/ },
  { name: 'duplicate-nested-key', content: 'name: x\ncalendar:\n  timezone: UTC\n  timezone: UTC\n', rule: 'yaml/syntax', message: /duplicate key/ },
  { name: 'undefined-alias', content: 'name: *nope\n', rule: 'yaml/syntax', message: /alias/ },
  { name: 'js-function', content: 'name: !!js/function "function () { return process.exit(3) }"\n', rule: 'yaml/unsafe', message: /!!js\/function/ },
  { name: 'js-regexp', content: 'name: !!js/regexp /x/\n', rule: 'yaml/unsafe', message: /!!js\/regexp/ },
  { name: 'js-undefined', content: 'name: !!js/undefined ""\n', rule: 'yaml/unsafe' },
  { name: 'local-tag', content: 'name: !foo bar\n', rule: 'yaml/unsafe', message: /!foo/ },
  { name: 'tag-on-mapping', content: 'calendar: !foo {timezone: UTC}\n', rule: 'yaml/unsafe', message: /!foo/ },
  { name: 'binary-tag', content: 'name: !!binary aGVsbG8=\n', rule: 'yaml/unsafe' },
  { name: 'timestamp-tag', content: 'name: !!timestamp 2025-01-01\n', rule: 'yaml/unsafe' },
  { name: 'python-tag', content: 'name: !!python/object/apply:os.system ["id"]\n', rule: 'yaml/unsafe' },
  { name: 'tag-directive', content: '%TAG !e! tag:example.com,2000:\n---\nname: !e!thing x\n', rule: 'yaml/unsafe' },
  { name: 'two-documents', content: 'name: x\n---\nname: y\n', rule: 'yaml/syntax', message: /more than one YAML document/ },
  { name: 'two-documents-end', content: 'name: x\n...\n---\nname: y\n', rule: 'yaml/syntax', message: /more than one YAML document/ },
  { name: 'alias-bomb', content: laughs(9, 9), rule: 'yaml/unsafe', message: /billion laughs/ },
  { name: 'alias-bomb-decoys', content: laughsWithDecoys(12, 10), rule: 'yaml/unsafe', message: /billion laughs/ },
  {
    name: 'alias-bomb-maps',
    content:
      'a: &a {x: 1, y: 2, z: 3}\n' +
      Array.from(
        { length: 10 },
        (_, k) => `m${k + 1}: &m${k + 1} {p: *${k === 0 ? 'a' : `m${k}`}, q: *${k === 0 ? 'a' : `m${k}`}, r: *${k === 0 ? 'a' : `m${k}`}, s: *${k === 0 ? 'a' : `m${k}`}}\n`,
      ).join(''),
    rule: 'yaml/unsafe',
    message: /billion laughs/,
  },
  { name: 'recursive-alias-seq', content: 'name: x\nversions: &v [*v]\n', rule: 'yaml/unsafe', message: /recursive/ },
  { name: 'recursive-alias-map', content: 'name: x\nx-loop: &m\n  self: *m\n', rule: 'yaml/unsafe', message: /recursive/ },
  { name: 'deep-flow', content: 'name: ' + '['.repeat(20000) + ']'.repeat(20000) + '\n', message: /nest/ },
  { name: 'deep-block', content: Array.from({ length: 1000 }, (_, i) => ' '.repeat(i) + `k${i}:`).join('\n') + ' 1\n' },
  { name: 'deep-seq', content: Array.from({ length: 1000 }, (_, i) => ' '.repeat(i * 2) + '-').join('\n') + ' 1\n' },
  { name: 'huge', content: 'name: x\n' + '# padding\n'.repeat(110000), rule: 'yaml/unsafe', message: /1 MiB/ },
  { name: 'huge-value', content: 'name: ' + 'a'.repeat(1024 * 1024) + '\n', rule: 'yaml/unsafe', message: /1 MiB/ },
  { name: 'invalid-utf8', content: Uint8Array.from([...Buffer.from('name: caf'), 0xe9, 0x0a]), rule: 'yaml/unsafe', message: /UTF-8/ },
  { name: 'binary', content: Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256), rule: 'yaml/unsafe' },
  { name: 'nul-bytes', content: 'name: x\u0000\ntype: rest\n', rule: 'yaml/unsafe', message: /NUL/ },
  { name: 'utf16', content: Uint8Array.from([0xff, 0xfe, ...Buffer.from('name: x\n', 'utf16le')]), rule: 'yaml/unsafe', message: /UTF-8/ },
  { name: 'surrogate-bytes', content: Uint8Array.from([...Buffer.from('name: '), 0xed, 0xa0, 0x80, 0x0a]), rule: 'yaml/unsafe', message: /UTF-8/ },
  { name: 'control-char', content: 'name: "a\u0007b"\n' },
  { name: 'bom', content: '\ufeffname: bom\n' },
  { name: 'bom-only', content: '\ufeff', rule: 'schema/contract', message: /empty/ },
  { name: 'crlf', content: 'name: crlf\r\ntype: [rest\r\n', rule: 'yaml/syntax' },
  { name: 'cr-only', content: 'name: x\rtype: rest\r' },
  { name: 'empty', content: '', rule: 'schema/contract', message: /empty/ },
  { name: 'whitespace', content: '  \n\n  \n', rule: 'schema/contract', message: /empty/ },
  { name: 'comment-only', content: '# nothing here\n', rule: 'schema/contract', message: /empty/ },
  { name: 'null-document', content: '~\n', rule: 'schema/contract', message: /empty/ },
  { name: 'document-marker-only', content: '---\n', rule: 'schema/contract', message: /empty/ },
  { name: 'scalar-document', content: 'just a string\n', rule: 'schema/contract', message: /mapping/ },
  { name: 'number-document', content: '42\n', rule: 'schema/contract', message: /mapping/ },
  { name: 'list-document', content: '- name: x\n- name: y\n', rule: 'schema/contract', message: /mapping/ },
  { name: 'proto-key', content: '__proto__:\n  polluted: true\nconstructor: 1\nname: x\n', rule: 'schema/contract' },
  { name: 'complex-key', content: '? [a, b]\n: 1\nname: x\n', rule: 'schema/contract' },
  { name: 'merge-key', content: 'base: &b {type: rest}\n<<: *b\nname: x\n' },
  { name: 'long-key', content: 'name: x\n' + 'k'.repeat(50000) + ': 1\n', rule: 'schema/contract' },
  { name: 'many-keys', content: Array.from({ length: 4000 }, (_, i) => `k${i}: ${i}`).join('\n') + '\n', rule: 'schema/contract' },
  { name: 'numbers', content: 'name: 1e400\ntype: .nan\nstatus: 0x1f\nversions: .inf\n', rule: 'schema/contract' },
  {
    name: 'wrong-types',
    content: [
      'name: [x]',
      'display_name: {a: 1}',
      'type: 12',
      'status: true',
      'capture_locations: nope',
      'versions:',
      '  - 7',
      '  - null',
      '  - version: 1',
      '    effective_from: 20250101',
      '    effective_to: [2025]',
      '    protocol: {transport: wss}',
      '    endpoint: 5',
      '    rate_limit_per_second: "ten"',
      '    parser_config: {a: {b: c}}',
      '    compatible_with: v1',
      '    hash: 12',
      'calendar: [UTC]',
      'schema_file: [a.capnp]',
      'format: {}',
      'feed: [kalshi]',
      'schema: {trade: v1}',
      'schedule: 1',
      'keys: [a]',
      'transport: nats',
      'storage: [local]',
      'cache: 100MB',
      'plugins: "@acme/x"',
      'rules: [off]',
      '',
    ].join('\n'),
    rule: 'schema/contract',
  },
  {
    name: 'wrong-nested-types',
    content: [
      'name: wrong-nested-types',
      'type: websocket',
      'format: capnp',
      'schema_file: 7',
      'feed: 3',
      'schema: 4',
      'capture_locations: [{datacenter: [a]}, 3, {datacenter: a}, {datacenter: a}]',
      'versions: [{version: v1, effective_from: 2025-02-30, effective_to: 2024-01-01, protocol: wss, endpoint: {}, status: 1, schema_file: [x], compatible_with: [v9, 3, {}]}, {version: v1, effective_from: [], protocol: 3}]',
      'calendar: {timezone: 5, open_time: 25:99, close_time: [x]}',
      'schedule: {timezone: [UTC], day_start: {}, auto_roll: maybe}',
      'keys: {k: {type: api_key, fields: 3, source: 5}, l: 3, m: {fields: [A, A]}}',
      'transport: {type: nats, url: 3}',
      'storage: {type: local, path: 3}',
      'cache: {type: redis, url: [], max_size: 3}',
      'rules: {feed/version-gap: loud, x: 3, y: [1]}',
      'plugins: [3, {}, null]',
      '',
    ].join('\n'),
  },
]
