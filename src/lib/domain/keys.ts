import { ConflictError, NotFoundError, UsageError } from '../core/errors.js'
import { compact } from '../yaml/changes.js'
import { splitList } from './input.js'
import { looksRandom, secretIn } from './secrets.js'
import { FIELD_PATTERN } from '../spec/common.js'
import { boolOr, KEY_DEFAULTS } from '../spec/defaults.js'
import type { EnvironmentData } from '../spec/types.generated.js'
import { didYouMean, hasControlChar } from '../core/text.js'
import type { EditOp } from '../yaml/edit.js'

export type KeyEntry = NonNullable<EnvironmentData['keys']>[string]

/** `SSMD_<KEY>_<FIELD>`, upper-cased, every character outside A-Z0-9 turned into `_`. */
export function variableName(key: string, field: string): string {
  return `SSMD_${key}_${field}`.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}

export function variablesOf(name: string, key: Partial<KeyEntry>): string[] {
  return key.source === 'env' && Array.isArray(key.fields) ? key.fields.map(f => variableName(name, String(f))) : []
}

// ---- secret references only --------------------------------------------------

/**
 * What kind of secret a free-text value holds: the shared vocabulary (so
 * whatever is accepted here passes `ssmd validate`), plus any long word that
 * looks random, which the rules only flag under secret-like keys.
 */
export function secretShape(value: string, key = ''): string | undefined {
  const what = secretIn(value, key)
  if (what) return what
  for (const word of value.split(/[\s,;]+/)) {
    if (word.length >= 20 && /[a-z]/.test(word) && /[A-Z]/.test(word) && /\d/.test(word) && looksRandom(word)) return 'a random token'
  }
  return undefined
}

const SEALED_SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/
const VAULT_SEGMENT = /^[A-Za-z0-9_.-]+$/

/** `env`, `sealed-secret/<name>` or `vault/<path>`, and nothing that looks like the secret itself. */
export function checkSource(value: string): string {
  const shape = secretShape(value, 'source')
  if (shape) {
    throw new UsageError(
      `--source looks like ${shape}, not a reference; ssmd never stores secret values. Keep the value in your secret store and pass env, sealed-secret/<name> or vault/<path>`,
    )
  }
  if (value === 'env') return value
  const sealed = /^sealed-secret\/(.*)$/.exec(value)
  if (sealed) {
    if (!SEALED_SECRET_NAME.test(sealed[1]))
      throw new UsageError(`--source '${value}': the sealed secret name must be lowercase letters, digits, '-' or '.', e.g. sealed-secret/kalshi-prod-credentials`)
    return value
  }
  const vault = /^vault\/(.*)$/.exec(value)
  if (vault) {
    const segments = vault[1].split('/')
    if (vault[1] === '' || segments.some(s => !VAULT_SEGMENT.test(s) || s === '..' || s === '.')) {
      throw new UsageError(`--source '${value}': the vault path must be segments of letters, digits, '_', '-' or '.', e.g. vault/secret/data/ssmd/kalshi`)
    }
    return value
  }
  throw new UsageError(`--source '${value}' is not a reference; use env, sealed-secret/<name> or vault/<path>`)
}

const FIELD = new RegExp(FIELD_PATTERN)

export function checkFields(value: string): string[] {
  const fields = splitList(value)
  if (fields.length === 0) throw new UsageError('--fields needs at least one field name, e.g. --fields api_key,api_secret')
  for (const f of fields) if (!FIELD.test(f)) throw new UsageError(`--fields: '${f}' is not a valid field name (lowercase letters, digits and '_')`)
  const dup = fields.find((f, i) => fields.indexOf(f) !== i)
  if (dup) throw new UsageError(`--fields: '${dup}' is listed twice`)
  return fields
}

export function checkDescription(value: string): string {
  const shape = secretShape(value, 'description')
  if (shape) throw new UsageError(`--description looks like it contains ${shape}; ssmd never stores secret values`)
  if (hasControlChar(value)) throw new UsageError('--description must be a single line')
  return value
}

export function newKey(input: { type: string; fields: string[]; source: string; required?: boolean; rotation_days?: number; description?: string }): KeyEntry {
  return compact({
    type: input.type as KeyEntry['type'],
    required: input.required ?? KEY_DEFAULTS.required,
    fields: input.fields,
    source: input.source,
    rotation_days: input.rotation_days,
    description: input.description,
  }) as KeyEntry
}

function keysOf(env: EnvironmentData): Record<string, KeyEntry> {
  const keys = env.keys
  return typeof keys === 'object' && keys !== null && !Array.isArray(keys) ? keys : {}
}

export function planAddKey(envName: string, env: EnvironmentData, key: string, entry: KeyEntry): EditOp[] {
  if (key in keysOf(env)) throw new ConflictError(`environment '${envName}' already has a key '${key}'; remove it first (ssmd env remove-key ${envName} ${key})`)
  return [{ op: 'set', path: ['keys', key], value: entry }]
}

export function planRemoveKey(envName: string, env: EnvironmentData, key: string): { ops: EditOp[]; removed: KeyEntry } {
  const keys = keysOf(env)
  if (!(key in keys)) {
    const names = Object.keys(keys)
    throw new NotFoundError(`environment '${envName}' has no key '${key}'${didYouMean(key, names)} (keys: ${names.join(', ') || 'none'})`)
  }
  const ops: EditOp[] = Object.keys(keys).length === 1 ? [{ op: 'delete', path: ['keys'] }] : [{ op: 'delete', path: ['keys', key] }]
  return { ops, removed: keys[key] }
}

// ---- local checks of env-sourced keys ---------------------------------------

export type VariableStatus = 'set' | 'empty' | 'unset'

export interface KeyStatus {
  name: string
  type?: string
  source?: string
  required: boolean
  fields: string[]
  /** True for `env` sources: their variables can be checked here. */
  checkable: boolean
  /** Variable names and whether each is set; never their values. */
  variables: Array<{ name: string; status: VariableStatus }>
}

export function variableStatus(name: string, env: NodeJS.ProcessEnv = process.env): VariableStatus {
  const v = env[name]
  return v === undefined ? 'unset' : v === '' ? 'empty' : 'set'
}

export function keyStatuses(env: EnvironmentData, processEnv: NodeJS.ProcessEnv = process.env): KeyStatus[] {
  return Object.entries(keysOf(env)).map(([name, key]) => {
    const checkable = key.source === 'env'
    return {
      name,
      type: key.type,
      source: key.source,
      required: boolOr(key.required, KEY_DEFAULTS.required),
      fields: Array.isArray(key.fields) ? key.fields.map(String) : [],
      checkable,
      variables: variablesOf(name, key).map(v => ({ name: v, status: variableStatus(v, processEnv) })),
    }
  })
}
