// Shared inputs of the built-in rule tables: the example repository as in-memory files.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { builtinPack } from '../../src/hooks/validate/builtin.js'
import type { RuleDefinition } from '../../src/lib/validate/checks.js'
import { BuiltinRuleTester } from '../../src/lib/validate/builtin-tester.js'
import { EXAMPLE_LOCAL, EXAMPLE_REPO } from '../helpers/repo.js'

function readTree(root: string, dir = root, out: Record<string, string> = {}): Record<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name)
    if (abs === EXAMPLE_LOCAL) continue
    if (entry.isDirectory()) readTree(root, abs, out)
    else out[relative(root, abs).split('\\').join('/')] = readFileSync(abs, 'utf8')
  }
  return out
}

/** examples/market-data, file by file: a valid repository every case starts from. */
export const EXAMPLE: Readonly<Record<string, string>> = readTree(EXAMPLE_REPO)

/** A file of the example repository with one edit applied (the edit must apply). */
export function edited(file: string, from: string, to: string): string {
  const before = EXAMPLE[file]
  if (before === undefined) throw new Error(`no ${file} in the example repository`)
  const after = before.replace(from, to)
  if (after === before) throw new Error(`edit did not apply to ${file}: ${from}`)
  return after
}

/** Runs built-in rules as ssmd does (in its process, with their declared capabilities), each case on top of the example repository. */
export const tester = new BuiltinRuleTester({ files: EXAMPLE })

/** The same, from an empty repository. */
export const bare = new BuiltinRuleTester()

/** A built-in rule, as registered in ssmd's own pack. */
export function builtin(id: string): RuleDefinition {
  const rule = builtinPack.rules[id]
  if (!rule) throw new Error(`no built-in rule '${id}'`)
  return rule
}
