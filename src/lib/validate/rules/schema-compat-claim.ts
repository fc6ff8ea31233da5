import { checkCompatibility } from '../../domain/schema/definitions.js'
import { versionNumber } from '../../domain/versions.js'
import { builtinRule, items } from './util.js'

export default builtinRule({
  meta: {
    id: 'schema/compat-claim',
    uses: ['source', 'definitions'],
    severity: 'error',
    description:
      "Each compatible_with entry names an older version, and the newer definition really is a compatible evolution of it (Cap'n Proto and protobuf: structural compare; JSON Schema: only an unchanged definition).",
    messages: {
      unknownVersion: "compatible_with names '{{claim}}', which is not a version of schema '{{schema}}'",
      notOlder: "compatible_with names '{{claim}}', which is not older than {{version}}",
      incompatible: '{{version}} is not compatible with {{claim}}: {{changes}}',
      unchecked: 'compatible_with names {{claim}}, but {{reason}}; remove the claim and describe what breaks in breaking_changes',
    },
  },
  async schema(doc, ctx) {
    const cache = ctx.definitions
    const source = ctx.source(doc)
    const versions = items(doc.data, 'versions')
    const byId = new Map(versions.map(([v, i]) => [String(v.version), i]))
    for (const [v, i] of versions) {
      const claims = v.compatible_with
      if (!Array.isArray(claims)) continue
      for (const [k, claim] of claims.entries()) {
        const path = `/versions/${i}/compatible_with/${k}`
        const olderIndex = byId.get(String(claim))
        if (olderIndex === undefined) {
          ctx.report({ path, messageId: 'unknownVersion', data: { claim: String(claim), schema: doc.name } })
          continue
        }
        if (!(versionNumber(String(claim)) < versionNumber(String(v.version)))) {
          ctx.report({ path, messageId: 'notOlder', data: { claim: String(claim), version: String(v.version) } })
          continue
        }
        const older = await cache.forVersion(source, olderIndex)
        const newer = await cache.forVersion(source, i)
        if (!older || !newer) continue
        const result = await checkCompatibility(older, newer)
        if (result?.unchecked !== undefined) {
          ctx.report({ path, messageId: 'unchecked', data: { claim: String(claim), reason: result.unchecked } })
          continue
        }
        const breaking = result?.changes.filter(c => c.severity === 'breaking') ?? []
        if (breaking.length > 0) {
          const list = breaking.map(c => `${c.message} (${c.file}:${c.line}:${c.column})`).join('; ')
          ctx.report({ path, messageId: 'incompatible', data: { version: String(v.version), claim: String(claim), changes: list } })
        }
      }
    }
  },
})
