import { addDays } from '../core/dates.js'

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
