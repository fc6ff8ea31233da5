import { UsageError } from '../core/errors.js'
import { hasUrlCredentials, parseUrl, secretIn, urlScheme } from './secrets.js'
import { NAME_PATTERN, SIZE_PATTERN, VERSION_PATTERN } from '../spec/common.js'

const NAME = new RegExp(NAME_PATTERN)
const VERSION = new RegExp(VERSION_PATTERN)
const SIZE = new RegExp(SIZE_PATTERN)

/**
 * A name used as a file name or map key (feed, environment, key, datacenter).
 * Checked before any path is built from it, so `../x` or `a/b` never reach the file system.
 */
export function checkName(what: string, value: string): string {
  if (!NAME.test(value)) {
    const shown = JSON.stringify(value)
    throw new UsageError(`${shown} is not a valid ${what} name: use 1–63 characters, lowercase letters, digits, '-' or '_', starting with a letter or digit`)
  }
  return value
}

/**
 * A schema reference, `name` or `name:version`, both parts checked so that neither
 * can reach the file system unchecked. `flag` names the flag the value came from.
 */
export function parseSchemaRef(value: string, options: { requireVersion: true; flag?: string }): { name: string; version: string }
export function parseSchemaRef(value: string, options: { requireVersion: boolean; flag?: string }): { name: string; version?: string }
export function parseSchemaRef(value: string, options: { requireVersion: boolean; flag?: string }): { name: string; version?: string } {
  const shown = options.flag === undefined ? `'${value}'` : `--${options.flag} '${value}'`
  const colon = value.indexOf(':')
  if (colon === -1) {
    if (options.requireVersion) throw new UsageError(`${shown} names no version; use <schema>:<version>, e.g. ${value || 'trade'}:v1`)
    return { name: checkName('schema', value) }
  }
  const name = checkName('schema', value.slice(0, colon))
  const version = value.slice(colon + 1)
  if (!VERSION.test(version)) throw new UsageError(`${shown}: '${version}' is not a version id; use <schema>:v1, <schema>:v2, …`)
  return { name, version }
}

export function checkVersionId(flag: string, value: string): string {
  if (!VERSION.test(value)) throw new UsageError(`--${flag} '${value}' is not a version id; use v1, v2, …`)
  return value
}

export function checkSize(flag: string, value: string): string {
  if (!SIZE.test(value)) throw new UsageError(`--${flag} '${value}' is not a size; use a whole number and a unit, e.g. 512KB, 100MB, 2GB`)
  return value
}

/**
 * A URL flag: one of `schemes`, parseable, with a host, and never with
 * credentials in it (those belong in a key reference, not in the file).
 */
export function checkUrl(flag: string, value: string, schemes: readonly string[], context = ''): string {
  const scheme = urlScheme(value)
  const expected = schemes.map(s => `${s}://`).join(' or ')
  if (hasUrlCredentials(value)) throw new UsageError(credentialsMessage(`--${flag}`))
  if (scheme === undefined) throw new UsageError(`--${flag} '${value}' is not a URL; expected ${expected}…${context}`)
  if (!schemes.includes(scheme)) throw new UsageError(`--${flag} '${value}' uses ${scheme}://; expected ${expected}${context}`)
  const url = parseUrl(value)
  if (!url || url.hostname === '') throw new UsageError(`--${flag} '${value}' is not a valid URL (no host)`)
  return value
}

const credentialsMessage = (what: string) => `${what} must not carry credentials (user:pass@host); keep them out of the file and reference them with 'ssmd env add-key'`

/**
 * A value about to be written into a file (a flag of an edit, an argument):
 * refused when it holds what `ssmd validate` would report as a secret — the
 * same vocabulary — so an edit never writes a file that the security rules
 * then reject. `what` names the input (`--endpoint`, `argument name`), `key`
 * is the field it goes to; the message never quotes the value.
 */
export function checkNotSecret(what: string, value: string, key = ''): void {
  const shape = secretIn(value, key)
  if (shape === undefined) return
  if (shape === 'a URL with credentials') throw new UsageError(credentialsMessage(what))
  throw new UsageError(
    `${what} looks like it contains ${shape}; ssmd never stores secret values in its files: keep the secret in your secret store and reference it with 'ssmd env add-key'`,
  )
}

/** Splits `a,b` lists: trimmed, no empties. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map(s => s.trim())
    .filter(s => s !== '')
}
