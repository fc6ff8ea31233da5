import { builtinRule, eachDefinitionProblem, PASSED_ON, PATH_PROBLEMS } from './util.js'

export default builtinRule({
  meta: {
    id: 'schema/file-missing',
    uses: ['source', 'definitions'],
    severity: 'error',
    description: "Each version's definition file exists inside schemas/.",
    messages: {
      missing: '{{message}} (referenced by {{version}}); add the file or fix the path',
      unreadable: PASSED_ON,
    },
  },
  schema(doc, ctx) {
    return eachDefinitionProblem(
      doc,
      ctx,
      kind => !PATH_PROBLEMS.has(kind),
      (problem, v, path) => ctx.report({ path, messageId: problem.kind === 'missing' ? 'missing' : 'unreadable', data: { message: problem.message, version: String(v.version) } }),
    )
  },
})
