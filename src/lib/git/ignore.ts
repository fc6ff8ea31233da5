import { lstatSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { expandHome } from './config.js'
import type { Repository } from './repo.js'
import { PathPattern, patternLines } from './wildmatch.js'

interface RuleSet {
  /** Git-relative folder the patterns are relative to ('' for the top). */
  base: string
  rules: PathPattern[]
}

/**
 * gitignore matching as git does it (dir.c), for deciding whether an
 * untracked file is shown or staged: `core.excludesFile` (default
 * `$XDG_CONFIG_HOME/git/ignore`) lowest, then `.git/info/exclude`, then every
 * `.gitignore` from the top down to the file's folder; the last matching
 * pattern wins, and nothing inside an ignored folder can be re-included.
 * Patterns are matched by git's own wildmatch (wildmatch.ts), with
 * `core.ignoreCase`.
 */
export class IgnoreMatcher {
  private readonly top: RuleSet[]
  private readonly perDir = new Map<string, RuleSet | undefined>()
  private readonly ignoreCase: boolean

  constructor(private readonly repo: Repository) {
    const configured = repo.config.get('core.excludesfile')
    const xdg = process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config')
    // A relative core.excludesFile is relative to the top of the working tree, where git runs.
    const excludes = configured ? resolve(repo.workTree, expandHome(configured)) : join(xdg, 'git', 'ignore')
    this.top = [readRules(excludes, '', true), readRules(join(repo.gitdir, 'info', 'exclude'), '', true)].filter((r): r is RuleSet => r !== undefined)
    this.ignoreCase = repo.config.getBool('core.ignorecase') ?? false
  }

  /** Whether `path` (git-relative; a folder when `isDir`) is ignored. */
  isIgnored(path: string, isDir = false): boolean {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      if (this.matches(parts.slice(0, i).join('/'), true)) return true
    }
    return this.matches(path, isDir)
  }

  private matches(path: string, isDir: boolean): boolean {
    const sets = [...this.top]
    const parts = path.split('/')
    for (let i = 0; i < parts.length; i++) {
      const set = this.dirRules(parts.slice(0, i).join('/'))
      if (set) sets.push(set)
    }
    // The last matching pattern decides: search from the most specific file's last line.
    for (let s = sets.length - 1; s >= 0; s--) {
      const rules = sets[s].rules
      for (let r = rules.length - 1; r >= 0; r--) {
        if (rules[r].matches(path, isDir, this.ignoreCase)) return !rules[r].negative
      }
    }
    return false
  }

  private dirRules(dir: string): RuleSet | undefined {
    // git does not follow a .gitignore that is a symbolic link inside the working tree.
    if (!this.perDir.has(dir)) this.perDir.set(dir, readRules(join(this.repo.workTree, dir, '.gitignore'), dir, false))
    return this.perDir.get(dir)
  }
}

function readRules(file: string, base: string, followLinks: boolean): RuleSet | undefined {
  let text: Buffer
  try {
    const st = lstatSync(file)
    if (st.isSymbolicLink() && !followLinks) return undefined
    text = readFileSync(file)
  } catch {
    return undefined
  }
  return { base, rules: patternLines(text).map(line => new PathPattern(line, base)) }
}
