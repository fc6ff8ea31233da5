/** Deploy: plan every environment against etcd, then one guarded transaction per environment that changed. */
import { hostname, userInfo } from 'node:os'
import { SsmdError } from '../core/errors.js'
import type { EtcdSession } from './etcd.js'
import { envPrefix, environmentsPrefix, parseRecord, printable, recordKey, RECORD, type DeployRecord } from './layout.js'
import { planEnvironment, statusOf, type EnvPlan, type EnvStatus, type KeyChange, type KvEntry } from './plan.js'
import type { Rendering, SourceInfo } from './render.js'

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
  /** What the plan said. */
  action: EnvPlan['action']
  /** What happened: written, unchanged, planned (dry run), refused (raced), failed (etcd error), skipped (after a failure). */
  result: 'written' | 'unchanged' | 'planned' | 'refused' | 'failed' | 'skipped'
  changes: KeyChange[]
  message?: string
}

/** The files involved in each rendering that differ from the commit. */
export function dirtyFiles(renderings: Rendering[], source: SourceInfo): string[] {
  const changed = new Set(source.changed)
  return [...new Set(renderings.flatMap(r => r.files.filter(f => changed.has(f))))].sort()
}

/** Reads what etcd holds for these environments (with `whole`, for every environment): absolute key → entry. */
export async function readCurrent(session: EtcdSession, prefix: string, names: string[], options: { whole?: boolean } = {}): Promise<Map<string, KvEntry>> {
  if (options.whole || names.length > READ_ONE_BY_ONE) return session.readPrefix(environmentsPrefix(prefix))
  const all = new Map<string, KvEntry>()
  for (const name of names) for (const [k, v] of await session.readPrefix(envPrefix(prefix, name))) all.set(k, v)
  return all
}

/** The keys of `current` under one environment's prefix. */
function keysOf(current: ReadonlyMap<string, KvEntry>, byEnv: Map<string, Map<string, KvEntry>>, prefix: string, name: string): Map<string, KvEntry> {
  return byEnv.get(name) ?? new Map([...current].filter(([k]) => k.startsWith(envPrefix(prefix, name))))
}

/** Groups keys under `<prefix>/environments/` by environment name. */
export function groupByEnvironment(prefix: string, current: ReadonlyMap<string, KvEntry>): Map<string, Map<string, KvEntry>> {
  const base = environmentsPrefix(prefix)
  const out = new Map<string, Map<string, KvEntry>>()
  for (const [k, v] of current) {
    if (!k.startsWith(base)) continue
    const name = k.slice(base.length).split('/')[0]
    let m = out.get(name)
    if (!m) out.set(name, (m = new Map()))
    m.set(k, v)
  }
  return out
}

export function planAll(prefix: string, renderings: Rendering[], current: ReadonlyMap<string, KvEntry>, source: SourceInfo, meta: DeployMeta): EnvPlan[] {
  const byEnv = groupByEnvironment(prefix, current)
  const changed = new Set(source.changed)
  return renderings.map(r => {
    const record: Omit<DeployRecord, 'digest' | 'keys'> = {
      commit: source.commit,
      dirty: r.files.some(f => changed.has(f)),
      as_of: meta.asOf,
      deployed_at: meta.now,
      deployed_by: meta.deployedBy,
      ssmd_version: meta.ssmdVersion,
      deploy_id: meta.deployId,
    }
    return planEnvironment(prefix, r.content, keysOf(current, byEnv, prefix, r.content.name), record)
  })
}

/**
 * Applies the plans: one transaction per environment that changed, guarded so
 * that it applies only if etcd still holds what was read. A transaction whose
 * guard fails is refused (nothing written for that environment) unless it
 * turns out to be this run's own write, retried by the client after a lost
 * answer. After an etcd failure no further transaction is started.
 */
export async function applyPlans(session: EtcdSession, prefix: string, plans: EnvPlan[], deployId: string): Promise<EnvOutcome[]> {
  const outcomes: EnvOutcome[] = plans.map(p => ({ name: p.name, action: p.action, result: p.action === 'unchanged' ? 'unchanged' : 'skipped', changes: p.changes }))
  const todo = plans.map((p, i) => ({ p, i })).filter(({ p }) => p.action !== 'unchanged')
  let next = 0
  let failure: SsmdError | undefined
  const worker = async () => {
    while (failure === undefined && next < todo.length) {
      const { p, i } = todo[next++]
      try {
        if (await session.apply(p.guards, p.puts, p.deletes)) {
          outcomes[i].result = 'written'
          continue
        }
        const now = await session.readPrefix(envPrefix(prefix, p.name))
        const record = parseRecord(now.get(recordKey(prefix, p.name))?.value)
        if (record?.deploy_id === deployId) {
          outcomes[i].result = 'written'
        } else {
          outcomes[i].result = 'refused'
          outcomes[i].message =
            `changed in etcd since it was read${record ? ` (deployed by ${record.deployed_by} at ${record.deployed_at}, commit ${shortCommit(record.commit)})` : ''}; another deploy is running or ran meanwhile: nothing written for it, run the deploy again to compare anew`
        }
      } catch (error) {
        if (!(error instanceof SsmdError)) throw error
        failure ??= error
        outcomes[i].result = 'failed'
        outcomes[i].message = error.message
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, worker))
  return outcomes
}

export const shortCommit = (c: string | null | undefined) => (c ? c.slice(0, 12) : 'none')

/** Status of each environment, and environments found in etcd that git no longer has. */
export function statusAll(
  prefix: string,
  renderings: Rendering[],
  current: ReadonlyMap<string, KvEntry>,
  all: boolean,
): { statuses: EnvStatus[]; orphans: Array<{ name: string; commit: string | null }> } {
  const byEnv = groupByEnvironment(prefix, current)
  const statuses = renderings.map(r => statusOf(prefix, r.content, keysOf(current, byEnv, prefix, r.content.name)))
  const orphans: Array<{ name: string; commit: string | null }> = []
  if (all) {
    const known = new Set(renderings.map(r => r.content.name))
    for (const [name, kvs] of byEnv) {
      if (known.has(name)) continue
      const record = parseRecord(kvs.get(`${envPrefix(prefix, name)}${RECORD}`)?.value)
      orphans.push({ name: printable(name), commit: record?.commit ?? null })
    }
    orphans.sort((a, b) => (a.name < b.name ? -1 : 1))
  }
  return { statuses, orphans }
}

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
