import { UsageError } from './errors.js'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/

/** A real calendar date in YYYY-MM-DD form (no 2025-02-30). */
export function isValidDate(s: unknown): s is string {
  if (typeof s !== 'string') return false
  const m = DATE.exec(s)
  if (!m) return false
  const mo = Number(m[2])
  const d = Number(m[3])
  if (mo < 1 || mo > 12 || d < 1) return false
  return d <= daysInMonth(Number(m[1]), mo)
}

/**
 * Days in a month of the Gregorian calendar (checked on every date of every
 * file, so without a Date object). Years 0–99 count as 1900–1999, as
 * Date.UTC takes them.
 */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  const y = year < 100 ? year + 1900 : year
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
}

export const isValidTime = (s: unknown): s is string => typeof s === 'string' && TIME.test(s)

const zoneCache = new Map<string, boolean>()
/** The time zones Intl lists (its primary names), read on first use. */
let listedZones: ReadonlySet<string> | undefined

/**
 * An IANA time-zone name known to this Node.js (UTC included): one that
 * `Intl.DateTimeFormat` accepts and that starts with a letter. A name Intl
 * lists is accepted without asking `Intl.DateTimeFormat`: its first
 * construction loads ICU's locale and calendar data (about 18 ms of CPU, most
 * of what `env render` spends on validation), the list costs about 1.5 ms.
 * Other names (aliases such as Asia/Kolkata or US/Eastern, other spellings)
 * are still asked, so the answer is the same either way.
 */
export function isValidTimezone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false
  let ok = zoneCache.get(zone)
  if (ok === undefined) {
    listedZones ??= new Set(Intl.supportedValuesOf('timeZone'))
    // ECMA-402 requires UTC, which Intl's list leaves out.
    if (zone === 'UTC' || listedZones.has(zone)) ok = /^[A-Za-z]/.test(zone)
    else
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone })
        ok = /^[A-Za-z]/.test(zone)
      } catch {
        ok = false
      }
    zoneCache.set(zone, ok)
  }
  return ok
}

let today: { text: string; from: number; to: number } | undefined
const DAY_MS = 86_400_000

/** Today's UTC date, YYYY-MM-DD (rules ask for it per document: formatted once per day, not per call). */
export function todayUtc(): string {
  const now = Date.now()
  if (today === undefined || now < today.from || now >= today.to) {
    const from = now - (now % DAY_MS)
    today = { text: new Date(from).toISOString().slice(0, 10), from, to: from + DAY_MS }
  }
  return today.text
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

export function checkDateFlag(flag: string, value: string): string {
  if (!isValidDate(value)) throw new UsageError(`--${flag} '${value}' is not a valid date; use YYYY-MM-DD (e.g. ${todayUtc()})`)
  return value
}

export function checkTimeFlag(flag: string, value: string): string {
  if (!isValidTime(value)) throw new UsageError(`--${flag} '${value}' is not a valid time of day; use HH:MM, 24-hour (e.g. 09:30)`)
  return value
}

export function checkTimezoneFlag(flag: string, value: string): string {
  if (!isValidTimezone(value)) throw new UsageError(`--${flag} '${value}' is not a known IANA time zone (e.g. UTC, America/New_York)`)
  return value
}
