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
  const upperRole = role.toUpperCase()
  const when = parseGitDate(env[`GIT_${upperRole}_DATE`], `GIT_${upperRole}_DATE`) ?? now()
  if (explicit !== undefined) return { ...parseAuthor(explicit), ...when }
  const upper = upperRole
  const name = nonEmpty(env[`GIT_${upper}_NAME`]) ?? nonEmpty(repo.config.get(`${role}.name`)) ?? nonEmpty(repo.config.get('user.name')) ?? fallback?.name
  const email =
    nonEmpty(env[`GIT_${upper}_EMAIL`]) ?? nonEmpty(repo.config.get(`${role}.email`)) ?? nonEmpty(repo.config.get('user.email')) ?? nonEmpty(env.EMAIL) ?? fallback?.email
  if (!email) throw new SsmdError(`no ${role} email configured: ${HOW_TO_SET}`, { code: 'no-author' })
  if (!name) throw new SsmdError(`no ${role} name configured: ${HOW_TO_SET}`, { code: 'no-author' })
  if (/[<>\n]/.test(name) || /[<>\n]/.test(email))
    throw new SsmdError(`the ${role} '${name} <${email}>' contains '<', '>' or a line break; fix user.name/user.email or pass --author "Name <email>"`, { code: 'no-author' })
  return { name, email, ...when }
}

function now(): { timestamp: number; timezoneOffset: number } {
  const d = new Date()
  return { timestamp: Math.floor(d.getTime() / 1000), timezoneOffset: d.getTimezoneOffset() }
}

/**
 * A date as GIT_AUTHOR_DATE / GIT_COMMITTER_DATE give it: git's internal
 * format (`@1700000000 +0100` or `1700000000 +0100`), or ISO 8601 / RFC 2822
 * with an explicit zone. Anything else is refused rather than guessed.
 */
export function parseGitDate(value: string | undefined, what: string): { timestamp: number; timezoneOffset: number } | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const v = value.trim()
  const zone = (z: string) => {
    const m = /^([+-])(\d\d):?(\d\d)$/.exec(z)
    if (!m) return z === 'Z' || z === 'UTC' || z === 'GMT' ? 0 : undefined
    const minutes = Number(m[2]) * 60 + Number(m[3])
    return m[1] === '+' ? -minutes : minutes
  }
  const raw = /^@?(\d+)\s+([+-]\d{4})$/.exec(v)
  if (raw) return { timestamp: Number(raw[1]), timezoneOffset: zone(raw[2])! }
  const iso = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?)\s*(Z|[+-]\d\d:?\d\d)$/.exec(v)
  const rfc = /^(?:\w{3},\s*)?\d{1,2}\s+\w{3}\s+\d{4}\s+\d\d:\d\d(?::\d\d)?\s+([+-]\d{4})$/.exec(v)
  const tz = iso ? zone(iso[2]) : rfc ? zone(rfc[1]) : undefined
  const ms = Date.parse(iso ? `${iso[1].replace(' ', 'T')}${iso[2].length === 5 ? `${iso[2].slice(0, 3)}:${iso[2].slice(3)}` : iso[2]}` : v)
  if (tz === undefined || Number.isNaN(ms))
    throw new SsmdError(`${what}='${value}' is not a date ssmd understands; use git's format '@<seconds> +hhmm' or ISO 8601 with a zone`, { code: 'usage' })
  return { timestamp: Math.floor(ms / 1000), timezoneOffset: tz }
}

/** `@1700000000 +0100`: git's internal date format, as git passes GIT_AUTHOR_DATE to hooks. */
export function formatGitDate(id: Identity): string {
  return `@${formatIdentity(id).split(' ').slice(-2).join(' ')}`
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
