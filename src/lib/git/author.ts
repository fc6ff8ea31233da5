import { UsageError, SsmdError } from '../core/errors.js'
import type { Repository } from './repo.js'

export interface Identity {
  name: string
  email: string
  /** Seconds since the epoch. */
  timestamp: number
  /** Minutes, with git's sign convention (UTC+2 → -120, as Date#getTimezoneOffset). */
  timezoneOffset: number
}

const HOW_TO_SET = 'set one with `git config --global user.name "Your Name"` and `git config --global user.email you@example.com`, or pass --author "Name <email>"'

/** Parses `Name <email>`; the email must not be empty. */
export function parseAuthor(value: string): { name: string; email: string } {
  const m = /^\s*([^<>]*?)\s*<([^<>]*)>\s*$/.exec(value)
  if (!m || !m[1]) throw new UsageError(`--author '${value}': expected "Name <email>"`)
  if (!m[2].trim()) throw new UsageError(`--author '${value}': the email is empty; expected "Name <email>"`)
  return { name: m[1], email: m[2].trim() }
}

/**
 * Who made a commit, as git decides it: the explicit value, else
 * GIT_<ROLE>_NAME / GIT_<ROLE>_EMAIL, else `<role>.name` / `user.name` from the
 * repository config, else from the global config (the repository overrides).
 */
export function resolveIdentity(
  repo: Repository,
  role: 'author' | 'committer',
  explicit?: string,
  fallback?: { name: string; email: string },
  env: NodeJS.ProcessEnv = process.env,
): Identity {
  const now = new Date()
  const when = { timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: now.getTimezoneOffset() }
  if (explicit !== undefined) return { ...parseAuthor(explicit), ...when }
  const upper = role.toUpperCase()
  const name = nonEmpty(env[`GIT_${upper}_NAME`]) ?? nonEmpty(repo.config.get(`${role}.name`)) ?? nonEmpty(repo.config.get('user.name')) ?? fallback?.name
  const email =
    nonEmpty(env[`GIT_${upper}_EMAIL`]) ?? nonEmpty(repo.config.get(`${role}.email`)) ?? nonEmpty(repo.config.get('user.email')) ?? nonEmpty(env.EMAIL) ?? fallback?.email
  if (!email) throw new SsmdError(`no ${role} email configured: ${HOW_TO_SET}`, { code: 'no-author' })
  if (!name) throw new SsmdError(`no ${role} name configured: ${HOW_TO_SET}`, { code: 'no-author' })
  if (/[<>\n]/.test(name) || /[<>\n]/.test(email))
    throw new SsmdError(`the ${role} '${name} <${email}>' contains '<', '>' or a line break; fix user.name/user.email or pass --author "Name <email>"`, { code: 'no-author' })
  return { name, email, ...when }
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim()
  return t ? t : undefined
}

/** `Name <email> 1700000000 +0100`, as in commit headers and reflogs. */
export function formatIdentity(id: Identity): string {
  const off = -id.timezoneOffset
  const sign = off < 0 ? '-' : '+'
  const abs = Math.abs(off)
  return `${id.name} <${id.email}> ${id.timestamp} ${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`
}
