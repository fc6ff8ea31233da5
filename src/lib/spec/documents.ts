import {
  bool,
  date,
  FIELD_PATTERN,
  HASH_PATTERN,
  JsonSchema,
  KEY_SOURCE_PATTERN,
  name,
  NAME_PATTERN,
  object,
  oneOf,
  posInt,
  SIZE_PATTERN,
  str,
  timeOfDay,
  timezone,
  VERSION_PATTERN,
  versionId,
} from './common.js'
import {
  AUTH_METHODS,
  CACHE_TYPES,
  COLOR_SETTINGS,
  FEED_STATUSES,
  FEED_TYPES,
  HOLIDAY_CALENDARS,
  KEY_TYPES,
  OUTPUT_SETTINGS,
  PROTOCOLS,
  SCHEMA_FORMATS,
  SCHEMA_STATUSES,
  SEVERITIES,
  STORAGE_TYPES,
  TRANSPORT_TYPES,
} from './enums.js'
import { FEED_DEFAULTS, FEED_VERSION_DEFAULTS, KEY_DEFAULTS, LOCAL_CONFIG_DEFAULTS, SCHEDULE_DEFAULTS } from './defaults.js'

const SCHEMA_BASE = 'https://ssmd.dev/schemas/'

const captureLocation = object(
  'Where the feed is captured (provenance).',
  {
    datacenter: name('Datacenter name, unique within the feed.'),
    provider: str('Hosting provider, e.g. onprem, aws, gcp.'),
    region: str('Provider region, e.g. us-east-1.'),
  },
  ['datacenter'],
)

const feedVersion = object(
  'One dated version of a feed.',
  {
    version: versionId('Version id (v1, v2, …), unique within the feed.'),
    effective_from: date('First day this version applies.'),
    effective_to: date('Last day it applies (inclusive); open-ended when absent.'),
    protocol: oneOf(PROTOCOLS, 'Wire protocol; must fit the feed type.'),
    endpoint: { type: 'string', minLength: 1, description: 'URL or URL template; its scheme must fit the protocol.' },
    auth_method: oneOf(AUTH_METHODS, 'How the feed authenticates.'),
    rate_limit_per_second: posInt('Requests or messages allowed per second.'),
    max_symbols_per_connection: posInt('Symbols one connection may subscribe to.'),
    supports_orderbook: bool('Order-book data is available.', FEED_VERSION_DEFAULTS.supports_orderbook),
    supports_trades: bool('Trade data is available.', FEED_VERSION_DEFAULTS.supports_trades),
    supports_historical: bool('Historical data is available.', FEED_VERSION_DEFAULTS.supports_historical),
    parser_config: {
      type: 'object',
      description: 'Feed-specific parsing settings (string → scalar).',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
  },
  ['version', 'effective_from', 'protocol', 'endpoint'],
)

const calendar = object('Trading hours.', {
  timezone: timezone('IANA time zone, e.g. America/New_York.'),
  holiday_calendar: oneOf(HOLIDAY_CALENDARS, 'Holiday calendar.'),
  open_time: timeOfDay('Session open, HH:MM.'),
  close_time: timeOfDay('Session close, HH:MM; before open_time means the session crosses midnight.'),
})

export const feedSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `${SCHEMA_BASE}feed.schema.json`,
  title: 'ssmd feed',
  ...object(
    'One data source: feeds/<name>.yaml',
    {
      name: name('Equals the file name without extension.'),
      display_name: str('Name for people.'),
      type: oneOf(FEED_TYPES, 'Kind of source.'),
      status: oneOf(FEED_STATUSES, 'Lifecycle status.', FEED_DEFAULTS.status),
      capture_locations: { type: 'array', description: 'Where the feed is captured.', items: captureLocation },
      versions: { type: 'array', minItems: 1, description: 'Dated version history.', items: feedVersion },
      calendar,
    },
    ['name', 'type', 'versions'],
  ),
}

const schemaVersion = object(
  'One version of a schema definition.',
  {
    version: versionId('Version id, unique within the schema.'),
    effective_from: date('First day this version applies.'),
    effective_to: date('Last day it applies (inclusive).'),
    status: oneOf(SCHEMA_STATUSES, 'Lifecycle: draft → active → deprecated.'),
    schema_file: { type: 'string', minLength: 1, description: "This version's definition file, relative to schemas/." },
    hash: { type: 'string', pattern: HASH_PATTERN, description: 'sha256: + 64 lowercase hex digits of the definition file.' },
    compatible_with: { type: 'array', items: { type: 'string', pattern: VERSION_PATTERN }, description: 'Older versions whose data this version can read.' },
    breaking_changes: str('What breaks relative to the previous version.'),
  },
  ['version', 'effective_from', 'status', 'hash'],
)

export const schemaMetadataSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `${SCHEMA_BASE}schema.schema.json`,
  title: 'ssmd schema metadata',
  ...object(
    'Schema metadata: schemas/<name>.yaml',
    {
      name: name('Equals the file name without extension.'),
      format: oneOf(SCHEMA_FORMATS, 'Definition language.'),
      schema_file: { type: 'string', minLength: 1, description: 'Definition file, relative to schemas/.' },
      versions: { type: 'array', minItems: 1, description: 'Versions of the definition.', items: schemaVersion },
    },
    ['name', 'format', 'schema_file', 'versions'],
  ),
}

const key = object(
  'A reference to a secret; never a secret value.',
  {
    type: oneOf(KEY_TYPES, 'Kind of secret.'),
    required: bool('The environment cannot run without it.', KEY_DEFAULTS.required),
    fields: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      description: 'Field names, e.g. [api_key, api_secret].',
      items: { type: 'string', pattern: FIELD_PATTERN },
    },
    source: { type: 'string', pattern: KEY_SOURCE_PATTERN, description: 'env, sealed-secret/<name> or vault/<path>.' },
    rotation_days: posInt('Recommended rotation period in days.'),
    description: str('For people.'),
  },
  ['type', 'fields', 'source'],
)

export const environmentSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `${SCHEMA_BASE}environment.schema.json`,
  title: 'ssmd environment',
  ...object(
    'A deployable configuration: environments/<name>.yaml',
    {
      name: name('Equals the file name without extension.'),
      feed: name('Feed name; must exist.'),
      schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}:v[1-9][0-9]*$', description: '<schema>:<version>; must exist and be usable.' },
      schedule: object('Capture day schedule.', {
        timezone: { ...timezone('IANA time zone.'), default: SCHEDULE_DEFAULTS.timezone },
        day_start: timeOfDay('Start of the capture day, HH:MM.'),
        day_end: timeOfDay('End of the capture day, HH:MM.'),
        auto_roll: bool('Roll to the next day automatically.', SCHEDULE_DEFAULTS.auto_roll),
      }),
      keys: {
        type: 'object',
        description: 'Secret references by key name.',
        propertyNames: { pattern: NAME_PATTERN },
        additionalProperties: key,
      },
      transport: object(
        'Message transport.',
        {
          type: oneOf(TRANSPORT_TYPES, 'Transport kind.'),
          url: str('nats://, tls:// (nats) or mqtt://, mqtts:// (mqtt); absent for memory.'),
        },
        ['type'],
      ),
      storage: object(
        'Where captured data is stored.',
        {
          type: oneOf(STORAGE_TYPES, 'Storage kind.'),
          path: str('Absolute path (local).'),
          bucket: str('Bucket name (s3).'),
          region: str('Region (s3).'),
        },
        ['type'],
      ),
      cache: object(
        'Cache.',
        {
          type: oneOf(CACHE_TYPES, 'Cache kind.'),
          max_size: { type: 'string', pattern: SIZE_PATTERN, description: 'Size like 512KB, 100MB, 2GB.' },
          url: str('redis:// or rediss:// (redis).'),
        },
        ['type'],
      ),
    },
    ['name', 'feed', 'schema', 'transport', 'storage'],
  ),
}

/** Named deploy targets (`ssmd deploy --target NAME`): where etcd is, never a password. */
const deployTargets: JsonSchema = {
  type: 'object',
  description:
    'Named etcd targets for `ssmd deploy --target NAME` and `ssmd deploy status --target NAME`. Flags given on the command line win; the password is read from SSMD_ETCD_PASSWORD only, never from a file.',
  propertyNames: { pattern: NAME_PATTERN },
  additionalProperties: object('One target. Paths are relative to the ssmd root.', {
    etcd: { type: 'string', minLength: 1, description: 'Endpoints as for --etcd: comma-separated host:port, http://host:port or https://host:port.' },
    prefix: str('Key prefix, as --prefix (default /ssmd).'),
    ca: str('CA certificate (PEM), as --cacert; turns TLS on.'),
    cert: str('Client certificate (PEM), as --cert.'),
    key: str('Private key (PEM) of cert, as --key.'),
    user: str('etcd user, as --user; the password is read from SSMD_ETCD_PASSWORD.'),
  }),
}

/** `rules:` in ssmd.yaml, its overrides and presets: a severity, or [severity] / [severity, options]. */
function ruleSettings(description: string): JsonSchema {
  const severity = oneOf(SEVERITIES, 'error | warning | info | off')
  return {
    type: 'object',
    description,
    // if/then/else rather than oneOf: a wrong value gets one finding that says what is allowed, not one per alternative.
    additionalProperties: {
      type: ['string', 'array'],
      if: { type: 'string' },
      then: severity,
      else: {
        if: { minItems: 2 },
        then: { prefixItems: [severity, { description: "The rule's options, checked against the schema the rule declares." }], minItems: 2, items: false },
        else: { prefixItems: [severity], minItems: 1, items: false },
      },
    },
  }
}

export const policySchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `${SCHEMA_BASE}ssmd.schema.json`,
  title: 'ssmd team policy',
  ...object('Team policy: ssmd.yaml', {
    plugins: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description:
        "Plugins that must be installed: npm package names, each pinned to an exact version as '<package>@<version>' (a bare name accepts any version). ssmd-plugins.lock, next to ssmd.yaml, records what `ssmd plugins install` installed.",
    },
    extends: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description:
        "Presets whose rules and overrides apply first, in order (ssmd.yaml's own settings win): a YAML file of the repository ('policies/team.yaml') or a preset of an installed plugin ('<package>/<preset>').",
    },
    rules: ruleSettings('Rule id → severity, or [severity, options] for a rule that declares options.'),
    overrides: {
      type: 'array',
      description: 'Settings for some files only, as in ESLint: each entry whose files match (patterns as in .gitignore) applies after rules:, later entries winning.',
      items: object(
        'Rule settings for the files that match.',
        {
          files: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: "Patterns of repository paths, e.g. 'feeds/legacy-*.yaml'." },
          rules: ruleSettings('Rule id → severity, or [severity, options], for these files.'),
        },
        ['files', 'rules'],
      ),
    },
    keep: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description:
        'Files under feeds/, schemas/ and environments/ that are not ssmd documents but belong there (README.md, *.md, schemas/drafts/): patterns as in .gitignore. Kept files are still scanned for secrets; any other such file is a repo/unrecognised-file error.',
    },
    targets: deployTargets,
  }),
}

export const localConfigSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `${SCHEMA_BASE}config.schema.json`,
  title: 'ssmd local config',
  ...object('Local preferences: .ssmd/config.yaml (never committed)', {
    color: oneOf(COLOR_SETTINGS, 'Colour output.', LOCAL_CONFIG_DEFAULTS.color),
    output: oneOf(OUTPUT_SETTINGS, 'Default output format.', LOCAL_CONFIG_DEFAULTS.output),
    targets: { ...deployTargets, description: `${deployTargets.description as string} A target here is merged over the one of the same name in ssmd.yaml, field by field.` },
  }),
}

/** Document kind → (schema file name, schema, generated TS type name). */
export const DOCUMENT_SCHEMAS = {
  feed: { file: 'feed.schema.json', schema: feedSchema, typeName: 'FeedData' },
  schema: { file: 'schema.schema.json', schema: schemaMetadataSchema, typeName: 'SchemaData' },
  environment: { file: 'environment.schema.json', schema: environmentSchema, typeName: 'EnvironmentData' },
  policy: { file: 'ssmd.schema.json', schema: policySchema, typeName: 'PolicyData' },
  config: { file: 'config.schema.json', schema: localConfigSchema, typeName: 'LocalConfigData' },
} as const

export type DocumentKind = keyof typeof DOCUMENT_SCHEMAS
