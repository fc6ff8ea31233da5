/*
 * JSON (--json): {
 *   name, file, display_name?, type, status, calendar?,
 *   capture_locations: Array<{ datacenter, provider?, region? }>,
 *   versions: Array<{ version, effective_from, effective_to?, in_effect_today: boolean }>,
 *   selected: { by: 'version' | 'date' | 'today' | 'latest', date?: string },
 *   version: FeedVersion        // every field of the selected version
 * }
 *   `selected.by` is 'latest' when no version is in effect today and none was asked for.
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { NotFoundError } from '../../lib/core/errors.js'
import { findVersion, rangeText, sortVersions, usableFeed, VERSION_KEY_ORDER, type CaptureLocation, type FeedVersion } from '../../lib/domain/feed.js'
import { checkName, checkVersionId } from '../../lib/domain/input.js'
import type { FeedData } from '../../lib/spec/types.generated.js'
import { boolOr, FEED_DEFAULTS, FEED_VERSION_DEFAULTS } from '../../lib/spec/defaults.js'
import { bold, details } from '../../lib/cli/style.js'
import { latestVersion, resolveVersionForDate } from '../../lib/domain/versions.js'

export interface FeedShowResult {
  name: string
  file: string
  display_name?: string
  type: string
  status: string
  calendar?: FeedData['calendar']
  capture_locations: CaptureLocation[]
  versions: Array<{ version: string; effective_from: string; effective_to?: string; in_effect_today: boolean }>
  selected: { by: 'version' | 'date' | 'today' | 'latest'; date?: string }
  version: FeedVersion
}

export default class FeedShow extends SsmdCommand<typeof FeedShow> {
  static override lightStart = true
  static override summary = 'Show a feed and one of its versions.'
  static override description =
    'Shows the feed and the version in effect today (UTC); --version picks a version by id, --as-of the version in effect on a date. When no version is in effect today, the latest is shown and a note says so.'
  static override examples = [
    { description: 'The feed and the version in effect today', command: '<%= config.bin %> feed show kalshi' },
    { description: 'A particular version', command: '<%= config.bin %> feed show kalshi --version v1' },
    { description: 'The version in effect on a date, as JSON', command: '<%= config.bin %> feed show kalshi --as-of 2024-09-15 --json' },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
  }
  static override flags = {
    version: Flags.string({ summary: 'Show this version (v1, v2, …).', exclusive: ['as-of'] }),
    'as-of': Flags.string({ summary: 'Show the version in effect on this date (YYYY-MM-DD).', exclusive: ['version'] }),
  }

  async run(): Promise<FeedShowResult> {
    const name = checkName('feed', this.args.name)
    if (this.flags.version !== undefined) checkVersionId('version', this.flags.version)
    if (this.flags['as-of'] !== undefined) checkDateFlag('as-of', this.flags['as-of'])
    const doc = this.workspace().get('feed', name)
    const feed = usableFeed(doc.file, doc.data, doc.problem)
    const today = todayUtc()
    const current = resolveVersionForDate(feed.versions, today)

    let version: FeedVersion | undefined
    let selected: FeedShowResult['selected']
    if (this.flags.version !== undefined) {
      version = findVersion(name, feed, this.flags.version).version
      selected = { by: 'version' }
    } else if (this.flags['as-of'] !== undefined) {
      const date = this.flags['as-of']
      version = resolveVersionForDate(feed.versions, date)
      if (!version) {
        throw new NotFoundError(`no version of feed '${name}' is in effect on ${date} (${feed.versions.map(v => `${v.version}: ${rangeText(v)}`).join('; ')})`)
      }
      selected = { by: 'date', date }
    } else if (current) {
      version = current
      selected = { by: 'today', date: today }
    } else {
      version = latestVersion(feed.versions)
      if (!version) throw new NotFoundError(`feed '${name}' has no versions (${doc.file})`)
      selected = { by: 'latest' }
      this.note(`note: no version of '${name}' is in effect today (${today}); showing the latest, ${version.version}`)
    }

    const result: FeedShowResult = {
      name,
      file: doc.file,
      ...(feed.display_name === undefined ? {} : { display_name: feed.display_name }),
      type: feed.type,
      status: feed.status ?? FEED_DEFAULTS.status,
      ...(feed.calendar === undefined ? {} : { calendar: feed.calendar }),
      capture_locations: feed.capture_locations ?? [],
      versions: sortVersions(feed.versions).map(v => ({
        version: v.version,
        effective_from: v.effective_from,
        ...(v.effective_to === undefined ? {} : { effective_to: v.effective_to }),
        in_effect_today: v === current,
      })),
      selected,
      version,
    }
    this.say(render(result))
    return result
  }
}

function render(r: FeedShowResult): string {
  const cal = r.calendar
  const hours = cal?.open_time || cal?.close_time ? `${cal?.open_time ?? '?'}–${cal?.close_time ?? '?'}` : undefined
  const calendar = cal ? [cal.timezone, cal.holiday_calendar, hours].filter(Boolean).join(', ') : undefined
  const locations = r.capture_locations.map(l => `${l.datacenter}${l.provider || l.region ? ` (${[l.provider, l.region].filter(Boolean).join(' ')})` : ''}`)
  const head = details([
    ['name', r.name],
    ['display name', r.display_name],
    ['type', r.type],
    ['status', r.status],
    ['file', r.file],
    ['calendar', calendar],
    ['locations', locations.length > 0 ? locations : '(none)'],
    ['versions', r.versions.map(v => `${v.version} ${rangeText(v)}${v.in_effect_today ? ' (today)' : ''}`)],
  ])
  const v = r.version
  const why =
    r.selected.by === 'today'
      ? 'in effect today'
      : r.selected.by === 'date'
        ? `in effect on ${r.selected.date}`
        : r.selected.by === 'latest'
          ? 'latest; none in effect today'
          : 'requested'
  const known = new Set<string>(VERSION_KEY_ORDER)
  const body = details(
    [
      ['effective', rangeText(v)],
      ['protocol', v.protocol],
      ['endpoint', v.endpoint],
      ['auth method', v.auth_method],
      ['rate limit/s', v.rate_limit_per_second],
      ['max symbols', v.max_symbols_per_connection],
      ['orderbook', boolOr(v.supports_orderbook, FEED_VERSION_DEFAULTS.supports_orderbook)],
      ['trades', boolOr(v.supports_trades, FEED_VERSION_DEFAULTS.supports_trades)],
      ['historical', boolOr(v.supports_historical, FEED_VERSION_DEFAULTS.supports_historical)],
      ['parser config', v.parser_config ? Object.entries(v.parser_config).map(([k, x]) => `${k}=${x}`) : undefined],
      ...Object.entries(v)
        .filter(([k]) => !known.has(k))
        .map(([k, x]) => [k, typeof x === 'object' ? JSON.stringify(x) : x] as [string, unknown]),
    ],
    '  ',
  )
  return `${head}\n\n${bold(`version ${v.version}`)} (${why})\n${body}`
}
