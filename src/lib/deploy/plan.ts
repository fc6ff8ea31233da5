/** What a deploy would change in etcd for one environment, and the guarded transaction that does it. */
import { canonicalJson, contentEntries, digestOf, envPrefix, parseRecord, RECORD, type DeployRecord } from './layout.js'
import type { RenderedContent } from './render.js'

/** One key as read from etcd. */
export interface KvEntry {
  value: string
  /** etcd mod_revision, as a decimal string. */
  modRevision: string
}

export interface KeyChange {
  /** Absolute etcd key. */
  key: string
  kind: 'add' | 'change' | 'delete'
  from?: string
  to?: string
}

/** A compare of the guarded transaction: the key's mod_revision is still what was read ('0': the key must not exist). */
export interface Guard {
  key: string
  modRevision: string
}

export interface EnvPlan {
  name: string
  /** create: nothing in etcd yet; update: content or record differ; unchanged: nothing to write. */
  action: 'create' | 'update' | 'unchanged'
  /** Content key changes (the record is not listed: it is written whenever anything is). */
  changes: KeyChange[]
  digest: string
  /** What the last deploy recorded, if anything. */
  previous?: DeployRecord
  guards: Guard[]
  puts: Array<[string, string]>
  deletes: string[]
}

/**
 * Compares the rendering with what etcd holds under the environment's prefix
 * (`current`: absolute key → entry, only keys under that prefix) and plans the
 * writes. The record is rewritten whenever content changes, or when it is
 * missing or names another digest; otherwise nothing is written.
 */
export function planEnvironment(prefix: string, content: RenderedContent, current: ReadonlyMap<string, KvEntry>, record: Omit<DeployRecord, 'digest' | 'keys'>): EnvPlan {
  const base = envPrefix(prefix, content.name)
  const wanted = contentEntries(content)
  const digest = digestOf(wanted)
  const recordAbs = base + RECORD
  const previousEntry = current.get(recordAbs)
  const previous = parseRecord(previousEntry?.value)
  const changes: KeyChange[] = []
  for (const [rel, value] of wanted) {
    const have = current.get(base + rel)
    if (!have) changes.push({ key: base + rel, kind: 'add', to: value })
    else if (have.value !== value) changes.push({ key: base + rel, kind: 'change', from: have.value, to: value })
  }
  for (const [key, have] of current) {
    if (key === recordAbs || !key.startsWith(base)) continue
    if (!wanted.has(key.slice(base.length))) changes.push({ key, kind: 'delete', from: have.value })
  }
  changes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const unchanged = changes.length === 0 && previous?.digest === digest
  const guards: Guard[] = []
  const puts: Array<[string, string]> = []
  const deletes: string[] = []
  if (!unchanged) {
    for (const [key, have] of current) if (key.startsWith(base)) guards.push({ key, modRevision: have.modRevision })
    if (!previousEntry) guards.push({ key: recordAbs, modRevision: '0' })
    for (const c of changes) {
      if (c.kind === 'delete') deletes.push(c.key)
      else {
        if (c.kind === 'add') guards.push({ key: c.key, modRevision: '0' })
        puts.push([c.key, c.to!])
      }
    }
    const full: DeployRecord = { ...record, digest, keys: [...wanted.keys()] }
    puts.push([recordAbs, canonicalJson(full)])
  }
  const action = unchanged ? 'unchanged' : [...current.keys()].some(k => k.startsWith(base)) ? 'update' : 'create'
  return { name: content.name, action, changes, digest, ...(previous ? { previous } : {}), guards, puts, deletes }
}

/** What `deploy status` reports for one environment. */
export interface EnvStatus {
  name: string
  /** in-sync: etcd holds what git renders; drift: it holds something else; missing: never deployed. */
  state: 'in-sync' | 'drift' | 'missing'
  /** The commit of the last deploy that wrote this environment. */
  deployedCommit: string | null
  deployedAt?: string
  deployedBy?: string
  /** Content keys that differ between git and etcd. */
  changes: KeyChange[]
}

export function statusOf(prefix: string, content: RenderedContent, current: ReadonlyMap<string, KvEntry>): EnvStatus {
  const plan = planEnvironment(prefix, content, current, { commit: null, dirty: false, as_of: '', deployed_at: '', deployed_by: '', ssmd_version: '', deploy_id: '' })
  const previous = plan.previous
  const state = plan.action === 'create' ? 'missing' : plan.changes.length === 0 && previous?.digest === plan.digest ? 'in-sync' : 'drift'
  return {
    name: content.name,
    state,
    deployedCommit: previous?.commit ?? null,
    ...(previous?.deployed_at ? { deployedAt: previous.deployed_at } : {}),
    ...(previous?.deployed_by ? { deployedBy: previous.deployed_by } : {}),
    changes: plan.changes,
  }
}
