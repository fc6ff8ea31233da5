/**
 * Declares a rule pack. The returned function is a `validate` hook (register it
 * in package.json under oclif.hooks.validate); ssmd's engine calls each check,
 * isolates failures and locates findings. It is an identity helper: a plugin
 * can define the same two lines itself instead of importing ssmd at run time.
 */
export function defineChecks<P extends object>(pack: P): () => Promise<P> {
  return async function validateHook() {
    return pack
  }
}
