/*
 * JSON (--json): {
 *   name, file, feed, schema, schedule?, transport, storage, cache?,
 *   keys: Array<{ name, type, required: boolean, fields: string[], source,
 *                 rotation_days?, description?, variables: string[] }>
 * }
 *   `variables` are the SSMD_<KEY>_<FIELD> names of env-sourced keys ([] for other sources).
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { storageText, transportText, usableEnvironment } from '../../lib/domain/env.js'
import { checkName } from '../../lib/domain/input.js'
import { variablesOf } from '../../lib/domain/keys.js'
import type { EnvironmentData } from '../../lib/spec/types.generated.js'
import { boolOr, KEY_DEFAULTS, SCHEDULE_DEFAULTS } from '../../lib/spec/defaults.js'
import { redactValue } from '../../lib/domain/secrets.js'
import { details } from '../../lib/cli/style.js'

export interface EnvShowKey {
  name: string
  type: string
  required: boolean
  fields: string[]
  source: string
  rotation_days?: number
  description?: string
  variables: string[]
}

export interface EnvShowResult {
  name: string
  file: string
  feed: string
  schema: string
  schedule?: EnvironmentData['schedule']
  transport: EnvironmentData['transport']
  storage: EnvironmentData['storage']
  cache?: EnvironmentData['cache']
  keys: EnvShowKey[]
}

export default class EnvShow extends SsmdCommand<typeof EnvShow> {
  static override lightStart = true
  static override summary = 'Show an environment, including the variable names of its env-sourced keys.'
  static override examples = [
    { description: 'Everything about one environment', command: '<%= config.bin %> env show kalshi-dev' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> env show kalshi-prod --json' },
  ]
  static override args = {
    name: Args.string({ description: 'Environment name.', required: true }),
  }

  async run(): Promise<EnvShowResult> {
    const name = checkName('environment', this.args.name)
    const doc = this.workspace().get('environment', name)
    const env = usableEnvironment(doc.file, doc.data, doc.problem)
    const keys: EnvShowKey[] = Object.entries(env.keys ?? {}).map(([k, v]) => ({
      name: k,
      type: v.type,
      required: boolOr(v.required, KEY_DEFAULTS.required),
      fields: Array.isArray(v.fields) ? v.fields : [],
      source: v.source,
      ...(v.rotation_days === undefined ? {} : { rotation_days: v.rotation_days }),
      ...(v.description === undefined ? {} : { description: v.description }),
      variables: variablesOf(k, v),
    }))
    // Values that look like pasted secrets (a random `source`, a URL password) are masked in text and JSON alike.
    const result: EnvShowResult = redactValue({
      name,
      file: doc.file,
      feed: env.feed,
      schema: env.schema,
      ...(env.schedule ? { schedule: env.schedule } : {}),
      transport: env.transport,
      storage: env.storage,
      ...(env.cache ? { cache: env.cache } : {}),
      keys,
    })
    this.say(render(result))
    return result
  }
}

function render(r: EnvShowResult): string {
  const s = r.schedule
  const schedule = s
    ? [
        s.timezone ?? SCHEDULE_DEFAULTS.timezone,
        s.day_start || s.day_end ? `${s.day_start ?? '?'}–${s.day_end ?? '?'}` : undefined,
        boolOr(s.auto_roll, SCHEDULE_DEFAULTS.auto_roll) ? 'auto-roll' : 'no auto-roll',
      ]
        .filter(Boolean)
        .join(', ')
    : undefined
  const cache = r.cache ? [r.cache.type, r.cache.max_size ? `max ${r.cache.max_size}` : undefined, r.cache.url].filter(Boolean).join(', ') : undefined
  const head = details([
    ['name', r.name],
    ['file', r.file],
    ['feed', r.feed],
    ['schema', r.schema],
    ['schedule', schedule],
    ['transport', transportText(r.transport)],
    ['storage', storageText(r.storage)],
    ['cache', cache],
    ['keys', r.keys.length === 0 ? '(none)' : undefined],
  ])
  if (r.keys.length === 0) return head
  const blocks = r.keys.map(k => {
    const lines = details(
      [
        ['type', k.type],
        ['required', k.required ? 'yes' : 'no'],
        ['fields', k.fields],
        ['source', k.source],
        ['rotation', k.rotation_days === undefined ? undefined : `every ${k.rotation_days} days`],
        ['description', k.description],
        ['variables', k.variables.length > 0 ? k.variables : undefined],
      ],
      '    ',
    )
    return `  ${k.name}\n${lines}`
  })
  return `${head}\n\nkeys:\n${blocks.join('\n')}`
}
