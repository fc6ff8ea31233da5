import { definitionCache } from '../../domain/schema/definitions.js'
import { builtinRule, definitionRefPath, items, PASSED_ON, PATH_PROBLEMS } from './util.js'

/** The definition resolver finds the problem (absolute, `..`, symlink out); this rule reports it once per reference. */
export default builtinRule({
  meta: {
    id: 'schema/path-escape',
    severity: 'error',
    description: 'Definition paths are relative, stay inside schemas/ and are not symlinks leading outside the repository.',
    messages: { escape: PASSED_ON },
  },
  async schema(doc, ctx) {
    const cache = definitionCache(ctx.workspace)
    const reported = new Set<string>()
    for (const [v, i] of items(doc.data, 'versions')) {
      const def = await cache.forVersion(doc, i)
      const path = definitionRefPath(v, i)
      if (def?.problem && PATH_PROBLEMS.has(def.problem.kind) && !reported.has(path)) {
        reported.add(path)
        ctx.report({ path, messageId: 'escape', data: { message: def.problem.message } })
      }
    }
  },
})
