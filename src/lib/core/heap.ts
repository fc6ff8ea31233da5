/** Memory of commands that hold a large repository's documents. */
import v8 from 'node:v8'

/** From this many documents on, validate, deploy and deploy status bound V8's heap growth (see boundHeapGrowth). */
export const LARGE_REPOSITORY = 50_000

/**
 * Memory: V8 lets the heap grow to several times what is live before it
 * collects again. Validating a large repository keeps its facts live (about
 * 100 MB for 130,000 documents), so its peak reached three times that; a
 * deploy of 100,000 environments keeps their documents live for the run. From
 * LARGE_REPOSITORY documents on, growth is bounded to 40% over what is live,
 * which there costs a few percent of CPU; below, where memory is no concern,
 * it would only cost time (docs/performance.md, "Memory"). The validation
 * cache bounds it as soon as it reads a cache of that many entries: the
 * bound takes effect at the next full collection, and one made while the
 * cache is deserialised would otherwise leave the limit at several times what
 * is live for the rest of a warm run. A --heap-growing-percent given to node
 * wins.
 */
export function boundHeapGrowth(documents: number): void {
  if (documents < LARGE_REPOSITORY || process.execArgv.some(a => a.includes('heap-growing-percent'))) return
  v8.setFlagsFromString('--heap-growing-percent=40')
}
