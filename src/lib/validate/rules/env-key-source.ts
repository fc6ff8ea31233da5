import { builtinRule, PASSED_ON, reportContractShare } from './util.js'

/** Checked by the contract's pattern; this rule gives those findings their id. */
export default builtinRule({
  meta: {
    id: 'env/key-source',
    uses: ['contract'],
    severity: 'error',
    scope: 'file',
    description: 'Key sources are env, sealed-secret/<name> or vault/<path>.',
    messages: { contract: PASSED_ON },
  },
  environment(doc, ctx) {
    return reportContractShare(doc, ctx, 'env/key-source')
  },
})
