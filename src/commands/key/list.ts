/*
 * JSON (--json): { environment: string, file: string,
 *   keys: Array<{ name, type, source, required: boolean, fields: string[], checkable: boolean,
 *                 variables: Array<{ name: string, status: 'set' | 'empty' | 'unset' }> }> }
 *   `checkable` is true for env sources; values are never included.
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { usableEnvironment } from '../../lib/domain/env.js'
import { checkName } from '../../lib/domain/input.js'
import { keyStatuses, type KeyStatus } from '../../lib/domain/keys.js'
import { redactValue } from '../../lib/domain/secrets.js'
import { table } from '../../lib/cli/style.js'

export default class KeyList extends SsmdCommand<typeof KeyList> {
  static override lightStart = true
  static override summary = "List an environment's keys and whether their variables are set (never their values)."
  static override examples = [
    { description: 'The secret references of an environment (never their values)', command: '<%= config.bin %> key list kalshi-dev' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> key list kalshi-prod --json' },
  ]
  static override args = {
    env: Args.string({ description: 'Environment name.', required: true }),
  }

  async run(): Promise<{ environment: string; file: string; keys: KeyStatus[] }> {
    const envName = checkName('environment', this.args.env)
    const doc = this.workspace().get('environment', envName)
    // A source that looks like a pasted secret is shown masked, in text and JSON alike.
    const keys = redactValue(keyStatuses(usableEnvironment(doc.file, doc.data, doc.problem)))
    if (keys.length === 0) {
      this.say(`Environment '${envName}' has no keys. Add one with 'ssmd env add-key ${envName} <key> --type … --fields … --source env'.`)
    } else {
      this.say(
        table(
          ['KEY', 'TYPE', 'SOURCE', 'REQUIRED', 'VARIABLES'],
          keys.map(k => [
            k.name,
            k.type ?? '?',
            k.source ?? '?',
            k.required ? 'yes' : 'no',
            k.checkable ? k.variables.map(v => `${v.name} (${v.status})`).join(', ') : '(not checkable locally)',
          ]),
          { flex: [4] },
        ),
      )
    }
    return { environment: envName, file: doc.file, keys }
  }
}
