import { builtinRule, PASSED_ON } from './util.js'

/** What the safe reader refuses: custom tags, alias bombs, oversized files, bytes that are not UTF-8. */
export default builtinRule({
  meta: {
    id: 'yaml/unsafe',
    uses: ['source'],
    severity: 'error',
    scope: 'file',
    description: 'No custom tags, alias bombs, files over 1 MiB or non-UTF-8 bytes.',
    messages: { unsafe: PASSED_ON },
  },
  document(doc, ctx) {
    const problem = ctx.source(doc).problem
    if (problem?.rule === 'yaml/unsafe') ctx.report({ messageId: 'unsafe', data: { message: problem.message }, line: problem.line, column: problem.column })
  },
})
