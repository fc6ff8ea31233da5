/**
 * What a capture process reads: the types of a rendered environment and of
 * its deployed form in etcd, and the resolution of dated feed versions.
 *
 * A rendering carries the feed version in effect on its date and the versions
 * that start later (`feed.upcoming`); `resolveContent` picks the version in
 * effect on another date, so a dated switch reaches the fleet on its date
 * without a redeploy. Pure functions: `ssmd/runtime` and the deploy commands
 * share them.
 */
import { addDays } from '../core/dates.js'
import { FEED_VERSION_KEYS } from '../spec/enums.js'
import type { EnvironmentData, FeedData, SchemaData } from '../spec/types.generated.js'

type FeedVersion = FeedData['versions'][number]
type SchemaVersion = SchemaData['versions'][number]

/** The fields of one feed version, with the file format's defaults filled in. */
export interface FeedVersionFields {
  version: string
  effective_from: string
  /** Inclusive; absent: open-ended. */
  effective_to?: string
  protocol: FeedVersion['protocol']
  endpoint: string
  auth_method?: FeedVersion['auth_method']
  rate_limit_per_second?: number
  max_symbols_per_connection?: number
  supports_orderbook: boolean
  supports_trades: boolean
  supports_historical: boolean
  parser_config?: Record<string, unknown>
}

/** The feed with the fields of the version in effect, and the versions that start later. */
export interface RenderedFeed extends FeedVersionFields {
  name: string
  display_name?: string
  type: FeedData['type']
  status: NonNullable<FeedData['status']>
  capture_locations: Array<{ datacenter: string; provider?: string; region?: string }>
  calendar?: NonNullable<FeedData['calendar']>
  /** Versions starting after the one in effect, by `effective_from`; absent when there are none. */
  upcoming?: FeedVersionFields[]
}

export interface RenderedSchema {
  name: string
  version: string
  status: SchemaVersion['status']
  format: SchemaData['format']
  effective_from: string
  effective_to?: string
  /** Root-relative path of the definition file. */
  definition: string
  hash: string
  compatible_with?: string[]
}

export interface RenderedKey {
  type: string
  required: boolean
  fields: string[]
  source: string
  rotation_days?: number
  description?: string
  /** SSMD_<KEY>_<FIELD> names, for `env` sources only. */
  variables?: string[]
}

export type RenderedSchedule = { timezone: string; day_start?: string; day_end?: string; auto_roll: boolean }

/** What a capture process needs, and nothing that changes unless the configuration does. */
export interface RenderedContent {
  name: string
  feed: RenderedFeed
  schemas: RenderedSchema[]
  schedule?: RenderedSchedule
  keys: Record<string, RenderedKey>
  transport: EnvironmentData['transport']
  storage: EnvironmentData['storage']
  cache?: NonNullable<EnvironmentData['cache']>
}

/**
 * The value of `<prefix>/environments/<name>/content` (docs/deploy.md): the
 * rendering without its name (the key names the environment), schemas by name.
 */
export interface EnvironmentContent {
  feed: RenderedFeed
  schemas: Record<string, RenderedSchema>
  schedule?: RenderedSchedule
  keys: Record<string, RenderedKey>
  transport: EnvironmentData['transport']
  storage: EnvironmentData['storage']
  cache?: NonNullable<EnvironmentData['cache']>
}

/** The value of `<prefix>/environments/<name>/deploy`: who deployed what, from which commit. */
export interface DeploymentRecord {
  /** Git commit the configuration was rendered from (null: none). */
  commit: string | null
  /** Deployed with uncommitted changes (--allow-dirty). */
  dirty: boolean
  /** The date the feed version was resolved for (YYYY-MM-DD). */
  as_of: string
  /** ISO 8601, UTC. */
  deployed_at: string
  /** user@host that ran the deploy. */
  deployed_by: string
  ssmd_version: string
  /** `sha256:` + hex SHA-256 of the content value's bytes. */
  digest: string
  /** Random id of the deploy run. */
  deploy_id: string
}

const VERSION_FIELDS = FEED_VERSION_KEYS satisfies ReadonlyArray<keyof FeedVersionFields>

const inEffect = (v: FeedVersionFields, date: string) => v.effective_from <= date && (v.effective_to === undefined || v.effective_to >= date)

/** The version fields of a rendered feed (the version in effect), without the feed's own fields. */
export function versionFieldsOf(feed: RenderedFeed): FeedVersionFields {
  const out: Partial<Record<keyof FeedVersionFields, unknown>> = {}
  for (const k of VERSION_FIELDS) if (feed[k] !== undefined) out[k] = feed[k]
  return out as FeedVersionFields
}

/** A feed resolved for `date` has no version in effect: the last one ended and none follows. */
export class NoVersionInEffect extends Error {
  readonly code = 'no-version'
  constructor(
    readonly feed: string,
    readonly date: string,
  ) {
    super(`feed '${feed}' has no version in effect on ${date}: the versions deployed end before it; add a version in git and deploy it`)
    this.name = 'NoVersionInEffect'
  }
}

/**
 * The feed as in effect on `date` (YYYY-MM-DD, UTC): the fields of the version
 * in effect then, and the versions starting later as `upcoming`. A date before
 * the rendered version's start gives the feed unchanged (the deploy chose that
 * version); a date after every version's end is NoVersionInEffect.
 */
export function resolveFeed(feed: RenderedFeed, date: string): RenderedFeed {
  const current = versionFieldsOf(feed)
  const later = feed.upcoming ?? []
  if (date < current.effective_from || inEffect(current, date)) return feed
  const index = later.findIndex(v => inEffect(v, date))
  if (index < 0) throw new NoVersionInEffect(feed.name, date)
  const { upcoming: _, ...base } = feed
  for (const k of VERSION_FIELDS) delete base[k]
  const rest = later.slice(index + 1)
  return { ...base, ...later[index], ...(rest.length > 0 ? { upcoming: rest } : {}) }
}

/** The content as in effect on `date`: its feed resolved for that date, everything else as deployed. */
export function resolveContent<C extends { feed: RenderedFeed }>(content: C, date: string): C {
  const feed = resolveFeed(content.feed, date)
  return feed === content.feed ? content : { ...content, feed }
}

/**
 * The first day after `date` on which the feed's version in effect changes
 * (an upcoming version starts, or the one in effect ends), or undefined.
 * The switch happens at 00:00 UTC of that day.
 */
export function nextSwitch(feed: RenderedFeed, date: string): string | undefined {
  let next: string | undefined
  for (const v of [versionFieldsOf(feed), ...(feed.upcoming ?? [])]) {
    for (const day of [v.effective_from, v.effective_to === undefined ? undefined : addDays(v.effective_to, 1)]) {
      if (day !== undefined && day > date && (next === undefined || day < next)) next = day
    }
  }
  return next
}

/** The UTC date (YYYY-MM-DD) of a time in milliseconds. */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
