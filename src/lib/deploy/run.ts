/**
 * The two deploy operations end to end — validate and render, check git,
 * connect, read, plan, write — as plain functions the commands call and
 * print the results of.
 */
import { randomUUID } from 'node:crypto'
import { SsmdError } from '../core/errors.js'
import { NAME_PATTERN } from '../spec/common.js'
import { compareEnvironment, heldContent, pinHandEdits, type Comparison } from './compare.js'
import { deployAll, deployer, dirtyFiles, pendingOf, planAll, readCurrent, type Current, type EnvOutcome } from './deploy.js'
import type { FieldChange } from './diff.js'
import { EtcdSession, type ConnectOptions } from './etcd.js'
import { envPrefix, environmentsPrefix, markerKey, parseRecord, type DeployRecord } from './layout.js'
import { DeployLock } from './lock.js'
import { findOverlap, markDeployment, overlapError } from './overlap.js'
import { planEnvironment, type EnvState } from './plan.js'
import { allEnvironments, renderEach, validateForRender, type Validation } from './prepare.js'
import { sourceOf, walkFirst } from './source.js'
import { RecordCheck } from './unchanged.js'

export interface DeployRequest {
  root: string
  names: string[]
  asOf: string
  prefix: string
  connect: ConnectOptions
  dryRun: boolean
  allowDirty: boolean
  /** Remove environments etcd holds that git no longer has (with every environment named). */
  prune?: boolean
  validation: Validation
  ssmdVersion: string
  /** Milliseconds to wait for another deploy's lock on the prefix (default 30 s). */
  lockTimeoutMs?: number
  /** Told while the deploy waits (for the lock): one line for stderr. */
  onWait?: (line: string) => void
  /** Told of each hand edit in etcd before it is overwritten (with a dry run: that it would be). */
  onHandEdit?: (outcome: EnvOutcome) => void
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
  const s = { written: 0, unchanged: 0, removed: 0, planned: 0, refused: 0, failed: 0, skipped: 0 }
  for (const o of outcomes) s[o.result]++
  return s
}

const NAME = new RegExp(NAME_PATTERN)

/** Environments under the prefix that git does not have, sorted by name. */
function notInGit(current: Current, known: ReadonlySet<string>): Array<[string, EnvState]> {
  return [...current.envs]
    .filter(([name, state]) => !known.has(name) && (state.record !== undefined || state.content !== undefined || state.others.length > 0))
    .sort(([a], [b]) => (a < b ? -1 : 1))
}

/** The planned removal of each environment etcd holds that git does not (--prune); only names that could be ssmd environments are removed. */
function removalsOf(current: Current, known: ReadonlySet<string>): EnvOutcome[] {
  return notInGit(current, known).map(([name]) =>
    NAME.test(name)
      ? { name, action: 'remove', result: 'planned', changes: [] }
      : { name, action: 'remove', result: 'failed', changes: [], message: `not removed: '${name}' is not an environment name; remove it with etcdctl del --prefix` },
  )
}

/** Whether `names` are every environment of the repository (`all`, as listed): deploy --all. */
function everyEnvironment(all: readonly string[], names: readonly string[]): boolean {
  return all.length === names.length && all.every((n, i) => n === names[i])
}

/**
 * Validates, refuses uncommitted changes (unless allowed; with a dry run it is
 * a note), connects within the dial timeout, and plans or writes every
 * environment, rendering each when it comes to it. An environment that cannot
 * be rendered is a failure of its own: the others are deployed. Environments
 * refused or failed are in the result; the caller decides how to exit.
 */
export async function runDeploy(req: DeployRequest): Promise<DeployResult> {
  const endpoints = req.connect.endpoints.map(e => e.hostPort)
  const notes: string[] = []
  const prune = req.prune === true
  if (req.names.length === 0 && !prune) return { prefix: req.prefix, endpoints, commit: null, dryRun: req.dryRun, environments: [], summary: summarize([]), notes }

  // Listed once: a fleet's folder holds 100,000 files.
  const all = allEnvironments(req.root)
  // Memory: a fleet's status walk runs before its documents are loaded, not on top of them.
  const walked = await walkFirst(req.root, req.names.length)
  const envs = await validateForRender(req.root, req.names, req.asOf, req.validation, { keepCache: everyEnvironment(all, req.names) })
  const source = await sourceOf(req.root, envs.files.flat(), walked)
  const dirty = dirtyFiles(envs.files, source)
  if (dirty.length > 0 && !req.allowDirty) {
    const what = source.commit === null ? 'not committed' : 'uncommitted changes'
    const list = dirty.slice(0, 3).join(', ') + (dirty.length > 3 ? ` and ${dirty.length - 3} more` : '')
    const refusal = `${what} in ${list}; commit first (ssmd commit) so etcd holds a configuration git has, or pass --allow-dirty`
    if (!req.dryRun) throw new SsmdError(refusal, { code: 'dirty' })
    notes.push(`note: a deploy would be refused: ${refusal}`)
  }

  const check = new RecordCheck(req.root, source, req.asOf, req.ssmdVersion)
  const known = new Set([...all, ...req.names])
  const handEdits = { root: req.root, ...(req.onHandEdit ? { tell: req.onHandEdit } : {}) }
  const session = await EtcdSession.connect(req.connect, environmentsPrefix(req.prefix))
  let outcomes: EnvOutcome[]
  let removals: EnvOutcome[] = []
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
    const before = await readCurrent(session, req.prefix, req.names, { whole: prune })
    await overlap(before)
    removals = prune ? removalsOf(before, known) : []
    if (req.dryRun) {
      outcomes = await planAll(session, req.prefix, envs, before, source, meta, handEdits, check)
    } else {
      const { pending, settled } = await pendingOf(req.prefix, envs, before, check)
      if (pending.length > 0 || removals.some(r => r.result === 'planned')) {
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
          { whole: prune },
        )
        if (marker !== undefined || current.nested.size > 0) await overlap(current)
        const written = await deployAll(session, req.prefix, envs, pending, current, source, meta, lock, handEdits)
        for (const o of written) settled.set(o.name, o)
        outcomes = envs.names.map(name => settled.get(name)!)
        if (prune) {
          removals = removalsOf(current, known)
          // Removing is the last step, and only after every write succeeded.
          const stopped = outcomes.some(o => o.result === 'failed' || o.result === 'skipped' || o.result === 'refused')
          for (const removal of removals) {
            if (removal.result !== 'planned') continue
            if (stopped) removal.result = 'skipped'
            else await removeEnvironment(session, req.prefix, current.envs.get(removal.name)!, removal, lock)
          }
        }
      } else {
        outcomes = envs.names.map(name => settled.get(name)!)
      }
    }
  } finally {
    await lock?.release()
    session.close()
  }
  const environments = [...outcomes, ...removals]
  return { prefix: req.prefix, endpoints, commit: source.commit, dryRun: req.dryRun, environments, summary: summarize(environments), notes }
}

/** Deletes one environment's whole prefix in one transaction, if nothing under it changed since it was read and the lock is still held. */
async function removeEnvironment(session: EtcdSession, prefix: string, state: EnvState, removal: EnvOutcome, lock: DeployLock): Promise<void> {
  try {
    if (await session.removeEnvironment(envPrefix(prefix, removal.name), state.revision, { key: lock.key, createRevision: lock.createRevision })) removal.result = 'removed'
    else {
      removal.result = 'refused'
      removal.message = 'changed in etcd since it was read, or the deploy lock was lost: nothing removed, run the deploy again to compare anew'
    }
  } catch (error) {
    if (!(error instanceof SsmdError)) throw error
    removal.result = 'failed'
    removal.message = error.message
  }
}

/** The one error a deploy with environments refused, failed or not rendered ends with, or undefined. */
export function deployFailure(r: DeployResult): SsmdError | undefined {
  const bad = r.environments.filter(o => o.result === 'refused' || o.result === 'failed')
  if (bad.length === 0) return undefined
  const s = r.summary
  const first = bad[0]
  const counts = [s.refused && `${s.refused} refused`, s.failed && `${s.failed} failed`, s.skipped && `${s.skipped} not attempted`].filter(Boolean).join(', ')
  const done = `${s.written} written${s.removed ? `, ${s.removed} removed` : ''}`
  return new SsmdError(`${first.name}: ${first.message} (${counts}; ${done})`, { code: first.result === 'refused' ? 'conflict' : first.action === 'none' ? 'render' : 'etcd' })
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
  /** This ssmd's version: an environment its record proves unchanged (rendered by this version) is not rendered again. */
  ssmdVersion: string
}

/** One row of `deploy status`. */
export interface StatusRow {
  name: string
  /** not-in-git: in etcd, not in the repository (only without names); cannot-render: see `reason`. */
  state: Comparison['state'] | 'not-in-git' | 'cannot-render'
  /** Why etcd differs from git's rendering: `old layout (9 keys)`, `content differs`, `2 unexpected keys: …` (rows compared with git only). */
  drift?: string[]
  /** The commit of the last deploy that wrote this environment. */
  deployedCommit: string | null
  deployedAt?: string
  deployedBy?: string
  /** Field changes from what etcd holds to what git renders (what a deploy would write). */
  changes: FieldChange[]
  /** Set when etcd no longer holds what the last deploy wrote (a hand edit). */
  handEdits?: Comparison['handEdits']
  /** Why it cannot be rendered. */
  reason?: string
}

export interface DeployStatusResult {
  prefix: string
  endpoints: string[]
  commit: string | null
  dirty: string[]
  environments: StatusRow[]
}

const recordFields = (record: DeployRecord | undefined) => ({
  deployedCommit: record?.commit ?? null,
  ...(record?.deployed_at ? { deployedAt: record.deployed_at } : {}),
  ...(record?.deployed_by ? { deployedBy: record.deployed_by } : {}),
})

const NO_RECORD = { commit: null, dirty: false, as_of: '', deployed_at: '', deployed_by: '', ssmd_version: '', deploy_id: '' }

export async function runStatus(req: StatusRequest): Promise<DeployStatusResult> {
  const walked = await walkFirst(req.root, req.names.length)
  const envs = await validateForRender(req.root, req.names, req.asOf, req.validation, { keepCache: req.all })
  const source = await sourceOf(req.root, envs.files.flat(), walked)
  const check = new RecordCheck(req.root, source, req.asOf, req.ssmdVersion)
  const session = await EtcdSession.connect(req.connect, environmentsPrefix(req.prefix))
  const environments: StatusRow[] = []
  try {
    const current = await readCurrent(session, req.prefix, req.names, { whole: req.all })
    for (let i = 0; i < envs.names.length; i++) {
      const name = envs.names[i]
      const state = current.envs.get(name)
      const record = parseRecord(state?.record?.value)
      if (await check.unchanged(state, record, envs.recordable(i))) {
        environments.push({ name, state: 'in-sync', drift: [], ...recordFields(record), changes: [] })
        continue
      }
      const each = renderEach(envs, i)
      if ('failure' in each) {
        environments.push({ name, state: 'cannot-render', ...recordFields(parseRecord(state?.record?.value)), changes: [], reason: each.failure.message })
        continue
      }
      const plan = planEnvironment(req.prefix, each.rendering.content, state, NO_RECORD)
      const held = plan.action === 'update' ? await heldContent(session, req.prefix, name, state) : undefined
      const c = compareEnvironment(plan, state, held)
      await pinHandEdits(req.root, held, c)
      environments.push({ name, state: c.state, drift: c.drift, ...recordFields(c.record), changes: c.changes, ...(c.handEdited ? { handEdits: c.handEdits } : {}) })
    }
    if (req.all) {
      for (const [name, state] of notInGit(current, new Set(req.names))) {
        environments.push({ name, state: 'not-in-git', ...recordFields(parseRecord(state.record?.value)), changes: [] })
      }
    }
  } finally {
    session.close()
  }
  return {
    prefix: req.prefix,
    endpoints: req.connect.endpoints.map(e => e.hostPort),
    commit: source.commit,
    dirty: dirtyFiles(envs.files, source),
    environments,
  }
}
