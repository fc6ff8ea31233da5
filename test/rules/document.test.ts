// Rules that check one file at a time, whatever its kind.
import { builtin, EXAMPLE, edited, tester } from './helpers.js'

const KALSHI = 'feeds/kalshi.yaml'
const KRAKEN = 'feeds/kraken.yaml'

tester.run('yaml/syntax', builtin('yaml/syntax'), {
  valid: [{ name: 'the example repository', files: {} }],
  invalid: [
    {
      name: 'an unclosed flow sequence',
      files: { [KRAKEN]: edited(KRAKEN, 'type: rest', 'type: [rest') },
      findings: [{ file: KRAKEN, line: 4, column: 1, severity: 'error', message: 'invalid YAML: missed comma between flow collection entries' }],
    },
    {
      name: 'two documents in one file',
      files: { 'environments/e.yaml': 'name: e\n---\nname: f\n' },
      findings: [{ file: 'environments/e.yaml', line: 1, column: 1, severity: 'error', message: 'file holds more than one YAML document (---); keep one document per file' }],
    },
  ],
})

tester.run('yaml/unsafe-integer', builtin('yaml/unsafe-integer'), {
  valid: [
    { name: 'the example repository', files: {} },
    { name: 'the largest safe integers, and a long one quoted', files: { 'environments/e.yaml': 'name: e\nx: [9007199254740991, -9007199254740991, "99999999999999999999"]\n' } },
  ],
  invalid: [
    {
      name: 'deep in lists and mappings',
      files: { 'environments/e.yaml': 'name: e\nx:\n  - a: [1, 9007199254740993]\n  - b:\n      c: -99999999999999999999\n' },
      findings: [
        {
          file: 'environments/e.yaml',
          line: 3,
          column: 12,
          severity: 'error',
          message:
            '9007199254740993 is beyond 2^53 − 1 (9007199254740991) and cannot be read exactly (it would become 9007199254740992); use a smaller number, or quote it if it is an identifier',
        },
        {
          file: 'environments/e.yaml',
          line: 5,
          column: 10,
          severity: 'error',
          message:
            '-99999999999999999999 is beyond 2^53 − 1 (9007199254740991) and cannot be read exactly (it would become -100000000000000000000); use a smaller number, or quote it if it is an identifier',
        },
      ],
    },
  ],
})

tester.run('yaml/unsafe', builtin('yaml/unsafe'), {
  valid: [{ name: 'the example repository', files: {} }],
  invalid: [
    {
      name: 'a custom tag',
      files: { [KRAKEN]: edited(KRAKEN, 'type: rest', 'type: !!js/function rest') },
      findings: [{ file: KRAKEN, line: 3, column: 25, severity: 'error', message: "custom YAML tag '!!js/function' is not allowed; remove the tag and write a plain value" }],
    },
    {
      name: 'bytes that are not UTF-8',
      files: { 'feeds/bin.yaml': Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) },
      findings: [{ file: 'feeds/bin.yaml', line: 1, column: 7, severity: 'error', message: 'file is not valid UTF-8; save it as UTF-8' }],
    },
    {
      name: 'a file over 1 MiB',
      files: { 'feeds/big.yaml': `name: big\nx-pad: "${'a'.repeat(1024 * 1024)}"\n` },
      findings: [
        {
          file: 'feeds/big.yaml',
          line: 1,
          column: 1,
          severity: 'error',
          message: 'file is 1,048,596 bytes; ssmd refuses YAML files over 1 MiB (1,048,576 bytes): split it or remove generated content',
        },
      ],
    },
  ],
})

tester.run('schema/contract', builtin('schema/contract'), {
  valid: [
    { name: 'the example repository', files: {} },
    {
      name: 'x- extension keys anywhere',
      files: { [KALSHI]: edited(KALSHI, 'rate_limit_per_second: 10', 'rate_limit_per_second: 10\n    x-note: tuned').replace('name: kalshi', 'name: kalshi\nx-owner: team-a') },
    },
  ],
  invalid: [
    {
      name: 'a near-miss unknown key gets a suggestion',
      files: { [KALSHI]: edited(KALSHI, 'rate_limit_per_second: 10', 'rate_limit_per_sec: 10') },
      findings: [{ file: KALSHI, line: 24, column: 5, severity: 'error', message: "unknown key 'rate_limit_per_sec'; did you mean 'rate_limit_per_second'?" }],
    },
    {
      name: 'an empty file and a list-shaped file',
      files: { 'feeds/empty.yaml': '', 'feeds/list.yaml': '- a\n- b\n' },
      findings: [
        { file: 'feeds/empty.yaml', line: 1, column: 1, severity: 'error', message: 'file is empty; expected a feed document' },
        { file: 'feeds/list.yaml', line: 1, column: 1, severity: 'error', message: 'expected a feed document (a mapping); got a list' },
      ],
    },
    {
      name: 'a value outside its enum and a missing required key',
      files: { [KRAKEN]: edited(KRAKEN, 'status: deprecated', 'status: retired').replace('type: rest\n', '') },
      findings: [
        { file: KRAKEN, line: 1, column: 1, severity: 'error', message: "missing required key 'type' in the document" },
        { file: KRAKEN, line: 3, column: 9, severity: 'error', message: "'status' must be one of active, deprecated, disabled; got the string 'retired'" },
      ],
    },
  ],
})

tester.run('name/matches-file', builtin('name/matches-file'), {
  valid: [
    { name: 'the example repository', files: {} },
    { name: 'a name that is not a string is the contract’s finding', files: { 'feeds/f.yaml': 'name: 12\n' } },
  ],
  invalid: [
    {
      name: 'a typo in the name',
      files: { [KRAKEN]: edited(KRAKEN, 'name: kraken', 'name: krakken') },
      findings: [{ file: KRAKEN, line: 1, column: 7, severity: 'error', message: "name 'krakken' does not match the file name 'kraken'; rename the file or set name: kraken" }],
    },
    {
      name: 'an environment copied under a new file name',
      files: { 'environments/kalshi-staging.yaml': EXAMPLE['environments/kalshi-dev.yaml'] },
      findings: [
        {
          file: 'environments/kalshi-staging.yaml',
          line: 2,
          column: 7,
          severity: 'error',
          message: "name 'kalshi-dev' does not match the file name 'kalshi-staging'; rename the file or set name: kalshi-staging",
        },
      ],
    },
  ],
})

tester.run('date/valid', builtin('date/valid'), {
  valid: [
    { name: 'the example repository', files: {} },
    { name: 'a leap day', files: { [KRAKEN]: edited(KRAKEN, '2024-01-01', '2024-02-29') } },
  ],
  invalid: [
    {
      name: 'February 30th',
      files: { [KRAKEN]: edited(KRAKEN, '2024-01-01', '2025-02-30') },
      findings: [{ file: KRAKEN, line: 7, column: 21, severity: 'error', message: "'2025-02-30' is not a real calendar date" }],
    },
    {
      name: 'a date that is not YYYY-MM-DD, in a schema',
      files: { 'schemas/orderbook.yaml': edited('schemas/orderbook.yaml', 'effective_from: 2025-01-01', 'effective_from: 1/1/2025') },
      findings: [{ file: 'schemas/orderbook.yaml', line: 6, column: 21, severity: 'error', message: "'effective_from': the string '1/1/2025' is not a date; use YYYY-MM-DD" }],
    },
  ],
})
