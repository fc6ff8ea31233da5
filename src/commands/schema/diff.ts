/*
 * JSON (--json): {
 *   name: string,
 *   from: { version: string, file: string }, to: { version: string, file: string },
 *   changes: Array<{ severity: 'breaking' | 'compatible' | 'info', kind, message, path, file, line, column, note? }>,
 *   summary: { breaking: number, compatible: number, info: number },
 *   compatible: boolean        // no breaking change: `to` can read data written with `from`
 * }
 */
import { Args } from '@oclif/core'
import type { SchemaChange } from '../../lib/core/schema-change.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { SsmdError, UsageError } from '../../lib/core/errors.js'
import { checkName } from '../../lib/domain/input.js'
import { compareDefinitions, DefinitionCache, STRUCTURAL_FORMATS, type Definition } from '../../lib/domain/schema/definitions.js'
import { notParsing } from '../../lib/domain/schema/parse.js'
import { findSchemaVersion, usableSchema } from '../../lib/domain/schema/lifecycle.js'
import { dim, green, red, yellow } from '../../lib/cli/style.js'
import { versionNumber } from '../../lib/domain/versions.js'

export interface SchemaDiffResult {
  name: string
  from: { version: string; file: string }
  to: { version: string; file: string }
  changes: SchemaChange[]
  summary: { breaking: number; compatible: number; info: number }
  compatible: boolean
}

function versionArg(which: string, value: string): string {
  if (!/^v[1-9][0-9]*$/.test(value)) throw new UsageError(`<${which}> '${value}' is not a version id; use v1, v2, …`)
  return value
}

const ORDER = { breaking: 0, compatible: 1, info: 2 } as const
const label = (s: SchemaChange['severity']) => (s === 'breaking' ? red('breaking  ') : s === 'compatible' ? green('compatible') : yellow('info      '))

export default class SchemaDiff extends SsmdCommand<typeof SchemaDiff> {
  static override summary = "The structural changes between two versions' definitions."
  static override description =
    "Compares the definitions of two versions and marks each change compatible, breaking or info, with its file:line:col. Cap'n Proto: fields matched by ordinal, declarations by name or explicit id. Protobuf: fields and enum values matched by number, declarations by name, classified by Buf's wire rules. A report: it exits 0 whatever it finds. JSON Schema definitions have no structural diff."
  static override examples = [
    { description: 'What changed between two versions, and whether it breaks readers', command: '<%= config.bin %> schema diff trade v1 v2' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> schema diff trade v1 v3 --json' },
  ]
  static override args = {
    name: Args.string({ description: 'Schema name.', required: true }),
    from: Args.string({ description: 'The older version (e.g. v1).', required: true }),
    to: Args.string({ description: 'The newer version (e.g. v2).', required: true }),
  }

  async run(): Promise<SchemaDiffResult> {
    const name = checkName('schema', this.args.name)
    const fromId = versionArg('from', this.args.from)
    const toId = versionArg('to', this.args.to)
    const doc = this.workspace().get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    const from = findSchemaVersion(name, schema, fromId)
    const to = findSchemaVersion(name, schema, toId)
    if (!STRUCTURAL_FORMATS.includes(schema.format))
      throw new SsmdError(`structural diff is only available for capnp and protobuf schemas; '${name}' is ${schema.format} (compare the files with git diff)`)
    if (versionNumber(fromId) > versionNumber(toId)) this.note(`note: comparing backwards, from the newer ${fromId} to the older ${toId}`)

    const cache = new DefinitionCache(this.root())
    const older = await this.load(cache, doc, from.index, `${name}:${fromId}`)
    const newer = await this.load(cache, doc, to.index, `${name}:${toId}`)
    const changes = [...((await compareDefinitions(older, newer)) ?? [])].sort(
      (a, b) => ORDER[a.severity] - ORDER[b.severity] || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
    )
    const summary = { breaking: 0, compatible: 0, info: 0 }
    for (const c of changes) summary[c.severity]++
    const result: SchemaDiffResult = {
      name,
      from: { version: fromId, file: older.display },
      to: { version: toId, file: newer.display },
      changes,
      summary,
      compatible: summary.breaking === 0,
    }

    this.say(`${name} ${fromId} (${older.display}) → ${toId} (${newer.display})`)
    if (changes.length === 0) {
      this.say(older.hash === newer.hash ? 'no changes: both versions use identical definitions' : 'no structural changes')
      return result
    }
    this.say()
    for (const c of changes) {
      this.say(`${label(c.severity)}  ${c.message}  ${dim(`${c.file}:${c.line}:${c.column}`)}`)
      if (c.note) this.say(`            ${dim(`note: ${c.note}`)}`)
    }
    this.say()
    const verdict = summary.breaking === 0 ? `${toId} can read ${fromId} data (compatible)` : `${toId} is not compatible with ${fromId}`
    this.say(`${summary.breaking} breaking, ${summary.compatible} compatible, ${summary.info} info: ${verdict}`)
    return result
  }

  private async load(cache: DefinitionCache, doc: Parameters<DefinitionCache['forVersion']>[0], index: number, ref: string): Promise<Definition> {
    const def = await cache.forVersion(doc, index)
    if (!def) throw new SsmdError(`${ref} names no definition file`)
    if (def.problem) throw new SsmdError(`${ref}: ${def.problem.message}`)
    if (!def.parsed?.ok) throw notParsing(`${def.display} (${ref})`, def.parsed?.problems ?? [], 'fix it first (ssmd validate)')
    return def
  }
}
