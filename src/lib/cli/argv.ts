/*
 * Command-line normalisation done before oclif sees the arguments (bin/run.js).
 * Deliberately free of oclif: it runs on every start and in the completion
 * entry point, and reads only the command ids from the manifests.
 *
 * ssmd's global flags (-C/--dir, --json, -q/--quiet, -v/--verbose) may come
 * before or between the words of a command id, as with git and kubectl:
 *   ssmd -C dir feed list   →  ssmd feed list -C dir
 *   ssmd feed -C dir list   →  ssmd feed list -C dir
 */

/** Global flags that take a value (as a separate word or after `=`). */
export const GLOBAL_VALUE_FLAGS = ['-C', '--dir'] as const
/** Global boolean flags. */
export const GLOBAL_BOOLEAN_FLAGS = ['--json', '-q', '--quiet', '-v', '--verbose'] as const

/** Command ids and topics, colon-separated as oclif names them. */
export interface CommandTable {
  ids: ReadonlySet<string>
  /** Every proper prefix of an id (topics, including implicit ones). */
  prefixes: ReadonlySet<string>
}

export function commandTable(ids: Iterable<string>): CommandTable {
  const all = new Set(ids)
  const prefixes = new Set<string>()
  for (const id of all) {
    const parts = id.split(':')
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join(':'))
  }
  return { ids: all, prefixes }
}

/** How many words a global flag at argv[i] takes (0 when it is not one). */
export function globalFlagWidth(argv: readonly string[], i: number): number {
  const a = argv[i]
  if ((GLOBAL_BOOLEAN_FLAGS as readonly string[]).includes(a)) return 1
  if ((GLOBAL_VALUE_FLAGS as readonly string[]).includes(a)) return i + 1 < argv.length ? 2 : 1
  if (a.startsWith('--dir=') || (a.startsWith('-C') && a.length > 2)) return 1
  return 0
}

/**
 * Moves global flags found among (or before) the words of the command id to
 * just after it. Anything else is left exactly as given; the result is the
 * input itself when there is nothing to move.
 * @public imported from dist/ by bin/run.js
 */
export function normalizeArgv(argv: readonly string[], table: CommandTable): string[] {
  const globals: string[] = []
  const words: string[] = []
  let known = true
  let i = 0
  while (i < argv.length) {
    const a = argv[i]
    if (a === '--') break
    const width = globalFlagWidth(argv, i)
    if (width > 0) {
      globals.push(...argv.slice(i, i + width))
      i += width
      continue
    }
    if (a.startsWith('-')) break
    const candidate = [...words, a].join(':')
    if (known && (table.ids.has(candidate) || table.prefixes.has(candidate))) {
      words.push(a)
      i++
      // A command that is not also a topic ends the id.
      if (table.ids.has(candidate) && !table.prefixes.has(candidate)) break
      continue
    }
    // An unknown first word: keep the words that follow it together, so the
    // not-found message can quote what was typed ('fed list').
    // A topic followed by an unknown word ('feed lst') is likewise kept whole.
    if (words.length === 0 || !known || !table.ids.has(words.join(':'))) {
      known = false
      words.push(a)
      i++
      continue
    }
    break
  }
  if (globals.length === 0 || words.length === 0) return [...argv]
  return [...words, ...globals, ...argv.slice(i)]
}
