/*
 * oclif's argument-parser errors, rewritten in ssmd's style: one line that
 * says what is wrong, where (the command and the flag or argument), and how
 * to fix it, ending with the help to read.
 */
import { closest } from '../core/text.js'

interface FlagDef {
  name?: string
  char?: string
  type?: string
  allowNo?: boolean
  options?: readonly string[]
  hidden?: boolean
}

interface ArgDef {
  name?: string
  description?: string
}

export interface ParseErrorLike extends Error {
  oclif?: { exit?: number }
  flags?: string[]
  args?: ArgDef[] | string[]
  parse?: { input?: { flags?: Record<string, FlagDef & { required?: boolean }>; args?: Record<string, ArgDef> }; output?: { flags?: Record<string, unknown> } }
}

const CLASS_NAMES =
  /^(CLIParseError|RequiredArgsError|UnexpectedArgsError|NonExistentFlagsError|FlagInvalidOptionError|ArgInvalidOptionError|FailedFlagValidationError|ViolatedFlagConstraintError|InvalidArgsSpecError)$/

/** An error thrown by oclif's parser (not by ssmd's own code). */
export function isParseError(err: Error & { oclif?: { exit?: number } }): boolean {
  const name = err.constructor?.name ?? ''
  if (CLASS_NAMES.test(name)) return true
  return /^(Parsing --|Flag --\S+ (can only|expects)|Expected an integer|Expected --)/.test(err.message ?? '')
}

const listing = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`)

/** Every spelling a flag can be given in, for suggestions. */
function flagSpellings(flags: Record<string, FlagDef>): string[] {
  const out: string[] = ['--help', '-h']
  for (const [name, f] of Object.entries(flags)) {
    if (f.hidden) continue
    out.push(`--${name}`)
    if (f.char) out.push(`-${f.char}`)
    if (f.allowNo) out.push(`--no-${name}`)
  }
  return out
}

function clean(message: string): string {
  return (
    message
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .map(l => l.trim())
      .filter(l => l && !/^See more help with/.test(l))
      .join(' ')
      .replace(/\s+/g, ' ')
  )
}

/**
 * The one-line message for a parser error. `flags` are the command's flag
 * definitions (for did-you-mean on unknown flags); `command` is e.g. 'feed create'.
 */
export function parseErrorLine(err: ParseErrorLike, command: string, flags: Record<string, FlagDef> = {}): string {
  const where = command ? `ssmd ${command}` : 'ssmd'
  const help = ` (see '${where} --help')`
  const name = err.constructor?.name ?? ''
  const message = clean(err.message ?? '')

  if (name === 'NonExistentFlagsError' || /^Nonexistent flags?:/.test(message)) {
    const given = err.flags ?? message.replace(/^Nonexistent flags?:\s*/, '').split(/,\s*/)
    const known = flagSpellings(err.parse?.input?.flags ?? flags)
    const parts = given.map(f => {
      const bare = f.split('=')[0]
      // A one-letter flag is too short to guess from.
      const s =
        bare.length <= 2
          ? undefined
          : closest(
              bare,
              known.filter(k => k.length > 2),
            )
      return s === undefined ? bare : `${bare} (did you mean ${s}?)`
    })
    return `${where}: unknown flag${given.length === 1 ? '' : 's'} ${listing(parts)}${help}`
  }

  const exclusive = [...message.matchAll(/--([\w.-]+)=\S* cannot also be provided when using --([\w.-]+)/g)]
  if (exclusive.length > 0) {
    const pairs = [
      ...new Set(
        exclusive.map(x =>
          [x[1], x[2]]
            .sort()
            .map(f => `--${f}`)
            .join(' and '),
        ),
      ),
    ]
    return `${where}: ${pairs.join('; ')} cannot be used together; give only one${help}`
  }

  if (name === 'FailedFlagValidationError' || /^The following errors? occurred:/.test(message)) {
    const body = message.replace(/^The following errors? occurred:\s*/, '')
    const missing = [...body.matchAll(/Missing required flag (\S+)/g)].map(m => `--${m[1]}`)
    const others = body
      .replace(/Missing required flag \S+/g, '')
      .replace(/\s+/g, ' ')
      .trim()
    const parts: string[] = []
    if (missing.length > 0) parts.push(`missing required flag${missing.length === 1 ? '' : 's'} ${listing(missing)}`)
    if (others) parts.push(lowerFirst(others.replace(/--(\S+) = \S+ /g, '--$1 ').replace(/\.$/, '')))
    return `${where}: ${parts.join('; ')}${help}`
  }

  if (name === 'RequiredArgsError' || /^Missing \d+ required args?/.test(message)) {
    const args = (err.args as ArgDef[] | undefined)?.map(a => `<${a.name}>`) ?? []
    const what = args.length > 0 ? listing(args) : message.replace(/^Missing \d+ required args?:?\s*/, '')
    // oclif stops at the arguments; name the missing required flags in the same line.
    const given = err.parse?.output?.flags ?? {}
    const flags = Object.entries(err.parse?.input?.flags ?? {})
      .filter(([n, f]) => f.required && given[n] === undefined)
      .map(([n]) => `--${n}`)
    const alsoFlags = flags.length === 0 ? '' : ` and required flag${flags.length === 1 ? '' : 's'} ${listing(flags)}`
    const allArgs = Object.keys(err.parse?.input?.args ?? {}).map(a => `<${a}>`)
    const usage = [where, ...(allArgs.length > 0 ? allArgs : args), ...flags.map(f => `${f} <value>`)].join(' ')
    return `${where}: missing argument${args.length === 1 ? '' : 's'} ${what}${alsoFlags}; usage: ${usage}${help}`
  }

  if (name === 'UnexpectedArgsError' || /^Unexpected arguments?:/.test(message)) {
    const extra = (err.args as string[] | undefined) ?? message.replace(/^Unexpected arguments?:\s*/, '').split(/,\s*/)
    return `${where}: unexpected argument${extra.length === 1 ? '' : 's'} ${listing(extra.map(a => `'${a}'`))}; quote values that contain spaces${help}`
  }

  let m = /^Parsing --(\S+)\s+(.*)$/.exec(message)
  if (m) {
    const [, flag, reason] = m
    const int = /^Expected an integer(?: (greater|less) than or equal to (-?\d+))? but received: (.*)$/.exec(reason)
    if (int) {
      const bound = int[1] === 'greater' ? ` ≥ ${int[2]}` : int[1] === 'less' ? ` ≤ ${int[2]}` : ''
      return `${where}: --${flag} expects a whole number${bound}, got '${int[3]}'${help}`
    }
    return `${where}: --${flag}: ${lowerFirst(reason)}${help}`
  }

  m = /^Expected --(\S+?)=(.*) to be one of: (.*)$/.exec(message)
  if (m) {
    const [, flag, value, options] = m
    const s = closest(value, options.split(/,\s*/))
    return `${where}: --${flag} expects one of ${options}, got '${value}'${s === undefined ? '' : `; did you mean '${s}'?`}${help}`
  }
  m = /^Expected (.*) to be one of: (.*)$/.exec(message)
  if (m) {
    const [, value, options] = m
    const s = closest(value, options.split(/,\s*/))
    return `${where}: expected one of ${options}, got '${value}'${s === undefined ? '' : `; did you mean '${s}'?`}${help}`
  }
  m = /^Flag --(\S+) expects one of these values: (.*)$/.exec(message)
  if (m) return `${where}: --${m[1]} needs a value, one of ${m[2]}${help}`
  m = /^Flag --(\S+) expects a value$/.exec(message)
  if (m) return `${where}: --${m[1]} needs a value (--${m[1]} <value>)${help}`
  m = /^Flag --(\S+) can only be specified once$/.exec(message)
  if (m) return `${where}: --${m[1]} was given more than once; give it once${help}`

  return `${where}: ${lowerFirst(message)}${help}`
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s
}
