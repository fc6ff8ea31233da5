import { todayUtc } from '../../core/dates.js'
import { builtinRule, datedVersions, noCurrentVersion, noCurrentVersionReport } from './util.js'

const NONE = "no version of schema '{{name}}' is in effect today ({{today}})"

export default builtinRule({
  meta: {
    id: 'schema/no-current-version',
    severity: 'warning',
    description: 'A schema has a version in effect on the day of validation.',
    messages: {
      ended: `${NONE}: {{ended}} ended {{endedOn}}; add a version (ssmd schema add-version {{name}} --file <file> --effective-from {{today}}) or reopen {{ended}} (ssmd schema update-version {{name}}:{{ended}} --no-effective-to)`,
      starts: `${NONE}: {{next}} starts {{startsOn}}; start it earlier (ssmd schema update-version {{name}}:{{next}} --effective-from {{today}})`,
      between: `${NONE}: {{ended}} ended {{endedOn}} and {{next}} starts {{startsOn}}; close the gap (ssmd schema update-version {{name}}:{{next}} --effective-from {{dayAfter}})`,
    },
  },
  // Not file-scoped: the finding depends on the day, so it may not be cached with the file's.
  schema(doc, ctx) {
    const versions = datedVersions(doc.data)
      .filter(d => d.to === undefined || d.to >= d.from)
      .map(d => ({ index: d.index, version: d.id, effective_from: d.from, ...(d.to === undefined ? {} : { effective_to: d.to }) }))
    const gap = noCurrentVersion(versions, todayUtc())
    if (gap) ctx.report(noCurrentVersionReport(gap, { name: doc.name, today: todayUtc() }))
  },
})
