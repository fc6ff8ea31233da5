import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isValidTimezone } from '../../src/lib/core/dates.js'
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
