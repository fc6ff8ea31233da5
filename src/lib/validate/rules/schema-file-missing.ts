import { definitionCache } from '../../domain/schema/definitions.js'
import { builtinRule, definitionRefPath, items, PASSED_ON, PATH_PROBLEMS } from './util.js'

export default builtinRule({
  meta: {
    id: 'schema/file-missing',
    severity: 'error',
    description: "Each version's definition file exists inside schemas/.",
    messages: {
      missing: '{{message}} (referenced by {{version}}); add the file or fix the path',
      unreadable: PASSED_ON,
    },
  },
  async schema(doc, ctx) {
    const cache = definitionCache(ctx.workspace)
    const reported = new Set<string>()
    for (const [v, i] of items(doc.data, 'versions')) {
      const def = await cache.forVersion(doc, i)
      const path = definitionRefPath(v, i)
      if (def?.problem && !PATH_PROBLEMS.has(def.problem.kind) && !reported.has(path)) {
        reported.add(path)
        const missing = def.problem.kind === 'missing'
        ctx.report({ path, messageId: missing ? 'missing' : 'unreadable', data: { message: def.problem.message, version: String(v.version) } })
      }
    }
  },
})
