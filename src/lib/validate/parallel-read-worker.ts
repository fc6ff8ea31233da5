/*
 * The work of parallel-read.ts's second thread: claims blocks of files from
 * the end of the list, reads, parses and checks each file with the built-in
 * rules that read one file at a time, and posts what a validation cache entry
 * would keep. A file it cannot answer as the main thread would (refused,
 * unstable while read, a rule that threw) is answered with null: the main
 * thread reads it. The thread runs this module from the build's CommonJS
 * bundle of it (src/lib/cli/validate-thread.ts).
 */
import { basename, sep } from 'node:path'
import { folderOutside } from '../io/read.js'
import { RealPaths } from '../io/real-paths.js'
import { readStable, sha256 } from '../workspace/cache.js'
import { SsmdDocument } from '../workspace/document.js'
import { documentName } from '../workspace/inventory.js'
import { FOLDER_OF } from '../workspace/workspace.js'
import { MAX_FILE_BYTES, parseYamlBytes } from '../yaml/read.js'
import { FileChecks, fileScopedRules } from './engine.js'
import {
  BLOCK_SHIFT,
  CLAIMED,
  DIGEST_BYTES,
  FIRST_BLOCK,
  FREE,
  packAnswer,
  PROGRESS,
  SEPARATOR,
  STAMP_NUMBERS,
  STOP,
  type PackedAnswer,
  type WorkerBlock,
  type WorkerInput,
} from './parallel-read.js'

/**
 * Reads and checks the blocks of `input`'s list that the main thread has not claimed.
 * @public run by the thread's entry (src/lib/cli/validate-thread.ts) from the build's bundle
 */
export async function runWorker(input: WorkerInput): Promise<void> {
  // ssmd's rule pack, loaded as src/lib/cli/validation.ts loads it for the main thread: the hook's module,
  // imported when run (the build's bundle holds it), as no module of src/lib depends on the hooks.
  const { builtinPack } = await import('../../hooks/validate/builtin.js')
  const state = new Int32Array(input.state)
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
    // Posted at once: no shared copies of its strings here (see factsOf).
    doc.factsWith(s => s)
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
