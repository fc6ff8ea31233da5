/*
 * JSON (--json): { file: string, environment: string, key: string,
 *                  entry: { type, required, fields, source, rotation_days?, description? },
 *                  variables: string[] }
 *   `variables` are the SSMD_<KEY>_<FIELD> names to set when the source is env (else []).
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { keyFlags } from '../../lib/cli/flags.js'
import { usableEnvironment } from '../../lib/domain/env.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import { checkDescription, checkFields, checkSource, newKey, planAddKey, variablesOf, type KeyEntry } from '../../lib/domain/keys.js'
import type { EnvironmentData } from '../../lib/spec/types.generated.js'

export default class EnvAddKey extends SsmdCommand<typeof EnvAddKey> {
  static override summary = 'Add a secret reference (never a secret value) to an environment.'
  static override description = `Records which secret the environment needs and where its values live: env (variables SSMD_<KEY>_<FIELD>), sealed-secret/<name> or vault/<path>. Anything that looks like a secret value is refused.`
  static override examples = [
    {
      description: 'Secrets read from SSMD_KALSHI_API_KEY and SSMD_KALSHI_API_SECRET',
      command: '<%= config.bin %> env add-key kalshi-dev kalshi --type api_key --fields api_key,api_secret --source env',
    },
    {
      description: 'Secrets kept in Vault, rotated every 90 days',
      command:
        '<%= config.bin %> env add-key kalshi-prod archive --type storage --fields access_key_id,secret_access_key --source vault/secret/data/ssmd/archive --rotation-days 90',
    },
  ]
  static override args = {
    env: Args.string({ description: 'Environment name.', required: true }),
    key: Args.string({ description: 'Key name (lowercase letters, digits, - and _).', required: true }),
  }
  static override flags = { ...keyFlags }

  async run(): Promise<{ file: string; environment: string; key: string; entry: KeyEntry; variables: string[] }> {
    const envName = checkName('environment', this.args.env)
    const key = checkName('key', this.args.key)
    const entry = newKey({
      type: this.flags.type,
      fields: checkFields(this.flags.fields),
      source: checkSource(this.flags.source),
      required: this.flags.required,
      rotation_days: this.flags['rotation-days'],
      description: this.flags.description === undefined ? undefined : checkDescription(this.flags.description),
    })
    const doc = this.workspace().get('environment', envName)
    editDocument<EnvironmentData>(doc.absPath, doc.file, data => planAddKey(envName, usableEnvironment(doc.file, data), key, entry))
    const variables = variablesOf(key, entry)
    this.say(`wrote ${this.shownPath(doc.file)}`)
    if (variables.length > 0) this.say(`values are read from ${variables.join(', ')}`)
    return { file: doc.file, environment: envName, key, entry, variables }
  }
}
