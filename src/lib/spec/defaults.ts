/**
 * The defaults the file format declares: what a field a file leaves out means.
 * documents.ts writes them into the JSON Schemas (`default`), and every command,
 * rule and renderer that reads such a field falls back to these constants, never
 * to a literal of its own (test/lib/spec-defaults.test.ts checks both).
 */
import type { EnvironmentData, FeedData, LocalConfigData } from './types.generated.js'

type FeedVersion = FeedData['versions'][number]
type Schedule = NonNullable<EnvironmentData['schedule']>
type Key = NonNullable<EnvironmentData['keys']>[string]

/** feeds/<name>.yaml, top level. */
export const FEED_DEFAULTS = { status: 'active' } as const satisfies Partial<FeedData>

/** One entry of a feed's `versions`. */
export const FEED_VERSION_DEFAULTS = {
  supports_orderbook: false,
  supports_trades: true,
  supports_historical: false,
} as const satisfies Partial<FeedVersion>

/** An environment's `schedule`. */
export const SCHEDULE_DEFAULTS = { timezone: 'UTC', auto_roll: true } as const satisfies Partial<Schedule>

/** One entry of an environment's `keys`. */
export const KEY_DEFAULTS = { required: true } as const satisfies Partial<Key>

/** .ssmd/config.yaml. */
export const LOCAL_CONFIG_DEFAULTS = { color: 'auto', output: 'text' } as const satisfies LocalConfigData

/** A boolean field's value; its declared default when absent (or, in a file that fails validation, not a boolean). */
export function boolOr(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback
}
