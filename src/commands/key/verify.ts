/*
 * JSON (--json): { environment: string, file: string, ok: boolean,
 *   keys: Array<{ name, source, required: boolean,
 *                 result: 'ok' | 'missing' | 'optional-missing' | 'not-checkable',
 *                 variables: Array<{ name: string, status: 'set' | 'empty' | 'unset' }> }>,
 *   missing: string[] }
 *   `missing` lists the unset or empty variables of required env-sourced keys; exit code 1 when
 *   it is not empty (the JSON is still printed). Values are never included.
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { usableEnvironment } from '../../lib/domain/env.js'
import { checkName } from '../../lib/domain/input.js'
import { keyStatuses, type VariableStatus } from '../../lib/domain/keys.js'
import { green, red, yellow } from '../../lib/cli/style.js'
import { redactValue } from '../../lib/domain/secrets.js'
import { plural } from '../../lib/core/text.js'

type Result = 'ok' | 'missing' | 'optional-missing' | 'not-checkable'

export interface KeyVerifyResult {
  environment: string
  file: string
  ok: boolean
  keys: Array<{ name: string; source?: string; required: boolean; result: Result; variables: Array<{ name: string; status: VariableStatus }> }>
  missing: string[]
}

export default class KeyVerify extends SsmdCommand<typeof KeyVerify> {
  static override summary = "Check that the variables of an environment's required env-sourced keys are set."
  static override description =
    'Exits 1 when a variable (SSMD_<KEY>_<FIELD>) of a required key with source env is unset or empty, naming each. Keys in sealed secrets or vault are listed as not checkable locally. Values are never printed.'
  static override examples = [
    { description: 'Check that every required env-sourced secret is set in this shell', command: '<%= config.bin %> key verify kalshi-dev' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> key verify kalshi-dev --json' },
  ]
  static override args = {
    env: Args.string({ description: 'Environment name.', required: true }),
  }

  async run(): Promise<KeyVerifyResult> {
    const envName = checkName('environment', this.args.env)
    const doc = this.workspace().get('environment', envName)
    const statuses = redactValue(keyStatuses(usableEnvironment(doc.file, doc.data, doc.problem)))
    const keys: KeyVerifyResult['keys'] = statuses.map(k => {
      const bad = k.variables.some(v => v.status !== 'set')
      const result: Result = !k.checkable ? 'not-checkable' : !bad ? 'ok' : k.required ? 'missing' : 'optional-missing'
      return { name: k.name, ...(k.source === undefined ? {} : { source: k.source }), required: k.required, result, variables: k.variables }
    })
    const missing = keys.filter(k => k.result === 'missing').flatMap(k => k.variables.filter(v => v.status !== 'set').map(v => v.name))
    const result: KeyVerifyResult = { environment: envName, file: doc.file, ok: missing.length === 0, keys, missing }

    if (keys.length === 0) this.say(`Environment '${envName}' has no keys; nothing to verify.`)
    for (const k of keys) {
      const unset = k.variables.filter(v => v.status !== 'set').map(v => `${v.name} ${v.status}`)
      if (k.result === 'ok') this.say(`${green('✓')} ${k.name}: ${k.variables.map(v => v.name).join(', ')} set`)
      else if (k.result === 'missing') this.say(`${red('✗')} ${k.name}: ${unset.join(', ')}`)
      else if (k.result === 'optional-missing') this.say(`${yellow('!')} ${k.name} (optional): ${unset.join(', ')}`)
      else this.say(`- ${k.name}: ${k.source ?? '?'} (not checkable locally)`)
    }
    if (!result.ok) this.fail(`environment '${envName}' is missing ${plural(missing.length, 'required variable')}: ${missing.join(', ')}`)
    return result
  }
}
