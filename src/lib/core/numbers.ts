import { UsageError } from './errors.js'

/** A plain decimal integer: optional minus, digits, nothing else (no exponent, no unit, no spaces, no `0x`). */
const PLAIN_INTEGER = /^-?[0-9]+$/

/**
 * Parses `text` as a plain integer within [min, max] (never beyond 2^53 − 1),
 * or returns why it is not one.
 */
export function parseStrictInteger(text: string, range: { min?: number; max?: number } = {}): { value: number } | { problem: string } {
  const min = range.min ?? Number.MIN_SAFE_INTEGER
  const max = Math.min(range.max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  if (!PLAIN_INTEGER.test(text)) return { problem: 'is not a whole number' }
  const big = BigInt(text)
  if (big < BigInt(min) || big > BigInt(max)) return { problem: `is out of range (${min}–${max})` }
  return { value: Number(big) }
}

/**
 * A numeric environment variable: absent or empty means `fallback`; anything
 * that is not a plain integer in range is a usage error (a unit such as `15s`
 * never silently disables a timeout).
 */
export function envInteger(name: string, fallback: number, range: { min?: number; max?: number; unit?: string } = {}): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const parsed = parseStrictInteger(raw, range)
  if ('value' in parsed) return parsed.value
  const unit = range.unit ? ` of ${range.unit}` : ''
  throw new UsageError(
    `${name}=${JSON.stringify(raw)} ${parsed.problem}; set it to a whole number${unit} from ${range.min ?? 0} to ${range.max ?? Number.MAX_SAFE_INTEGER}, e.g. ${name}=${fallback}, or unset it`,
  )
}

/** ssmd's numeric environment variables, checked by every command before it starts. */
export const NUMERIC_ENV = {
  SSMD_LOCK_TIMEOUT_MS: { fallback: 15000, min: 0, max: 24 * 3600 * 1000, unit: 'milliseconds' },
  SSMD_PLUGIN_TIMEOUT_MS: { fallback: 10000, min: 1, max: 3600 * 1000, unit: 'milliseconds' },
  SSMD_PLUGIN_MEMORY_MB: { fallback: 512, min: 16, max: 16384, unit: 'megabytes' },
} as const

export type NumericEnvName = keyof typeof NUMERIC_ENV

/** The value of one of ssmd's numeric environment variables (its default when unset). */
export function numericEnv(name: NumericEnvName): number {
  const spec = NUMERIC_ENV[name]
  return envInteger(name, spec.fallback, spec)
}

/** Throws a usage error for the first malformed numeric environment variable. */
export function checkNumericEnv(): void {
  for (const name of Object.keys(NUMERIC_ENV) as NumericEnvName[]) numericEnv(name)
}
