/*
 * JSON (--json): {
 *   name, file, format, schema_file,
 *   versions: Array<{
 *     version, effective_from, effective_to?, status, schema_file, hash,
 *     hash_status: 'ok' | 'mismatch' | 'missing',
 *     actual_hash?,            // the file's hash now (present when the file could be read)
 *     problem?,                // why the file could not be read (hash_status 'missing')
 *     compatible_with?, breaking_changes?
 *   }>,                        // every version, or only the one named by <name>:<version>
 *   structure?: { version, schema_file, entries: StructureEntry[] }   // with --structure
 * }
 */
import { Args, Flags } from '@oclif/core'
import type { StructureEntry } from '../../lib/capnp/index.js'
import { parseSchemaRef } from '../../lib/domain/input.js'
import { notParsing } from '../../lib/domain/schema/parse.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { SsmdError } from '../../lib/core/errors.js'
import { DefinitionCache } from '../../lib/domain/schema/definitions.js'
import { definitionRef } from '../../lib/domain/schema/files.js'
import { effectiveText, findSchemaVersion, orderedVersions, shown, usableSchema } from '../../lib/domain/schema/lifecycle.js'
import { bold, details, green, red, table } from '../../lib/cli/style.js'
import { latestVersion } from '../../lib/domain/versions.js'

export interface SchemaShowVersion {
  version: string
  effective_from: string
  effective_to?: string
  status: string
  schema_file?: string
  hash: string
  hash_status: 'ok' | 'mismatch' | 'missing'
  actual_hash?: string
  problem?: string
  compatible_with?: string[]
  breaking_changes?: string
}

export interface SchemaShowResult {
  name: string
  file: string
  format: string
  schema_file: string
  versions: SchemaShowVersion[]
  structure?: { version: string; schema_file: string; entries: StructureEntry[] }
}

export default class SchemaShow extends SsmdCommand<typeof SchemaShow> {
  static override lightStart = true
  static override summary = "Show a schema's metadata and whether each version's hash matches its file."
  static override description =
    "Lists every version (or only <name>:<version>) with its dates, status, definition file and hash check: ✓ when the stored hash equals the SHA-256 of the file, ✗ mismatch, or missing. With --structure, also prints the parsed Cap'n Proto definition of that version (default: the latest)."
  static override examples = [
    { description: 'A schema and its versions', command: '<%= config.bin %> schema show trade' },
    { description: 'One version with the structure of its definition', command: '<%= config.bin %> schema show trade:v2 --structure' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> schema show trade --json' },
  ]
  static override args = {
    schema: Args.string({ description: 'Schema name, optionally with a version: trade or trade:v2.', required: true }),
  }
  static override flags = {
    structure: Flags.boolean({ summary: 'Also print the parsed definition (structs, fields with ordinals and types) of the chosen version.' }),
  }

  async run(): Promise<SchemaShowResult> {
    const { name, version: versionId } = parseSchemaRef(this.args.schema, { requireVersion: false })
    const doc = this.workspace().get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    const chosen = versionId === undefined ? undefined : findSchemaVersion(name, schema, versionId).version
    if (this.flags.structure && schema.format !== 'capnp') {
      throw new SsmdError(`--structure is only available for capnp schemas; '${name}' is ${schema.format}`)
    }

    const cache = new DefinitionCache(this.root())
    const versions: SchemaShowVersion[] = []
    for (const { version: v } of orderedVersions(schema)) {
      if (chosen && v !== chosen) continue
      const ref = definitionRef(schema, v)
      const def = ref === undefined ? undefined : await cache.get(ref, schema.format)
      const state: Pick<SchemaShowVersion, 'hash_status' | 'actual_hash' | 'problem'> =
        def?.hash === undefined
          ? { hash_status: 'missing', problem: def?.problem?.message ?? `version ${v.version} names no definition file` }
          : { hash_status: def.hash === v.hash ? 'ok' : 'mismatch', actual_hash: def.hash }
      versions.push({
        version: v.version,
        effective_from: v.effective_from,
        ...(v.effective_to === undefined ? {} : { effective_to: v.effective_to }),
        status: v.status,
        schema_file: ref,
        hash: v.hash,
        ...state,
        ...(v.compatible_with === undefined ? {} : { compatible_with: v.compatible_with }),
        ...(v.breaking_changes === undefined ? {} : { breaking_changes: v.breaking_changes }),
      })
    }

    const result: SchemaShowResult = { name, file: doc.file, format: schema.format, schema_file: schema.schema_file, versions }
    if (this.flags.structure) {
      const target = chosen ?? latestVersion(schema.versions)
      if (!target) throw new SsmdError(`schema '${name}' has no versions (${doc.file})`)
      const ref = definitionRef(schema, target)
      const def = ref === undefined ? undefined : await cache.get(ref, schema.format)
      if (!def?.parsed) throw new SsmdError(def?.problem?.message ?? `version ${target.version} of '${name}' names no definition file`)
      if (!def.parsed.ok || !def.parsed.capnp) throw notParsing(`${def.display} (${name}:${target.version})`, def.parsed.problems, 'fix it (ssmd validate) to see its structure')
      const { renderStructure, structureModel } = await import('../../lib/capnp/index.js')
      result.structure = { version: target.version, schema_file: ref!, entries: structureModel(def.parsed.capnp) }
      this.print(result, renderStructure(def.parsed.capnp))
    } else {
      this.print(result)
    }
    return result
  }

  private print(r: SchemaShowResult, structure?: string): void {
    this.say(bold(r.name))
    this.say(
      details(
        [
          ['file', r.file],
          ['format', shown(r.format)],
          ['schema_file', typeof r.schema_file === 'string' ? `schemas/${r.schema_file}` : shown(r.schema_file)],
        ],
        '  ',
      ),
    )
    this.say()
    const mark = (v: SchemaShowVersion) => (v.hash_status === 'ok' ? green('✓') : v.hash_status === 'mismatch' ? red('✗ mismatch') : red('missing'))
    this.say(
      table(
        ['VERSION', 'STATUS', 'EFFECTIVE', 'FILE', 'HASH'],
        r.versions.map(v => [shown(v.version), shown(v.status), effectiveText(v), v.schema_file === undefined ? '?' : `schemas/${v.schema_file}`, `${short(v.hash)} ${mark(v)}`]),
        { flex: [3] },
      ),
    )
    for (const v of r.versions) {
      const extra: Array<[string, unknown]> = [
        ['compatible_with', v.compatible_with === undefined ? undefined : Array.isArray(v.compatible_with) ? v.compatible_with.map(shown).join(', ') : shown(v.compatible_with)],
        ['breaking_changes', v.breaking_changes === undefined ? undefined : shown(v.breaking_changes)],
        ['hash', v.hash_status === 'ok' ? undefined : shown(v.hash)],
        ['file hash', v.hash_status === 'mismatch' ? v.actual_hash : undefined],
        ['problem', v.problem],
      ]
      if (extra.some(([, x]) => x !== undefined)) {
        this.say()
        this.say(`${shown(v.version)}:`)
        this.say(details(extra, '  '))
      }
    }
    if (r.versions.some(v => v.hash_status === 'mismatch')) this.note(`note: a definition changed since its hash was recorded; if intended, run 'ssmd schema hash ${r.name}'`)
    if (structure !== undefined && r.structure) {
      this.say()
      this.say(bold(`structure of ${r.structure.version} (schemas/${r.structure.schema_file})`))
      this.say(structure.replace(/\n+$/, ''))
    }
  }
}

const short = (hash: unknown) => (typeof hash === 'string' && /^sha256:[0-9a-f]{12}/.test(hash) ? `${hash.slice(0, 19)}…` : shown(hash))
