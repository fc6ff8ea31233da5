/** What a deploy would change in etcd for one environment, and the transaction that does it. */
import type { EnvironmentWrite } from './etcd.js'
import {
  canonicalJson,
  contentJson,
  contentKey,
  contentValue,
  digestOf,
  envPrefix,
  isOldLayoutKey,
  parseRecord,
  recordKey,
  type ContentValue,
  type DeployRecord,
} from './layout.js'
import type { RenderedContent } from './render.js'

/**
 * etcd's default limit on the size of one request (its --max-request-bytes,
 * 1.5 MiB). An environment's transaction carries its content and record and
 * three keys; the rest is an allowance for the request's own framing.
 */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024
const REQUEST_OVERHEAD = 1024

/** One key as read from etcd. */
export interface KvEntry {
  value: string
  /** etcd mod_revision, as a decimal string. */
  modRevision: string
}

/** What etcd holds under one environment's prefix (`<prefix>/environments/<name>/`), as read. */
export interface EnvState {
  /** The revision it was read at. */
  revision: string
  record?: { value: string; modRevision: string }
  /** The content value's digest (not the value: a fleet's contents would not fit in memory at once). */
  content?: { digest: string; modRevision: string }
  /** Every other key under the prefix, relative to it and printable (\xNN for bytes that are not UTF-8). */
  others: string[]
}

export interface KeyChange {
  /** Absolute etcd key (printable). */
  key: string
  kind: 'add' | 'change' | 'delete'
  /** Why a key is deleted: a key of the old layout, or one the layout does not have. */
  note?: 'old layout' | 'unexpected key'
  from?: string
  to?: string
}

export interface EnvPlan {
  name: string
  /** create: nothing in etcd yet; update: content, record or other keys differ; unchanged: nothing to write. */
  action: 'create' | 'update' | 'unchanged'
  /** Key changes: the content key, and keys removed (the record is not listed: it is written whenever anything is). */
  changes: KeyChange[]
  /** Why etcd differs from the rendering (empty when it does not, or holds nothing). */
  drift: string[]
  digest: string
  /** What the last deploy recorded, if anything. */
  previous?: DeployRecord
  /** The content value the rendering gives (made when asked for: only a field-level diff needs it). */
  newContent(): ContentValue
  /** The transaction (not for unchanged environments). */
  write?: Omit<EnvironmentWrite, 'lock'>
  /** Why the environment cannot be written (then there is no `write`). */
  error?: string
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Compares an environment's rendering with what etcd holds under its prefix, and plans the transaction. */
export function planEnvironment(prefix: string, content: RenderedContent, state: EnvState | undefined, record: Omit<DeployRecord, 'digest'>): EnvPlan {
  const name = content.name
  const base = envPrefix(prefix, name)
  const json = contentJson(content)
  const digest = digestOf(json)
  const previous = parseRecord(state?.record?.value)
  const others = state?.others ?? []
  // The old layout: content keys of their own and no content value; any other key is one the layout does not have.
  const oldLayout = !state?.content && others.length > 0 && others.every(isOldLayoutKey)
  const changes: KeyChange[] = []
  const drift: string[] = []
  const contentKeyAbs = contentKey(prefix, name)
  if (!state?.content) changes.push({ key: contentKeyAbs, kind: 'add' })
  else if (state.content.digest !== digest) changes.push({ key: contentKeyAbs, kind: 'change' })
  for (const k of others) changes.push({ key: base + k, kind: 'delete', note: oldLayout ? 'old layout' : 'unexpected key' })
  const exists = state !== undefined && (state.record !== undefined || state.content !== undefined || others.length > 0)
  if (exists) {
    if (oldLayout) drift.push(`old layout (${plural(others.length, 'key')})`)
    else if (state.content?.digest !== digest) drift.push(state.content ? 'content differs' : 'no content')
    if (!oldLayout && others.length > 0) drift.push(`${plural(others.length, 'unexpected key')}: ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}`)
    if (previous?.digest !== digest && changes.length === 0) drift.push(previous ? 'deploy record names another digest' : 'deploy record missing or unreadable')
  }
  const unchanged = exists && drift.length === 0
  const plan: EnvPlan = {
    name,
    action: unchanged ? 'unchanged' : exists ? 'update' : 'create',
    changes,
    drift,
    digest,
    ...(previous ? { previous } : {}),
    newContent: () => contentValue(content),
  }
  if (unchanged) return plan
  const recordJson = canonicalJson({ ...record, digest })
  const size = Buffer.byteLength(json) + Buffer.byteLength(recordJson) + 3 * Buffer.byteLength(base) + REQUEST_OVERHEAD
  if (size > MAX_REQUEST_BYTES) {
    plan.error = `its rendering is ${mib(size)}, over etcd's limit of ${mib(MAX_REQUEST_BYTES)} for one request (--max-request-bytes): nothing written for it; make it smaller (fewer or shorter keys, a smaller parser_config)`
    return plan
  }
  plan.write = {
    envPrefix: base,
    contentKey: contentKeyAbs,
    recordKey: recordKey(prefix, name),
    content: json,
    record: recordJson,
    revision: state?.revision ?? '0',
    recordMod: state?.record?.modRevision ?? '0',
    contentMod: state?.content?.modRevision ?? '0',
    others: others.length > 0,
  }
  return plan
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MiB`
