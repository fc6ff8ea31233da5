/*
 * JSON (--json): Array<{ name: string, file: string, feed?: string, schema?: string,
 *                        transport?: string, error?: string }>
 *   `transport` is the transport type; `error` is set when the file cannot be read.
 */
import { SsmdCommand } from '../../lib/cli/command.js'
import type { EnvironmentData } from '../../lib/spec/types.generated.js'
import { table } from '../../lib/cli/style.js'

export interface EnvListItem {
  name: string
  file: string
  feed?: string
  schema?: string
  transport?: string
  error?: string
}

export default class EnvList extends SsmdCommand<typeof EnvList> {
  static override lightStart = true
  static override summary = 'List environments.'
  static override examples = [
    { description: 'All environments with their feed and schema', command: '<%= config.bin %> env list' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> env list --json' },
  ]

  async run(): Promise<EnvListItem[]> {
    const ws = this.workspace()
    const items: EnvListItem[] = ws.environments.map(doc => {
      if (!doc.isObject) return { name: doc.name, file: doc.file, error: doc.problem?.message ?? 'not an environment document' }
      const env = doc.data as EnvironmentData
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
      return { name: doc.name, file: doc.file, feed: str(env.feed), schema: str(env.schema), transport: str(env.transport?.type) }
    })
    if (items.length === 0) {
      this.say("No environments yet. Create one with 'ssmd env create <name> --feed <feed> --schema <schema>:<version>'.")
      return items
    }
    this.say(
      table(
        ['NAME', 'FEED', 'SCHEMA', 'TRANSPORT'],
        items.map(i => [i.name, i.error ? '(invalid)' : (i.feed ?? '?'), i.schema ?? '', i.transport ?? '']),
        { flex: [3] },
      ),
    )
    for (const i of items) if (i.error) this.note(`warning: ${i.file}: ${i.error} (run 'ssmd validate')`)
    return items
  }
}
