/*
 * JSON (--json): Array<SchemaListItem>, one item per version, ordered by schema name then version number:
 *   { name, file, format, version, status, effective_from, effective_to?, schema_file }
 *   A schema file that cannot be read as a schema gives one item { name, file, error }.
 */
import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { definitionRef } from '../../lib/domain/schema/files.js'
import { effectiveText, orderedVersions, shown, statusOptions } from '../../lib/domain/schema/lifecycle.js'
import type { SchemaData } from '../../lib/spec/types.generated.js'
import { table } from '../../lib/cli/style.js'

export interface SchemaListItem {
  name: string
  file: string
  format?: string
  version?: string
  status?: string
  effective_from?: string
  effective_to?: string
  schema_file?: string
  error?: string
}

export default class SchemaList extends SsmdCommand<typeof SchemaList> {
  static override lightStart = true
  static override summary = 'List schemas, one row per version.'
  static override description = 'Shows every version of every schema with its format, lifecycle status and the dates it is in effect.'
  static override examples = [
    { description: 'Every schema version with its status and dates', command: '<%= config.bin %> schema list' },
    { description: 'Only drafts', command: '<%= config.bin %> schema list --status draft' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> schema list --json' },
  ]
  static override flags = {
    status: Flags.string({ summary: 'Only versions with this status.', options: statusOptions }),
  }

  async run(): Promise<SchemaListItem[]> {
    const ws = this.workspace()
    const items: SchemaListItem[] = []
    for (const doc of ws.schemas) {
      const data = doc.data as SchemaData | undefined
      if (!doc.isObject || !Array.isArray(data?.versions)) {
        if (!this.flags.status) items.push({ name: doc.name, file: doc.file, error: doc.problem?.message ?? 'not a schema document (no versions list)' })
        continue
      }
      for (const { version: v } of orderedVersions(data)) {
        if (this.flags.status && v.status !== this.flags.status) continue
        items.push({
          name: doc.name,
          file: doc.file,
          format: shown(data.format),
          version: shown(v.version),
          status: shown(v.status),
          effective_from: shown(v.effective_from),
          ...(v.effective_to === undefined ? {} : { effective_to: shown(v.effective_to) }),
          schema_file: definitionRef(data, v),
        })
      }
    }
    if (items.length === 0) {
      this.say(this.flags.status ? `No ${this.flags.status} schema versions.` : "No schemas yet. Register one with 'ssmd schema register <name> --file <definition>'.")
      return items
    }
    this.say(
      table(
        ['NAME', 'VERSION', 'FORMAT', 'STATUS', 'EFFECTIVE'],
        items.map(i => (i.error ? [i.name, '?', '?', 'invalid', ''] : [i.name, i.version ?? '?', i.format ?? '?', i.status ?? '?', effectiveText(i)])),
      ),
    )
    for (const i of items) if (i.error) this.note(`warning: ${i.file}: ${i.error} (run 'ssmd validate')`)
    return items
  }
}
