import { SsmdError } from '../core/errors.js'

/** What the reader found wrong with a document (a YAML syntax error, conflict markers, …), located when it can be. */
export interface DocumentProblem {
  message: string
  line?: number
  column?: number
}

/**
 * Refuses a document the reader could not read: the one error names the
 * problem at file:line:col (not a symptom such as a missing key of the data
 * that could not be read) and how to go on.
 */
export function refuseUnreadable(file: string, problem: DocumentProblem | undefined): void {
  if (!problem) return
  const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`
  throw new SsmdError(`${where}: ${problem.message}; fix it first (ssmd validate ${file})`)
}
