/**
 * The paths one of node:fs's synchronous functions is called with while `fn`
 * runs, through `import { lstatSync } from 'node:fs'` too (the built-in
 * module's named exports are synced both ways). Nothing else may run
 * meanwhile: the function is replaced process-wide until `fn` settles.
 */
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'

export async function fsCalls<T>(name: 'lstatSync' | 'readdirSync' | 'openSync', fn: () => T | Promise<T>): Promise<{ result: T; paths: string[] }> {
  const mutable = fs as unknown as Record<string, (...a: unknown[]) => unknown>
  const original = mutable[name]
  const paths: string[] = []
  mutable[name] = (path: unknown, ...rest: unknown[]) => {
    paths.push(String(path))
    return original(path, ...rest)
  }
  syncBuiltinESMExports()
  try {
    return { result: await fn(), paths }
  } finally {
    mutable[name] = original
    syncBuiltinESMExports()
  }
}
