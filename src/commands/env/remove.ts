/*
 * JSON (--json): { file: string, name: string }
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { displayPath } from '../../lib/cli/output.js'
import { checkName } from '../../lib/domain/input.js'
import { removeFileLocked } from '../../lib/domain/remove.js'

export default class EnvRemove extends SsmdCommand<typeof EnvRemove> {
  static override summary = 'Remove an environment file.'
  static override description =
    'Deletes environments/<name>.yaml. No other ssmd file refers to an environment, so nothing can be left dangling. Commit the removal with ssmd commit.'
  static override examples = [{ description: 'Remove an environment', command: '<%= config.bin %> env remove kalshi-dev' }]
  static override args = {
    name: Args.string({ description: 'Environment name.', required: true }),
  }

  async run(): Promise<{ file: string; name: string }> {
    const name = checkName('environment', this.args.name)
    const doc = this.workspace().get('environment', name)
    removeFileLocked(doc.absPath, doc.file)
    this.say(`removed ${displayPath(doc.absPath, doc.file)}`)
    return { file: doc.file, name }
  }
}
