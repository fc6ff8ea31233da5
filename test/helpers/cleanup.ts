// What a test file leaves to clean up: temporary folders, processes. A helper
// registers its clean-up once per process; test/setup.ts runs them all after
// each file in parallel mode and after the whole run in serial mode (mocha's
// root hooks), where an after() in a helper module would run only for the first
// file that imported it.
const cleanups: Array<() => void> = []

/** Registers `fn` to run after each test file (it must be safe to run again). */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn)
}

/** Runs every registered clean-up. */
export function runCleanups(): void {
  for (const fn of cleanups) fn()
}
