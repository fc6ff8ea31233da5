/**
 * Extra detail for someone reading a test run, on stderr and only when
 * SSMD_TEST_DEBUG is set: stdout belongs to mocha's reporter (`--reporter json`
 * must stay parseable).
 */
export function debug(message: string): void {
  if (process.env.SSMD_TEST_DEBUG) process.stderr.write(message + '\n')
}
