import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { WM_CASEFOLD, WM_PATHNAME, wildmatch } from './wildmatch.js'

/** What `includeIf` conditions are evaluated against. */
export interface IncludeContext {
  /** The repository's git directory (per worktree), absolute. */
  gitdir?: string
  /** The current branch's short name; undefined when HEAD is detached. */
  branch?: string
}

/**
 * Git configuration, read without a `git` executable, in git's order:
 * system, global, repository, worktree, then `GIT_CONFIG_COUNT` /
 * `GIT_CONFIG_KEY_<n>` / `GIT_CONFIG_VALUE_<n>` from the environment;
 * `include.path` and `includeIf` (`gitdir:`, `gitdir/i:`, `onbranch:`,
 * `hasconfig:remote.*.url:`) are followed where they appear. Keys are
 * `section.key` or `section.subsection.key`, section and key lower-cased
 * (as git compares them), the subsection kept as written. The last value wins.
 */
export class GitConfig {
  private readonly values = new Map<string, string[]>()
  /** remote.*.url values, for `hasconfig:` conditions (collected in a first pass, as git does). */
  private remoteUrls: string[] = []

  constructor(private readonly context: IncludeContext = {}) {}

  /** Later files override earlier ones. */
  static load(files: string[], context: IncludeContext = {}, env: NodeJS.ProcessEnv = process.env): GitConfig {
    const first = new GitConfig(context)
    for (const f of files) first.readFile(f, 0, false)
    const config = new GitConfig(context)
    config.remoteUrls = [...first.values].filter(([k]) => /^remote\..*\.url$/.test(k)).flatMap(([, v]) => v)
    for (const f of files) config.readFile(f, 0, true)
    config.readEnvironment(env)
    return config
  }

  get(key: string): string | undefined {
    return this.values.get(normaliseKey(key))?.at(-1)
  }

  keys(): string[] {
    return [...this.values.keys()]
  }

  getAll(key: string): string[] {
    return this.values.get(normaliseKey(key)) ?? []
  }

  /** git's boolean: true/yes/on/non-zero number, false/no/off/0/empty. */
  getBool(key: string): boolean | undefined {
    const v = this.get(key)
    if (v === undefined) return undefined
    return parseBool(v)
  }

  set(key: string, value: string): void {
    const k = normaliseKey(key)
    const list = this.values.get(k)
    if (list) list.push(value)
    else this.values.set(k, [value])
  }

  private readEnvironment(env: NodeJS.ProcessEnv): void {
    const count = Number(env.GIT_CONFIG_COUNT ?? 0)
    for (let i = 0; Number.isInteger(count) && i < count; i++) {
      const key = env[`GIT_CONFIG_KEY_${i}`]
      if (key) this.set(key, env[`GIT_CONFIG_VALUE_${i}`] ?? '')
    }
  }

  private readFile(file: string, depth: number, conditional: boolean): void {
    if (depth > 10 || !existsSync(file)) return
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return
    }
    for (const [key, value] of parseGitConfig(text)) {
      const include = key === 'include.path' || (key.startsWith('includeif.') && key.endsWith('.path'))
      if (!include) {
        this.set(key, value)
        continue
      }
      if (key !== 'include.path') {
        if (!conditional) continue
        if (!this.conditionHolds(key.slice('includeif.'.length, -'.path'.length), file)) continue
      }
      const target = expandHome(value)
      this.readFile(isAbsolute(target) ? target : resolve(dirname(file), target), depth + 1, conditional)
    }
  }

  private conditionHolds(condition: string, file: string): boolean {
    const colon = condition.indexOf(':')
    if (colon === -1) return false
    const kind = condition.slice(0, colon)
    let pattern = condition.slice(colon + 1)
    if (kind === 'gitdir' || kind === 'gitdir/i') {
      const gitdir = this.context.gitdir
      if (!gitdir) return false
      pattern = expandHome(pattern)
      if (pattern.startsWith('./')) pattern = join(dirname(file), pattern.slice(2))
      else if (!isAbsolute(pattern)) pattern = `**/${pattern}`
      if (pattern.endsWith('/')) pattern += '**'
      const flags = WM_PATHNAME | (kind === 'gitdir/i' ? WM_CASEFOLD : 0)
      let real = gitdir
      try {
        real = realpathSync(gitdir)
      } catch {
        /* keep the path as given */
      }
      return wildmatch(pattern, gitdir, flags) || wildmatch(pattern, real, flags)
    }
    if (kind === 'onbranch') {
      if (!this.context.branch) return false
      if (pattern.endsWith('/')) pattern += '**'
      return wildmatch(pattern, this.context.branch, WM_PATHNAME)
    }
    if (kind === 'hasconfig' && pattern.startsWith('remote.*.url:')) {
      const urlPattern = pattern.slice('remote.*.url:'.length)
      return this.remoteUrls.some(u => wildmatch(urlPattern, u, WM_PATHNAME))
    }
    return false
  }
}

export function parseBool(v: string): boolean {
  const t = v.trim().toLowerCase()
  if (/^(true|yes|on)$/.test(t)) return true
  if (/^(false|no|off|)$/.test(t)) return false
  const n = Number(t)
  return Number.isFinite(n) ? n !== 0 : true
}

/** The system and global config files, lowest precedence first (as git reads them). */
export function globalConfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = []
  if (!(env.GIT_CONFIG_NOSYSTEM && parseBool(env.GIT_CONFIG_NOSYSTEM))) files.push(env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig')
  if (env.GIT_CONFIG_GLOBAL !== undefined) {
    if (env.GIT_CONFIG_GLOBAL) files.push(env.GIT_CONFIG_GLOBAL)
    return files
  }
  const home = env.HOME || homedir()
  const xdg = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, '.config')
  return [...files, join(xdg, 'git', 'config'), join(home, '.gitconfig')]
}

export function expandHome(p: string): string {
  if (p === '~' || p.startsWith('~/')) return join(process.env.HOME || homedir(), p.slice(1))
  return p
}

function normaliseKey(key: string): string {
  const first = key.indexOf('.')
  const last = key.lastIndexOf('.')
  if (first === -1) return key.toLowerCase()
  if (first === last) return key.toLowerCase()
  return `${key.slice(0, first).toLowerCase()}.${key.slice(first + 1, last)}.${key.slice(last + 1).toLowerCase()}`
}

/** Parses git's INI dialect into `[key, value]` pairs, in file order. */
export function parseGitConfig(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = []
  let section = ''
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]
    let rest = line.trimStart()
    if (rest === '' || rest[0] === '#' || rest[0] === ';') continue
    if (rest[0] === '[') {
      const m = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)$/.exec(rest)
      if (!m) continue
      const name = m[1].toLowerCase()
      // `[section.sub]` is the deprecated spelling of `[section "sub"]`.
      if (m[2] !== undefined) section = `${name}.${m[2].replace(/\\(.)/g, '$1')}`
      else {
        const dot = m[1].indexOf('.')
        section = dot === -1 ? name : `${m[1].slice(0, dot).toLowerCase()}.${m[1].slice(dot + 1)}`
      }
      rest = m[3].trimStart()
      if (rest === '' || rest[0] === '#' || rest[0] === ';') continue
      line = rest
    }
    const km = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*(=?)(.*)$/.exec(line)
    if (!km || !section) continue
    const key = `${section}.${km[1].toLowerCase()}`
    if (km[2] !== '=') {
      out.push([key, 'true'])
      continue
    }
    // Value: quotes, escapes, comments, and backslash-newline continuations.
    let raw = km[3]
    while (/(^|[^\\])(\\\\)*\\$/.test(raw) && i + 1 < lines.length) raw = raw.slice(0, -1) + lines[++i]
    out.push([key, parseValue(raw)])
  }
  return out
}

const ESCAPES: Partial<Record<string, string>> = { n: '\n', t: '\t', b: '\b' }

function parseValue(raw: string): string {
  let value = ''
  let pending = ''
  let quoted = false
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[++i]
      value += pending + (ESCAPES[n] ?? n)
      pending = ''
    } else if (c === '"') {
      value += pending
      pending = ''
      quoted = !quoted
    } else if (!quoted && (c === '#' || c === ';')) {
      break
    } else if (!quoted && (c === ' ' || c === '\t')) {
      if (value !== '') pending += c
    } else {
      value += pending + c
      pending = ''
    }
  }
  return value
}
