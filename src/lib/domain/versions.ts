import { addDays, checkDateFlag, isValidDate } from '../core/dates.js'
import { ConflictError, UsageError } from '../core/errors.js'

/** Shared logic of dated version lists (feeds and schemas). */
export interface DateRange {
  effective_from: string
  /** Inclusive; absent = open-ended. */
  effective_to?: string
}

export interface DatedVersion extends DateRange {
  version: string
}

export const versionNumber = (id: string): number => Number(/^v(\d+)$/.exec(id)?.[1] ?? NaN)

export function nextVersionId(versions: ReadonlyArray<{ version?: unknown }>): string {
  const max = Math.max(0, ...versions.map(v => versionNumber(String(v.version))).filter(n => Number.isFinite(n)))
  return `v${max + 1}`
}

/** The version in effect on `date`: effective_from <= date and (no effective_to or effective_to >= date). */
export function resolveVersionForDate<V extends DatedVersion>(versions: readonly V[], date: string): V | undefined {
  return versions.find(
    v => typeof v === 'object' && v !== null && typeof v.effective_from === 'string' && v.effective_from <= date && (v.effective_to === undefined || v.effective_to >= date),
  )
}

/** The latest version: the highest version number. */
export function latestVersion<V extends { version: string }>(versions: readonly V[]): V | undefined {
  let best: V | undefined
  for (const v of versions) {
    if (typeof v !== 'object' || v === null) continue
    if (!best || versionNumber(v.version) > versionNumber(best.version)) best = v
  }
  return best
}

/** True when two inclusive date ranges share a day (open end = forever). */
export function rangesOverlap(a: DateRange, b: DateRange): boolean {
  const aEnd = a.effective_to ?? '9999-12-31'
  const bEnd = b.effective_to ?? '9999-12-31'
  return a.effective_from <= bEnd && b.effective_from <= aEnd
}

/** An open-ended version that a new, later version ends: it now ends the day before the new one starts. */
export interface ClosedVersion {
  index: number
  version: string
  effective_to: string
}

/** An existing version a candidate range would share a day with, and its range as checked. */
export interface Overlap {
  index: number
  version: string
  range: DatedVersion
}

/**
 * The first version sharing a day with `candidate`: entries that are not objects
 * or have no start date are skipped (they are validate's findings), as is the
 * entry at `skip` (the version being changed). `closed` is checked with its new end.
 */
export function findOverlap(versions: readonly unknown[], candidate: DatedVersion, options: { skip?: number; closed?: ClosedVersion } = {}): Overlap | undefined {
  for (const [index, v] of versions.entries()) {
    if (index === options.skip || typeof v !== 'object' || v === null) continue
    const entry = v as DatedVersion
    if (typeof entry.effective_from !== 'string') continue
    const range = index === options.closed?.index ? { ...entry, effective_to: options.closed.effective_to } : entry
    if (rangesOverlap(candidate, range)) return { index, version: String(entry.version), range }
  }
  return undefined
}

/**
 * Where a new version fits in a list: the open-ended version that started
 * earlier is ended the day before the new one starts (`closed`); `overlap` is
 * any version the new one would still share a day with, which callers refuse.
 */
export function placeNewVersion(versions: readonly unknown[], candidate: DatedVersion): { closed?: ClosedVersion; overlap?: Overlap } {
  const openIndex = versions.findIndex(v => {
    const e = v as Partial<DatedVersion> | null
    return typeof e === 'object' && e !== null && e.effective_to === undefined && typeof e.effective_from === 'string' && e.effective_from < candidate.effective_from
  })
  const closed =
    openIndex === -1 ? undefined : { index: openIndex, version: String((versions[openIndex] as DatedVersion).version), effective_to: addDays(candidate.effective_from, -1) }
  return { closed, overlap: findOverlap(versions, candidate, { closed }) }
}

/** Days no version covers between two consecutive versions (by start date). */
export interface VersionGap {
  /** First and last uncovered day. */
  first: string
  last: string
  /** The version ending before the gap and the one starting after it. */
  before: string
  after: string
  /** Position in the list of the version starting after the gap. */
  index: number
}

/**
 * The gaps between versions: days after one version's end and before the next
 * version's start. Entries without usable dates, or ending before they start,
 * are skipped (they are other findings).
 */
export function versionGaps(versions: readonly unknown[]): VersionGap[] {
  const dated = versions
    .map((v, index) => ({ v: v as Partial<DatedVersion> | null, index }))
    .filter(
      ({ v }) =>
        typeof v === 'object' &&
        v !== null &&
        isValidDate(v.effective_from) &&
        (v.effective_to === undefined || (isValidDate(v.effective_to) && v.effective_to >= v.effective_from)),
    )
    .map(({ v, index }) => ({ index, id: String(v!.version ?? `#${index}`), from: v!.effective_from!, to: v!.effective_to }))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))
  const gaps: VersionGap[] = []
  for (let i = 1; i < dated.length; i++) {
    const prev = dated[i - 1]
    const cur = dated[i]
    if (prev.to !== undefined && addDays(prev.to, 1) < cur.from) {
      gaps.push({ first: addDays(prev.to, 1), last: addDays(cur.from, -1), before: prev.id, after: cur.id, index: cur.index })
    }
  }
  return gaps
}

/** `2025-01-01` or `2025-01-01 to 2025-01-31`: the days of a gap. */
export const gapDays = (g: VersionGap) => (g.first === g.last ? g.first : `${g.first} to ${g.last}`)

/** Gaps in `after` that were not in `before` (a change or removal opened them). */
export function newGaps(before: readonly unknown[], after: readonly unknown[]): VersionGap[] {
  const known = new Set(versionGaps(before).map(g => `${g.first}/${g.last}`))
  return versionGaps(after).filter(g => !known.has(`${g.first}/${g.last}`))
}

/** A version given its end date back when the version that had ended it is removed. */
export interface ReopenedVersion {
  index: number
  version: string
  /** The end date it had. */
  effective_to: string
}

/**
 * The reverse of `placeNewVersion` for a removal: when the removed version is
 * the latest (highest number) and the version before it ends the day before
 * the removed one starts (what adding it did), that version is reopened —
 * unless it would then share a day with another version.
 */
export function reopenOnRemoval(versions: readonly unknown[], removedIndex: number): ReopenedVersion | undefined {
  const entries = versions.map((v, index) => ({ v: v as Partial<DatedVersion> | null, index })).filter(({ v }) => typeof v === 'object' && v !== null)
  const removed = entries.find(e => e.index === removedIndex)?.v
  if (!removed || typeof removed.version !== 'string' || typeof removed.effective_from !== 'string') return undefined
  const n = versionNumber(removed.version)
  if (entries.some(e => e.index !== removedIndex && versionNumber(String(e.v!.version)) > n)) return undefined
  let previous: { v: Partial<DatedVersion> | null; index: number } | undefined
  for (const e of entries) {
    if (e.index === removedIndex) continue
    if (!previous || versionNumber(String(e.v!.version)) > versionNumber(String(previous.v!.version))) previous = e
  }
  const prev = previous?.v
  if (!previous || !prev || typeof prev.effective_from !== 'string' || prev.effective_to !== addDays(removed.effective_from, -1)) return undefined
  const rest = versions.filter((_, i) => i !== removedIndex && i !== previous.index)
  const candidate: DatedVersion = { version: String(prev.version), effective_from: prev.effective_from }
  if (findOverlap(rest, candidate)) return undefined
  return { index: previous.index, version: String(prev.version), effective_to: prev.effective_to }
}

/** What a date change of one version (`--effective-from`, `--effective-to`, `--no-effective-to`) asks for. */
export interface DateChange {
  effective_from?: string
  effective_to?: string
  /** Make the version open-ended. */
  clearEffectiveTo?: boolean
}

/**
 * The version's range after `change`, checked: it may not end before it starts,
 * nor share a day with another version. Returns the new range (no end date when
 * open-ended) and the gaps the change opens, for a warning.
 */
export function planDateChange(versions: readonly unknown[], index: number, change: DateChange, what: string): { range: DatedVersion; gaps: VersionGap[] } {
  const current = versions[index] as DatedVersion
  const range: DatedVersion = { version: String(current.version), effective_from: change.effective_from ?? current.effective_from }
  const to = change.clearEffectiveTo ? undefined : (change.effective_to ?? current.effective_to)
  if (to !== undefined) range.effective_to = to
  if (range.effective_to !== undefined && range.effective_to < range.effective_from) {
    throw new UsageError(`${range.version} would end (${range.effective_to}) before it starts (${range.effective_from})`)
  }
  const overlap = findOverlap(versions, range, { skip: index })
  if (overlap) {
    throw new ConflictError(
      `${range.version} (${rangeText(range)}) would overlap ${overlap.version} (${rangeText(overlap.range)}); versions of ${what} may not share a day — change ${overlap.version}'s dates first or pick other dates`,
    )
  }
  const after = versions.map((v, i) => (i === index ? { ...(v as object), ...range, ...(range.effective_to === undefined ? { effective_to: undefined } : {}) } : v))
  return { range, gaps: newGaps(versions, after) }
}

/** `2025-01-01 → 2025-05-31`, or `2025-06-01 → open`. */
export const rangeText = (v: DateRange) => `${v.effective_from} → ${v.effective_to ?? 'open'}`

/**
 * `--effective-to` checked: a date. An empty value is refused rather than read as
 * "open-ended" (an unset shell variable must not silently reopen a version);
 * `canClear` says the command has `--no-effective-to` for that.
 */
export function checkEffectiveTo(value: string, canClear: boolean): string {
  if (value.trim() === '') {
    throw new UsageError(
      canClear
        ? '--effective-to is empty; to make the version open-ended pass --no-effective-to instead'
        : '--effective-to is empty; leave it out for an open-ended version, or give a date (YYYY-MM-DD)',
    )
  }
  return checkDateFlag('effective-to', value)
}
