/**
 * Errors a user can act on. Commands let them propagate; the base command prints
 * `message` as one line on stderr and exits with `exitCode`
 * (1: the operation failed, 2: wrong usage). `details` are lines that back the
 * message up (e.g. each parse problem as `file:line:col  message`): printed
 * before it, and listed in the `--json` error.
 */
export class SsmdError extends Error {
  readonly exitCode: 1 | 2
  readonly code: string
  readonly details: readonly string[]
  /** Extra top-level keys of the `--json` error output (e.g. the findings that made `commit` refuse). */
  readonly json?: Record<string, unknown>
  constructor(message: string, options: { exitCode?: 1 | 2; code?: string; details?: readonly string[]; json?: Record<string, unknown> } = {}) {
    super(message)
    this.json = options.json
    this.name = 'SsmdError'
    this.exitCode = options.exitCode ?? 1
    this.code = options.code ?? (this.exitCode === 2 ? 'usage' : 'failed')
    this.details = options.details ?? []
  }
}

/** Wrong usage: a bad flag value, a bad argument. Exit code 2. */
export class UsageError extends SsmdError {
  constructor(message: string, code = 'usage') {
    super(message, { exitCode: 2, code })
  }
}

/** Something named does not exist. Exit code 1. */
export class NotFoundError extends SsmdError {
  constructor(message: string) {
    super(message, { exitCode: 1, code: 'not-found' })
  }
}

export class ConflictError extends SsmdError {
  constructor(message: string) {
    super(message, { exitCode: 1, code: 'conflict' })
  }
}
