import { StringDecoder } from 'node:string_decoder'

const MAX_PENDING = 64 * 1024

/**
 * A writer for output relayed as it arrives (a child process's): bytes are
 * decoded as UTF-8 and written one whole line at a time, so that the output
 * gate (cli/output-gate.ts), which redacts each write whole, sees every secret whole; `end()` writes what is left.
 */
export function lineWriter(stream: NodeJS.WritableStream): { write(chunk: Buffer | string): void; end(): void } {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  return {
    write(chunk) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
      const cut = pending.lastIndexOf('\n')
      if (cut === -1) {
        // A line without end is written in pieces past 64 KiB, so memory stays bounded.
        if (pending.length > MAX_PENDING) {
          stream.write(pending)
          pending = ''
        }
        return
      }
      stream.write(pending.slice(0, cut + 1))
      pending = pending.slice(cut + 1)
    },
    end() {
      pending += decoder.end()
      if (pending !== '') stream.write(pending)
      pending = ''
    },
  }
}
