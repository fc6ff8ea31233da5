// Secrets and credentials must never be stored in ssmd files.
import { builtin, edited, tester } from './helpers.js'

const DEV = 'environments/kalshi-dev.yaml'
const described = (text: string) => edited(DEV, 'source: env', `source: env\n    description: ${text}`)

tester.run('security/credentials-in-url', builtin('security/credentials-in-url'), {
  valid: [
    { name: 'the example repository', files: {} },
    { name: 'an @ in a path is no credential', files: { [DEV]: edited(DEV, 'url: nats://localhost:4222', 'url: nats://localhost:4222/@team') } },
  ],
  invalid: [
    {
      name: 'user and password in a transport url (the password never shown)',
      files: { [DEV]: edited(DEV, 'nats://localhost', 'nats://admin:hunter2@localhost') },
      findings: [
        { file: DEV, line: 18, column: 8, severity: 'error', message: 'URL carries credentials (nats://user:****@…); remove them and reference a key instead (ssmd env add-key)' },
      ],
    },
    {
      name: 'a user name alone in a feed endpoint',
      files: { 'feeds/kraken.yaml': edited('feeds/kraken.yaml', 'endpoint: https://', 'endpoint: https://bot@') },
      findings: [
        {
          file: 'feeds/kraken.yaml',
          line: 9,
          column: 15,
          severity: 'error',
          message: 'URL carries credentials (https://user@…); remove them and reference a key instead (ssmd env add-key)',
        },
      ],
    },
  ],
})

tester.run('security/secret-literal', builtin('security/secret-literal'), {
  valid: [
    { name: 'the example repository (references only)', files: {} },
    { name: 'a long but plain description', files: { [DEV]: described('credentials for the kalshi trading api, rotated every quarter') } },
    { name: 'a reference under a secret-like key', files: { [DEV]: described('x').replace('description: x', 'api_secret: vault/secret/data/kalshi') } },
  ],
  invalid: [
    {
      name: 'an AWS access key id',
      files: { [DEV]: described('AKIAIOSFODNN7EXAMPLE') },
      findings: [
        {
          file: DEV,
          line: 16,
          column: 18,
          severity: 'error',
          message:
            'value looks like an AWS access key id; never store secret values in ssmd files — reference them with an env key (ssmd env add-key) and rotate the leaked secret',
        },
      ],
    },
    {
      name: 'an AWS access key id as an item of a list (its place found through the array index)',
      files: { [DEV]: edited(DEV, 'fields: [api_key, api_secret]', 'fields: [api_key, AKIAIOSFODNN7EXAMPLE]') },
      findings: [
        {
          file: DEV,
          line: 14,
          column: 23,
          severity: 'error',
          message:
            'value looks like an AWS access key id; never store secret values in ssmd files — reference them with an env key (ssmd env add-key) and rotate the leaked secret',
        },
      ],
    },
    {
      name: 'a GitHub fine-grained token',
      files: { [DEV]: described(`github_pat_${'A1b2C3d4E5'.repeat(5)}`) },
      findings: [
        {
          file: DEV,
          line: 16,
          column: 18,
          severity: 'error',
          message:
            'value looks like a GitHub fine-grained token; never store secret values in ssmd files — reference them with an env key (ssmd env add-key) and rotate the leaked secret',
        },
      ],
    },
    {
      name: 'a random string under a secret-like key',
      files: { [DEV]: described('x').replace('description: x', 'api_secret: 9fQ2xL7pR4mZ8vK1wT6y') },
      findings: [
        {
          file: DEV,
          line: 16,
          column: 17,
          severity: 'error',
          message: "'api_secret' holds what looks like a secret value; store a reference (env, sealed-secret/<name>, vault/<path>) instead and rotate the secret",
        },
      ],
    },
  ],
})
