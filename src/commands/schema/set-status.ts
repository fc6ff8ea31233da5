/*
 * JSON (--json): {
 *   file: string, name: string, version: string,
 *   from: 'draft' | 'active' | 'deprecated', to: 'draft' | 'active' | 'deprecated',
 *   changed: boolean,          // false when the version already had that status (nothing written)
 *   forced: boolean,           // true when --force allowed a move against the lifecycle
 *   used_by: string[]          // environments that use <name>:<version>
 * }
 */
import { Args, Flags } from '@oclif/core'
import { parseSchemaRef } from '../../lib/domain/input.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ConflictError } from '../../lib/core/errors.js'
import { pluralWord } from '../../lib/core/text.js'
import { editDocument } from '../../lib/workspace/files.js'
import { definitionRef, hashFile, resolveDefinition } from '../../lib/domain/schema/files.js'
import { environmentsUsing, findSchemaVersion, isLifecycleMove, statusOptions, usableSchema, type SchemaStatus } from '../../lib/domain/schema/lifecycle.js'
import type { SchemaData } from '../../lib/spec/types.generated.js'

export interface SchemaSetStatusResult {
  file: string
  name: string
  version: string
  from: SchemaStatus
  to: SchemaStatus
  changed: boolean
  forced: boolean
  used_by: string[]
}

export default class SchemaSetStatus extends SsmdCommand<typeof SchemaSetStatus> {
  static override summary = 'Move a schema version along its lifecycle: draft → active → deprecated.'
  static override secretFreeInput = true
  static override description =
    'draft → active, active → deprecated and draft → deprecated are allowed; any other move needs --force. A version used by an environment can never be made a draft (drafts may not be used), even with --force.'
  static override examples = [
    { description: 'Activate a draft', command: '<%= config.bin %> schema set-status trade:v2 active' },
    { description: 'Deprecate a version', command: '<%= config.bin %> schema set-status trade:v1 deprecated' },
    { description: 'Move back to draft, against the lifecycle', command: '<%= config.bin %> schema set-status trade:v2 draft --force' },
  ]
  static override args = {
    version: Args.string({ description: 'The version, as <schema>:<version> (e.g. trade:v2).', required: true }),
    status: Args.string({ description: 'The new status.', required: true, options: statusOptions }),
  }
  static override flags = {
    force: Flags.boolean({ summary: 'Allow a move against the lifecycle (e.g. deprecated → active).' }),
  }

  async run(): Promise<SchemaSetStatusResult> {
    const { name, version: id } = parseSchemaRef(this.args.version, { requireVersion: true })
    const to = this.args.status as SchemaStatus
    const ws = this.workspace()
    const doc = ws.get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    const { index, version } = findSchemaVersion(name, schema, id!)
    const from = version.status
    const usedBy = environmentsUsing(ws, name, id!)
    const ref = `${name}:${id}`
    const base = { file: doc.file, name, version: id!, from, to, used_by: usedBy }
    if (from === to) {
      this.say(`${ref} is already ${to}; nothing written`)
      return { ...base, changed: false, forced: false }
    }
    if (to === 'draft' && usedBy.length > 0) {
      throw new ConflictError(
        `cannot make ${ref} a draft: ${pluralWord(usedBy.length, 'environment')} ${usedBy.join(', ')} ${pluralWord(usedBy.length, 'uses', 'use')} it and drafts may not be used; point ${pluralWord(usedBy.length, 'it', 'them')} at another version first`,
      )
    }
    const known = (statusOptions as string[]).includes(from as string)
    const forced = known && !isLifecycleMove(from, to)
    if (!known) this.note(`note: ${ref} had an invalid status ${JSON.stringify(from)}; setting it to ${to}`)
    if (forced && !this.flags.force) {
      throw new ConflictError(`${ref} ${from} → ${to} goes against the lifecycle draft → active → deprecated; pass --force if you mean it`)
    }
    if (forced) this.note(`warning: ${ref} moved ${from} → ${to} against the lifecycle (--force)`)
    if (to === 'deprecated' && usedBy.length > 0) {
      this.note(`warning: ${ref} is still used by ${usedBy.join(', ')}; deprecated versions keep working, with a validation warning`)
    }
    if (to === 'active') {
      const file = definitionRef(schema, version)
      const resolved = file === undefined ? undefined : resolveDefinition(this.root(), file)
      if (!resolved?.abs) this.note(`warning: ${ref}'s definition file is not usable: ${resolved?.problem?.message ?? 'no schema_file'}`)
      else if (hashOrProblem(resolved.abs, this.root(), resolved.display) !== version.hash)
        this.note(`warning: ${resolved.display} changed since ${ref}'s hash was recorded; check it and run 'ssmd schema hash ${name}'`)
    }

    editDocument<SchemaData>(doc.absPath, doc.file, data => {
      const now = usableSchema(doc.file, data)
      if (now.versions[index]?.version !== id) throw new ConflictError(`${doc.file} changed meanwhile; run the command again`)
      return now.versions[index].status === to ? [] : [{ op: 'set', path: ['versions', index, 'status'], value: to }]
    })
    this.say(`${ref}: ${known ? from : JSON.stringify(from)} → ${to}`)
    this.say(`wrote ${this.shownPath(doc.file)}`)
    return { ...base, changed: true, forced }
  }
}

/** The hash of a definition file, or the reason it cannot be read (which never equals a stored hash). */
function hashOrProblem(abs: string, root: string, display: string): string {
  try {
    return hashFile(abs, root, display)
  } catch (error) {
    return (error as Error).message
  }
}
