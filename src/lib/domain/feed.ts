import { checkDateFlag, checkTimeFlag, checkTimezoneFlag, todayUtc } from '../core/dates.js'
import { ConflictError, NotFoundError, SsmdError, UsageError } from '../core/errors.js'
import { checkName, checkUrl } from './input.js'
import { refuseUnreadable, type DocumentProblem } from './unreadable.js'
import { urlScheme } from './secrets.js'
import { compact, mapEdits, type Change } from '../yaml/changes.js'
import { FEED_STATUSES, FEED_TYPES, FEED_VERSION_KEYS, INSECURE_SCHEMES, PROTOCOL_FOR_TYPE, SCHEMES_FOR_PROTOCOL } from '../spec/enums.js'
import type { FeedData } from '../spec/types.generated.js'
import { FEED_DEFAULTS } from '../spec/defaults.js'
import { didYouMean, plural, pluralWord } from '../core/text.js'
import { referrerList, type Referrer } from './remove.js'
import {
  checkEffectiveTo,
  latestVersion,
  nextVersionId,
  placeNewVersion,
  newGaps,
  planDateChange,
  rangeText,
  reopenOnRemoval,
  versionNumber,
  type DatedVersion,
  type Overlap,
  type ReopenedVersion,
  type VersionGap,
} from './versions.js'

export { rangeText }
import type { EditOp } from '../yaml/edit.js'

export type FeedVersion = FeedData['versions'][number]
export type CaptureLocation = NonNullable<FeedData['capture_locations']>[number]
type FeedType = FeedData['type']
type Protocol = FeedVersion['protocol']

/** Version keys in the order of the file-format table. */
export const VERSION_KEY_ORDER = FEED_VERSION_KEYS

export const typeOptions = [...FEED_TYPES]
export const statusOptions = [...FEED_STATUSES]

/** Version fields as given on the command line, before any check. */
export interface VersionFields {
  effectiveFrom?: string
  effectiveTo?: string
  /** `--no-effective-to` (feed update): make the version open-ended. */
  noEffectiveTo?: boolean
  endpoint?: string
  authMethod?: string
  rateLimit?: number
  maxSymbols?: number
  supportsOrderbook?: boolean
  supportsTrades?: boolean
  supportsHistorical?: boolean
}

/** Root and calendar fields as given on the command line, before any check. */
export interface RootFields {
  displayName?: string
  type?: string
  status?: string
  timezone?: string
  holidayCalendar?: string
  openTime?: string
  closeTime?: string
}

export interface VersionInput {
  effective_from?: string
  effective_to?: string
  /** Remove the version's effective_to (open-ended). */
  clear_effective_to?: boolean
  endpoint?: string
  auth_method?: FeedVersion['auth_method']
  rate_limit_per_second?: number
  max_symbols_per_connection?: number
  supports_orderbook?: boolean
  supports_trades?: boolean
  supports_historical?: boolean
}

export interface RootInput {
  display_name?: string
  type?: FeedType
  status?: FeedData['status']
  calendar: { timezone?: string; holiday_calendar?: NonNullable<FeedData['calendar']>['holiday_calendar']; open_time?: string; close_time?: string }
}

/** Version fields, each checked (dates, times); the endpoint is checked once the protocol is known. */
export function versionInput(fields: VersionFields): VersionInput {
  const { effectiveFrom: from, effectiveTo: to, endpoint } = fields
  if (from !== undefined) checkDateFlag('effective-from', from)
  if (to !== undefined) checkEffectiveTo(to, 'noEffectiveTo' in fields)
  if (to !== undefined && fields.noEffectiveTo) throw new UsageError('pass either --effective-to or --no-effective-to, not both')
  if (from !== undefined && to !== undefined && to < from) throw new UsageError(`--effective-to ${to} is before --effective-from ${from}`)
  if (endpoint !== undefined) checkUrl('endpoint', endpoint, Object.values(SCHEMES_FOR_PROTOCOL).flat())
  return compact({
    effective_from: from,
    effective_to: to,
    clear_effective_to: fields.noEffectiveTo ? true : undefined,
    endpoint,
    auth_method: fields.authMethod as VersionInput['auth_method'],
    rate_limit_per_second: fields.rateLimit,
    max_symbols_per_connection: fields.maxSymbols,
    supports_orderbook: fields.supportsOrderbook,
    supports_trades: fields.supportsTrades,
    supports_historical: fields.supportsHistorical,
  })
}

export function rootInput(fields: RootFields): RootInput {
  const { timezone: tz, openTime, closeTime } = fields
  if (tz !== undefined) checkTimezoneFlag('timezone', tz)
  if (openTime !== undefined) checkTimeFlag('open-time', openTime)
  if (closeTime !== undefined) checkTimeFlag('close-time', closeTime)
  return {
    ...compact({
      display_name: fields.displayName,
      type: fields.type as FeedType | undefined,
      status: fields.status as FeedData['status'],
    }),
    calendar: compact({
      timezone: tz,
      holiday_calendar: fields.holidayCalendar as RootInput['calendar']['holiday_calendar'],
      open_time: openTime,
      close_time: closeTime,
    }),
  }
}

const MULTICAST_V4 = /^(22[4-9]|23\d)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/
const MULTICAST_V6 = /^\[?ff[0-9a-f]{2}:/i

/** The endpoint's scheme fits the protocol; multicast endpoints name a group address. */
export function checkEndpoint(flag: string, endpoint: string, protocol: Protocol): string {
  const schemes = SCHEMES_FOR_PROTOCOL[protocol] ?? []
  checkUrl(flag, endpoint, schemes, ` for protocol ${protocol}`)
  if (protocol === 'multicast') {
    const host = /^[a-z]+:\/\/(\[[^\]]+\]|[^/:]+)/i.exec(endpoint)?.[1] ?? ''
    if (!MULTICAST_V4.test(host) && !MULTICAST_V6.test(host)) {
      throw new UsageError(`--${flag} '${endpoint}' needs a multicast group address (224.0.0.0–239.255.255.255 or ff00::/8), e.g. udp://239.1.2.3:5000`)
    }
  }
  return endpoint
}

/**
 * The warning an unencrypted endpoint given on the command line draws (the
 * same finding `ssmd validate` reports as feed/insecure-endpoint); undefined
 * for any other endpoint.
 */
export function insecureEndpointWarning(endpoint: string | undefined): string | undefined {
  const scheme = endpoint === undefined ? undefined : urlScheme(endpoint)
  if (scheme === undefined || !Object.hasOwn(INSECURE_SCHEMES, scheme)) return undefined
  return `warning: --endpoint '${endpoint!}' is not encrypted (${scheme}://); use ${INSECURE_SCHEMES[scheme]}:// outside local simulators (feed/insecure-endpoint)`
}

// ---- reading ------------------------------------------------------------------

/** The feed's data, or an error when the file is not a usable feed document (`problem`: what the reader found wrong with it). */
export function usableFeed(file: string, data: unknown, problem?: DocumentProblem): FeedData {
  refuseUnreadable(file, problem)
  const feed = data as FeedData
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !Array.isArray(feed.versions)) {
    throw new SsmdError(`${file} is not a valid feed (no versions list); fix it first (ssmd validate ${file})`)
  }
  const bad = feed.versions.findIndex(v => typeof v !== 'object' || v === null || Array.isArray(v))
  const where =
    bad !== -1
      ? `/versions/${bad} is not a mapping`
      : feed.capture_locations !== undefined && (!Array.isArray(feed.capture_locations) || feed.capture_locations.some(l => typeof l !== 'object' || l === null))
        ? 'capture_locations is not a list of mappings'
        : feed.calendar !== undefined && (typeof feed.calendar !== 'object' || feed.calendar === null || Array.isArray(feed.calendar))
          ? 'calendar is not a mapping'
          : undefined
  if (where) throw new SsmdError(`${file} is not a valid feed (${where}); fix it first (ssmd validate ${file})`)
  return feed
}

export function findVersion(feedName: string, feed: FeedData, id: string): { index: number; version: FeedVersion } {
  const index = feed.versions.findIndex(v => v.version === id)
  if (index === -1) {
    const ids = feed.versions.map(v => String(v.version))
    throw new NotFoundError(`version '${id}' of feed '${feedName}' not found${didYouMean(id, ids)} (versions: ${ids.join(', ') || 'none'})`)
  }
  return { index, version: feed.versions[index] }
}

function refuseOverlap(candidate: DatedVersion, overlap: Overlap | undefined): void {
  if (overlap) {
    throw new ConflictError(`${candidate.version} (${rangeText(candidate)}) would overlap ${overlap.version} (${rangeText(overlap.range)}); versions of a feed may not share a day`)
  }
}

// ---- create -------------------------------------------------------------------

export function newFeed(name: string, type: FeedType, root: RootInput, version: VersionInput): FeedData {
  const protocol = PROTOCOL_FOR_TYPE[type]
  if (version.endpoint === undefined) throw new UsageError('--endpoint is required (e.g. --endpoint wss://api.example.com/ws)')
  checkEndpoint('endpoint', version.endpoint, protocol)
  const v1 = compact({
    version: 'v1',
    effective_from: version.effective_from ?? todayUtc(),
    effective_to: version.effective_to,
    protocol,
    endpoint: version.endpoint,
    auth_method: version.auth_method,
    rate_limit_per_second: version.rate_limit_per_second,
    max_symbols_per_connection: version.max_symbols_per_connection,
    supports_orderbook: version.supports_orderbook,
    supports_trades: version.supports_trades,
    supports_historical: version.supports_historical,
  }) as FeedVersion
  if (v1.effective_to !== undefined && v1.effective_to < v1.effective_from) {
    throw new UsageError(`--effective-to ${v1.effective_to} is before the effective date ${v1.effective_from}`)
  }
  const calendar = Object.keys(root.calendar).length > 0 ? root.calendar : undefined
  return compact({ name, display_name: root.display_name, type, status: root.status ?? FEED_DEFAULTS.status, versions: [v1], calendar }) as FeedData
}

// ---- update -------------------------------------------------------------------

export interface UpdatePlan {
  ops: EditOp[]
  changes: Change[]
  version: string
  /** Gaps between versions the date change opens (a warning, as feed/version-gap reports them). */
  gaps: VersionGap[]
}

/** The edits for `feed update`: root and calendar fields, and the fields of one version. */
export function planUpdate(name: string, feed: FeedData, root: RootInput, input: VersionInput, versionId?: string): UpdatePlan {
  const ops: EditOp[] = []
  const changes: Change[] = []
  const target =
    versionId === undefined
      ? (() => {
          const latest = latestVersion(feed.versions)
          if (!latest) throw new SsmdError(`feed '${name}' has no versions; add one with 'ssmd feed add-version ${name}'`)
          return { index: feed.versions.indexOf(latest), version: latest }
        })()
      : findVersion(name, feed, versionId)

  const type = root.type ?? feed.type
  const protocol = PROTOCOL_FOR_TYPE[type] ?? target.version.protocol
  if (input.endpoint !== undefined) checkEndpoint('endpoint', input.endpoint, protocol)

  mapEdits([], feed as Record<string, unknown>, { ...feed, ...compact({ display_name: root.display_name, type: root.type, status: root.status }) }, ops, changes)
  if (Object.keys(root.calendar).length > 0) {
    const before = feed.calendar as Record<string, unknown> | undefined
    const after =
      before === undefined
        ? { timezone: root.calendar.timezone, holiday_calendar: root.calendar.holiday_calendar, open_time: root.calendar.open_time, close_time: root.calendar.close_time }
        : { ...before, ...root.calendar }
    mapEdits(['calendar'], before, after, ops, changes)
  }

  // The type decides every version's protocol, so a new type must fit the whole history.
  if (root.type !== undefined && root.type !== feed.type) {
    for (const [i, v] of feed.versions.entries()) {
      const endpoint = i === target.index && input.endpoint !== undefined ? input.endpoint : v.endpoint
      try {
        checkEndpoint('endpoint', String(endpoint), protocol)
      } catch {
        throw new ConflictError(
          `cannot change feed '${name}' to type ${root.type}: ${v.version}'s endpoint ${endpoint} does not fit protocol ${protocol}${i === target.index ? ' (pass a new --endpoint)' : ''}`,
        )
      }
      if (v.protocol !== protocol) mapEdits(['versions', i], v as Record<string, unknown>, { ...v, protocol }, ops, changes)
    }
  }

  const { clear_effective_to: clearTo, ...fields } = input
  const merged = { ...target.version, ...fields } as FeedVersion
  let gaps: VersionGap[] = []
  if (input.effective_from !== undefined || input.effective_to !== undefined || clearTo) {
    const planned = planDateChange(feed.versions, target.index, { effective_from: input.effective_from, effective_to: input.effective_to, clearEffectiveTo: clearTo }, 'a feed')
    gaps = planned.gaps
    if (clearTo) delete merged.effective_to
  } else if (merged.effective_to !== undefined && merged.effective_to < merged.effective_from) {
    throw new UsageError(`${target.version.version} would end (${merged.effective_to}) before it starts (${merged.effective_from})`)
  }
  const alreadyProtocol = ops.some(op => op.path.join('/') === `versions/${target.index}/protocol`)
  mapEdits(['versions', target.index], target.version as Record<string, unknown>, alreadyProtocol ? { ...merged, protocol } : merged, ops, changes)
  // mapEdits may have emitted the protocol change twice (type loop and version merge): keep one.
  const seen = new Set<string>()
  return {
    ops: ops.filter(op => {
      const k = op.op + ':' + op.path.join('/')
      if (seen.has(k)) return false
      seen.add(k)
      return true
    }),
    changes: changes.filter((c, i) => changes.findIndex(d => d.path === c.path) === i),
    version: target.version.version,
    gaps,
  }
}

/**
 * The lifecycle guard of a status change, as for schema versions: disabling a
 * feed environments use is refused (naming each, file:line) unless `force`;
 * deprecating it, or disabling it with `force`, is a warning. Returns the warning.
 */
export function checkStatusChange(name: string, from: unknown, to: FeedData['status'] | undefined, referrers: Referrer[], force: boolean): string | undefined {
  if (to === undefined || to === from || referrers.length === 0) return undefined
  if (to === 'disabled') {
    if (!force) {
      throw new ConflictError(
        `cannot disable feed '${name}': ${plural(referrers.length, 'environment')} still ${pluralWord(referrers.length, 'uses', 'use')} it (${referrerList(referrers)}) and a disabled feed fails validation and deploy; point ${pluralWord(referrers.length, 'it', 'them')} at another feed first (ssmd env update <env> --feed <feed>), or pass --force`,
      )
    }
    return `warning: feed '${name}' is disabled while still used by ${referrerList(referrers)}; 'ssmd validate' reports them as errors (ref/feed-status) until they change`
  }
  if (to === 'deprecated') return `warning: feed '${name}' is still used by ${referrerList(referrers)}; deprecated feeds keep working, with a validation warning (ref/feed-status)`
  return undefined
}

// ---- add-version --------------------------------------------------------------

export interface AddVersionPlan {
  ops: EditOp[]
  entry: FeedVersion
  copiedFrom: string
  closed?: { version: string; effective_to: string }
}

export function planAddVersion(name: string, feed: FeedData, input: VersionInput, copyFrom?: string): AddVersionPlan {
  if (input.effective_from === undefined) throw new UsageError('--effective-from is required')
  const source = copyFrom === undefined ? latestVersion(feed.versions) : findVersion(name, feed, copyFrom).version
  if (!source) throw new SsmdError(`feed '${name}' has no version to copy from`)
  const protocol = PROTOCOL_FOR_TYPE[feed.type] ?? source.protocol
  if (input.endpoint !== undefined) checkEndpoint('endpoint', input.endpoint, protocol)

  const id = nextVersionId(feed.versions)
  const copied: Record<string, unknown> = { ...source, ...input, version: id, protocol }
  if (input.effective_to === undefined) delete copied.effective_to
  const entry: Record<string, unknown> = {}
  for (const k of VERSION_KEY_ORDER) if (copied[k] !== undefined) entry[k] = structuredClone(copied[k])
  for (const [k, v] of Object.entries(copied)) if (!(k in entry) && v !== undefined) entry[k] = structuredClone(v)
  const version = entry as FeedVersion

  const { closed, overlap } = placeNewVersion(feed.versions, version)
  refuseOverlap(version, overlap)
  const ops: EditOp[] = []
  if (closed) ops.push({ op: 'set', path: ['versions', closed.index, 'effective_to'], value: closed.effective_to })
  ops.push({ op: 'append', path: ['versions'], value: version })
  return { ops, entry: version, copiedFrom: source.version, closed: closed && { version: closed.version, effective_to: closed.effective_to } }
}

// ---- remove-version -----------------------------------------------------------

export interface RemoveVersionPlan {
  ops: EditOp[]
  removed: FeedVersion
  /** The previous version, open-ended again because the removed one had ended it. */
  reopened?: ReopenedVersion
  /** Days no version covers once it is gone. */
  gaps: VersionGap[]
  /** The versions as they will be. */
  remaining: FeedVersion[]
}

/**
 * The edits removing one version: refuses the only version (remove the feed
 * instead); when the removed version had ended the previous one the day before
 * it started (what add-version does), that version is reopened.
 */
export function planRemoveVersion(name: string, feed: FeedData, id: string): RemoveVersionPlan {
  const { index, version } = findVersion(name, feed, id)
  if (feed.versions.length === 1) throw new ConflictError(`${id} is the only version of feed '${name}'; remove the whole feed with 'ssmd feed remove ${name}'`)
  const reopened = reopenOnRemoval(feed.versions, index)
  const ops: EditOp[] = []
  // The end date first: deleting the entry moves the ones after it.
  if (reopened) ops.push({ op: 'delete', path: ['versions', reopened.index, 'effective_to'] })
  ops.push({ op: 'delete', path: ['versions', index] })
  const remaining = feed.versions.filter((_, i) => i !== index).map(v => (reopened && v === feed.versions[reopened.index] ? compact({ ...v, effective_to: undefined }) : v))
  return { ops, removed: version, reopened, gaps: newGaps(feed.versions, remaining), remaining }
}

// ---- capture locations --------------------------------------------------------

export function planAddLocation(name: string, feed: FeedData, location: CaptureLocation): EditOp[] {
  checkName('datacenter', location.datacenter)
  const existing = feed.capture_locations ?? []
  if (existing.some(l => l.datacenter === location.datacenter)) {
    throw new ConflictError(
      `feed '${name}' already has a capture location '${location.datacenter}'; remove it first (ssmd feed remove-location ${name} --datacenter ${location.datacenter})`,
    )
  }
  return [{ op: 'append', path: ['capture_locations'], value: compact(location) }]
}

export function planRemoveLocation(name: string, feed: FeedData, datacenter: string): { ops: EditOp[]; removed: CaptureLocation; remaining: number } {
  const existing = Array.isArray(feed.capture_locations) ? feed.capture_locations : []
  const index = existing.findIndex(l => l.datacenter === datacenter)
  if (index === -1) {
    const names = existing.map(l => l.datacenter)
    throw new NotFoundError(`feed '${name}' has no capture location '${datacenter}'${didYouMean(datacenter, names)} (locations: ${names.join(', ') || 'none'})`)
  }
  const ops: EditOp[] = existing.length === 1 ? [{ op: 'delete', path: ['capture_locations'] }] : [{ op: 'delete', path: ['capture_locations', index] }]
  return { ops, removed: existing[index], remaining: existing.length - 1 }
}

export const sortVersions = (versions: FeedVersion[]) => [...versions].sort((a, b) => versionNumber(a.version) - versionNumber(b.version))
