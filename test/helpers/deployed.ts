/**
 * Environments written into etcd in the layout docs/deploy.md describes —
 * `<prefix>/environments/<name>/content` (the rendering as one canonical JSON
 * value) and `…/deploy` (the record naming its digest), replaced in one
 * transaction — for the reader's tests.
 */
import { createHash } from 'node:crypto'
import type { EtcdCluster } from './etcd.js'
import { readCurrent } from '../../src/lib/deploy/deploy.js'
import { EtcdSession, parseEndpoints } from '../../src/lib/deploy/etcd.js'
import { canonicalJson, contentKey, envPrefix, recordKey } from '../../src/lib/deploy/layout.js'
import { loadInvolved, renderEnvironment, type RenderedContent } from '../../src/lib/deploy/render.js'
import type { DeploymentRecord, EnvironmentContent } from '../../src/lib/runtime/content.js'

/** The content value of a rendering: without its name, schemas by name. */
export function contentOf(r: RenderedContent): EnvironmentContent {
  const { name: _, schemas, ...rest } = r
  return { ...rest, schemas: Object.fromEntries(schemas.map(s => [s.name, s])) }
}

/** Renders an environment of the repository at `dir` as of `asOf`, as its content value. */
export function renderContent(dir: string, name: string, asOf: string): EnvironmentContent {
  const { involved } = loadInvolved(dir, [name])
  return contentOf(renderEnvironment(involved[0], asOf).content)
}

export const digest = (value: string | Buffer) => `sha256:${createHash('sha256').update(value).digest('hex')}`

let deployCount = 0

/**
 * Deploys `content` for `name` under `prefix` with deploy's own transaction, for reader tests that need
 * states a repository cannot give (a given record, content no rendering has).
 */
export async function putEnvironment(
  etcd: EtcdCluster,
  prefix: string,
  name: string,
  content: EnvironmentContent,
  record: Partial<DeploymentRecord> = {},
  endpoints = etcd.endpoints(),
  auth?: { username: string; password: string },
): Promise<{ value: string; record: DeploymentRecord }> {
  const value = canonicalJson(content)
  const full: DeploymentRecord = {
    commit: '0123456789abcdef0123456789abcdef01234567',
    dirty: false,
    as_of: '2025-03-01',
    deployed_at: new Date().toISOString(),
    deployed_by: 'ops@deploy-1',
    ssmd_version: '0.1.0',
    digest: digest(value),
    deploy_id: `test-${process.pid}-${++deployCount}`,
    ...record,
  }
  const session = await EtcdSession.connect(
    { endpoints: parseEndpoints(endpoints), dialTimeoutMs: 10000, requestTimeoutMs: 20000, ...(auth ? { auth } : {}) },
    `${prefix}/environments/${name}/deploy`,
  )
  try {
    // Deploy's own transaction (src/lib/deploy): guarded on what was just read, one delete range around the two keys put.
    const state = (await readCurrent(session, prefix, [name])).envs.get(name)!
    const written = await session.writeEnvironment({
      envPrefix: envPrefix(prefix, name),
      contentKey: contentKey(prefix, name),
      recordKey: recordKey(prefix, name),
      content: value,
      record: canonicalJson(full),
      revision: state.revision,
      recordMod: state.record?.modRevision ?? '0',
      contentMod: state.content?.modRevision ?? '0',
      others: state.others.length > 0,
    })
    if (!written) throw new Error('the transaction was not applied')
  } finally {
    session.close()
  }
  return { value, record: full }
}
