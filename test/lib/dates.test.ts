import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { addDays, isValidDate, isValidTimezone } from '../../src/lib/core/dates.js'
import { rng } from '../helpers/random.js'
import { PROJECT_ROOT } from '../helpers/repo.js'

/** What isValidTimezone answered before it read Intl's list: whatever Intl.DateTimeFormat accepts, starting with a letter. */
function acceptedByDateTimeFormat(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return /^[A-Za-z]/.test(zone)
  } catch {
    return false
  }
}

describe('time-zone names (isValidTimezone)', () => {
  it('answers as Intl.DateTimeFormat does, for every name Intl lists, its aliases, other spellings and non-names', () => {
    const names = [
      ...Intl.supportedValuesOf('timeZone'),
      ...['UTC', 'utc', 'Etc/UTC', 'Etc/GMT+5', 'GMT', 'Asia/Kolkata', 'Asia/Calcutta', 'US/Eastern', 'america/new_york', 'AMERICA/CHICAGO'],
      ...['Mars/Base', 'America/New York', '+01:00', '-05:00', 'Z', ' UTC', 'UTC ', 'Europe/', '/UTC'],
    ]
    expect(names.filter(z => isValidTimezone(z) !== acceptedByDateTimeFormat(z))).to.deep.equal([])
    expect(['', undefined, null, 5, {}].map(z => isValidTimezone(z))).to.deep.equal([false, false, false, false, false])
  })

  it('accepts a listed name and UTC without constructing an Intl.DateTimeFormat (whose first use loads ICU data); asks it for the rest (built module)', () => {
    const dates = JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', 'lib', 'core', 'dates.js')).href)
    const probe = `
      const made = []
      const DTF = Intl.DateTimeFormat
      Intl.DateTimeFormat = function (locale, options) { made.push(options.timeZone); return new DTF(locale, options) }
      const { isValidTimezone } = await import(${dates})
      const names = ['America/Chicago', 'Asia/Singapore', 'UTC', 'US/Eastern', 'Mars/Base']
      console.log(JSON.stringify({ answers: names.map(z => isValidTimezone(z)), made }))`
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' })) as unknown
    // US/Eastern is an alias (Intl lists America/New_York), so Intl.DateTimeFormat decides it.
    expect(Intl.supportedValuesOf('timeZone')).to.include.members(['America/Chicago', 'Asia/Singapore']).and.not.include.members(['US/Eastern'])
    expect(out).to.deep.equal({ answers: [true, true, true, true, false], made: ['US/Eastern', 'Mars/Base'] })
  })
})

/** What isValidDate and addDays answered when they went through a regular expression and Date. */
const reference = {
  isValidDate(s: unknown): boolean {
    if (typeof s !== 'string') return false
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
    if (!m) return false
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
    if (mo < 1 || mo > 12 || d < 1) return false
    const year = y < 100 ? y + 1900 : y
    const days = mo !== 2 ? ([4, 6, 9, 11].includes(mo) ? 30 : 31) : (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
    return d <= days
  },
  addDays(date: string, days: number): string {
    const d = new Date(`${date}T00:00:00Z`)
    d.setUTCDate(d.getUTCDate() + days)
    return d.toISOString().slice(0, 10)
  },
}

/** The outcome of a call: its value, or the class of what it threw. */
function outcome<T>(f: () => T): T | string {
  try {
    return f()
  } catch (error) {
    return `threw ${(error as Error).constructor.name}`
  }
}

describe('calendar dates (isValidDate, addDays)', () => {
  const pad = (n: number, width: number) => String(n).padStart(width, '0')

  it('gives what Date gives, for every day of 1899–2101 and steps of ±1 day, a year and -1,000 days', () => {
    let checked = 0
    for (let year = 1899; year <= 2101; year++) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          const date = `${year}-${pad(month, 2)}-${pad(day, 2)}`
          const valid = isValidDate(date)
          expect(valid, date).to.equal(reference.isValidDate(date))
          if (!valid) continue
          for (const step of [1, -1, 365, -1000]) {
            expect(addDays(date, step), `${date} ${step}`).to.equal(reference.addDays(date, step))
            checked++
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(290_000)
  })

  it('gives what Date gives at the edges: years 0–99 and 9999, invalid days, odd text and steps (20,000 random cases)', () => {
    const next = rng(27)
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]
    const texts = [
      '',
      '2024-1-01',
      '2024-01-1',
      '2024/01/01',
      '２０２４-01-01',
      '2024-01-01\n',
      ' 2024-01-01',
      '+02024-01-01',
      '2024-00-10',
      '2024-13-01',
      '2024-02-30',
      '0000-02-29',
      '1900-02-29',
      '2000-02-29',
      '0004-02-29',
      '9999-12-31',
      '0099-12-31',
      '0100-01-01',
      '0100-02-29',
      'abcd-ef-gh',
    ]
    for (let i = 0; i < 20_000; i++) {
      const date = next() < 0.2 ? pick(texts) : `${pad(Math.floor(next() * 10_000), 4)}-${pad(Math.floor(next() * 14), 2)}-${pad(Math.floor(next() * 33), 2)}`
      expect(isValidDate(date), date).to.equal(reference.isValidDate(date))
      const step = pick([1, -1, 31, -31, 366, -366, 3_000_000, -3_000_000, 0.5, Number.NaN, 2 ** 53])
      expect(
        outcome(() => addDays(date, step)),
        `${date} ${step}`,
      ).to.equal(outcome(() => reference.addDays(date, step)))
    }
    for (const value of [undefined, null, 20240101, new Date(), ['2024-01-01']]) expect(isValidDate(value)).to.equal(false)
  })
})
