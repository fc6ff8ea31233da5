import { UsageError } from './errors.js'

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/

/**
 * A real calendar date in YYYY-MM-DD form (no 2025-02-30). Checked on every
 * date of every file: read digit by digit, without a regular expression's
 * match array and substrings.
 */
export function isValidDate(s: unknown): s is string {
  if (typeof s !== 'string') return false
  const ymd = dateParts(s)
  return ymd !== undefined && ymd[2] <= daysInMonth(ymd[0], ymd[1])
}

/** Year, month (1–12) and day (≥ 1) of a YYYY-MM-DD string; undefined when it is not of that form. */
function dateParts(s: string): [number, number, number] | undefined {
  if (s.length !== 10 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return undefined
  const year = digits(s, 0, 4)
  const month = digits(s, 5, 7)
  const day = digits(s, 8, 10)
  return year < 0 || month < 1 || month > 12 || day < 1 ? undefined : [year, month, day]
}

/** The number written in s[from, to) in ASCII digits; -1 if any character is not one. */
function digits(s: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) return -1
    n = n * 10 + c
  }
  return n
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

/**
 * The date `days` after `date` (YYYY-MM-DD; negative goes back), as
 * `Date`'s UTC calendar gives it. Rules call it for every version of every
 * feed, so a real date of years 100–9999 (with a result in 1000–9999) is counted in days, without
 * parsing and formatting a `Date`; anything else goes through `Date`.
 */
export function addDays(date: string, days: number): string {
  const ymd = dateParts(date)
  if (ymd !== undefined && ymd[0] >= 100 && Number.isSafeInteger(days) && ymd[2] <= daysInMonth(ymd[0], ymd[1])) {
    const [year, month, day] = civilFromDays(daysFromCivil(ymd[0], ymd[1], ymd[2]) + days)
    if (year >= 1000 && year <= 9999) return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`
  }
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
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
