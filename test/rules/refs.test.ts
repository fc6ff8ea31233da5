// Rules across files: references between environments, feeds and schemas, and the policy.
import { bare, builtin, EXAMPLE, edited, tester } from './helpers.js'

const DEV = 'environments/kalshi-dev.yaml'

tester.run('ref/feed-exists', builtin('ref/feed-exists'), {
  valid: [{ name: 'the example repository', files: {} }],
  invalid: [
    {
      name: 'a typo, with a suggestion',
      files: { [DEV]: edited(DEV, 'feed: kalshi', 'feed: kalshy') },
      findings: [{ file: DEV, line: 3, column: 7, severity: 'error', message: "feed 'kalshy' does not exist; did you mean 'kalshi'? (ssmd feed list)" }],
    },
    {
      name: 'the feed file was removed',
      files: { 'feeds/polymarket.yaml': null },
      findings: [{ file: 'environments/polymarket-dev.yaml', line: 2, column: 7, severity: 'error', message: "feed 'polymarket' does not exist (ssmd feed list)" }],
    },
  ],
})

tester.run('ref/schema-exists', builtin('ref/schema-exists'), {
  valid: [{ name: 'the example repository', files: {} }],
  invalid: [
    {
      name: 'a version the schema does not have',
      files: { [DEV]: edited(DEV, 'schema: trade:v1', 'schema: trade:v9') },
      findings: [{ file: DEV, line: 4, column: 9, severity: 'error', message: "schema 'trade' has no version v9 (it has v1, v2)" }],
    },
    {
      name: 'a schema that does not exist',
      files: { [DEV]: edited(DEV, 'schema: trade:v1', 'schema: trades:v1') },
      findings: [{ file: DEV, line: 4, column: 9, severity: 'error', message: "schema 'trades' does not exist; did you mean 'trade'? (ssmd schema list)" }],
    },
    {
      name: 'no version in the reference',
      files: { [DEV]: edited(DEV, 'schema: trade:v1', 'schema: trade') },
      findings: [{ file: DEV, line: 4, column: 9, severity: 'error', message: "'schema': the string 'trade' is not a schema reference; use <schema>:<version>, e.g. trade:v1" }],
    },
  ],
})

tester.run('ref/schema-status', builtin('ref/schema-status'), {
  valid: [{ name: 'active versions', files: {} }],
  invalid: [
    {
      name: 'a draft version is an error',
      files: { [DEV]: edited(DEV, 'schema: trade:v1', 'schema: trade:v2') },
      findings: [
        {
          file: DEV,
          line: 4,
          column: 9,
          severity: 'error',
          message: 'schema trade:v2 is a draft and may not be used by an environment; activate it (ssmd schema set-status trade:v2 active) or use an active version',
        },
      ],
    },
    {
      name: 'a deprecated version is a warning',
      files: { 'schemas/orderbook.yaml': edited('schemas/orderbook.yaml', 'status: active', 'status: deprecated') },
      findings: [{ file: 'environments/polymarket-dev.yaml', line: 3, column: 9, severity: 'warning', message: 'schema orderbook:v1 is deprecated; move to a newer version' }],
    },
  ],
})

tester.run('ref/feed-status', builtin('ref/feed-status'), {
  valid: [{ name: 'active feeds', files: {} }],
  invalid: [
    {
      name: 'a disabled feed is an error',
      files: { 'feeds/kalshi.yaml': edited('feeds/kalshi.yaml', 'status: active', 'status: disabled') },
      findings: [
        {
          file: DEV,
          line: 3,
          column: 7,
          severity: 'error',
          message: "feed 'kalshi' is disabled; enable it (ssmd feed update kalshi --status active) or point the environment at another feed",
        },
        {
          file: 'environments/kalshi-prod.yaml',
          line: 3,
          column: 7,
          severity: 'error',
          message: "feed 'kalshi' is disabled; enable it (ssmd feed update kalshi --status active) or point the environment at another feed",
        },
      ],
    },
    {
      name: 'a deprecated feed is a warning',
      files: { 'environments/kraken-dev.yaml': EXAMPLE['environments/polymarket-dev.yaml'].replace('name: polymarket-dev\nfeed: polymarket', 'name: kraken-dev\nfeed: kraken') },
      findings: [{ file: 'environments/kraken-dev.yaml', line: 2, column: 7, severity: 'warning', message: "feed 'kraken' is deprecated" }],
    },
  ],
})

bare.run('ref/unused', builtin('ref/unused'), {
  valid: [
    { name: 'an empty repository', files: {} },
    { name: 'every feed and schema used', files: { 'feeds/f.yaml': 'name: f\n', 'schemas/s.yaml': 'name: s\n', 'environments/e.yaml': 'name: e\nfeed: f\nschema: s:v1\n' } },
  ],
  invalid: [
    {
      name: 'a feed and a schema nothing uses',
      files: { 'feeds/f.yaml': '# spare\nname: f\n', 'schemas/s.yaml': 'name: s\n', 'environments/e.yaml': 'name: e\nfeed: g\nschema: t:v1\n' },
      findings: [
        { file: 'feeds/f.yaml', line: 2, column: 7, severity: 'info', message: "feed 'f' is not used by any environment" },
        { file: 'schemas/s.yaml', line: 1, column: 7, severity: 'info', message: "schema 's' is not used by any environment" },
      ],
    },
    {
      name: 'the example repository without its policy: kraken',
      files: { ...EXAMPLE },
      findings: [{ file: 'feeds/kraken.yaml', line: 1, column: 7, severity: 'info', message: "feed 'kraken' is not used by any environment" }],
    },
  ],
})

tester.run('policy/plugin-missing', builtin('policy/plugin-missing'), {
  valid: [
    { name: 'no plugins required', files: {} },
    { name: 'the required plugin is installed', files: { 'ssmd.yaml': 'plugins: ["@acme/ssmd-checks"]\n' }, installedPlugins: ['@acme/ssmd-checks'] },
  ],
  invalid: [
    {
      name: 'one of two required plugins is missing',
      files: { 'ssmd.yaml': 'plugins:\n  - "@acme/ssmd-checks"\n  - "@acme/not-installed"\n' },
      installedPlugins: ['@acme/ssmd-checks'],
      findings: [
        {
          file: 'ssmd.yaml',
          line: 3,
          column: 5,
          severity: 'error',
          message: "plugin '@acme/not-installed' is required by ssmd.yaml but not installed; run 'ssmd plugins install @acme/not-installed'",
        },
      ],
    },
  ],
})
