/*
 * JSON (--json): { file: string, environment: string, key: string, removed: KeyEntry }
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { usableEnvironment } from '../../lib/domain/env.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import { planRemoveKey, type KeyEntry } from '../../lib/domain/keys.js'
import type { EnvironmentData } from '../../lib/spec/types.generated.js'

export default class EnvRemoveKey extends SsmdCommand<typeof EnvRemoveKey> {
  static override summary = 'Remove a secret reference from an environment.'
  static override description = 'Removing the last key removes the keys section.'
  static override examples = [{ description: "Drop the 'archive' secret reference", command: '<%= config.bin %> env remove-key kalshi-prod archive' }]
  static override args = {
    env: Args.string({ description: 'Environment name.', required: true }),
    key: Args.string({ description: 'Key name.', required: true }),
  }

  async run(): Promise<{ file: string; environment: string; key: string; removed: KeyEntry }> {
    const envName = checkName('environment', this.args.env)
    const key = checkName('key', this.args.key)
    const doc = this.workspace().get('environment', envName)
    let removed: KeyEntry | undefined
    editDocument<EnvironmentData>(doc.absPath, doc.file, data => {
      const plan = planRemoveKey(envName, usableEnvironment(doc.file, data), key)
      removed = plan.removed
      return plan.ops
    })
    this.say(`removed key ${key}`)
    this.say(`wrote ${this.shownPath(doc.file)}`)
    return { file: doc.file, environment: envName, key, removed: removed! }
  }
}
