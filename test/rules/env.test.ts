// Environment rules.
import { builtin, edited, tester } from './helpers.js'

const DEV = 'environments/kalshi-dev.yaml'
const PROD = 'environments/kalshi-prod.yaml'
const POLY = 'environments/polymarket-dev.yaml'

tester.run('env/schedule-timezone', builtin('env/schedule-timezone'), {
  valid: [{ name: 'the example environments (UTC, America/New_York)', files: {} }],
  invalid: [
    {
      name: 'a zone that does not exist',
      files: { [DEV]: edited(DEV, 'timezone: UTC', 'timezone: Mars/Olympus') },
      findings: [{ file: DEV, line: 6, column: 13, severity: 'error', message: "'Mars/Olympus' is not a known IANA time zone (e.g. UTC, America/New_York)" }],
    },
  ],
})

tester.run('env/transport', builtin('env/transport'), {
  valid: [
    { name: 'nats, tls and memory transports of the example', files: {} },
    { name: 'mqtt with an mqtts url', files: { [DEV]: edited(DEV, 'type: nats\n  url: nats://localhost:4222', 'type: mqtt\n  url: mqtts://broker:8883') } },
  ],
  invalid: [
    {
      name: 'an http url on nats',
      files: { [DEV]: edited(DEV, 'url: nats://localhost:4222', 'url: http://localhost:4222') },
      findings: [{ file: DEV, line: 18, column: 8, severity: 'error', message: "transport url 'http://localhost:4222' does not fit nats; expected nats://… or tls://…" }],
    },
    {
      name: 'nats without a url',
      files: { [DEV]: edited(DEV, '  url: nats://localhost:4222\n', '') },
      findings: [{ file: DEV, line: 16, column: 1, severity: 'error', message: 'a nats transport needs a url (nats://… or tls://…)' }],
    },
    {
      name: 'a memory transport with a url',
      files: { [POLY]: edited(POLY, 'type: memory', 'type: memory\n  url: nats://localhost:4222') },
      findings: [{ file: POLY, line: 6, column: 8, severity: 'error', message: 'a memory transport takes no url; remove it or change transport.type' }],
    },
  ],
})

tester.run('env/storage', builtin('env/storage'), {
  valid: [{ name: 'local and s3 storage of the example', files: {} }],
  invalid: [
    {
      name: 'a relative local path',
      files: { [DEV]: edited(DEV, 'path: /var/lib/ssmd/data', 'path: data') },
      findings: [{ file: DEV, line: 21, column: 9, severity: 'error', message: "storage path 'data' is not absolute; start it with /" }],
    },
    {
      name: 'local storage without a path',
      files: { [DEV]: edited(DEV, '  path: /var/lib/ssmd/data\n', '') },
      findings: [{ file: DEV, line: 19, column: 1, severity: 'error', message: 'local storage needs a path (an absolute folder, e.g. /var/lib/ssmd/data)' }],
    },
    {
      name: 's3 without bucket and region',
      files: { [PROD]: edited(PROD, '  bucket: ssmd-market-data-prod\n  region: us-east-1\n', '') },
      findings: [
        { file: PROD, line: 25, column: 1, severity: 'error', message: 's3 storage needs a bucket' },
        { file: PROD, line: 25, column: 1, severity: 'error', message: 's3 storage needs a region' },
      ],
    },
  ],
})

tester.run('env/cache', builtin('env/cache'), {
  valid: [{ name: 'memory and redis caches of the example', files: {} }],
  invalid: [
    {
      name: 'a max_size that is not a size',
      files: { [DEV]: edited(DEV, 'max_size: 100MB', 'max_size: lots') },
      findings: [{ file: DEV, line: 24, column: 13, severity: 'error', message: "'max_size': the string 'lots' is not a size; use a number and a unit, like 512KB, 100MB or 2GB" }],
    },
    {
      name: 'redis with an http url',
      files: { [PROD]: edited(PROD, 'url: rediss://', 'url: http://') },
      findings: [{ file: PROD, line: 32, column: 8, severity: 'error', message: "cache url 'http://cache.prod.internal:6379' is not a redis:// or rediss:// URL" }],
    },
    {
      name: 'redis without a url',
      files: { [PROD]: edited(PROD, '  url: rediss://cache.prod.internal:6379\n', '') },
      findings: [{ file: PROD, line: 29, column: 1, severity: 'error', message: 'a redis cache needs a url (redis://… or rediss://…)' }],
    },
    {
      name: 'a memory cache with a url',
      files: { [DEV]: edited(DEV, 'type: memory', 'type: memory\n  url: redis://localhost') },
      findings: [{ file: DEV, line: 24, column: 8, severity: 'error', message: 'a memory cache takes no url; remove it or change cache.type' }],
    },
  ],
})

tester.run('env/key-source', builtin('env/key-source'), {
  valid: [{ name: 'env, sealed-secret/<name> and vault/<path> sources of the example', files: {} }],
  invalid: [
    {
      name: 'vault without a path',
      files: { [DEV]: edited(DEV, 'source: env', 'source: vault/') },
      findings: [
        { file: DEV, line: 15, column: 13, severity: 'error', message: "'source': the string 'vault/' is not a key source; use env, sealed-secret/<name> or vault/<path>" },
      ],
    },
    {
      name: 'an unknown source kind',
      files: { [DEV]: edited(DEV, 'source: env', 'source: keychain/kalshi') },
      findings: [
        {
          file: DEV,
          line: 15,
          column: 13,
          severity: 'error',
          message: "'source': the string 'keychain/kalshi' is not a key source; use env, sealed-secret/<name> or vault/<path>",
        },
      ],
    },
  ],
})
