import { builtinRule, eachDefinitionProblem, PASSED_ON, PATH_PROBLEMS } from './util.js'

/** The definition resolver finds the problem (absolute, `..`, symlink out); this rule reports it once per reference. */
export default builtinRule({
  meta: {
    id: 'schema/path-escape',
    uses: ['source', 'definitions'],
    severity: 'error',
    description: 'Definition paths are relative, stay inside schemas/ and are not symlinks leading outside the repository.',
    messages: { escape: PASSED_ON },
  },
  schema(doc, ctx) {
    return eachDefinitionProblem(
      doc,
      ctx,
      kind => PATH_PROBLEMS.has(kind),
      (problem, _v, path) => ctx.report({ path, messageId: 'escape', data: { message: problem.message } }),
    )
  },
})
