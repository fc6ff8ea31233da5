/*
 * Reading documents in parallel. A validation run over many files spends most
 * of its time reading, parsing and checking feeds and environments one at a
 * time, work that depends on each file alone. On a machine with a second core,
 * a worker thread takes part of it: it reads, parses and runs the built-in
 * rules that read one file at a time over blocks of files from the end of the
 * list, while this thread goes on from the start; each block is claimed by
 * exactly one of them through a shared array. What the worker sends back for a
 * file is what a validation cache entry keeps (CheckedDocument): the findings,
 * contract findings and facts, and for the cache the stat data and digest.
 * Everything else (schemas, the policy, definitions, rules across files,
 * plugins) stays in this thread.
 *
 * The worker runs ssmd's own code only (the build's bundle of
 * parallel-read-worker.ts, started by src/lib/cli/validate-thread.ts), reads only what this thread would
 * read (files the listing says are regular, opened without following a
 * symlink, inside the root, at most 1 MiB), and anything it does not answer
 * (a file it refused, a rule that threw, a worker that failed or stalled) is
 * read here as if there were no worker: the findings are the same either way.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import { ownFacts, type CheckedDocument, type DocumentFacts, type DocumentKind, type DocumentPrefetch } from '../workspace/document.js'
import type { Workspace } from '../workspace/workspace.js'
import type { ReadProblem } from '../yaml/read.js'

/** The environment variable that turns the worker off (`0`) or on whatever the repository's size (`1`). */
export const WORKERS_ENV = 'SSMD_WORKERS'

/** Fewer files than this are not worth a worker's start (about 50 ms of its own). */
const MIN_FILES = 2000
/**
 * More files than this and the run's memory comes first: a worker keeps
 * 15–30 MB of the process's memory to the end of the run (its thread's
 * allocator does not give back what the worker's code and reads used), and a
 * run over this many files is where the memory budget (300 MiB for 130,000
 * documents) is tight. Such a run reads every file in this thread, as before.
 */
const MAX_FILES = 60_000
/** Files per block: a block is claimed, read and sent back whole. */
export const BLOCK_SHIFT = 5
/** How long this thread waits for a worker that makes no progress before reading its files itself. */
const STALL_MS = 5000

/** Slots of the shared array: a stop flag, a count of blocks done (waited on), then one state per block. */
export const STOP = 0
export const PROGRESS = 1
export const FIRST_BLOCK = 2
/** A block's state: nobody's yet, this thread's, the worker's. */
export const FREE = 0
const MAIN = 1
export const CLAIMED = 2

/** The separator of the file list sent to the worker: no file name holds it. */
export const SEPARATOR = '\u0000'

/** What the worker is started with. */
export interface WorkerInput {
  root: string
  /** The files (root-relative, `feeds/…` or `environments/…`), joined by SEPARATOR: one string, not one per file. */
  files: string
  count: number
  /** The shared array (see STOP, PROGRESS, FIRST_BLOCK). */
  state: SharedArrayBuffer
  port: MessagePort
  /** Read as the validation cache reads a new file: stat data before and after, and a digest. */
  forCache: boolean
  /** For the thread's entry (src/lib/cli/validate-thread.ts): the bundle it runs, the URL of dist/, and where the build has the code cache written. */
  thread: { bundle: string; dist: string; codeCache?: string }
}

/**
 * One file's answer, packed (posting objects costs this thread their decoding):
 * [problem, contract findings, findings, isObject, feed, schema, status, dates,
 * the whole memo when it is not of that usual shape]; 0 for "none".
 * null: read the file in the main thread.
 */
export type PackedAnswer = [ReadProblem | 0, unknown[] | 0, unknown[] | 0, boolean, string | 0, string | 0, string | 0, string | 0, Record<string, unknown> | 0] | null

/**
 * A block as the worker posts it: its number, the key of the rules that
 * checked it, the answers and, for the cache, every file's stat data (before
 * and after: ten numbers) and digest (32 bytes) in one array each.
 */
export type WorkerBlock = [number, string, PackedAnswer[], Float64Array | 0, Uint8Array | 0]

/** Stat numbers and digest bytes per file in a block's arrays. */
export const STAMP_NUMBERS = 10
export const DIGEST_BYTES = 32

/** The memo keys of a document checked by the built-in rules of one file, as they are packed. */
const USUAL_MEMO = ['contract', 'findings', 'fileRules', 'facts']

/** Packs a checked document's answer (in the worker). */
export function packAnswer(problem: ReadProblem | undefined, memo: Record<string, unknown>): NonNullable<PackedAnswer> {
  const keys = Object.keys(memo)
  const facts = memo.facts as DocumentFacts | undefined
  const usual = facts !== undefined && keys.length === USUAL_MEMO.length && USUAL_MEMO.every(k => k in memo) && Array.isArray(memo.contract) && Array.isArray(memo.findings)
  const list = (v: unknown) => ((v as unknown[]).length === 0 ? 0 : (v as unknown[]))
  return [
    problem ?? 0,
    usual ? list(memo.contract) : 0,
    usual ? list(memo.findings) : 0,
    facts?.isObject ?? false,
    facts?.feed ?? 0,
    facts?.schema ?? 0,
    facts?.status ?? 0,
    facts?.dates ?? 0,
    usual ? 0 : memo,
  ]
}

/**
 * Starts a worker reading part of `ws`'s feeds and environments (see the top
 * of this file), when that is worth it: a second core, enough files not read
 * yet (with a validation cache: files it has no entry for), and the worker's
 * code built (a run from the TypeScript sources reads everything here), and
 * no plugin running (its process works on the second core then, and a
 * worker beside it made such runs slower, measured). Returns what to stop
 * once the rules that read one file at a time are done.
 */
export function readInParallel(ws: Workspace, options: { plugins: number }, env: Readonly<Record<string, string | undefined>> = process.env): ParallelRead | undefined {
  const setting = env[WORKERS_ENV]
  if (setting === '0' || options.plugins > 0) return undefined
  const cache = ws.cache
  if (setting !== '1' && availableParallelism() < 2) return undefined
  const files = ws.unreadListed().filter(([, , file]) => cache === undefined || cache.isNew(file))
  if (files.length === 0 || (setting !== '1' && (files.length < MIN_FILES || files.length > MAX_FILES))) return undefined
  if (!existsSync(THREAD_ENTRY) || !existsSync(THREAD_BUNDLE)) return undefined
  const reader = new ParallelRead(ws.root, files, { forCache: cache !== undefined })
  ws.readWith(reader)
  return reader
}

/**
 * The built files of the second thread: its entry, and the bundle the entry runs.
 * @public imported from dist/ by scripts/bundle-light.js, which writes them
 */
export const THREAD_ENTRY = fileURLToPath(new URL('../light/validate-thread.cjs', import.meta.url))
/** @public imported from dist/ by scripts/bundle-light.js, which writes it */
export const THREAD_BUNDLE = fileURLToPath(new URL('../light/validate-worker.cjs', import.meta.url))

/** The main thread's side: answers the workspace's reads from the worker's blocks (DocumentPrefetch). */
export class ParallelRead implements DocumentPrefetch {
  private readonly state: Int32Array
  private readonly port: MessagePort
  private readonly worker: Worker
  /** The files offered to the worker, in the workspace's order (feeds, then environments, each by name). */
  private readonly kinds: DocumentKind[]
  private readonly names: string[]
  private readonly files: string[]
  /** Where the last file taken was: files are taken in order, so the next is usually the one after. */
  private cursor = -1
  private readonly received = new Map<number, WorkerBlock>()
  private stopped = false
  /** Files answered by the worker, and files read here after all (for tests and -v). */
  readonly counts = { worker: 0, here: 0 }

  /**
   * `codeCache`: where the thread writes its bundle's code cache once it has read every file (the build's run,
   * which never takes a file here: the thread then reads them all).
   */
  constructor(root: string, files: Array<[DocumentKind, string, string]>, options: { forCache: boolean; codeCache?: string }) {
    const blocks = (files.length + (1 << BLOCK_SHIFT) - 1) >> BLOCK_SHIFT
    const shared = new SharedArrayBuffer((FIRST_BLOCK + blocks) * Int32Array.BYTES_PER_ELEMENT)
    this.state = new Int32Array(shared)
    // The last block is the worker's from the start: by the time this thread gets there, the worker has started
    // (and a run that forces the worker on, however small the repository, always has it answer some files).
    this.state[FIRST_BLOCK + blocks - 1] = CLAIMED
    this.kinds = files.map(f => f[0])
    this.names = files.map(f => f[1])
    this.files = files.map(f => f[2])
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    const thread = { bundle: THREAD_BUNDLE, dist: new URL('../../', import.meta.url).href, codeCache: options.codeCache }
    const input: WorkerInput = { root, files: this.files.join(SEPARATOR), count: files.length, state: shared, port: port2, forCache: options.forCache, thread }
    // Its output is not this process's: the worker prints nothing, and a stray line would not pass the output gate.
    this.worker = new Worker(THREAD_ENTRY, { workerData: input, transferList: [port2], stdout: true, stderr: true })
    this.worker.stdout.resume()
    this.worker.stderr.resume()
    // A worker that fails says so through the stop flag; this thread then reads the rest itself.
    this.worker.on('error', () => this.stop())
    this.worker.unref()
  }

  take(kind: DocumentKind, name: string, file: string): CheckedDocument | undefined {
    if (this.stopped) return undefined
    const i = this.indexOf(kind, name, file)
    if (i === undefined) return undefined
    this.cursor = i
    const b = i >> BLOCK_SHIFT
    let s = Atomics.load(this.state, FIRST_BLOCK + b)
    if (s === FREE) {
      s = Atomics.compareExchange(this.state, FIRST_BLOCK + b, FREE, MAIN)
      if (s === FREE) s = MAIN
    }
    const block = s === MAIN ? undefined : this.block(b)
    const at = i & ((1 << BLOCK_SHIFT) - 1)
    const answer = block?.[2][at]
    if (block === undefined || answer === undefined || answer === null) {
      this.counts.here++
      return undefined
    }
    this.counts.worker++
    block[2][at] = null
    // Taken in order: the block's last file lets go of it.
    if (at === block[2].length - 1) this.received.delete(b)
    const [problem, contract, findings, isObject, feed, schema, status, dates, whole] = answer
    const memo =
      whole !== 0
        ? whole
        : {
            contract: contract === 0 ? NONE : contract,
            findings: findings === 0 ? NONE : findings,
            fileRules: block[1],
            facts: ownFacts(isObject, orNone(feed), orNone(schema), orNone(status), orNone(dates)),
          }
    const [, , , stamps, digests] = block
    return {
      problem: problem === 0 ? undefined : problem,
      memo,
      ...(stamps === 0 ? {} : { before: stamps.subarray(at * STAMP_NUMBERS, at * STAMP_NUMBERS + 5), after: stamps.subarray(at * STAMP_NUMBERS + 5, (at + 1) * STAMP_NUMBERS) }),
      ...(digests === 0 ? {} : { digest: digests.subarray(at * DIGEST_BYTES, (at + 1) * DIGEST_BYTES) }),
    }
  }

  /**
   * Resolves with the worker's exit code once it has ended (keeping the process alive until then).
   * @public the build's run of the worker (writeThreadCache in scripts/bundle-light.js)
   */
  exited(): Promise<number> {
    this.worker.ref()
    return new Promise(resolve => this.worker.once('exit', resolve))
  }

  /** Stops the worker (it finishes the block it is on) and lets go of what it sent. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    Atomics.store(this.state, STOP, 1)
    Atomics.notify(this.state, PROGRESS)
    this.received.clear()
    this.port.close()
  }

  /** The file's place in the list: usually the one after the last taken, else found by its name (the list is sorted by it). */
  private indexOf(kind: DocumentKind, name: string, file: string): number | undefined {
    const next = this.cursor + 1
    if (next < this.files.length && this.files[next] === file) return next
    let lo = 0
    let hi = this.files.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const k = this.kinds[mid]
      if (k !== kind ? KIND_ORDER[k] < KIND_ORDER[kind] : this.names[mid] < name) lo = mid + 1
      else hi = mid
    }
    // Names can repeat (`x.yaml` and `x.yml`): the file decides among them.
    for (let i = lo; i < this.files.length && this.kinds[i] === kind && this.names[i] === name; i++) if (this.files[i] === file) return i
    return undefined
  }

  /** The worker's block `b` (kept until the run stops), waiting for it; undefined once the worker failed or stalled. */
  private block(b: number): WorkerBlock | undefined {
    for (;;) {
      const got = this.received.get(b)
      if (got !== undefined) return got
      const seen = Atomics.load(this.state, PROGRESS)
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const block = m.message as WorkerBlock
        this.received.set(block[0], block)
      }
      if (this.received.has(b)) continue
      if (Atomics.load(this.state, STOP) !== 0 || Atomics.wait(this.state, PROGRESS, seen, STALL_MS) === 'timed-out') {
        this.stop()
        return undefined
      }
    }
  }
}

/** The order of the kinds in the list (the workspace's: feeds, then environments). */
const KIND_ORDER: Record<DocumentKind, number> = { feed: 0, schema: 1, environment: 2, policy: 3 }

/** The empty list every memo without findings shares (as those made here do). */
const NONE: unknown[] = Object.freeze([]) as unknown as unknown[]

const orNone = (v: string | 0): string | undefined => (v === 0 ? undefined : v)
