import { builtinRule, PASSED_ON } from './util.js'

/** The file parses as one YAML 1.2 document (the reader found the problem; this rule reports it). */
export default builtinRule({
  meta: {
    id: 'yaml/syntax',
    uses: ['source'],
    severity: 'error',
    scope: 'file',
    description: 'The file parses as one YAML 1.2 document.',
    messages: { syntax: PASSED_ON },
  },
  document(doc, ctx) {
    const problem = ctx.source(doc).problem
    if (problem?.rule === 'yaml/syntax') ctx.report({ messageId: 'syntax', data: { message: problem.message }, line: problem.line, column: problem.column })
  },
})
