import type { RulePack } from './types.js'

/**
 * Declares a validation plugin's rules. The returned function is the plugin's
 * `validate` hook (register it in package.json under oclif.hooks.validate);
 * ssmd's engine calls each check, isolates failures and locates findings.
 */
export function defineChecks(pack: RulePack): () => Promise<RulePack> {
  return async function validateHook() {
    return pack
  }
}
