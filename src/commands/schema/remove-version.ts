/*
 * JSON (--json): {
 *   file: string, name: string, version: string, forced: boolean,
 *   referrers: Array<{ file, line, column, text }>,   // environments and compatible_with claims still naming it (only with --force)
 *   removed_definitions: string[],                     // the version's own definition file, when nothing else uses it
 *   kept_definitions: Array<{ file: string, used_by: string[] }>,
 *   importers: Array<{ file, line, column, text, imports }>,  // imports of the removed definition file in files that stay (only with --force)
 *   reopened?: { version: string, effective_to: string },  // the previous version, open-ended again; effective_to is the end it had
 *   gaps: Array<{ first, last, before, after }>            // days no version covers once it is gone
 * }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ConflictError } from '../../lib/core/errors.js'
import { displayPath } from '../../lib/cli/output.js'
import { removeDefinitionFiles } from '../../lib/cli/definition-removal.js'
import { editDocument } from '../../lib/workspace/files.js'
import { planDefinitionRemoval, refuseIfImported, refuseIfReferred, referrerList, schemaReferrers, type DefinitionPlan, type Referrer } from '../../lib/domain/remove.js'
import { environmentsUsing, findSchemaVersion, usableSchema } from '../../lib/domain/schema/lifecycle.js'
import { parseSchemaRef } from '../../lib/domain/input.js'
import type { SchemaData } from '../../lib/spec/types.generated.js'
import { gapDays, newGaps, reopenOnRemoval, type ReopenedVersion, type VersionGap } from '../../lib/domain/versions.js'

export default class SchemaRemoveVersion extends SsmdCommand<typeof SchemaRemoveVersion> {
  static override summary = 'Remove one version of a schema.'
  static override description =
    "Deletes the version's entry from schemas/<name>.yaml, and its own definition file when no other version or schema uses it. When it was the latest version and the previous one ended the day before it started (as schema add-version leaves it), the previous version is made open-ended again, and the output says so. Refuses while an environment uses the version, another version claims compatibility with it (each one is listed as file:line, with the command that drops the claim), or a definition file that stays imports its own file (listed as file:line); --force removes it anyway. The last version cannot be removed: remove the schema instead (ssmd schema remove)."
  static override examples = [
    { description: 'Remove a draft nobody uses', command: '<%= config.bin %> schema remove-version trade:v2' },
    { description: 'Remove it although environments still use it', command: '<%= config.bin %> schema remove-version trade:v1 --force' },
  ]
  static override args = {
    version: Args.string({ description: 'The version, as <schema>:<version> (e.g. trade:v2).', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ summary: 'Remove even while environments, other versions or imports refer to it.' }),
  }

  async run(): Promise<{
    file: string
    name: string
    version: string
    forced: boolean
    referrers: Referrer[]
    removed_definitions: string[]
    kept_definitions: Array<{ file: string; used_by: string[] }>
    reopened?: { version: string; effective_to: string }
    gaps: Array<Omit<VersionGap, 'index'>>
    importers: DefinitionPlan['importers']
  }> {
    const { name, version: id } = parseSchemaRef(this.args.version, { requireVersion: true })
    const ws = this.workspace()
    const doc = ws.get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    findSchemaVersion(name, schema, id!)
    if (schema.versions.length === 1) throw new ConflictError(`${name}:${id} is the only version of schema '${name}'; remove the whole schema with 'ssmd schema remove ${name}'`)
    const referrers = schemaReferrers(ws, name, id)
    const claimants = schema.versions.filter(v => Array.isArray(v?.compatible_with) && v.compatible_with.includes(id!)).map(v => String(v.version))
    const fixes = [
      ...(environmentsUsing(ws, name, id!).length > 0 ? [`move those environments to another version (ssmd env update <env> --schema ${name}:<version>)`] : []),
      ...claimants.map(c => `drop ${c}'s claim (ssmd schema update-version ${name}:${c} --remove-compatible-with ${id})`),
    ]
    refuseIfReferred(`${name}:${id}`, referrers, this.flags.force, fixes.join(' and '))
    const plan = planDefinitionRemoval(ws, name, schema, id)
    refuseIfImported(`${name}:${id}`, plan.importers, this.flags.force)
    // Inside the lock the file is read again: the index is looked up in what is there now.
    let reopened: ReopenedVersion | undefined
    let gaps: VersionGap[] = []
    editDocument<SchemaData>(doc.absPath, doc.file, data => {
      const current = usableSchema(doc.file, data)
      const { index } = findSchemaVersion(name, current, id!)
      if (current.versions.length === 1) throw new ConflictError(`${name}:${id} is the only version of schema '${name}'; remove the whole schema with 'ssmd schema remove ${name}'`)
      // The version it had ended the day before it started (add-version) is open-ended again.
      reopened = reopenOnRemoval(current.versions, index)
      const remaining = current.versions.filter((_, i) => i !== index).map(v => (reopened && v === current.versions[reopened.index] ? { ...v, effective_to: undefined } : v))
      gaps = newGaps(current.versions, remaining)
      // The end date first: deleting the entry moves the ones after it.
      return [...(reopened ? [{ op: 'delete' as const, path: ['versions', reopened.index, 'effective_to'] }] : []), { op: 'delete' as const, path: ['versions', index] }]
    })
    const back = reopened as ReopenedVersion | undefined
    if (back) {
      this.say(
        `reopened ${name}:${back.version} (it ended ${back.effective_to}, the day before ${id} started); to keep that end: ssmd schema update-version ${name}:${back.version} --effective-to ${back.effective_to}`,
      )
    }
    this.say(`removed ${name}:${id} from ${displayPath(doc.absPath, doc.file)}`)
    for (const g of gaps) this.note(`warning: no version of schema '${name}' covers ${gapDays(g)} (between ${g.before} and ${g.after}) now`)
    removeDefinitionFiles(
      ws.root,
      plan,
      line => this.say(line),
      line => this.note(line),
    )
    if (referrers.length > 0) this.note(`warning: still referred to by ${referrerList(referrers)}; 'ssmd validate' reports them until they change`)
    return {
      file: doc.file,
      name,
      version: id!,
      forced: referrers.length > 0 || plan.importers.length > 0,
      referrers,
      removed_definitions: plan.remove.map(d => d.file),
      kept_definitions: plan.kept,
      importers: plan.importers,
      ...(back ? { reopened: { version: back.version, effective_to: back.effective_to } } : {}),
      gaps: gaps.map(({ index: _index, ...g }) => g),
    }
  }
}
