import { builtinRule, PASSED_ON } from './util.js'

/** The file parses as one YAML 1.2 document (the reader found the problem; this rule reports it). */
export default builtinRule({
  meta: {
    id: 'yaml/syntax',
    severity: 'error',
    scope: 'file',
    description: 'The file parses as one YAML 1.2 document.',
    messages: { syntax: PASSED_ON },
  },
  document(doc, ctx) {
    if (doc.problem?.rule === 'yaml/syntax') ctx.report({ messageId: 'syntax', data: { message: doc.problem.message }, line: doc.problem.line, column: doc.problem.column })
  },
})
