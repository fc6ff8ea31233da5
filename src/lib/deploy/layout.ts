/**
 * The etcd key layout (docs/deploy.md):
 *
 *   <prefix>/environments/<name>/feed               the feed and its version in effect
 *   <prefix>/environments/<name>/schemas/<schema>   schema version, format, definition path, hash
 *   <prefix>/environments/<name>/schedule           (when the environment has one)
 *   <prefix>/environments/<name>/keys/<key>         one secret reference each (never a value)
 *   <prefix>/environments/<name>/transport
 *   <prefix>/environments/<name>/storage
 *   <prefix>/environments/<name>/cache              (when the environment has one)
 *   <prefix>/environments/<name>/deploy             the deploy record: commit, time, who, digest
 *
 * Every value is canonical JSON (object keys sorted, no spaces), so the same
 * configuration always gives the same bytes and an unchanged environment can be
 * recognised by comparing values.
 */
import { createHash } from 'node:crypto'
import { UsageError } from '../core/errors.js'
import type { RenderedContent } from './render.js'

export const DEFAULT_PREFIX = '/ssmd'
export const RECORD = 'deploy'

/** `/ssmd`, `/team-a/ssmd`: absolute, no trailing slash, printable ASCII without spaces. */
export function checkPrefix(value: string): string {
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(value)) {
    throw new UsageError(`--prefix '${value}' is not a key prefix; use '/' and segments of letters, digits, '.', '_' or '-', without a trailing '/', e.g. /ssmd`)
  }
  return value
}

export const environmentsPrefix = (prefix: string) => `${prefix}/environments/`
export const envPrefix = (prefix: string, name: string) => `${prefix}/environments/${name}/`
export const recordKey = (prefix: string, name: string) => `${envPrefix(prefix, name)}${RECORD}`

/** JSON with object keys sorted at every level: stable bytes for equal values. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
    .filter(k => obj[k] !== undefined)
    .sort()
  return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
}

/** Canonical JSON of the feed and schema objects environments share (rendered once per run). */
const sharedJson = new WeakMap<object, string>()
function canonicalShared(value: object): string {
  let json = sharedJson.get(value)
  if (json === undefined) {
    json = canonicalJson(value)
    sharedJson.set(value, json)
  }
  return json
}

/** The content keys of one environment, relative to its prefix (`feed`, `keys/kalshi`, …), with their values. */
export function contentEntries(content: RenderedContent): Map<string, string> {
  const out = new Map<string, string>()
  out.set('feed', canonicalShared(content.feed))
  for (const s of content.schemas) out.set(`schemas/${s.name}`, canonicalShared(s))
  if (content.schedule) out.set('schedule', canonicalJson(content.schedule))
  for (const [k, v] of Object.entries(content.keys)) out.set(`keys/${k}`, canonicalJson(v))
  out.set('transport', canonicalJson(content.transport))
  out.set('storage', canonicalJson(content.storage))
  if (content.cache) out.set('cache', canonicalJson(content.cache))
  return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
}

/** SHA-256 over the content keys (relative) and values, in key order: what the deploy record names. */
export function digestOf(entries: Map<string, string>): string {
  const h = createHash('sha256')
  for (const [k, v] of [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) h.update(k).update('\0').update(v).update('\0')
  return `sha256:${h.digest('hex')}`
}

/** What the last deploy of an environment recorded (the value of `<env>/deploy`). */
export interface DeployRecord {
  /** Git commit the configuration was rendered from (null: no commit). */
  commit: string | null
  /** True when it was deployed with uncommitted changes (--allow-dirty). */
  dirty: boolean
  /** The date the feed version was resolved for. */
  as_of: string
  /** ISO 8601, UTC. */
  deployed_at: string
  /** user@host of whoever ran the deploy. */
  deployed_by: string
  ssmd_version: string
  /** Digest of the content keys written (see digestOf). */
  digest: string
  /** The content keys written, relative to the environment's prefix. */
  keys: string[]
  /** Random id of the deploy run that wrote it. */
  deploy_id: string
}

/**
 * The record as read from etcd: anything can be there (a hand edit, another
 * tool), so only fields of the expected type are kept, and text is made
 * printable (no control characters reach a terminal).
 */
export function parseRecord(value: string | undefined): DeployRecord | undefined {
  if (value === undefined) return undefined
  let raw: unknown
  try {
    raw = JSON.parse(value)
  } catch {
    return undefined
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const r = raw as Record<string, unknown>
  const text = (v: unknown) => (typeof v === 'string' ? printable(v) : '')
  return {
    commit: typeof r.commit === 'string' && /^[0-9a-f]{4,64}$/.test(r.commit) ? r.commit : null,
    dirty: r.dirty === true,
    as_of: text(r.as_of),
    deployed_at: text(r.deployed_at),
    deployed_by: text(r.deployed_by),
    ssmd_version: text(r.ssmd_version),
    digest: text(r.digest),
    keys: Array.isArray(r.keys) ? r.keys.filter((k): k is string => typeof k === 'string') : [],
    deploy_id: text(r.deploy_id),
  }
}

/** Text from etcd made safe to print: control characters shown as \uXXXX, at most 200 characters. */
export function printable(s: string): string {
  let out = ''
  for (const c of s) {
    const code = c.charCodeAt(0)
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : c
    if (out.length > 200) return `${out.slice(0, 200)}…`
  }
  return out
}
