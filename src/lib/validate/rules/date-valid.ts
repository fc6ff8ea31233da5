import { isValidDate } from '../../core/dates.js'
import { builtinRule, items, PASSED_ON, shareContract, withContract } from './util.js'

/** The contract checks the YYYY-MM-DD shape (shared here); this rule adds that the day exists. */
export default builtinRule({
  meta: {
    id: 'date/valid',
    uses: ['source', 'contract'],
    severity: 'error',
    scope: 'file',
    description: 'Dates are real calendar dates in YYYY-MM-DD form.',
    messages: { contract: PASSED_ON, notADay: "'{{value}}' is not a real calendar date" },
  },
  document(doc, ctx) {
    if (ctx.source(doc).problem || (doc.kind !== 'feed' && doc.kind !== 'schema')) return
    return withContract(doc, ctx, contract => {
      shareContract(contract, ctx, 'date/valid')
      const shapeErrors = new Set(contract.filter(f => f.rule === 'date/valid').map(f => f.path))
      for (const [v, i] of items(doc.data, 'versions')) {
        for (const key of ['effective_from', 'effective_to']) {
          const value = v[key]
          const path = `/versions/${i}/${key}`
          if (typeof value === 'string' && !shapeErrors.has(path) && /^\d{4}-\d{2}-\d{2}$/.test(value) && !isValidDate(value)) {
            ctx.report({ path, messageId: 'notADay', data: { value } })
          }
        }
      }
    })
  },
})
