/*
 * The entry of the second thread of a validation run (validate/parallel-read.ts),
 * built as dist/lib/light/validate-thread.cjs: runs the build's CommonJS bundle of
 * validate/parallel-read-worker.ts with its V8 code cache (bundle-loader.ts), as the
 * light start runs a command. A thread that loaded the compiled ES modules one
 * by one spent about 100 ms of its start resolving, compiling and linking
 * them, while the main thread was already reading (docs/performance.md).
 *
 * It holds nothing but the loader: whatever fails in the bundle (it would not
 * load, its code threw), the main thread is told at once through the stop flag
 * and reads the rest itself.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { workerData } from 'node:worker_threads'
import type { WorkerInput } from '../validate/parallel-read.js'
import { runBundle } from './bundle-loader.js'

const input = workerData as WorkerInput
// Slots 0 and 1 of the shared array: the stop flag and the count of blocks done (STOP and PROGRESS of
// parallel-read.ts, which this file does not load).
const state = new Int32Array(input.state)

start().then(
  () => input.port.close(),
  () => {
    Atomics.store(state, 0, 1)
    Atomics.notify(state, 1)
    input.port.close()
  },
)

async function start(): Promise<void> {
  const { bundle, dist, codeCache } = input.thread
  const loaded = runBundle(bundle, { url: rel => new URL(rel, dist).href })
  await (loaded.exports.runWorker as (input: WorkerInput) => Promise<void>)(input)
  // The build's run (scripts/build.js): the code cache of what the run compiled, written atomically.
  if (codeCache !== undefined) {
    writeFileSync(`${codeCache}.${process.pid}`, loaded.codeCache())
    renameSync(`${codeCache}.${process.pid}`, codeCache)
  }
}
