/*
 * How ssmd hands a plugin's process its input (plugins.ts writes, plugin-host.ts
 * reads): lines of JSON — the settings, the documents in parts, the rest of
 * the input last.
 *
 * The lines go through a spool file, not the pipe. A pipe holds 64 KiB, and
 * ssmd's own checks run synchronously right after it hands the documents
 * over: what did not fit would wait in ssmd's memory until its checks end,
 * and the plugin with it (or ssmd would wait for the plugin to take them).
 * So each line is written to a file whose name is removed as soon as it is
 * opened, and the pipe carries only "the file is complete up to byte N",
 * a few bytes that always fit. The plugin's process gets the file as an
 * open, read-only descriptor (its fd 3): it has no permission to open any
 * file by name there. Where no such file can be made (no writable temporary
 * folder, a full disk), the lines go through the pipe itself; the reader takes
 * both, in order.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'

/** The descriptor a plugin's process reads its spool from. */
export const SPOOL_FD = 3

export interface Spool {
  /** ssmd's end: written at explicit offsets. */
  write: number
  /** The plugin process's end (read-only): handed to it at spawn, then closed here. */
  read: number
}

/** A new, already unlinked spool file, or undefined when none can be made. */
export function openSpool(): Spool | undefined {
  let dir: string
  try {
    dir = mkdtempSync(join(tmpdir(), 'ssmd-plugin-'))
  } catch {
    return undefined
  }
  const fds: number[] = []
  try {
    const file = join(dir, 'input')
    fds.push(openSync(file, 'wx', 0o600))
    fds.push(openSync(file, 'r'))
  } catch {
    // Not both ends: no spool.
  }
  // Nothing is written before the name is gone: a run killed at any point leaves no data behind.
  // A file whose name could not be removed (a system that keeps open files) is not used.
  const removed = remove(dir)
  if (fds.length === 2 && removed) return { write: fds[0], read: fds[1] }
  for (const fd of fds) closeSync(fd)
  if (!removed) remove(dir)
  return undefined
}

function remove(dir: string): boolean {
  try {
    rmSync(dir, { recursive: true, force: true })
    return true
  } catch {
    return false
  }
}

/** ssmd's side: one line at a time, through the spool while it takes them, else through the pipe. */
export class InputWriter {
  private size = 0
  private pipe?: Writable

  /** `spool`: the write end of openSpool's file, owned (and closed) by this writer from now on. */
  constructor(private spool: number | undefined) {}

  /** The pipe to the plugin's process, once it is started. */
  connect(pipe: Writable): void {
    this.pipe = pipe
  }

  line(text: string): void {
    const pipe = this.pipe
    if (pipe === undefined) return
    if (this.spool !== undefined) {
      const bytes = Buffer.from(`${text}\n`)
      try {
        for (let off = 0; off < bytes.length;) off += writeSync(this.spool, bytes, off, bytes.length - off, this.size + off)
        this.size += bytes.length
        pipe.write(`${this.size}\n`)
        return
      } catch {
        // A full disk, for example: this line and the rest go through the pipe (the reader takes both, in order).
        this.close()
      }
    }
    pipe.write(`${text}\n`)
  }

  /** The last line; `done` runs once the pipe has taken it. */
  end(text: string, done: () => void): void {
    this.line(text)
    if (this.pipe === undefined) done()
    else this.pipe.end(done)
  }

  close(): void {
    if (this.spool === undefined) return
    try {
      closeSync(this.spool)
    } catch {
      // already closed
    }
    this.spool = undefined
  }
}

/** The plugin process's side: the input's lines as they arrive, from the pipe or (for a byte count) the spool. */
export async function* inputLines(pipe: AsyncIterable<Buffer>, spool: number | undefined): AsyncGenerator<string> {
  let read = 0
  for await (const line of pipeLines(pipe)) {
    if (!/^[0-9]+$/.test(line)) {
      yield line
      continue
    }
    const upTo = Number(line)
    if (spool === undefined || upTo <= read) throw new Error('malformed input')
    const bytes = Buffer.allocUnsafe(upTo - read)
    for (let off = 0; off < bytes.length;) {
      const n = readSync(spool, bytes, off, bytes.length - off, read + off)
      if (n === 0) throw new Error('the input file ended early')
      off += n
    }
    read = upTo
    let from = 0
    for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, from)) {
      yield bytes.toString('utf8', from, nl)
      from = nl + 1
    }
  }
}

/** Lines as they arrive on a stream (JSON has no raw newline inside a line). */
async function* pipeLines(pipe: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let pending: Buffer[] = []
  for await (const chunk of pipe) {
    let from = 0
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
      pending.push(chunk.subarray(from, nl))
      from = nl + 1
      const line = Buffer.concat(pending).toString('utf8')
      pending = []
      yield line
    }
    if (from < chunk.length) pending.push(chunk.subarray(from))
  }
  if (pending.length > 0) yield Buffer.concat(pending).toString('utf8')
}
