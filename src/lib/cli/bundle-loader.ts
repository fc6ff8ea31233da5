/**
 * Runs one of the build's CommonJS bundles (dist/vendor/*.cjs, dist/lib/light/**\/*.cjs)
 * with the V8 code cache the build wrote beside it (<file>.cjs.cache).
 *
 * The bundle is compiled with node:vm, so that V8 can take the cache: no
 * parsing, and no lazy compiling of the functions a typical run needs. V8
 * rejects a cache made by another Node.js version, with other V8 flags or for
 * other source; a missing or rejected cache only means the code is compiled as
 * usual. The code is ASCII (scripts/ascii-source.js), read as latin1: a
 * one-byte string, no UTF-8 decoding.
 *
 * The wrapper is the one Node.js gives a CommonJS module, plus the loader's own
 * `import()` (a vm script has none) and `__ssmdUrl`, which gives a compiled file
 * of dist/ its own URL back (scripts/bundle-light.js). The build makes each
 * cache through this function too, so the source V8 checks is the same.
 * This module imports nothing of ssmd's: the light start's bundle holds it.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { Script } from 'node:vm'

export interface LoadedBundle {
  /** The bundle's `module.exports`. */
  exports: Record<string, unknown>
  /** The code cache of everything compiled so far (the build writes it). */
  codeCache: () => Buffer
  /** Whether this process runs on the build's code cache (for tests). */
  codeCacheAccepted: boolean
}

export interface BundleOptions {
  /** What the bundle's `require(id)` gives for ids it shares with the process; Node.js's require answers the rest. */
  shared?: Readonly<Record<string, unknown>>
  /** `__ssmdUrl(rel)`: the URL of the dist/ file `rel` (for the light bundles' `import.meta.url`). */
  url?: (rel: string) => string
}

const HEAD = '(function (exports, require, module, __filename, __dirname, __ssmdImport, __ssmdUrl) {'

/**
 * Compiles and runs `file` once.
 * @public imported from dist/ by the build's generated loaders (scripts/bundle-vendor.js)
 */
export function runBundle(file: string, options: BundleOptions = {}): LoadedBundle {
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(file + '.cache')
  } catch {
    // No cache: compile as usual.
  }
  const script = new Script(HEAD + readFileSync(file, 'latin1') + '\n})', { filename: file, cachedData })
  const nodeRequire = createRequire(file)
  const { shared } = options
  const require = shared === undefined ? nodeRequire : (id: string) => (Object.hasOwn(shared, id) ? shared[id] : nodeRequire(id))
  const mod = { exports: {} as Record<string, unknown> }
  const run = script.runInThisContext() as (...args: unknown[]) => void
  run(mod.exports, require, mod, file, dirname(file), (specifier: string) => import(specifier), options.url)
  return { exports: mod.exports, codeCache: () => script.createCachedData(), codeCacheAccepted: cachedData !== undefined && !script.cachedDataRejected }
}
