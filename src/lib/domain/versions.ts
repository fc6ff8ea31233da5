/** Shared logic of dated version lists (feeds and schemas). */
export interface DatedVersion {
  version: string
  effective_from: string
  effective_to?: string
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
export function rangesOverlap(a: DatedVersion, b: DatedVersion): boolean {
  const aEnd = a.effective_to ?? '9999-12-31'
  const bEnd = b.effective_to ?? '9999-12-31'
  return a.effective_from <= bEnd && b.effective_from <= aEnd
}
