/*
 * A one-line progress display on stderr for long runs: shown only on a
 * terminal, never in CI (CI set) or when stderr is piped, and only once the
 * run has taken longer than a second. The line is erased when the run ends,
 * so it never mixes with the output.
 */
export interface Progress {
  update(done: number, total: number): void
  end(): void
}

const NONE: Progress = { update() {}, end() {} }

export function progressOnTty(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0'
  if (!stream.isTTY || ci) return NONE
  const after = Number(process.env.SSMD_PROGRESS_AFTER_MS ?? 1000)
  const started = Date.now()
  let shown = false
  let last = 0
  return {
    update(done, total) {
      const now = Date.now()
      if (now - started < after || now - last < 100) return
      last = now
      shown = true
      const pct = total > 0 ? Math.floor((done / total) * 100) : 0
      stream.write(`\r\u001b[K${label}: ${pct}% (${((now - started) / 1000).toFixed(1)} s)`)
    },
    end() {
      if (shown) stream.write('\r\u001b[K')
    },
  }
}
