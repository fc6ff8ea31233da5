/*
 * The worker of parallel-read.ts: claims blocks of files from the end of the
 * list, reads, parses and checks each file with the built-in rules that read
 * one file at a time, and posts what a validation cache entry would keep. A
 * file it cannot answer as the main thread would (refused, unstable while
 * read, a rule that threw) is answered with null: the main thread reads it.
 */
import { basename, sep } from 'node:path'
import { workerData } from 'node:worker_threads'
import type { PackedAnswer, WorkerBlock, WorkerInput } from './parallel-read.js'

const input = workerData as WorkerInput
const state = new Int32Array(input.state)

try {
  await run()
} catch {
  // Whatever failed (a module that would not load), the main thread reads the rest itself: the stop flag
  // and a wake-up (slots 0 and 1, see STOP and PROGRESS: that module may be what did not load).
  Atomics.store(state, 0, 1)
  Atomics.notify(state, 1)
} finally {
  input.port.close()
}

async function run(): Promise<void> {
  const { BLOCK_SHIFT, CLAIMED, DIGEST_BYTES, FIRST_BLOCK, FREE, packAnswer, PROGRESS, SEPARATOR, STAMP_NUMBERS, STOP } = await import('./parallel-read.js')
  const { builtinPack } = await import('../../hooks/validate/builtin.js')
  const { FileChecks, fileScopedRules } = await import('./engine.js')
  const { SsmdDocument } = await import('../workspace/document.js')
  const { documentName } = await import('../workspace/inventory.js')
  const { FOLDER_OF } = await import('../workspace/workspace.js')
  const { readStable, sha256 } = await import('../workspace/cache.js')
  const { folderOutside } = await import('../io/read.js')
  const { RealPaths } = await import('../io/real-paths.js')
  const { MAX_FILE_BYTES, parseYamlBytes } = await import('../yaml/read.js')

  const { root, forCache, count } = input
  // Where each file's name starts in the list (one string): a name is sliced out when its block is read.
  const starts = new Int32Array(count + 1)
  for (let i = 1, at = -1; i <= count; i++) {
    at = input.files.indexOf(SEPARATOR, at + 1)
    starts[i] = at === -1 ? input.files.length + 1 : at + 1
  }
  const fileAt = (i: number) => input.files.slice(starts[i], starts[i + 1] - 1)
  const checks = new FileChecks(fileScopedRules(Object.entries(builtinPack.rules)))
  const realPaths = new RealPaths()
  const from = { root, realPaths }
  const size = 1 << BLOCK_SHIFT

  /** One file: its answer, with its stat data and digest written at `at` of the block's arrays. */
  const answer = async (file: string, at: number, stamps: Float64Array | 0, digests: Uint8Array | 0): Promise<PackedAnswer> => {
    // The list holds feeds and environments only (see Workspace.unreadListed).
    const kind = file.startsWith(`${FOLDER_OF.feed}/`) ? 'feed' : 'environment'
    const name = documentName(basename(file))!
    const abs = `${root}${sep}${file}`
    let doc
    if (stamps !== 0 && digests !== 0) {
      // As DocumentCache.read reads a listed file it has no entry for.
      if (folderOutside(abs, { maxBytes: MAX_FILE_BYTES, display: file, root, realPaths }) !== undefined) return null
      const got = readStable(abs)
      if (got === undefined || !got.stable) return null
      doc = new SsmdDocument(kind, name, file, abs, parseYamlBytes(got.bytes), {}, from)
      const o = at * STAMP_NUMBERS
      for (const [i, s] of [got.before, got.st].entries()) stamps.set([s.size, s.mtimeMs, s.ctimeMs, s.ino, s.mode], o + i * 5)
      digests.set(sha256(got.bytes), at * DIGEST_BYTES)
    } else {
      doc = SsmdDocument.read(kind, name, file, abs, root, realPaths, true)
      if (doc.refused) return null
    }
    const checked = checks.check(doc)
    const { failures } = 'then' in checked ? await checked : checked
    if (failures.length > 0) return null
    void doc.facts
    return packAnswer(doc.problem, doc.memo as Record<string, unknown>)
  }

  const blocks = state.length - FIRST_BLOCK
  for (let b = blocks - 1; b >= 0; b--) {
    if (Atomics.load(state, STOP) !== 0) return
    // The last block is claimed for the worker when it is started.
    if (b !== blocks - 1 && Atomics.compareExchange(state, FIRST_BLOCK + b, FREE, CLAIMED) !== FREE) continue
    const first = b << BLOCK_SHIFT
    const n = Math.min(count, first + size) - first
    const stamps = forCache ? new Float64Array(n * STAMP_NUMBERS) : 0
    const digests = forCache ? new Uint8Array(n * DIGEST_BYTES) : 0
    const answers: PackedAnswer[] = []
    for (let at = 0; at < n; at++) {
      try {
        answers.push(await answer(fileAt(first + at), at, stamps, digests))
      } catch {
        answers.push(null)
      }
    }
    input.port.postMessage([b, checks.key, answers, stamps, digests] satisfies WorkerBlock)
    Atomics.add(state, PROGRESS, 1)
    Atomics.notify(state, PROGRESS)
  }
}
