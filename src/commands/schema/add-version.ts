/*
 * JSON (--json): {
 *   file: string,                       // schemas/<name>.yaml
 *   name: string,
 *   version: string,                    // the new version id
 *   entry: { version, effective_from, status, schema_file, hash, compatible_with?, breaking_changes? },
 *   closed?: { version: string, effective_to: string },   // an open-ended earlier version given an end date
 *   copied?: { from: string, to: string },                // the definition copied into schemas/
 *   compatibility: Array<{ with: string, checked: boolean, compatible?: boolean, breaking: SchemaChange[] }>,
 *   previous?: { version: string, checked: boolean, breaking: SchemaChange[] }   // compare with the previous version
 * }
 *   `checked` is false when --force recorded a claim that could not be checked (a JSON Schema
 *   that changed, or an older definition that does not parse); `compatible` is false only when
 *   --force recorded a claim that does not hold.
 */
import { Args, Flags } from '@oclif/core'
import type { SchemaChange } from '../../lib/core/schema-change.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { checkDateFlag } from '../../lib/core/dates.js'
import { UsageError } from '../../lib/core/errors.js'
import { plural } from '../../lib/core/text.js'
import { checkName, splitList } from '../../lib/domain/input.js'
import { claimNotes, planSchemaAddVersion, writeSchemaAddVersion, type CompatibilityCheck } from '../../lib/domain/schema/add-version.js'
import { checkVersionList, statusOptions, type SchemaStatus, type SchemaVersion } from '../../lib/domain/schema/lifecycle.js'

export type { CompatibilityCheck }

export interface SchemaAddVersionResult {
  file: string
  name: string
  version: string
  entry: SchemaVersion
  closed?: { version: string; effective_to: string }
  copied?: { from: string; to: string }
  compatibility: CompatibilityCheck[]
  previous?: { version: string; checked: boolean; breaking: SchemaChange[] }
}

export default class SchemaAddVersion extends SsmdCommand<typeof SchemaAddVersion> {
  static override summary = 'Add the next version of a schema, with its own definition file.'
  static override secretFreeInput = true
  static override description =
    'Appends v<N+1> with its own schema_file and hash. The file must parse; a file outside schemas/ is copied in. When the previous version is open-ended it is ended the day before the new one starts; any other overlap is refused. Each --compatible-with claim is checked — by a structural compare for capnp and protobuf, by equality for JSON Schema — and a false or uncheckable one is refused, listing each breaking change, unless --force.'
  static override examples = [
    {
      description: 'A compatible new version (checked against v1 and v2)',
      command: '<%= config.bin %> schema add-version trade --file trade-v3.capnp --effective-from 2025-09-01 --compatible-with v1,v2',
    },
    {
      description: 'A breaking version, with the reason recorded',
      command: '<%= config.bin %> schema add-version trade --file trade-v3.capnp --effective-from 2025-09-01 --breaking-changes "price is now fixed-point Int64"',
    },
    {
      description: 'Add it active rather than as a draft',
      command: '<%= config.bin %> schema add-version trade --file trade-v3.capnp --effective-from 2025-09-01 --status active',
    },
  ]
  static override args = {
    name: Args.string({ description: 'Schema name.', required: true }),
  }
  static override flags = {
    file: Flags.string({ summary: "The new version's definition file; copied into schemas/ when outside it.", required: true }),
    'effective-from': Flags.string({ summary: 'First day the new version applies (YYYY-MM-DD).', required: true }),
    status: Flags.string({ summary: 'Lifecycle status of the new version.', options: statusOptions, default: 'draft' }),
    'compatible-with': Flags.string({ summary: 'Older versions whose data the new version can read, comma-separated (v1,v2); each claim is checked.' }),
    'breaking-changes': Flags.string({ summary: 'What breaks relative to the previous version.' }),
    force: Flags.boolean({ summary: 'Record --compatible-with claims even when the check finds breaking changes or cannot decide (with a warning).' }),
  }

  async run(): Promise<SchemaAddVersionResult> {
    const name = checkName('schema', this.args.name)
    const effectiveFrom = checkDateFlag('effective-from', this.flags['effective-from'])
    const claims = this.flags['compatible-with'] === undefined ? [] : checkVersionList('compatible-with', splitList(this.flags['compatible-with']))
    if (this.flags['compatible-with'] !== undefined && claims.length === 0) throw new UsageError('--compatible-with is empty; list version ids, e.g. --compatible-with v1,v2')
    const breakingChanges = this.flags['breaking-changes']?.trim()
    if (this.flags['breaking-changes'] !== undefined && !breakingChanges)
      throw new UsageError('--breaking-changes is empty; say what breaks, e.g. --breaking-changes "price is now Int64"')
    const doc = this.workspace().get('schema', name)

    const plan = await planSchemaAddVersion(this.root(), doc, {
      name,
      file: this.flags.file,
      effectiveFrom,
      status: this.flags.status as SchemaStatus,
      claims,
      breakingChanges,
      force: this.flags.force,
    })
    const { id, entry, incoming: inc, closed, compatibility, previous } = plan

    for (const line of claimNotes(id, plan)) this.note(line)
    if (previous && previous.breaking.length > 0 && !breakingChanges) {
      this.note(
        `warning: ${id} breaks compatibility with ${previous.version} (${plural(previous.breaking.length, 'breaking change')}, first: ${previous.breaking[0].message}); describe it with --breaking-changes "…"`,
      )
    }

    const created = writeSchemaAddVersion(doc, name, plan)

    if (closed) this.say(`ended ${closed.version} on ${closed.effective_to}, the day before ${id} starts`)
    if (created) this.say(`copied ${inc.shown} → ${inc.display}`)
    const checkedClaims = compatibility.filter(c => c.checked && c.compatible).map(c => c.with)
    this.say(`added ${id} (${entry.status}, from ${effectiveFrom}, ${inc.display})${checkedClaims.length > 0 ? `; compatible with ${checkedClaims.join(', ')} (checked)` : ''}`)
    this.say(`wrote ${this.shownPath(doc.file)}`)
    return {
      file: doc.file,
      name,
      version: id,
      entry,
      ...(closed ? { closed: { version: closed.version, effective_to: closed.effective_to } } : {}),
      ...(created ? { copied: { from: inc.shown, to: inc.display } } : {}),
      compatibility,
      ...(previous ? { previous } : {}),
    }
  }
}
