import { checkTimeFlag, checkTimezoneFlag } from '../core/dates.js'
import { NotFoundError, SsmdError, UsageError } from '../core/errors.js'
import { checkName, checkSize, checkUrl, parseSchemaRef } from './input.js'
import { refuseUnreadable, type DocumentProblem } from './unreadable.js'
import { compact, mapEdits, type Change } from '../yaml/changes.js'
import type { EditOp } from '../yaml/edit.js'
import { CACHE_URL_SCHEMES, TRANSPORT_URL_SCHEMES } from '../spec/enums.js'
import type { EnvironmentData, FeedData, SchemaData } from '../spec/types.generated.js'
import { didYouMean, hasControlChar } from '../core/text.js'
import type { Workspace } from '../workspace/workspace.js'

type Transport = EnvironmentData['transport']
type Storage = EnvironmentData['storage']
type Cache = NonNullable<EnvironmentData['cache']>
type Schedule = NonNullable<EnvironmentData['schedule']>

export const DEFAULT_STORAGE_ROOT = '/var/lib/ssmd'

export interface SchemaRef {
  schema: string
  version: string
  ref: string
}

export interface EnvInput {
  feed?: string
  schema?: SchemaRef
  schedule: Partial<Schedule>
  transport: Partial<Transport>
  storage: Partial<Storage>
  cache: Partial<Cache>
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const REGION = /^[a-z0-9][a-z0-9-]*$/

/** Environment fields as given on the command line, before any check. */
export interface EnvFields {
  feed?: string
  schema?: string
  scheduleTimezone?: string
  scheduleDayStart?: string
  scheduleDayEnd?: string
  scheduleAutoRoll?: boolean
  transportType?: string
  transportUrl?: string
  storageType?: string
  storagePath?: string
  storageBucket?: string
  storageRegion?: string
  cacheType?: string
  cacheMaxSize?: string
  cacheUrl?: string
}

/** Field values, each checked on its own (cross-field consistency comes in `resolveSections`). */
export function envInput(f: EnvFields): EnvInput {
  if (f.feed !== undefined) checkName('feed', f.feed)
  let schema: SchemaRef | undefined
  if (f.schema !== undefined) {
    const { name, version } = parseSchemaRef(f.schema, { requireVersion: true, flag: 'schema' })
    schema = { schema: name, version, ref: f.schema }
  }
  if (f.scheduleTimezone !== undefined) checkTimezoneFlag('schedule.timezone', f.scheduleTimezone)
  if (f.scheduleDayStart !== undefined) checkTimeFlag('schedule.day-start', f.scheduleDayStart)
  if (f.scheduleDayEnd !== undefined) checkTimeFlag('schedule.day-end', f.scheduleDayEnd)
  if (f.transportUrl !== undefined) checkUrl('transport.url', f.transportUrl, Object.values(TRANSPORT_URL_SCHEMES).flat())
  if (f.cacheUrl !== undefined) checkUrl('cache.url', f.cacheUrl, CACHE_URL_SCHEMES)
  if (f.cacheMaxSize !== undefined) checkSize('cache.max-size', f.cacheMaxSize)
  const path = f.storagePath
  if (path !== undefined && (!path.startsWith('/') || hasControlChar(path) || path.split('/').includes('..'))) {
    throw new UsageError(`--storage.path '${path}' must be an absolute path without '..', e.g. ${DEFAULT_STORAGE_ROOT}/data`)
  }
  if (f.storageBucket !== undefined && !BUCKET.test(f.storageBucket)) {
    throw new UsageError(`--storage.bucket '${f.storageBucket}' is not a valid bucket name (3–63 lowercase letters, digits, '.' or '-')`)
  }
  if (f.storageRegion !== undefined && !REGION.test(f.storageRegion)) {
    throw new UsageError(`--storage.region '${f.storageRegion}' is not a valid region (e.g. us-east-1)`)
  }
  return {
    ...compact({ feed: f.feed, schema }),
    schedule: compact({ timezone: f.scheduleTimezone, day_start: f.scheduleDayStart, day_end: f.scheduleDayEnd, auto_roll: f.scheduleAutoRoll }),
    transport: compact({ type: f.transportType as Transport['type'] | undefined, url: f.transportUrl }),
    storage: compact({ type: f.storageType as Storage['type'] | undefined, path, bucket: f.storageBucket, region: f.storageRegion }),
    cache: compact({ type: f.cacheType as Cache['type'] | undefined, max_size: f.cacheMaxSize, url: f.cacheUrl }),
  }
}

export function hasAnyInput(input: EnvInput): boolean {
  return input.feed !== undefined || input.schema !== undefined || [input.schedule, input.transport, input.storage, input.cache].some(o => Object.keys(o).length > 0)
}

/** Keys in the given order first, then any others in their own order. */
export function ordered<T extends Record<string, unknown>>(obj: T, order: readonly string[]): T {
  const out: Record<string, unknown> = {}
  for (const k of order) if (obj[k] !== undefined) out[k] = obj[k]
  for (const [k, v] of Object.entries(obj)) if (!(k in out) && v !== undefined) out[k] = v
  return out as T
}

export interface Sections {
  schedule?: Schedule
  transport: Transport
  storage: Storage
  cache?: Cache
}

/**
 * The schedule, transport, storage and cache sections after applying the flags
 * to what the file has (nothing, for a new environment), checked as a whole:
 * a type change drops the keys the new type does not take and asks for the
 * ones it needs.
 */
export function resolveSections(name: string, before: Partial<EnvironmentData> | undefined, input: EnvInput): Sections {
  const schedule =
    before?.schedule !== undefined || Object.keys(input.schedule).length > 0
      ? ordered({ ...(before?.schedule ?? {}), ...input.schedule } as Schedule, ['timezone', 'day_start', 'day_end', 'auto_roll'])
      : undefined

  const transport = { ...(before?.transport ?? { type: 'memory' }), ...input.transport } as Transport
  if (transport.type === 'memory') {
    if (input.transport.url !== undefined) throw new UsageError('a memory transport takes no --transport.url; pass --transport.type nats or mqtt with it')
    delete transport.url
  } else {
    const schemes = TRANSPORT_URL_SCHEMES[transport.type] ?? []
    if (transport.url === undefined) throw new UsageError(`a ${transport.type} transport needs --transport.url (${schemes.map(x => `${x}://`).join(' or ')}…)`)
    checkUrl(
      'transport.url',
      transport.url,
      schemes,
      ` for transport ${transport.type}${input.transport.url === undefined ? ' (the current url; pass a new --transport.url)' : ''}`,
    )
  }

  const storage = { ...(before?.storage ?? { type: 'local' }), ...input.storage } as Storage
  if (storage.type === 'local') {
    for (const k of ['bucket', 'region'] as const) {
      if (input.storage[k] !== undefined) throw new UsageError(`--storage.${k} is only for s3 storage; pass --storage.type s3 with it`)
      delete storage[k]
    }
    storage.path ??= `${DEFAULT_STORAGE_ROOT}/${name}`
    if (!storage.path.startsWith('/')) throw new UsageError(`local storage needs an absolute path; pass --storage.path, e.g. ${DEFAULT_STORAGE_ROOT}/${name}`)
  } else {
    if (input.storage.path !== undefined) throw new UsageError('--storage.path is only for local storage; s3 storage takes --storage.bucket and --storage.region')
    delete storage.path
    const missing = (['bucket', 'region'] as const).filter(k => storage[k] === undefined)
    if (missing.length > 0) throw new UsageError(`s3 storage needs ${missing.map(k => `--storage.${k}`).join(' and ')}`)
  }

  let cache: Cache | undefined
  if (before?.cache !== undefined || Object.keys(input.cache).length > 0) {
    cache = { ...(before?.cache ?? { type: 'memory' }), ...input.cache } as Cache
    if (cache.type === 'memory') {
      if (input.cache.url !== undefined) throw new UsageError('a memory cache takes no --cache.url; pass --cache.type redis with it')
      delete cache.url
    } else {
      if (cache.url === undefined) throw new UsageError('a redis cache needs --cache.url (redis:// or rediss://…)')
      checkUrl('cache.url', cache.url, CACHE_URL_SCHEMES, ' for a redis cache')
    }
  }

  return {
    ...(schedule ? { schedule } : {}),
    transport: before?.transport ? transport : ordered(transport, ['type', 'url']),
    storage: before?.storage ? storage : ordered(storage, ['type', 'path', 'bucket', 'region']),
    ...(cache ? { cache: before?.cache ? cache : ordered(cache, ['type', 'max_size', 'url']) } : {}),
  }
}

/** The edits for `env update`, like `planUpdate` for feeds: the root references, and each section as `resolveSections` leaves it. */
export function planEnvUpdate(name: string, env: EnvironmentData, input: EnvInput): { ops: EditOp[]; changes: Change[] } {
  const sections = resolveSections(name, env, input)
  const ops: EditOp[] = []
  const changes: Change[] = []
  mapEdits([], env as Record<string, unknown>, { ...env, ...(input.feed ? { feed: input.feed } : {}), ...(input.schema ? { schema: input.schema.ref } : {}) }, ops, changes)
  for (const k of ['schedule', 'transport', 'storage', 'cache'] as const) {
    const after = sections[k]
    if (after !== undefined) mapEdits([k], env[k] as Record<string, unknown> | undefined, after as Record<string, unknown>, ops, changes)
  }
  return { ops, changes }
}

/**
 * Checks that the feed exists and the schema version exists and may be used
 * (not a draft). Returns warnings (deprecated schema, retired feed).
 */
export function checkReferences(ws: Workspace, input: { feed?: string; schema?: SchemaRef }): string[] {
  const warnings: string[] = []
  if (input.feed !== undefined) {
    const feedDoc = ws.get('feed', input.feed)
    refuseUnreadable(feedDoc.file, feedDoc.problem)
    const feed = feedDoc.data as FeedData | undefined
    if (feed?.status === 'deprecated' || feed?.status === 'disabled') warnings.push(`feed '${input.feed}' is ${feed.status}`)
  }
  if (input.schema !== undefined) {
    const { schema, version, ref } = input.schema
    const doc = ws.get('schema', schema)
    refuseUnreadable(doc.file, doc.problem)
    const data = doc.data as SchemaData | undefined
    const versions = Array.isArray(data?.versions) ? data.versions : []
    const v = versions.find(x => x.version === version)
    if (!v) {
      const ids = versions.map(x => String(x.version))
      throw new NotFoundError(`schema '${schema}' has no version '${version}'${didYouMean(version, ids)} (versions: ${ids.join(', ') || 'none'}; ssmd schema show ${schema})`)
    }
    if (v.status === 'draft') {
      throw new SsmdError(`schema ${ref} is a draft and cannot be used by an environment; activate it first (ssmd schema set-status ${ref} active)`, { code: 'unusable-schema' })
    }
    if (v.status === 'deprecated') warnings.push(`schema ${ref} is deprecated; plan a move to a newer version`)
  }
  return warnings
}

/** The environment's data, or an error when the file is not a usable environment document. */
export function usableEnvironment(file: string, data: unknown, problem?: DocumentProblem): EnvironmentData {
  refuseUnreadable(file, problem)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SsmdError(`${file} is not a valid environment; fix it first (ssmd validate ${file})`)
  }
  return data as EnvironmentData
}

export function newEnvironment(name: string, feed: string, schema: string, sections: Sections): EnvironmentData {
  return compact({ name, feed, schema, schedule: sections.schedule, transport: sections.transport, storage: sections.storage, cache: sections.cache }) as EnvironmentData
}

/** One-line summaries used by `env list` and `env show`. */
export function transportText(t: Partial<Transport> | undefined): string {
  if (!t?.type) return '?'
  return t.url ? `${t.type} ${t.url}` : t.type
}

export function storageText(s: Partial<Storage> | undefined): string {
  if (!s?.type) return '?'
  if (s.type === 's3') return `s3 ${s.bucket ?? '?'} (${s.region ?? '?'})`
  return `local ${s.path ?? '?'}`
}
