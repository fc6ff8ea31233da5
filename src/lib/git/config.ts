import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'

/**
 * Git configuration, read without a `git` executable: the repository's
 * `config` over the user's global files. Keys are `section.key` or
 * `section.subsection.key`, section and key lower-cased (as git compares them),
 * the subsection kept as written. The last value wins.
 */
export class GitConfig {
  private readonly values = new Map<string, string>()

  /** Later files override earlier ones. */
  static load(files: string[]): GitConfig {
    const config = new GitConfig()
    for (const f of files) config.readFile(f, 0)
    return config
  }

  get(key: string): string | undefined {
    return this.values.get(normaliseKey(key))
  }

  getBool(key: string): boolean | undefined {
    const v = this.get(key)
    if (v === undefined) return undefined
    return /^(true|yes|on|1|)$/i.test(v.trim())
  }

  private readFile(file: string, depth: number): void {
    if (depth > 10 || !existsSync(file)) return
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return
    }
    for (const [key, value] of parseGitConfig(text)) {
      if (key === 'include.path') {
        const target = expandHome(value)
        this.readFile(isAbsolute(target) ? target : resolve(dirname(file), target), depth + 1)
      } else {
        this.values.set(key, value)
      }
    }
  }
}

/** The user's global config files, lowest precedence first (as git reads them). */
export function globalConfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.GIT_CONFIG_GLOBAL !== undefined) return env.GIT_CONFIG_GLOBAL ? [env.GIT_CONFIG_GLOBAL] : []
  const home = env.HOME || homedir()
  const xdg = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, '.config')
  return [join(xdg, 'git', 'config'), join(home, '.gitconfig')]
}

function expandHome(p: string): string {
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
