/*
 * JSON (--json): {
 *   file: string, name: string, version: string, forced: boolean,
 *   referrers: Array<{ file, line, column, text }>,   // environments and compatible_with claims still naming it (only with --force)
 *   removed_definitions: string[],                     // the version's own definition file, when nothing else uses it
 *   kept_definitions: Array<{ file: string, used_by: string[] }>
 * }
 */
import { Args, Flags } from '@oclif/core'
import { join } from 'node:path'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ConflictError } from '../../lib/core/errors.js'
import { displayPath } from '../../lib/cli/output.js'
import { editDocument } from '../../lib/workspace/files.js'
import { planDefinitionRemoval, refuseIfReferred, referrerList, removeFileLocked, schemaReferrers, type Referrer } from '../../lib/domain/remove.js'
import { findSchemaVersion, usableSchema } from '../../lib/domain/schema/lifecycle.js'
import { parseSchemaRef } from '../../lib/domain/input.js'
import type { SchemaData } from '../../lib/spec/types.generated.js'

export default class SchemaRemoveVersion extends SsmdCommand<typeof SchemaRemoveVersion> {
  static override summary = 'Remove one version of a schema.'
  static override description =
    "Deletes the version's entry from schemas/<name>.yaml, and its own definition file when no other version or schema uses it. Refuses while an environment uses the version or another version claims compatibility with it (each one is listed as file:line); --force removes it anyway. The last version cannot be removed: remove the schema instead (ssmd schema remove)."
  static override examples = [
    { description: 'Remove a draft nobody uses', command: '<%= config.bin %> schema remove-version trade:v2' },
    { description: 'Remove it although environments still use it', command: '<%= config.bin %> schema remove-version trade:v1 --force' },
  ]
  static override args = {
    version: Args.string({ description: 'The version, as <schema>:<version> (e.g. trade:v2).', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ summary: 'Remove even while environments or other versions refer to it.' }),
  }

  async run(): Promise<{
    file: string
    name: string
    version: string
    forced: boolean
    referrers: Referrer[]
    removed_definitions: string[]
    kept_definitions: Array<{ file: string; used_by: string[] }>
  }> {
    const { name, version: id } = parseSchemaRef(this.args.version, { requireVersion: true })
    const ws = this.workspace(['schema', 'environment'])
    const doc = ws.get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    findSchemaVersion(name, schema, id!)
    if (schema.versions.length === 1) throw new ConflictError(`${name}:${id} is the only version of schema '${name}'; remove the whole schema with 'ssmd schema remove ${name}'`)
    const referrers = schemaReferrers(ws, name, id)
    refuseIfReferred(
      `${name}:${id}`,
      referrers,
      this.flags.force,
      'move those environments to another version (ssmd env update <env> --schema <schema>:<version>) and drop the compatible_with claims',
    )
    const plan = planDefinitionRemoval(ws, name, schema, id)
    // Inside the lock the file is read again: the index is looked up in what is there now.
    editDocument<SchemaData>(doc.absPath, doc.file, data => {
      const current = usableSchema(doc.file, data)
      const { index } = findSchemaVersion(name, current, id!)
      if (current.versions.length === 1) throw new ConflictError(`${name}:${id} is the only version of schema '${name}'; remove the whole schema with 'ssmd schema remove ${name}'`)
      return [{ op: 'delete', path: ['versions', index] }]
    })
    this.say(`removed ${name}:${id} from ${displayPath(doc.absPath, doc.file)}`)
    for (const d of plan.remove) {
      removeFileLocked(d.abs, d.file)
      this.say(`removed ${displayPath(d.abs, d.file)}`)
    }
    for (const k of plan.kept) this.say(`kept ${displayPath(join(ws.root, k.file), k.file)} (also used by ${k.used_by.join(', ')})`)
    if (referrers.length > 0) this.note(`warning: still referred to by ${referrerList(referrers)}; 'ssmd validate' reports them until they change`)
    return { file: doc.file, name, version: id!, forced: referrers.length > 0, referrers, removed_definitions: plan.remove.map(d => d.file), kept_definitions: plan.kept }
  }
}
