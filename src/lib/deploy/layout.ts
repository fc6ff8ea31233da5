/**
 * The etcd key layout (docs/deploy.md):
 *
 *   <prefix>/environments/<name>/content   the rendered environment as one canonical JSON value
 *   <prefix>/environments/<name>/deploy    the deploy record: commit, time, who, digest of content
 *   <prefix>/.ssmd-deployment              marks <prefix> as an ssmd deployment (overlap checks)
 *   <prefix>/.ssmd-lock                    held, with a lease, by the deploy running (one at a time)
 *
 * Every value is canonical JSON (object keys sorted, no spaces), so the same
 * configuration always gives the same bytes and an unchanged environment is
 * recognised by its digest. An environment is written by one transaction of a
 * constant number of operations, whatever its size.
 */
import { createHash } from 'node:crypto'
import { UsageError } from '../core/errors.js'
import type { DeploymentRecord } from '../runtime/content.js'
import type { RenderedContent } from './render.js'

export const DEFAULT_PREFIX = '/ssmd'
export const RECORD = 'deploy'
export const CONTENT = 'content'
/** The key, under a deployment's prefix, that marks it as one. */
export const MARKER = '.ssmd-deployment'
/** The key, under a deployment's prefix, a running deploy holds with its lease. */
export const LOCK = '.ssmd-lock'
/** The content keys of the layout before a rendering became one value (one key each): recognised, and replaced. */
const OLD_LAYOUT = /^(feed|schedule|transport|storage|cache|schemas\/[^/]+|keys\/[^/]+)$/

/** `/ssmd`, `/team-a/ssmd`: absolute, no trailing slash, printable ASCII without spaces, no `.` or `..` segment. */
export function checkPrefix(value: string): string {
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(value)) {
    throw new UsageError(`--prefix '${value}' is not a key prefix; use '/' and segments of letters, digits, '.', '_' or '-', without a trailing '/', e.g. /ssmd`)
  }
  const dots = value.split('/').find(s => s === '.' || s === '..')
  if (dots !== undefined) {
    throw new UsageError(`--prefix '${value}' has a '${dots}' segment; etcd keys are not paths, so it would name a different key than it seems: write the prefix without it`)
  }
  return value
}

export const environmentsPrefix = (prefix: string) => `${prefix}/environments/`
export const envPrefix = (prefix: string, name: string) => `${prefix}/environments/${name}/`
export const recordKey = (prefix: string, name: string) => `${envPrefix(prefix, name)}${RECORD}`
export const contentKey = (prefix: string, name: string) => `${envPrefix(prefix, name)}${CONTENT}`
export const markerKey = (prefix: string) => `${prefix}/${MARKER}`
export const lockKey = (prefix: string) => `${prefix}/${LOCK}`

/** Whether a key relative to an environment's prefix is one of the old layout's content keys. */
export const isOldLayoutKey = (relative: string) => OLD_LAYOUT.test(relative)

/**
 * The prefix of the deployment a key reveals, if it is one: its marker
 * (`<q>/.ssmd-deployment`) or a deploy record (`<q>/environments/<name>/deploy`,
 * which deployments made before the marker existed have too).
 */
export function deploymentOfKey(key: string): string | undefined {
  if (key.endsWith(`/${MARKER}`)) return key.slice(0, -MARKER.length - 1)
  const m = /^(.*)\/environments\/[^/]+\/deploy$/.exec(key)
  return m ? m[1] : undefined
}

/** The proper ancestors of a prefix, outermost first: `/a/b/c` → `/a`, `/a/b`. */
export function ancestorsOf(prefix: string): string[] {
  const parts = prefix.split('/').slice(1)
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)
}

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

/** The value of `<env>/content`: the rendering without its name, schemas by name. */
export interface ContentValue {
  cache?: RenderedContent['cache']
  feed: RenderedContent['feed']
  keys: RenderedContent['keys']
  schedule?: RenderedContent['schedule']
  schemas: Record<string, RenderedContent['schemas'][number]>
  storage: RenderedContent['storage']
  transport: RenderedContent['transport']
}

/** The content value of a rendering (sharing its feed and schema objects). */
export function contentValue(content: RenderedContent): ContentValue {
  const schemas: ContentValue['schemas'] = {}
  for (const s of [...content.schemas].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) schemas[s.name] = s
  return {
    ...(content.cache ? { cache: content.cache } : {}),
    feed: content.feed,
    keys: content.keys,
    ...(content.schedule ? { schedule: content.schedule } : {}),
    schemas,
    storage: content.storage,
    transport: content.transport,
  }
}

/**
 * The canonical JSON of a rendering's content value: byte for byte
 * `canonicalJson(contentValue(content))`, with the feed and schemas (shared by
 * many environments) serialised once per run.
 */
export function contentJson(content: RenderedContent): string {
  const schemas = [...content.schemas].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const parts: string[] = []
  if (content.cache) parts.push(`"cache":${canonicalJson(content.cache)}`)
  parts.push(`"feed":${canonicalShared(content.feed)}`)
  parts.push(`"keys":${canonicalJson(content.keys)}`)
  if (content.schedule) parts.push(`"schedule":${canonicalJson(content.schedule)}`)
  parts.push(`"schemas":{${schemas.map(s => `${JSON.stringify(s.name)}:${canonicalShared(s)}`).join(',')}}`)
  parts.push(`"storage":${canonicalJson(content.storage)}`)
  parts.push(`"transport":${canonicalJson(content.transport)}`)
  return `{${parts.join(',')}}`
}

/** `sha256:` and the hex SHA-256 of a content value's bytes: what the deploy record names. */
export function digestOf(json: string | Buffer): string {
  return `sha256:${createHash('sha256').update(json).digest('hex')}`
}

/** What the last deploy of an environment recorded (the value of `<env>/deploy`): the type the reader exports. */
export type DeployRecord = DeploymentRecord

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
    deploy_id: text(r.deploy_id),
  }
}

/** The characters printable() escapes. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** Text from etcd made safe to print: control characters shown as \uXXXX, at most 200 characters. */
export function printable(s: string): string {
  // Most text needs nothing (a fleet's 100,000 records are read by every deploy and status).
  if (s.length <= 200 && !CONTROL.test(s)) return s
  let out = ''
  for (const c of s) {
    const code = c.charCodeAt(0)
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : c
    if (out.length > 200) return `${out.slice(0, 200)}…`
  }
  return out
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A key read from etcd, made safe to print: valid UTF-8 as text (control
 * characters as \uXXXX), any byte that is not part of valid UTF-8 as \xNN.
 */
export function printableKey(key: Buffer): string {
  try {
    return printable(strictUtf8.decode(key))
  } catch {
    let out = ''
    let i = 0
    while (i < key.length) {
      const b = key[i]
      const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
      let char: string | undefined
      if (len > 0 && i + len <= key.length) {
        try {
          char = strictUtf8.decode(key.subarray(i, i + len))
        } catch {
          char = undefined
        }
      }
      if (char === undefined) {
        out += `\\x${b.toString(16).padStart(2, '0')}`
        i++
      } else {
        out += printable(char)
        i += len
      }
    }
    return out.length > 200 ? `${out.slice(0, 200)}…` : out
  }
}
