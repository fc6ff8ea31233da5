import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/** The working-tree root of the git repository holding `dir`, or undefined. */
export function findGitRoot(dir: string): string | undefined {
  let d = resolve(dir)
  for (;;) {
    if (existsSync(join(d, '.git'))) return d
    const parent = dirname(d)
    if (parent === d) return undefined
    d = parent
  }
}
