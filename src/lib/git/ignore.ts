import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Repository } from './repo.js'

interface Rule {
  regex: RegExp
  negate: boolean
  dirOnly: boolean
}

interface RuleSet {
  /** Git-relative folder the patterns are relative to ('' for the top). */
  base: string
  rules: Rule[]
}

/**
 * gitignore matching as git does it, for deciding whether an untracked file
 * is shown or staged: `core.excludesFile` (default `$XDG_CONFIG_HOME/git/ignore`),
 * `.git/info/exclude`, then every `.gitignore` from the top down to the
 * file's folder; the last matching pattern wins, and nothing inside an
 * ignored folder can be re-included.
 */
export class IgnoreMatcher {
  private readonly top: RuleSet[]
  private readonly perDir = new Map<string, RuleSet | undefined>()

  constructor(private readonly repo: Repository) {
    const home = process.env.HOME || homedir()
    const configured = repo.config.get('core.excludesfile')
    const xdg = process.env.XDG_CONFIG_HOME || join(home, '.config')
    const excludes = configured ? configured.replace(/^~(?=\/|$)/, home) : join(xdg, 'git', 'ignore')
    this.top = [readRules(excludes, ''), readRules(join(repo.gitdir, 'info', 'exclude'), '')].filter((r): r is RuleSet => r !== undefined)
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
      const dir = parts.slice(0, i).join('/')
      const set = this.dirRules(dir)
      if (set) sets.push(set)
    }
    let ignored = false
    for (const set of sets) {
      const rel = set.base ? path.slice(set.base.length + 1) : path
      for (const rule of set.rules) {
        if (rule.dirOnly && !isDir) continue
        if (rule.regex.test(rel)) ignored = !rule.negate
      }
    }
    return ignored
  }

  private dirRules(dir: string): RuleSet | undefined {
    if (!this.perDir.has(dir)) this.perDir.set(dir, readRules(join(this.repo.workTree, dir, '.gitignore'), dir))
    return this.perDir.get(dir)
  }
}

function readRules(file: string, base: string): RuleSet | undefined {
  if (!existsSync(file)) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const rules: Rule[] = []
  for (const raw of text.split(/\r?\n/)) {
    const rule = parsePattern(raw)
    if (rule) rules.push(rule)
  }
  return { base, rules }
}

export function parsePattern(raw: string): Rule | undefined {
  let p = raw.replace(/(?<!\\)\s+$/, '')
  if (p === '' || p.startsWith('#')) return undefined
  let negate = false
  if (p.startsWith('!')) {
    negate = true
    p = p.slice(1)
  } else if (p.startsWith('\\!') || p.startsWith('\\#')) {
    p = p.slice(1)
  }
  let dirOnly = false
  if (p.endsWith('/')) {
    dirOnly = true
    p = p.slice(0, -1)
  }
  if (p === '') return undefined
  const anchored = p.includes('/')
  if (p.startsWith('/')) p = p.slice(1)
  const body = globToRegex(p)
  return { regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`), negate, dirOnly }
}

function globToRegex(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*') {
      if (glob[i + 1] === '*' && (i === 0 || glob[i - 1] === '/') && (i + 2 === glob.length || glob[i + 2] === '/')) {
        if (i + 2 === glob.length) out += '.*'
        else out += '(?:.*/)?'
        i += 2
      } else {
        out += '[^/]*'
      }
    } else if (c === '?') {
      out += '[^/]'
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end === -1) out += '\\['
      else {
        let cls = glob.slice(i + 1, end)
        if (cls.startsWith('!')) cls = '^' + cls.slice(1)
        out += `[${cls.replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRe(glob[++i])
    } else {
      out += escapeRe(c)
    }
  }
  return out
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c
}
