import { builtinRule, PASSED_ON, reportContractShare } from './util.js'

/** The JSON Schema contract; violations that a more specific rule owns carry that rule's id instead. */
export default builtinRule({
  meta: {
    id: 'schema/contract',
    uses: ['source', 'contract'],
    severity: 'error',
    scope: 'file',
    description: 'The document satisfies its JSON Schema in schemas-json/ (types, enums, required and unknown keys).',
    messages: { contract: PASSED_ON },
  },
  document(doc, ctx) {
    if (ctx.source(doc).problem) return
    return reportContractShare(doc, ctx, 'schema/contract')
  },
})
