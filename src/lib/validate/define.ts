import { metaProblem } from './meta.js'
import type { RuleDefinition } from './checks.js'

/**
 * Declares a rule pack. The returned function is a `validate` hook (register it
 * in package.json under oclif.hooks.validate); ssmd's engine calls each check,
 * isolates failures and locates findings. Each rule's declaration is checked
 * here, when the pack is defined (a malformed message placeholder, an
 * unusable severity, options that are not a JSON Schema): the mistake shows on
 * the plugin author's first import or test, not as output. A plugin can still
 * define the same two lines itself instead of importing ssmd at run time; ssmd
 * then checks the declarations when it loads the pack.
 */
export function defineChecks<P extends object>(pack: P): () => Promise<P> {
  const { rules, plugin } = pack as { rules?: unknown; plugin?: unknown }
  if (rules !== null && typeof rules === 'object') {
    for (const [id, rule] of Object.entries(rules)) {
      // ssmd's own pack may declare capabilities (meta.uses); a plugin's pack cannot be named 'ssmd' (the name is reserved).
      const problem = rule !== null && typeof rule === 'object' ? metaProblem(id, rule as RuleDefinition, plugin === 'ssmd') : `rule '${id}' is not an object`
      if (problem) throw new TypeError(problem)
    }
  }
  return async function validateHook() {
    return pack
  }
}
