import { builtinRule, isObj } from './util.js'

export default builtinRule({
  meta: {
    id: 'name/matches-file',
    severity: 'error',
    scope: 'file',
    description: '`name` equals the file name without extension.',
    messages: { mismatch: "name '{{name}}' does not match the file name '{{file}}'; rename the file or set name: {{file}}" },
  },
  document(doc, ctx) {
    if (doc.kind === 'policy' || !isObj(doc.data)) return
    const name = doc.data.name
    if (typeof name === 'string' && name !== doc.name) ctx.report({ path: '/name', messageId: 'mismatch', data: { name, file: doc.name } })
  },
})
