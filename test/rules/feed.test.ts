// Feed rules, as valid/invalid tables run through the real engine (ssmd/testing).
import { todayUtc } from '../../src/lib/core/dates.js'
import { builtin, edited, EXAMPLE, tester } from './helpers.js'

const KALSHI = 'feeds/kalshi.yaml'

/** A small feed whose versions are given as YAML list items. */
const feed = (versions: string, extra = '') => `name: f
type: websocket
status: active
${extra}versions:
${versions}`

tester.run('feed/version-order', builtin('feed/version-order'), {
  valid: [
    { name: 'the example feeds', files: {} },
    { name: 'a one-day version', files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    effective_to: 2025-01-01\n') } },
  ],
  invalid: [
    {
      name: 'ends before it starts',
      files: { [KALSHI]: edited(KALSHI, 'effective_to: 2024-12-31', 'effective_to: 2024-01-31') },
      findings: [
        { file: KALSHI, line: 15, column: 19, severity: 'error', message: 'v1 ends (2024-01-31) before it starts (2024-06-01); effective_to must be on or after effective_from' },
      ],
    },
  ],
})

tester.run('feed/version-overlap', builtin('feed/version-overlap'), {
  valid: [
    { name: 'the example feeds', files: {} },
    {
      name: 'back-to-back versions',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    effective_to: 2025-01-31\n  - version: v2\n    effective_from: 2025-02-01\n') },
    },
  ],
  invalid: [
    {
      name: 'an open-ended version overlapped by the next',
      files: { [KALSHI]: edited(KALSHI, 'effective_to: 2024-12-31', 'effective_to: 2025-01-05') },
      findings: [{ file: KALSHI, line: 20, column: 21, message: 'v2 overlaps v1 (both cover 2025-01-01); start v2 after 2025-01-05' }],
    },
    {
      name: 'two open-ended versions, and a duplicate id',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n  - version: v1\n    effective_from: 2025-03-01\n') },
      findings: [
        { file: 'feeds/f.yaml', line: 7, column: 14, message: "version id 'v1' is used twice (also at /versions/0); give each feed version a unique id" },
        { file: 'feeds/f.yaml', line: 8, column: 21, message: 'v1 overlaps v1 (both cover 2025-03-01); end v1 with effective_to: 2025-02-28' },
      ],
    },
  ],
})

tester.run('feed/version-gap', builtin('feed/version-gap'), {
  valid: [
    { name: 'the example feeds', files: {} },
    {
      name: 'back-to-back versions',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    effective_to: 2025-01-31\n  - version: v2\n    effective_from: 2025-02-01\n') },
    },
  ],
  invalid: [
    {
      name: 'eleven days uncovered',
      files: { [KALSHI]: edited(KALSHI, 'effective_to: 2024-12-31', 'effective_to: 2024-12-20') },
      findings: [{ file: KALSHI, line: 20, column: 21, severity: 'warning', message: 'no version covers 2024-12-21 to 2024-12-31 (between v1 and v2)' }],
    },
    {
      name: 'one day uncovered',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    effective_to: 2025-01-30\n  - version: v2\n    effective_from: 2025-02-01\n') },
      findings: [{ file: 'feeds/f.yaml', line: 9, column: 21, severity: 'warning', message: 'no version covers 2025-01-31 (between v1 and v2)' }],
    },
  ],
})

tester.run('feed/protocol-mismatch', builtin('feed/protocol-mismatch'), {
  valid: [
    { name: 'the example feeds', files: {} },
    {
      name: 'plain ws:// on a websocket feed and http:// on a rest feed fit (feed/insecure-endpoint warns about them)',
      files: {
        'feeds/sim.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    protocol: wss\n    endpoint: ws://localhost:8080/ws\n'),
        'feeds/kraken.yaml': edited('feeds/kraken.yaml', 'endpoint: https://', 'endpoint: http://'),
      },
    },
    {
      name: 'an unknown protocol is the contract’s finding, not this rule’s',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    protocol: carrier-pigeon\n    endpoint: coo://roof\n') },
    },
  ],
  invalid: [
    {
      name: 'https endpoint on a wss version',
      files: { 'feeds/polymarket.yaml': edited('feeds/polymarket.yaml', 'endpoint: wss://', 'endpoint: https://') },
      findings: [{ file: 'feeds/polymarket.yaml', line: 14, column: 15, message: "endpoint scheme 'https://' does not fit protocol 'wss'; expected wss:// or ws://" }],
    },
    {
      name: 'a rest protocol on a websocket feed, and an endpoint that is no URL',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    protocol: https\n    endpoint: api.example.com\n') },
      findings: [
        { file: 'feeds/f.yaml', line: 7, column: 15, message: "protocol 'https' does not fit a websocket feed; use 'wss'" },
        { file: 'feeds/f.yaml', line: 8, column: 15, message: "endpoint 'api.example.com' is not a URL; expected https://… or http://…" },
      ],
    },
  ],
})

tester.run('feed/insecure-endpoint', builtin('feed/insecure-endpoint'), {
  valid: [
    { name: 'the example feeds (wss://, https://)', files: {} },
    {
      name: 'a multicast group over udp://',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    protocol: multicast\n    endpoint: udp://239.1.2.3:5000\n') },
    },
    {
      name: 'a scheme named like an Object property',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2025-01-01\n    protocol: wss\n    endpoint: constructor://x\n') },
    },
  ],
  invalid: [
    {
      name: 'ws:// on one version of two, in upper case too',
      files: {
        'feeds/f.yaml': feed(
          '  - version: v1\n    effective_from: 2025-01-01\n    effective_to: 2025-01-31\n    protocol: wss\n    endpoint: WS://localhost:8080/ws\n  - version: v2\n    effective_from: 2025-02-01\n    protocol: wss\n    endpoint: wss://x.example.com\n',
        ),
      },
      findings: [
        {
          file: 'feeds/f.yaml',
          line: 9,
          column: 15,
          severity: 'warning',
          message: "endpoint 'WS://localhost:8080/ws' is not encrypted (ws://); use wss:// outside local simulators (ssmd.yaml can raise this rule to error)",
        },
      ],
    },
    {
      name: 'http:// on a rest feed',
      files: { 'feeds/kraken.yaml': edited('feeds/kraken.yaml', 'endpoint: https://', 'endpoint: http://') },
      findings: [
        {
          file: 'feeds/kraken.yaml',
          line: 9,
          column: 15,
          severity: 'warning',
          message: "endpoint 'http://api.kraken.com/0/public' is not encrypted (http://); use https:// outside local simulators (ssmd.yaml can raise this rule to error)",
        },
      ],
    },
  ],
})

tester.run('feed/timezone', builtin('feed/timezone'), {
  valid: [
    { name: 'the example feeds', files: {} },
    { name: 'UTC', files: { 'feeds/f.yaml': feed('', 'calendar:\n  timezone: UTC\n') } },
  ],
  invalid: [
    {
      name: 'an unknown zone',
      files: { [KALSHI]: edited(KALSHI, 'America/New_York', 'America/Nowhere') },
      findings: [{ file: KALSHI, line: 33, column: 13, severity: 'error', message: "'America/Nowhere' is not a known IANA time zone (e.g. America/New_York, UTC)" }],
    },
  ],
})

tester.run('feed/duplicate-location', builtin('feed/duplicate-location'), {
  valid: [
    { name: 'the example feeds', files: {} },
    { name: 'one datacenter in two feeds', files: { 'feeds/g.yaml': EXAMPLE['feeds/polymarket.yaml'].replace('name: polymarket', 'name: g') } },
  ],
  invalid: [
    {
      name: 'nyc1 twice',
      files: { [KALSHI]: edited(KALSHI, 'datacenter: aws-use1', 'datacenter: nyc1 ') },
      findings: [{ file: KALSHI, line: 9, column: 17, message: "datacenter 'nyc1' is listed twice (also at /capture_locations/0); remove one (ssmd feed remove-location)" }],
    },
  ],
})

tester.run('feed/no-current-version', builtin('feed/no-current-version'), {
  valid: [
    { name: 'the example feeds (each has an open-ended version)', files: {} },
    {
      name: 'a disabled feed whose versions all ended',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2020-01-01\n    effective_to: 2020-12-31\n').replace('status: active', 'status: disabled') },
    },
  ],
  invalid: [
    {
      name: 'every version ended, no environment uses it: a warning',
      files: { 'feeds/f.yaml': feed('  - version: v1\n    effective_from: 2020-01-01\n    effective_to: 2020-12-31\n') },
      findings: [
        {
          file: 'feeds/f.yaml',
          line: 7,
          column: 19,
          severity: 'warning',
          message: `no version of feed 'f' is in effect today (${todayUtc()}): v1 ended 2020-12-31; add a version (ssmd feed add-version f --effective-from ${todayUtc()}) or reopen v1 (ssmd feed update f --version v1 --no-effective-to)`,
        },
      ],
    },
    {
      name: 'today falls between two versions of a feed environments use: an error',
      files: { [KALSHI]: edited(KALSHI, '  - version: v2\n    effective_from: 2025-01-01\n', '  - version: v2\n    effective_from: 2999-01-01\n') },
      findings: [
        {
          file: KALSHI,
          line: 20,
          column: 21,
          severity: 'error',
          message: `no version of feed 'kalshi' is in effect today (${todayUtc()}) and environments kalshi-dev, kalshi-prod cannot be deployed: v1 ended 2024-12-31 and v2 starts 2999-01-01; close the gap (ssmd feed update kalshi --version v2 --effective-from 2025-01-01)`,
        },
      ],
    },
  ],
})
