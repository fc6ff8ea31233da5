/**
 * The two deploy operations end to end — validate and render, check git,
 * connect, read, plan, write — as plain functions the commands call and
 * print the results of.
 */
import { randomUUID } from 'node:crypto'
import { SsmdError } from '../core/errors.js'
import { deployAll, deployer, dirtyFiles, pendingOf, planAll, readCurrent, statusAll, type Current, type EnvOutcome } from './deploy.js'
import { EtcdSession, type ConnectOptions } from './etcd.js'
import { environmentsPrefix, markerKey } from './layout.js'
import { DeployLock } from './lock.js'
import { findOverlap, markDeployment, overlapError } from './overlap.js'
import type { EnvStatus } from './plan.js'
import { validateForRender, type Validation } from './prepare.js'
import { sourceOf } from './source.js'

export interface DeployRequest {
  root: string
  names: string[]
  asOf: string
  prefix: string
  connect: ConnectOptions
  dryRun: boolean
  allowDirty: boolean
  validation: Validation
  ssmdVersion: string
  /** Milliseconds to wait for another deploy's lock on the prefix (default 30 s). */
  lockTimeoutMs?: number
  /** Told while the deploy waits (for the lock): one line for stderr. */
  onWait?: (line: string) => void
}

/** How long a deploy waits for another one's lock by default (--lock-timeout). */
export const DEFAULT_LOCK_TIMEOUT_S = 30

export interface DeployResult {
  prefix: string
  endpoints: string[]
  commit: string | null
  dryRun: boolean
  environments: EnvOutcome[]
  summary: Record<EnvOutcome['result'], number>
  /** Notes for the user (stderr), e.g. that a real deploy would be refused. */
  notes: string[]
}

export function summarize(outcomes: EnvOutcome[]): DeployResult['summary'] {
  const s = { written: 0, unchanged: 0, planned: 0, refused: 0, failed: 0, skipped: 0 }
  for (const o of outcomes) s[o.result]++
  return s
}

/**
 * Validates and renders, refuses uncommitted changes (unless allowed; with a
 * dry run it is a note), connects within the dial timeout, and plans or writes
 * every environment. Environments refused or failed are in the result; the
 * caller decides how to exit.
 */
export async function runDeploy(req: DeployRequest): Promise<DeployResult> {
  const endpoints = req.connect.endpoints.map(e => e.hostPort)
  const notes: string[] = []
  if (req.names.length === 0) return { prefix: req.prefix, endpoints, commit: null, dryRun: req.dryRun, environments: [], summary: summarize([]), notes }

  const envs = await validateForRender(req.root, req.names, req.asOf, req.validation)
  const source = await sourceOf(req.root, envs.files.flat())
  const dirty = dirtyFiles(envs.files, source)
  if (dirty.length > 0 && !req.allowDirty) {
    const what = source.commit === null ? 'not committed' : 'uncommitted changes'
    const list = dirty.slice(0, 3).join(', ') + (dirty.length > 3 ? ` and ${dirty.length - 3} more` : '')
    const refusal = `${what} in ${list}; commit first (ssmd commit) so etcd holds a configuration git has, or pass --allow-dirty`
    if (!req.dryRun) throw new SsmdError(refusal, { code: 'dirty' })
    notes.push(`note: a deploy would be refused: ${refusal}`)
  }

  const session = await EtcdSession.connect(req.connect, environmentsPrefix(req.prefix))
  let outcomes: EnvOutcome[]
  let lock: DeployLock | undefined
  let marker: string | undefined
  try {
    const deployId = randomUUID()
    const by = deployer()
    const now = new Date().toISOString()
    const meta = { asOf: req.asOf, deployedBy: by, ssmdVersion: req.ssmdVersion, deployId, now }
    // Checked before anything is written, and again once this run has written the marker (two first deploys at once).
    const overlap = async (current?: Current) => {
      const other = (await findOverlap(session, req.prefix)) ?? current?.nested.values().next().value
      if (other === undefined) return
      if (marker !== undefined) await session.deleteIfCreatedAt(markerKey(req.prefix), marker)
      throw overlapError(req.prefix, other)
    }
    // What needs writing is found without the lock: an unchanged deploy writes nothing at all.
    const before = await readCurrent(session, req.prefix, req.names)
    await overlap(before)
    if (req.dryRun) {
      outcomes = await planAll(session, req.prefix, envs, before, source, meta)
    } else {
      const { pending, settled } = pendingOf(req.prefix, envs, before)
      if (pending.length > 0) {
        lock = await DeployLock.acquire(
          session,
          req.prefix,
          { by, pid: process.pid, since: now, deploy_id: deployId },
          { timeoutMs: req.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_S * 1000, ...(req.onWait ? { onWait: req.onWait } : {}) },
        )
        marker = await markDeployment(session, req.prefix, { by, at: now, ssmd_version: req.ssmdVersion })
        // Read again under the lock: a deploy waited for has changed what was read.
        const current = await readCurrent(
          session,
          req.prefix,
          pending.map(i => envs.names[i]),
        )
        if (marker !== undefined || current.nested.size > 0) await overlap(current)
        const written = await deployAll(session, req.prefix, envs, pending, current, source, meta, lock)
        for (const o of written) settled.set(o.name, o)
      }
      outcomes = envs.names.map(name => settled.get(name)!)
    }
  } finally {
    await lock?.release()
    session.close()
  }
  return { prefix: req.prefix, endpoints, commit: source.commit, dryRun: req.dryRun, environments: outcomes, summary: summarize(outcomes), notes }
}

/** The one error a deploy with refused or failed environments ends with, or undefined. */
export function deployFailure(r: DeployResult): SsmdError | undefined {
  const bad = r.environments.filter(o => o.result === 'refused' || o.result === 'failed')
  if (bad.length === 0) return undefined
  const s = r.summary
  const first = bad[0]
  const counts = [s.refused && `${s.refused} refused`, s.failed && `${s.failed} failed`, s.skipped && `${s.skipped} not attempted`].filter(Boolean).join(', ')
  return new SsmdError(`${first.name}: ${first.message} (${counts}; ${s.written} written)`, { code: first.result === 'refused' ? 'conflict' : 'etcd' })
}

export interface StatusRequest {
  root: string
  names: string[]
  /** True when no names were given: every environment, and those only etcd has. */
  all: boolean
  asOf: string
  prefix: string
  connect: ConnectOptions
  validation: Validation
}

export interface DeployStatusResult {
  prefix: string
  endpoints: string[]
  commit: string | null
  dirty: string[]
  environments: EnvStatus[]
  orphans: Array<{ name: string; commit: string | null }>
}

export async function runStatus(req: StatusRequest): Promise<DeployStatusResult> {
  const envs = await validateForRender(req.root, req.names, req.asOf, req.validation)
  const source = await sourceOf(req.root, envs.files.flat())
  const session = await EtcdSession.connect(req.connect, environmentsPrefix(req.prefix))
  let current
  try {
    current = await readCurrent(session, req.prefix, req.names, { whole: req.all })
  } finally {
    session.close()
  }
  const { statuses, orphans } = statusAll(req.prefix, envs, current, req.all)
  return {
    prefix: req.prefix,
    endpoints: req.connect.endpoints.map(e => e.hostPort),
    commit: source.commit,
    dirty: dirtyFiles(envs.files, source),
    environments: statuses,
    orphans,
  }
}
