import { parsePin } from '../pins.js'
import { builtinRule, isObj } from './util.js'

export default builtinRule({
  meta: {
    id: 'policy/plugin-missing',
    severity: 'error',
    description: 'Every plugin listed in ssmd.yaml is installed.',
    messages: { missing: "plugin '{{plugin}}' is required by ssmd.yaml but not installed; run 'ssmd plugins install {{plugin}}'" },
  },
  repository(ws, ctx) {
    const policy = ws.policy
    if (!policy || !isObj(policy.data) || !Array.isArray(policy.data.plugins)) return
    const installed = new Set(ctx.installedPlugins ?? [])
    policy.data.plugins.forEach((p, i) => {
      if (typeof p === 'string' && !installed.has(parsePin(p).name)) ctx.reportIn(policy, { path: `/plugins/${i}`, messageId: 'missing', data: { plugin: p } })
    })
  },
})
