import { compareDefinitions } from '../../domain/schema/definitions.js'
import { plural } from '../../core/text.js'
import { versionNumber } from '../../domain/versions.js'
import { builtinRule, items } from './util.js'

export default builtinRule({
  meta: {
    id: 'schema/undocumented-break',
    uses: ['source', 'definitions'],
    severity: 'warning',
    description: 'A version that is not compatible with the previous one explains it in breaking_changes.',
    messages: {
      undocumented: '{{version}} breaks compatibility with {{previous}} ({{breaking}}, first: {{first}}) but has no breaking_changes text',
    },
  },
  async schema(doc, ctx) {
    const cache = ctx.definitions
    const source = ctx.source(doc)
    const versions = items(doc.data, 'versions').filter(([v]) => Number.isFinite(versionNumber(String(v.version))))
    versions.sort((a, b) => versionNumber(String(a[0].version)) - versionNumber(String(b[0].version)))
    for (let n = 1; n < versions.length; n++) {
      const [v, i] = versions[n]
      if (typeof v.breaking_changes === 'string' && v.breaking_changes.trim() !== '') continue
      const [p, pi] = versions[n - 1]
      const older = await cache.forVersion(source, pi)
      const newer = await cache.forVersion(source, i)
      if (!older || !newer) continue
      const breaking = (await compareDefinitions(older, newer))?.filter(c => c.severity === 'breaking') ?? []
      if (breaking.length > 0) {
        ctx.report({
          path: `/versions/${i}`,
          messageId: 'undocumented',
          data: { version: String(v.version), previous: String(p.version), breaking: plural(breaking.length, 'breaking change'), first: breaking[0].message },
        })
      }
    }
  },
})
