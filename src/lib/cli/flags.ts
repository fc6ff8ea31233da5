/*
 * oclif flag declarations shared by several commands, and the mapping from
 * their (kebab-case) values to the typed fields the domain functions take.
 */
import { Flags } from '@oclif/core'
import { DEFAULT_STORAGE_ROOT, type EnvFields } from '../domain/env.js'
import type { RootFields, VersionFields } from '../domain/feed.js'
import { parseStrictInteger } from '../core/numbers.js'
import { AUTH_METHODS, CACHE_TYPES, HOLIDAY_CALENDARS, KEY_TYPES, STORAGE_TYPES, TRANSPORT_TYPES } from '../spec/enums.js'

/** A flag value that does not parse; reported by the base command as a usage error (exit 2). */
class InvalidFlagValue extends Error {}

/**
 * An integer flag parsed strictly: digits only (no `1e3`, `0x10`, `1.0` or
 * units), within [min, 2^53 − 1], so a value is never rounded or written in
 * exponent form.
 */
const integer = (options: { summary: string; min: number; max?: number }) =>
  Flags.custom<number>({
    summary: options.summary,
    helpValue: '<integer>',
    parse: async input => {
      const parsed = parseStrictInteger(input, options)
      if ('value' in parsed) return parsed.value
      throw new InvalidFlagValue(`${JSON.stringify(input)} ${parsed.problem}; pass a whole number from ${options.min} to ${options.max ?? Number.MAX_SAFE_INTEGER}`)
    },
  })()

/** Flags that describe one version (create, update, add-version). */
export const feedVersionFlags = {
  endpoint: Flags.string({
    summary:
      'Endpoint URL (or URL template); its scheme must fit the protocol (wss:// or ws://, https:// or http://, udp:// or multicast://; ws:// and http:// draw a feed/insecure-endpoint warning).',
  }),
  'auth-method': Flags.string({ summary: 'How the feed authenticates.', options: [...AUTH_METHODS] }),
  'rate-limit': integer({ summary: 'Requests or messages allowed per second (≥ 1).', min: 1 }),
  'max-symbols': integer({ summary: 'Symbols one connection may subscribe to (≥ 1).', min: 1 }),
  'supports-orderbook': Flags.boolean({ summary: 'Order-book data is available.', allowNo: true }),
  'supports-trades': Flags.boolean({ summary: 'Trade data is available.', allowNo: true }),
  'supports-historical': Flags.boolean({ summary: 'Historical data is available.', allowNo: true }),
  'effective-to': Flags.string({ summary: 'Last day the version applies (YYYY-MM-DD, inclusive); open-ended when absent.' }),
}

/** Root and calendar flags (create, update). */
export const feedRootFlags = {
  'display-name': Flags.string({ summary: 'Name for people.' }),
  timezone: Flags.string({ summary: 'Calendar time zone (IANA, e.g. America/New_York).' }),
  'holiday-calendar': Flags.string({ summary: 'Holiday calendar.', options: [...HOLIDAY_CALENDARS] }),
  'open-time': Flags.string({ summary: 'Session open, HH:MM (24-hour).' }),
  'close-time': Flags.string({ summary: 'Session close, HH:MM; before the open time means the session crosses midnight.' }),
}

/** Flags shared by `env create` and `env update`. */
export const envFlags = {
  feed: Flags.string({ summary: 'Feed this environment captures (must exist).' }),
  schema: Flags.string({ summary: 'Schema and version, <schema>:<version> (must exist and not be a draft).' }),
  'schedule.timezone': Flags.string({ summary: 'Time zone of the capture day (IANA, e.g. UTC).' }),
  'schedule.day-start': Flags.string({ summary: 'Start of the capture day, HH:MM.' }),
  'schedule.day-end': Flags.string({ summary: 'End of the capture day, HH:MM.' }),
  'schedule.auto-roll': Flags.boolean({ summary: 'Roll to the next day automatically.', allowNo: true }),
  'transport.type': Flags.string({ summary: 'Message transport (default memory).', options: [...TRANSPORT_TYPES] }),
  'transport.url': Flags.string({ summary: 'Transport URL: nats:// or tls:// (nats), mqtt:// or mqtts:// (mqtt); none for memory.' }),
  'storage.type': Flags.string({ summary: 'Where captured data goes (default local).', options: [...STORAGE_TYPES] }),
  'storage.path': Flags.string({ summary: `Absolute folder (local; default ${DEFAULT_STORAGE_ROOT}/<name>).` }),
  'storage.bucket': Flags.string({ summary: 'Bucket name (s3).' }),
  'storage.region': Flags.string({ summary: 'Bucket region (s3), e.g. us-east-1.' }),
  'cache.type': Flags.string({ summary: 'Cache kind.', options: [...CACHE_TYPES] }),
  'cache.max-size': Flags.string({ summary: 'Cache size, e.g. 512KB, 100MB, 2GB.' }),
  'cache.url': Flags.string({ summary: 'Cache URL: redis:// or rediss:// (redis).' }),
}

export const keyFlags = {
  type: Flags.string({ summary: 'Kind of secret.', options: [...KEY_TYPES], required: true }),
  fields: Flags.string({ summary: 'Comma-separated field names, e.g. api_key,api_secret.', required: true }),
  source: Flags.string({ summary: 'Where the values live: env, sealed-secret/<name> or vault/<path>.', required: true }),
  required: Flags.boolean({ summary: 'The environment cannot run without it (default true).', allowNo: true }),
  'rotation-days': integer({ summary: 'Recommended rotation period in days (≥ 1).', min: 1 }),
  description: Flags.string({ summary: 'What the key is for, for people.' }),
}

type FlagValues = Record<string, unknown>
const str = (flags: FlagValues, key: string) => flags[key] as string | undefined

/** `feed create/update/add-version` version flags → fields. */
export function feedVersionFields(flags: FlagValues): VersionFields {
  return {
    effectiveFrom: str(flags, 'effective-from'),
    effectiveTo: str(flags, 'effective-to'),
    endpoint: str(flags, 'endpoint'),
    authMethod: str(flags, 'auth-method'),
    rateLimit: flags['rate-limit'] as number | undefined,
    maxSymbols: flags['max-symbols'] as number | undefined,
    supportsOrderbook: flags['supports-orderbook'] as boolean | undefined,
    supportsTrades: flags['supports-trades'] as boolean | undefined,
    supportsHistorical: flags['supports-historical'] as boolean | undefined,
  }
}

/** `feed create/update` root and calendar flags → fields. */
export function feedRootFields(flags: FlagValues): RootFields {
  return {
    displayName: str(flags, 'display-name'),
    type: str(flags, 'type'),
    status: str(flags, 'status'),
    timezone: str(flags, 'timezone'),
    holidayCalendar: str(flags, 'holiday-calendar'),
    openTime: str(flags, 'open-time'),
    closeTime: str(flags, 'close-time'),
  }
}

/** `env create/update` flags → fields. */
export function envFields(flags: FlagValues): EnvFields {
  return {
    feed: str(flags, 'feed'),
    schema: str(flags, 'schema'),
    scheduleTimezone: str(flags, 'schedule.timezone'),
    scheduleDayStart: str(flags, 'schedule.day-start'),
    scheduleDayEnd: str(flags, 'schedule.day-end'),
    scheduleAutoRoll: flags['schedule.auto-roll'] as boolean | undefined,
    transportType: str(flags, 'transport.type'),
    transportUrl: str(flags, 'transport.url'),
    storageType: str(flags, 'storage.type'),
    storagePath: str(flags, 'storage.path'),
    storageBucket: str(flags, 'storage.bucket'),
    storageRegion: str(flags, 'storage.region'),
    cacheType: str(flags, 'cache.type'),
    cacheMaxSize: str(flags, 'cache.max-size'),
    cacheUrl: str(flags, 'cache.url'),
  }
}
