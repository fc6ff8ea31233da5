/*
 * JSON (--json): {
 *   file: string,                 // schemas/<name>.yaml
 *   name: string, format: 'capnp' | 'protobuf' | 'json_schema',
 *   schema_file: string,          // relative to schemas/
 *   version: 'v1',
 *   entry: { version, effective_from, status, hash },   // the version as written
 *   copied?: { from: string, to: string }               // when the definition was copied into schemas/
 * }
 */
import { Args, Flags } from '@oclif/core'
import { join } from 'node:path'
import { notParsing } from '../../lib/domain/schema/parse.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { ConflictError } from '../../lib/core/errors.js'
import { createDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import {
  formatOf,
  installIncoming,
  locateIncoming,
  orderedEntry,
  parseIncoming,
  statusOptions,
  uninstallIncoming,
  type SchemaStatus,
  type SchemaVersion,
} from '../../lib/domain/schema/lifecycle.js'
import { SCHEMA_FORMATS } from '../../lib/spec/enums.js'

export interface SchemaRegisterResult {
  file: string
  name: string
  format: string
  schema_file: string
  version: 'v1'
  entry: SchemaVersion
  copied?: { from: string; to: string }
}

export default class SchemaRegister extends SsmdCommand<typeof SchemaRegister> {
  static override summary = 'Register a new schema from a definition file, as version v1.'
  static override secretFreeInput = true
  static override description =
    'Parses the definition first and refuses a file that does not parse, listing each error as file:line:col. A file outside schemas/ is copied to schemas/<its name> (an existing different file there is never overwritten). Writes schemas/<name>.yaml with v1 and the SHA-256 of the definition.'
  static override examples = [
    { description: "A new schema from a Cap'n Proto file (copied into schemas/)", command: '<%= config.bin %> schema register quote --file ./quote.capnp' },
    {
      description: 'From a file already in schemas/, as a draft from a date',
      command: '<%= config.bin %> schema register quote --file schemas/quote.capnp --effective-from 2025-09-01 --status draft',
    },
    { description: 'A JSON Schema definition', command: '<%= config.bin %> schema register events --file events.json' },
  ]
  static override args = {
    name: Args.string({ description: 'Schema name (becomes schemas/<name>.yaml).', required: true }),
  }
  static override flags = {
    file: Flags.string({ summary: 'Definition file (.capnp, .proto or .json); copied into schemas/ when outside it.', required: true }),
    format: Flags.string({ summary: 'Definition language (default: from the file extension).', options: [...SCHEMA_FORMATS] }),
    status: Flags.string({ summary: 'Lifecycle status of v1.', options: statusOptions, default: 'active' }),
    'effective-from': Flags.string({ summary: 'First day v1 applies (YYYY-MM-DD; default: today, UTC).' }),
  }

  async run(): Promise<SchemaRegisterResult> {
    const name = checkName('schema', this.args.name)
    const effectiveFrom = this.flags['effective-from'] === undefined ? todayUtc() : checkDateFlag('effective-from', this.flags['effective-from'])
    const format = formatOf(this.flags.file, this.flags.format)
    const root = this.root()
    const ws = this.workspace()
    const existing = ws.find('schema', name)
    if (existing)
      throw new ConflictError(
        `schema '${name}' already exists (${existing.file}); add a version with 'ssmd schema add-version ${name} --file <definition> --effective-from <date>'`,
      )

    const inc = locateIncoming(root, this.flags.file)
    const def = await parseIncoming(root, inc, format)
    if (!def.parsed?.ok) throw notParsing(inc.shown, def.parsed?.problems ?? [], 'nothing written', format)

    const entry = orderedEntry({ version: 'v1', effective_from: effectiveFrom, status: this.flags.status as SchemaStatus, hash: inc.hash })
    const file = `schemas/${name}.yaml`
    const abs = join(root, 'schemas', `${name}.yaml`)
    const created = installIncoming(inc)
    try {
      createDocument(abs, file, { name, format, schema_file: inc.ref, versions: [entry] })
    } catch (error) {
      uninstallIncoming(inc, created)
      throw error
    }
    if (created) this.say(`copied ${inc.shown} → ${inc.display}`)
    else if (inc.shown !== inc.display) this.say(`using ${inc.display} (same content as ${inc.shown})`)
    this.say(`registered ${name} v1 (${format}, ${entry.status}, from ${effectiveFrom})`)
    this.say(`wrote ${this.shownPath(file)}`)
    return { file, name, format, schema_file: inc.ref, version: 'v1', entry, ...(created ? { copied: { from: inc.shown, to: inc.display } } : {}) }
  }
}
