/*
 * JSON (--json): { file: string, name: string, changed: boolean,
 *                  changes: Array<{ path: string, from?: unknown, to?: unknown }>, warnings: string[] }
 *   `path` is a JSON Pointer; a change without `to` is a removed key.
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { changeText } from '../../lib/cli/output.js'
import { envFields, envFlags } from '../../lib/cli/flags.js'
import { checkReferences, envInput, hasAnyInput, planEnvUpdate, usableEnvironment } from '../../lib/domain/env.js'
import { UsageError } from '../../lib/core/errors.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import type { Change } from '../../lib/yaml/changes.js'
import type { EnvironmentData } from '../../lib/spec/types.generated.js'

export default class EnvUpdate extends SsmdCommand<typeof EnvUpdate> {
  static override summary = 'Change fields of an environment.'
  static override secretFreeInput = true
  static override description =
    'Changes only the fields given; the rest of the file (comments, order, formatting) stays as it is. A type change drops the keys the new type does not take (e.g. --transport.type memory removes the url) and asks for the ones it needs. A new --feed or --schema is checked like in env create.'
  static override examples = [
    { description: 'Move to another schema version', command: '<%= config.bin %> env update kalshi-dev --schema trade:v2' },
    { description: 'Switch the transport back to in-memory', command: '<%= config.bin %> env update kalshi-dev --transport.type memory' },
    { description: 'Grow the cache and stop rolling days automatically', command: '<%= config.bin %> env update kalshi-prod --cache.max-size 4GB --no-schedule.auto-roll' },
  ]
  static override args = {
    name: Args.string({ description: 'Environment name.', required: true }),
  }
  static override flags = { ...envFlags }

  async run(): Promise<{ file: string; name: string; changed: boolean; changes: Change[]; warnings: string[] }> {
    const name = checkName('environment', this.args.name)
    const input = envInput(envFields(this.flags))
    if (!hasAnyInput(input)) throw new UsageError(`nothing to change; pass at least one flag (see 'ssmd env update --help')`)
    const ws = this.workspace()
    const doc = ws.get('environment', name)
    const warnings = checkReferences(ws, input)
    let changes: Change[] = []
    const { changed } = editDocument<EnvironmentData>(doc.absPath, doc.file, data => {
      const plan = planEnvUpdate(name, usableEnvironment(doc.file, data), input)
      changes = plan.changes
      return plan.ops
    })
    for (const w of warnings) this.note(`warning: ${w}`)
    const shown = this.shownPath(doc.file)
    if (changed) {
      this.say(`wrote ${shown}`)
      if (this.flags.verbose) for (const c of changes) this.say(changeText(c))
    } else this.say(`${shown} already has these values; nothing written`)
    return { file: doc.file, name, changed, changes: changed ? changes : [], warnings }
  }
}
