/**
 * Deployments must not overlap: a deploy to `/n/environments/kalshi-prod`
 * would write inside the deployment at `/n`, and a deploy to `/n` would then
 * delete it. A deployment is recognised by its marker `<prefix>/.ssmd-deployment`
 * (written by every deploy) or, for deployments made before the marker, by a
 * deploy record `<prefix>/environments/<name>/deploy`.
 */
import { SsmdError } from '../core/errors.js'
import type { EtcdSession } from './etcd.js'
import { prefixEnd } from './etcd.js'
import { ancestorsOf, canonicalJson, deploymentOfKey, environmentsPrefix, markerKey, printableKey, recordKey } from './layout.js'

/**
 * Another deployment above `prefix` (an ancestor prefix), or below it outside
 * its environments (`<prefix>/x/.ssmd-deployment`); the first found, or undefined.
 * Deployments inside environments' prefixes are found by the read of those (readCurrent).
 */
export async function findOverlap(session: EtcdSession, prefix: string): Promise<string | undefined> {
  const probes = new Map<string, string>()
  for (const a of ancestorsOf(prefix)) {
    probes.set(markerKey(a), a)
    const m = new RegExp(`^${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/environments/([^/]+)(/|$)`).exec(prefix)
    if (m) probes.set(recordKey(a, m[1]), a)
  }
  let found: Set<string>
  try {
    found = await session.existing([...probes.keys()])
  } catch (error) {
    // A role granted only its own prefix may not read above it: what it cannot read it cannot overwrite either.
    if (!(error instanceof SsmdError) || error.code !== 'etcd-permission') throw error
    found = new Set()
    for (const key of probes.keys()) {
      try {
        for (const k of await session.existing([key])) found.add(k)
      } catch (e) {
        if (!(e instanceof SsmdError) || e.code !== 'etcd-permission') throw e
      }
    }
  }
  for (const [key, a] of probes) if (found.has(key)) return a

  let below: string | undefined
  const look = (key: Buffer) => {
    const q = deploymentOfKey(key.toString('latin1'))
    if (below === undefined && q !== undefined && q !== prefix) below = printableKey(Buffer.from(q, 'latin1'))
  }
  const envs = Buffer.from(environmentsPrefix(prefix))
  await session.scan(`${prefix}/`, look, { keysOnly: true, end: envs })
  if (below === undefined) await session.scan(prefixEnd(envs), look, { keysOnly: true, end: prefixEnd(Buffer.from(`${prefix}/`)) })
  return below
}

export function overlapError(prefix: string, other: string): SsmdError {
  const where = other.startsWith(`${prefix}/`) ? 'inside it' : 'around it'
  return new SsmdError(
    `--prefix ${prefix} overlaps the deployment at ${other} (${where}): a deploy here would write into it or delete it; choose a prefix that is neither above nor below another deployment`,
    { code: 'overlap' },
  )
}

/** Marks `prefix` as a deployment, unless it is; returns the marker's create revision when this call created it. */
export async function markDeployment(session: EtcdSession, prefix: string, by: { by: string; at: string; ssmd_version: string }): Promise<string | undefined> {
  const r = await session.createIfAbsent(markerKey(prefix), canonicalJson({ created_at: by.at, created_by: by.by, layout: 'content+deploy', ssmd_version: by.ssmd_version }))
  return r.created ? r.revision : undefined
}
