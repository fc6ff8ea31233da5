export const FEED_TYPES = ['websocket', 'rest', 'multicast'] as const
/** A feed version's keys, in the order of the file-format table (edits write them in this order; the rendering copies them). */
export const FEED_VERSION_KEYS = [
  'version',
  'effective_from',
  'effective_to',
  'protocol',
  'endpoint',
  'auth_method',
  'rate_limit_per_second',
  'max_symbols_per_connection',
  'supports_orderbook',
  'supports_trades',
  'supports_historical',
  'parser_config',
] as const
export const FEED_STATUSES = ['active', 'deprecated', 'disabled'] as const
export const PROTOCOLS = ['wss', 'https', 'multicast'] as const
export const AUTH_METHODS = ['api_key', 'oauth', 'mtls', 'none'] as const
export const HOLIDAY_CALENDARS = ['us_equity', 'crypto_247', 'custom'] as const
export const SCHEMA_FORMATS = ['capnp', 'protobuf', 'json_schema'] as const
export const SCHEMA_STATUSES = ['draft', 'active', 'deprecated'] as const
export const KEY_TYPES = ['api_key', 'database', 'transport', 'storage', 'tls', 'webhook'] as const
export const TRANSPORT_TYPES = ['nats', 'mqtt', 'memory'] as const
export const STORAGE_TYPES = ['local', 's3'] as const
export const CACHE_TYPES = ['memory', 'redis'] as const
export const SEVERITIES = ['error', 'warning', 'info', 'off'] as const
/** .ssmd/config.yaml */
export const COLOR_SETTINGS = ['auto', 'always', 'never'] as const
export const OUTPUT_SETTINGS = ['text', 'json'] as const

/** websocket→wss, rest→https, multicast→multicast */
export const PROTOCOL_FOR_TYPE: Record<(typeof FEED_TYPES)[number], (typeof PROTOCOLS)[number]> = {
  websocket: 'wss',
  rest: 'https',
  multicast: 'multicast',
}

/**
 * URL schemes an endpoint may use for each protocol. The plain `ws://` and
 * `http://` are accepted (local simulators, repositories made by the original
 * tool) and reported by the `feed/insecure-endpoint` warning.
 */
export const SCHEMES_FOR_PROTOCOL: Record<(typeof PROTOCOLS)[number], readonly string[]> = {
  wss: ['wss', 'ws'],
  https: ['https', 'http'],
  multicast: ['udp', 'multicast'],
}

/** Unencrypted schemes, each with the scheme that should replace it. */
export const INSECURE_SCHEMES: Readonly<Record<string, string>> = { ws: 'wss', http: 'https' }

export const TRANSPORT_URL_SCHEMES: Record<string, readonly string[]> = {
  nats: ['nats', 'tls'],
  mqtt: ['mqtt', 'mqtts'],
}
export const CACHE_URL_SCHEMES = ['redis', 'rediss'] as const
