import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'

const SECRET = 'zz-Distinctive-S3cret-Value-8c1f'
const OTHER = 'qq-Another-Private-Value-77ab'

function repoWithKeys(): string {
  const dir = exampleRepo()
  writeFileSync(
    join(dir, 'environments', 'mixed.yaml'),
    `name: mixed
feed: kalshi
schema: trade:v1
keys:
  kalshi:
    type: api_key
    fields: [api_key, api_secret]
    source: env
  webhook-out:
    type: webhook
    required: false
    fields: [url_token]
    source: env
  archive:
    type: storage
    fields: [access_key_id]
    source: vault/secret/data/archive
transport:
  type: memory
storage:
  type: local
  path: /var/lib/ssmd/mixed
`,
  )
  return dir
}

const clean = { SSMD_KALSHI_API_KEY: undefined, SSMD_KALSHI_API_SECRET: undefined, SSMD_WEBHOOK_OUT_URL_TOKEN: undefined }

describe('ssmd key list', () => {
  it('shows type, source, required and whether each variable is set, never a value', async () => {
    const dir = repoWithKeys()
    const env = { ...clean, SSMD_KALSHI_API_KEY: SECRET, SSMD_KALSHI_API_SECRET: '' }
    const r = await ssmd(['key', 'list', 'mixed'], { cwd: dir, env })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(`KEY          TYPE     SOURCE                     REQUIRED  VARIABLES
kalshi       api_key  env                        yes       SSMD_KALSHI_API_KEY (set), SSMD_KALSHI_API_SECRET (empty)
webhook-out  webhook  env                        no        SSMD_WEBHOOK_OUT_URL_TOKEN (unset)
archive      storage  vault/secret/data/archive  yes       (not checkable locally)
`)
    const json = await ssmd(['key', 'list', 'mixed', '--json'], { cwd: dir, env })
    const parsed = JSON.parse(json.stdout)
    expect(parsed.environment).to.equal('mixed')
    expect(parsed.keys[0]).to.deep.equal({
      name: 'kalshi',
      type: 'api_key',
      source: 'env',
      required: true,
      fields: ['api_key', 'api_secret'],
      checkable: true,
      variables: [
        { name: 'SSMD_KALSHI_API_KEY', status: 'set' },
        { name: 'SSMD_KALSHI_API_SECRET', status: 'empty' },
      ],
    })
    expect(parsed.keys[2]).to.include({ name: 'archive', checkable: false })
    for (const out of [r.stdout, r.stderr, json.stdout, json.stderr]) expect(out).not.to.contain(SECRET)
  })

  it('says when there are no keys, and fails with did-you-mean for an unknown environment', async () => {
    const dir = exampleRepo()
    const none = await ssmd(['key', 'list', 'polymarket-dev'], { cwd: dir })
    expect(none.code).to.equal(0)
    expect(none.stdout).to.match(/has no keys/)
    const r = await ssmd(['key', 'list', 'kalshi-prd'], { cwd: dir })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.match(/environment 'kalshi-prd' not found; did you mean 'kalshi-prod'\?/)
    expect((await ssmd(['key', 'list', '../x'], { cwd: dir })).code).to.equal(2)
  })
})

describe('ssmd key verify', () => {
  it('exits 1 naming the unset or empty variables of required keys, printing no value', async () => {
    const dir = repoWithKeys()
    const env = { ...clean, SSMD_KALSHI_API_KEY: SECRET, SSMD_KALSHI_API_SECRET: '', SSMD_WEBHOOK_OUT_URL_TOKEN: OTHER }
    const r = await ssmd(['key', 'verify', 'mixed'], { cwd: dir, env })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.equal(`✗ kalshi: SSMD_KALSHI_API_SECRET empty
✓ webhook-out: SSMD_WEBHOOK_OUT_URL_TOKEN set
- archive: vault/secret/data/archive (not checkable locally)
`)
    expect(r.stderr).to.equal("Error: environment 'mixed' is missing 1 required variable: SSMD_KALSHI_API_SECRET\n")
    const json = await ssmd(['key', 'verify', 'mixed', '--json'], { cwd: dir, env })
    expect(json.code).to.equal(1)
    const parsed = JSON.parse(json.stdout)
    expect(parsed.ok).to.equal(false)
    expect(parsed.missing).to.deep.equal(['SSMD_KALSHI_API_SECRET'])
    expect(parsed.keys.map((k: { result: string }) => k.result)).to.deep.equal(['missing', 'ok', 'not-checkable'])
    const verbose = await ssmd(['key', 'verify', 'mixed', '-v'], { cwd: dir, env })
    for (const out of [r.stdout, r.stderr, json.stdout, json.stderr, verbose.stdout, verbose.stderr]) {
      expect(out).not.to.contain(SECRET)
      expect(out).not.to.contain(OTHER)
    }
  })

  it('passes when every required variable is set; optional ones only warn', async () => {
    const dir = repoWithKeys()
    const env = { ...clean, SSMD_KALSHI_API_KEY: SECRET, SSMD_KALSHI_API_SECRET: OTHER }
    const r = await ssmd(['key', 'verify', 'mixed'], { cwd: dir, env })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.contain('✓ kalshi: SSMD_KALSHI_API_KEY, SSMD_KALSHI_API_SECRET set')
    expect(r.stdout).to.contain('! webhook-out (optional): SSMD_WEBHOOK_OUT_URL_TOKEN unset')
    const json = JSON.parse((await ssmd(['key', 'verify', 'mixed', '--json'], { cwd: dir, env })).stdout)
    expect(json).to.include({ environment: 'mixed', file: 'environments/mixed.yaml', ok: true })
    expect(json.missing).to.deep.equal([])
    expect(JSON.stringify(json)).not.to.contain(SECRET)
  })

  it('treats sealed-secret and vault sources as not checkable locally', async () => {
    const r = await ssmd(['key', 'verify', 'kalshi-prod'], { cwd: exampleRepo(), env: clean })
    expect(r.code).to.equal(0)
    expect(r.stdout).to.equal('- kalshi: sealed-secret/kalshi-prod-credentials (not checkable locally)\n- archive: vault/secret/data/ssmd/archive (not checkable locally)\n')
  })

  it('fails when every variable of a required key is unset', async () => {
    const r = await ssmd(['key', 'verify', 'kalshi-dev'], { cwd: exampleRepo(), env: clean })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal("Error: environment 'kalshi-dev' is missing 2 required variables: SSMD_KALSHI_API_KEY, SSMD_KALSHI_API_SECRET\n")
  })
})
