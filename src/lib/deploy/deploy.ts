/** Deploy: read what etcd holds, then plan and write each environment in one constant-size transaction, streaming. */
import { hostname, userInfo } from 'node:os'
import { SsmdError } from '../core/errors.js'
import { txnSize, type EtcdSession } from './etcd.js'
import { compareEnvironment, heldContent, pinHandEdits, type Comparison } from './compare.js'
import type { FieldChange } from './diff.js'
import { CONTENT, deploymentOfKey, digestOf, envPrefix, environmentsPrefix, parseRecord, printableKey, RECORD, recordKey, type DeployRecord } from './layout.js'
import { planEnvironment, type EnvPlan, type EnvState } from './plan.js'
import { renderEach, type Prepared } from './prepare.js'
import type { Rendering, SourceInfo } from './render.js'
import type { RecordCheck } from './unchanged.js'

/** Up to this many environments are read one prefix each; more, and one read of every environment is cheaper. */
const READ_ONE_BY_ONE = 16
/** Transactions in flight at once: etcd batches concurrent proposals into one disk sync. */
const CONCURRENCY = 64

export interface DeployMeta {
  asOf: string
  deployedBy: string
  ssmdVersion: string
  /** Random id of this run, written into every record it writes. */
  deployId: string
  /** ISO time stamp of the deploy. */
  now: string
}

export interface EnvOutcome {
  name: string
  /** What the plan said; remove: not in git (--prune); none: nothing planned, it could not be rendered. */
  action: EnvPlan['action'] | 'remove' | 'none'
  /**
   * What happened: written, unchanged, removed (--prune), planned (dry run),
   * refused (raced, or too large), failed (cannot render, or an etcd error),
   * skipped (after a failure).
   */
  result: 'written' | 'unchanged' | 'removed' | 'planned' | 'refused' | 'failed' | 'skipped'
  /** Field changes from what etcd holds to what is written. */
  changes: FieldChange[]
  /** Why etcd differed from the rendering (see EnvPlan.drift); absent when nothing was compared. */
  drift?: string[]
  /** Set when etcd no longer held what the last deploy wrote: the hand edit this deploy overwrites. */
  handEdits?: Comparison['handEdits']
  message?: string
}

/** How hand edits are found and told: `root` rebuilds what the last deploy wrote (pinHandEdits); `tell` hears of each before it is overwritten. */
export interface HandEditOptions {
  root: string
  tell?: (outcome: EnvOutcome) => void
}

/** The files involved in the environments that differ from the commit. */
export function dirtyFiles(files: string[][], source: SourceInfo): string[] {
  const changed = new Set(source.changed)
  return [...new Set(files.flatMap(f => f.filter(x => changed.has(x))))].sort()
}

/** What etcd holds for the environments read. */
export interface Current {
  /** Environment name (printable) → what its prefix holds. */
  envs: Map<string, EnvState>
  /** Other deployments found under environments' prefixes (`<prefix>/environments/x/.ssmd-deployment`, …). */
  nested: Set<string>
}

export interface ReadOptions {
  /** Read every environment (one paged read of `<prefix>/environments/`). */
  whole?: boolean
  pageSize?: number
  onPage?: (page: number) => void | Promise<void>
}

/**
 * Reads what etcd holds for these environments (with `whole`, for every
 * environment), keeping of each content value only its digest, so that a
 * fleet of any size is compared in bounded memory.
 */
export async function readCurrent(session: EtcdSession, prefix: string, names: string[], options: ReadOptions = {}): Promise<Current> {
  const current: Current = { envs: new Map(), nested: new Set() }
  const base = Buffer.from(environmentsPrefix(prefix))
  const read = async (from: string, bounds?: Buffer[]) => {
    const touched: string[] = []
    const revision = await session.scan(
      from,
      (key, value, modRevision) => {
        const nested = deploymentOfKey(key.toString('latin1'))
        if (nested !== undefined && nested !== prefix) current.nested.add(printableKey(Buffer.from(nested, 'latin1')))
        const rel = key.subarray(base.length)
        const slash = rel.indexOf(0x2f)
        // A key right under <prefix>/environments/ belongs to no environment (and no delete range removes it).
        if (slash <= 0) return
        const name = printableKey(rel.subarray(0, slash))
        let state = current.envs.get(name)
        if (!state) {
          state = { revision: '', others: [] }
          current.envs.set(name, state)
          touched.push(name)
        }
        const rest = rel.subarray(slash + 1)
        if (rest.equals(CONTENT_BYTES)) state.content = { digest: digestOf(value), modRevision }
        else if (rest.equals(RECORD_BYTES)) state.record = { value: value.toString(), modRevision }
        else state.others.push(printableKey(rest))
      },
      {
        ...(options.pageSize ? { pageSize: options.pageSize } : {}),
        ...(bounds ? { bounds } : {}),
        ...(options.onPage ? { onPage: options.onPage } : {}),
        restart: () => {
          for (const n of touched) current.envs.delete(n)
          touched.length = 0
        },
      },
    )
    for (const n of touched) current.envs.get(n)!.revision = revision
    return revision
  }
  if (options.whole || names.length > READ_ONE_BY_ONE) {
    const revision = await read(environmentsPrefix(prefix), rangeBounds(prefix, names))
    // Environments not found were absent at that revision: their transactions guard on it.
    for (const name of names) if (!current.envs.has(name)) current.envs.set(name, { revision, others: [] })
  } else {
    for (const name of names) {
      const revision = await read(envPrefix(prefix, name))
      if (!current.envs.has(name)) current.envs.set(name, { revision, others: [] })
    }
  }
  return current
}

/** Environments per range of a read of many (EtcdSession.scan's bounds): a few thousand keys each. */
const ENVS_PER_RANGE = 1000

/** Where a read of every environment is cut into ranges: the prefixes of every ENVS_PER_RANGE-th of `names`, in etcd's (byte) order. */
function rangeBounds(prefix: string, names: readonly string[]): Buffer[] {
  const keys = names.map(n => Buffer.from(envPrefix(prefix, n))).sort(Buffer.compare)
  return keys.filter((_, i) => i > 0 && i % ENVS_PER_RANGE === 0)
}

const CONTENT_BYTES = Buffer.from(CONTENT)
const RECORD_BYTES = Buffer.from(RECORD)

const recordOf = (r: Rendering, source: SourceInfo, changed: Set<string>, meta: DeployMeta): Omit<DeployRecord, 'digest'> => ({
  commit: source.commit,
  dirty: r.files.some(f => changed.has(f)),
  as_of: meta.asOf,
  deployed_at: meta.now,
  deployed_by: meta.deployedBy,
  ssmd_version: meta.ssmdVersion,
  deploy_id: meta.deployId,
})

/** Runs `work` on indexes 0..n-1, `CONCURRENCY` at a time, while `go()` holds. */
async function pool(n: number, work: (i: number) => Promise<void>, go: () => boolean = () => true): Promise<void> {
  let next = 0
  const worker = async () => {
    while (go() && next < n) await work(next++)
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker))
}

/** An environment that cannot be rendered: its outcome (nothing planned for it). */
const cannotRender = (name: string, message: string): EnvOutcome => ({ name, action: 'none', result: 'failed', changes: [], message: `cannot render: ${message}` })

/** Renders environment `i` and plans it against what etcd holds, with the record `recordFor` gives; or the outcome of one that cannot be rendered. */
function renderAndPlan(
  envs: Prepared,
  i: number,
  prefix: string,
  current: Current,
  recordFor: (r: Rendering) => Omit<DeployRecord, 'digest'>,
): { plan: EnvPlan; state: EnvState | undefined } | { failed: EnvOutcome } {
  const each = renderEach(envs, i)
  if ('failure' in each) return { failed: cannotRender(each.failure.name, each.failure.message) }
  const state = current.envs.get(each.rendering.content.name)
  return { plan: planEnvironment(prefix, each.rendering.content, state, recordFor(each.rendering)), state }
}

/**
 * The comparison of a planned environment with what etcd holds, into its
 * outcome: field changes, and the hand edit it overwrites (told to
 * `handEdits.tell` first). Reads the content etcd holds only when it differs.
 */
async function compareInto(session: EtcdSession, prefix: string, plan: EnvPlan, state: EnvState | undefined, outcome: EnvOutcome, handEdits?: HandEditOptions): Promise<void> {
  if (plan.action !== 'update') return
  const held = await heldContent(session, prefix, plan.name, state)
  const c = compareEnvironment(plan, state, held)
  if (handEdits) await pinHandEdits(handEdits.root, held, c)
  outcome.changes = c.changes
  if (c.handEdited) {
    outcome.handEdits = c.handEdits
    handEdits?.tell?.(outcome)
  }
}

/** With a dry run: plans every environment and, for those to update, compares field by field with the content etcd holds. */
export async function planAll(
  session: EtcdSession,
  prefix: string,
  envs: Prepared,
  current: Current,
  source: SourceInfo,
  meta: DeployMeta,
  handEdits?: HandEditOptions,
  check?: RecordCheck,
): Promise<EnvOutcome[]> {
  const changed = new Set(source.changed)
  const outcomes: EnvOutcome[] = new Array(envs.names.length)
  await pool(envs.names.length, async i => {
    const held = current.envs.get(envs.names[i])
    if (check && (await check.unchanged(held, parseRecord(held?.record?.value), envs.recordable(i)))) {
      outcomes[i] = unchangedOutcome(envs.names[i])
      return
    }
    const planned = renderAndPlan(envs, i, prefix, current, r => recordOf(r, source, changed, meta))
    if ('failed' in planned) {
      outcomes[i] = planned.failed
      return
    }
    const { plan, state } = planned
    const outcome = outcomeOf(plan, plan.action === 'unchanged' ? 'unchanged' : plan.error ? 'refused' : 'planned')
    await compareInto(session, prefix, plan, state, outcome, handEdits)
    outcomes[i] = outcome
  })
  return outcomes
}

/**
 * The environments that need a transaction, and the outcome of the others
 * (unchanged, or cannot be rendered), by name. The record's fields do not
 * matter to the comparison.
 */
export async function pendingOf(prefix: string, envs: Prepared, current: Current, check?: RecordCheck): Promise<{ pending: number[]; settled: Map<string, EnvOutcome> }> {
  const pending: number[] = []
  const settled = new Map<string, EnvOutcome>()
  const record = { commit: null, dirty: false, as_of: '', deployed_at: '', deployed_by: '', ssmd_version: '', deploy_id: '' }
  for (let i = 0; i < envs.names.length; i++) {
    const state = current.envs.get(envs.names[i])
    // Nothing held: it is written (rendered then, once).
    if (!held(state)) {
      pending.push(i)
      continue
    }
    if (check && (await check.unchanged(state, parseRecord(state?.record?.value), envs.recordable(i)))) {
      settled.set(envs.names[i], unchangedOutcome(envs.names[i]))
      continue
    }
    const planned = renderAndPlan(envs, i, prefix, current, () => record)
    if ('failed' in planned) {
      settled.set(planned.failed.name, planned.failed)
      continue
    }
    const { plan } = planned
    if (plan.action === 'unchanged') settled.set(plan.name, outcomeOf(plan, 'unchanged'))
    else pending.push(i)
  }
  // Until one pending environment is known to render, each that etcd holds nothing of (not rendered above) is tried:
  // a run whose every pending environment fails to render writes nothing, not even the lock or the deployment marker.
  while (pending.length > 0 && !held(current.envs.get(envs.names[pending[0]]))) {
    const each = renderEach(envs, pending[0])
    if (!('failure' in each)) break
    settled.set(each.failure.name, cannotRender(each.failure.name, each.failure.message))
    pending.shift()
  }
  return { pending, settled }
}

/** Whether etcd holds anything under an environment's prefix. */
const held = (state: EnvState | undefined): boolean => state !== undefined && (state.record !== undefined || state.content !== undefined || state.others.length > 0)

/** An environment its record proves unchanged (RecordCheck): what planEnvironment says of it, without rendering it. */
const unchangedOutcome = (name: string): EnvOutcome => ({ name, action: 'unchanged', result: 'unchanged', changes: [], drift: [] })

const outcomeOf = (plan: EnvPlan, result: EnvOutcome['result']): EnvOutcome => ({
  name: plan.name,
  action: plan.action,
  result,
  changes: [],
  drift: plan.drift,
  ...(plan.error ? { message: plan.error } : {}),
})

/**
 * etcd's default limit on the compares, and on the operations, of one transaction (--max-txn-ops): a batch holds
 * environments while both fit (the lock's compare included): 64 environments new to etcd, 42 already there.
 */
const MAX_TXN_OPS = 128
/** Value bytes in one batched transaction at most, far within etcd's request limit (1.5 MiB by default); a larger environment goes alone. */
const BATCH_BYTES = 256 * 1024
/** Batched transactions in flight at once. */
const BATCHES_IN_FLIGHT = 8
/** Environments to write per batch in flight: fewer, and one batch more in flight would only split them smaller. */
const PER_WORKER = 42
/** An etcd configured with smaller limits than its defaults refuses a batch as such: then every environment is written alone. */
const overLimit = (e: SsmdError) => /too many operations|request is too large|message larger than max/i.test(e.message)

/**
 * Plans and writes each environment, holding no more than the plans of the
 * transactions in flight; a hand edit is told to `handEdits.tell` before it
 * is overwritten. Environments are written in batches (up to 25 in one
 * transaction, 8 transactions in flight): each environment's guards and
 * operations are those of its own transaction, so a batch writes each of its
 * environments entirely or not at all. When a batch is not applied, its
 * environments are written one by one: a transaction whose guard fails is
 * refused (nothing written for that environment) unless it turns out to be
 * this run's own write, retried by the client after a lost answer. An
 * environment too large for one request is refused on its own. After an etcd
 * failure no further transaction is started (a permission denied fails only
 * the environment it concerns: a role may cover some environments only).
 */
export async function deployAll(
  session: EtcdSession,
  prefix: string,
  envs: Prepared,
  /** The environments to deploy, by index into `envs`. */
  indexes: number[],
  current: Current,
  source: SourceInfo,
  meta: DeployMeta,
  lock?: { key: string; createRevision: string; lost(): boolean },
  handEdits?: HandEditOptions,
): Promise<EnvOutcome[]> {
  const changed = new Set(source.changed)
  const outcomes: EnvOutcome[] = indexes.map(i => ({ name: envs.names[i], action: 'update', result: 'skipped', changes: [], drift: [] }))
  const held = lock ? { key: lock.key, createRevision: lock.createRevision } : undefined
  let failure: SsmdError | undefined
  let batching = true
  const failed = (outcome: EnvOutcome, error: unknown) => {
    if (!(error instanceof SsmdError)) throw error
    if (error.code !== 'etcd-permission') failure ??= error
    outcome.result = 'failed'
    outcome.message = error.message
  }
  /** One environment in a transaction of its own: written, or refused with why. */
  const writeAlone = async (plan: EnvPlan & { write: NonNullable<EnvPlan['write']> }, outcome: EnvOutcome) => {
    try {
      outcome.result = 'written'
      if (await session.writeEnvironment({ ...plan.write, ...(held ? { lock: held } : {}) })) return
      const record = parseRecord((await session.get(recordKey(prefix, plan.name)))?.value)
      if (record?.deploy_id === meta.deployId) return
      outcome.result = 'refused'
      if (lock && ((await session.get(lock.key))?.createRevision ?? '0') !== lock.createRevision) {
        outcome.message = `the deploy lock on ${prefix} was lost (its lease expired: etcd did not hear from this deploy for longer than its TTL): nothing written for it, run the deploy again`
      } else {
        outcome.message = `changed in etcd since it was read${record ? ` (deployed by ${record.deployed_by} at ${record.deployed_at}, commit ${shortCommit(record.commit)})` : ''}; a hand edit or a deploy without the lock ran meanwhile: nothing written for it, run the deploy again to compare anew`
      }
    } catch (error) {
      failed(outcome, error)
    }
  }
  type Item = { plan: EnvPlan & { write: NonNullable<EnvPlan['write']> }; outcome: EnvOutcome }
  const size = (item: Item) => item.plan.write.content.length + item.plan.write.record.length
  let next = 0
  const worker = async () => {
    // An environment that did not fit in the last batch starts the next one.
    let carry: Item | undefined
    while (failure === undefined && (next < indexes.length || carry)) {
      const batch: Item[] = []
      let bytes = 0
      const used = { compares: held ? 1 : 0, ops: 0 }
      const add = (item: Item) => {
        const n = txnSize(item.plan.write)
        if (batch.length > 0 && (bytes + size(item) > BATCH_BYTES || used.compares + n.compares > MAX_TXN_OPS || used.ops + n.ops > MAX_TXN_OPS)) return false
        batch.push(item)
        bytes += size(item)
        used.compares += n.compares
        used.ops += n.ops
        return true
      }
      if (carry) add(carry)
      carry = undefined
      // Room for one more environment (of the smallest kind): one compare, two puts.
      const room = () => bytes < BATCH_BYTES && used.compares < MAX_TXN_OPS && used.ops <= MAX_TXN_OPS - 2
      while (failure === undefined && next < indexes.length && room()) {
        const i = next++
        const planned = renderAndPlan(envs, indexes[i], prefix, current, r => recordOf(r, source, changed, meta))
        if ('failed' in planned) {
          outcomes[i] = planned.failed
          continue
        }
        const { plan, state } = planned
        if (!plan.write) {
          outcomes[i] = outcomeOf(plan, plan.error ? 'refused' : 'unchanged')
          continue
        }
        const outcome = outcomeOf(plan, 'skipped')
        outcomes[i] = outcome
        try {
          await compareInto(session, prefix, plan, state, outcome, handEdits)
        } catch (error) {
          failed(outcome, error)
          continue
        }
        const item = { plan: plan as Item['plan'], outcome }
        if (!add(item)) {
          carry = item
          break
        }
      }
      if (batch.length === 0) continue
      if (batching && batch.length > 1 && failure === undefined) {
        try {
          if (
            await session.writeEnvironments(
              batch.map(b => b.plan.write),
              held,
            )
          ) {
            for (const b of batch) b.outcome.result = 'written'
            continue
          }
        } catch (error) {
          if (!(error instanceof SsmdError)) throw error
          if (overLimit(error)) batching = false
          else if (error.code !== 'etcd-permission') {
            for (const b of batch) failed(b.outcome, error)
            continue
          }
        }
      }
      // Not applied (a guard failed, a permission is missing, a limit is lower): one by one, to tell which.
      for (const b of batch) if (failure === undefined) await writeAlone(b.plan, b.outcome)
    }
  }
  await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, Math.ceil(indexes.length / PER_WORKER)) }, worker))
  return outcomes
}

export const shortCommit = (c: string | null | undefined) => (c ? c.slice(0, 12) : 'none')

/** user@host of whoever runs the deploy. */
export function deployer(): string {
  let user: string | undefined
  try {
    user = userInfo().username
  } catch {
    user = process.env.USER ?? process.env.LOGNAME
  }
  return `${user || 'unknown'}@${hostname()}`
}
