/**
 * Building blocks shared by every document shape. The shapes in this folder are
 * the single source of the file-format contract: `npm run schemas` turns them
 * into schemas-json/*.schema.json and src/lib/spec/types.generated.ts.
 */
export type JsonSchema = Record<string, unknown>

export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$'
export const VERSION_PATTERN = '^v[1-9][0-9]*$'
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
export const TIME_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$'
export const HASH_PATTERN = '^sha256:[0-9a-f]{64}$'
export const SIZE_PATTERN = '^[1-9][0-9]*(B|KB|MB|GB|TB)$'
export const KEY_SOURCE_PATTERN = '^(env|sealed-secret/[^\\s/][^\\s]*|vault/[^\\s/][^\\s]*)$'
export const FIELD_PATTERN = '^[a-z0-9_]+$'

export const name = (description: string): JsonSchema => ({ type: 'string', pattern: NAME_PATTERN, description })
export const versionId = (description: string): JsonSchema => ({ type: 'string', pattern: VERSION_PATTERN, description })
export const date = (description: string): JsonSchema => ({ type: 'string', format: 'date', pattern: DATE_PATTERN, description })
export const timeOfDay = (description: string): JsonSchema => ({ type: 'string', pattern: TIME_PATTERN, description })
export const timezone = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description })
export const str = (description: string): JsonSchema => ({ type: 'string', description })
export const bool = (description: string, dflt?: boolean): JsonSchema => (dflt === undefined ? { type: 'boolean', description } : { type: 'boolean', default: dflt, description })
export const posInt = (description: string): JsonSchema => ({ type: 'integer', minimum: 1, description })
export const oneOf = (values: readonly string[], description: string, dflt?: string): JsonSchema =>
  dflt === undefined ? { type: 'string', enum: [...values], description } : { type: 'string', enum: [...values], default: dflt, description }

/** A closed object: unknown keys are errors, `x-` extension keys are allowed anywhere. */
export function object(description: string, properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema {
  return {
    type: 'object',
    description,
    properties,
    ...(required.length > 0 ? { required } : {}),
    patternProperties: { '^x-': {} },
    additionalProperties: false,
    ...extra,
  }
}
