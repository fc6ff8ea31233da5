/*
 * JSON (--json): {
 *   file: string, name: string, forced: boolean,
 *   referrers: Array<{ file, line, column, text }>,   // environments still using it (only with --force)
 *   removed_definitions: string[],                     // definition files deleted with it
 *   kept_definitions: Array<{ file: string, used_by: string[] }>  // shared with other schemas, kept
 *   importers: Array<{ file, line, column, text, imports }>  // imports of a removed definition file in files that stay (only with --force)
 * }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { displayPath } from '../../lib/cli/output.js'
import { removeDefinitionFiles } from '../../lib/cli/definition-removal.js'
import { checkName } from '../../lib/domain/input.js'
import {
  planDefinitionRemoval,
  refuseIfImported,
  refuseIfReferred,
  referrerList,
  removeFileLocked,
  schemaReferrers,
  type DefinitionPlan,
  type Referrer,
} from '../../lib/domain/remove.js'
import { usableSchema } from '../../lib/domain/schema/lifecycle.js'

export default class SchemaRemove extends SsmdCommand<typeof SchemaRemove> {
  static override summary = 'Remove a schema with all its versions and its definition files.'
  static override description =
    'Deletes schemas/<name>.yaml and the definition files it names, except files another schema also uses. Refuses while an environment uses any version of the schema, or while a definition file that stays imports one of the files to delete (each one is listed as file:line); --force removes it anyway. Commit the removal with ssmd commit.'
  static override examples = [
    { description: 'Remove a schema no environment uses', command: '<%= config.bin %> schema remove orderbook' },
    { description: 'Remove it although environments still use it', command: '<%= config.bin %> schema remove trade --force' },
  ]
  static override args = {
    name: Args.string({ description: 'Schema name.', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ summary: 'Remove even while environments use the schema or other definition files import its files.' }),
  }

  async run(): Promise<{
    file: string
    name: string
    forced: boolean
    referrers: Referrer[]
    removed_definitions: string[]
    kept_definitions: Array<{ file: string; used_by: string[] }>
    importers: DefinitionPlan['importers']
  }> {
    const name = checkName('schema', this.args.name)
    const ws = this.workspace()
    const doc = ws.get('schema', name)
    // A broken schema file can still be removed; its definition files are then left alone (they cannot be read from it).
    let schema: ReturnType<typeof usableSchema> | undefined
    try {
      schema = usableSchema(doc.file, doc.data, doc.problem)
    } catch {
      this.note(`note: ${doc.file} cannot be read as a schema; its definition files are left in place`)
    }
    const referrers = schemaReferrers(ws, name)
    refuseIfReferred(
      `schema '${name}'`,
      referrers,
      this.flags.force,
      `move them to another schema (ssmd env update <env> --schema <schema>:<version>) or remove them (ssmd env remove <env>)`,
    )
    const plan = schema ? planDefinitionRemoval(ws, name, schema) : { remove: [], kept: [], importers: [] }
    refuseIfImported(`schema '${name}'`, plan.importers, this.flags.force)
    removeFileLocked(doc.absPath, doc.file)
    this.say(`removed ${displayPath(doc.absPath, doc.file)}`)
    removeDefinitionFiles(
      ws.root,
      plan,
      line => this.say(line),
      line => this.note(line),
    )
    if (referrers.length > 0) this.note(`warning: still used by ${referrerList(referrers)}; 'ssmd validate' reports them until they change`)
    return {
      file: doc.file,
      name,
      forced: referrers.length > 0 || plan.importers.length > 0,
      referrers,
      removed_definitions: plan.remove.map(d => d.file),
      kept_definitions: plan.kept,
      importers: plan.importers,
    }
  }
}
