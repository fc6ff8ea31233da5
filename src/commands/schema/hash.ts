/*
 * JSON (--json): {
 *   check: boolean,                 // --check: nothing written
 *   checked: number,                // versions whose file was hashed
 *   changed: Array<{ schema, version, file, stored, actual }>,   // hashes that differ from the file
 *   written: string[]               // metadata files rewritten (empty with --check)
 * }
 *   With --check and any difference, or when a definition file cannot be read, the command
 *   fails instead (exit 1, JSON { error: { code, message, exitCode } }).
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ConflictError, SsmdError, UsageError } from '../../lib/core/errors.js'
import { plural, pluralWord } from '../../lib/core/text.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import { definitionRef, hashFile, resolveDefinition } from '../../lib/domain/schema/files.js'
import { orderedVersions, usableSchema } from '../../lib/domain/schema/lifecycle.js'
import type { SchemaData } from '../../lib/spec/types.generated.js'
import type { SchemaDocument } from '../../lib/workspace/document.js'

export interface HashChange {
  schema: string
  version: string
  file: string
  stored: string
  actual: string
}

export interface SchemaHashResult {
  check: boolean
  checked: number
  changed: HashChange[]
  written: string[]
}

const short = (h: string) => (/^sha256:[0-9a-f]{64}$/.test(h) ? `${h.slice(0, 19)}…` : JSON.stringify(h))

export default class SchemaHash extends SsmdCommand<typeof SchemaHash> {
  static override summary = "Recompute the hash of every version's definition file."
  static override description =
    'Writes only the hashes that differ from the SHA-256 of the file now, leaving the rest of schemas/<name>.yaml as it is. With --check nothing is written and the command exits 1 when any hash differs (for CI).'
  static override examples = ['<%= config.bin %> schema hash trade', '<%= config.bin %> schema hash --all', '<%= config.bin %> schema hash --all --check']
  static override args = {
    name: Args.string({ description: 'Schema name (or --all).' }),
  }
  static override flags = {
    all: Flags.boolean({ summary: 'Every schema of the repository.' }),
    check: Flags.boolean({ summary: 'Write nothing; exit 1 when a stored hash differs from its file.' }),
  }

  async run(): Promise<SchemaHashResult> {
    if (this.args.name === undefined && !this.flags.all) throw new UsageError("name a schema or pass --all (e.g. 'ssmd schema hash trade' or 'ssmd schema hash --all')")
    if (this.args.name !== undefined && this.flags.all) throw new UsageError(`pass either a schema name or --all, not both`)
    const name = this.args.name === undefined ? undefined : checkName('schema', this.args.name)
    const root = this.root()
    const ws = this.workspace(['schema'])
    const docs: SchemaDocument[] = name === undefined ? ws.schemas : [ws.get('schema', name)]
    if (docs.length === 0) {
      this.say("No schemas yet. Register one with 'ssmd schema register <name> --file <definition>'.")
      return { check: this.flags.check, checked: 0, changed: [], written: [] }
    }

    const problems: string[] = []
    const changes = new Map<SchemaDocument, Array<HashChange & { index: number }>>()
    let checked = 0
    for (const doc of docs) {
      let schema: SchemaData
      try {
        schema = usableSchema(doc.file, doc.data, doc.problem)
      } catch (error) {
        problems.push((error as Error).message)
        continue
      }
      for (const { index, version: v } of orderedVersions(schema)) {
        const ref = definitionRef(schema, v)
        const where = `${doc.name}:${String(v.version)}`
        if (ref === undefined) {
          problems.push(`${where}: no schema_file`)
          continue
        }
        const resolved = resolveDefinition(root, ref)
        if (!resolved.abs) {
          problems.push(`${where}: ${resolved.problem?.message ?? `cannot read ${resolved.display}`}`)
          continue
        }
        const actual = hashFile(resolved.abs)
        checked++
        if (actual !== v.hash) {
          const list = changes.get(doc) ?? []
          list.push({ schema: doc.name, version: String(v.version), file: resolved.display, stored: String(v.hash ?? ''), actual, index })
          changes.set(doc, list)
        }
      }
    }
    if (problems.length > 0 && problems.length <= 3) throw new SsmdError(`${problems.join('; ')}; nothing written`)
    if (problems.length > 3) {
      throw new SsmdError(`${problems.length} problems (listed above) keep the hashes from being checked; fix them first (ssmd validate); nothing written`, {
        details: problems.map(p => `  ${p}`),
      })
    }

    const changed = [...changes.values()].flat()
    const plain = changed.map(({ index: _index, ...c }) => c)
    if (this.flags.check) {
      if (changed.length > 0) {
        for (const c of changed) this.say(`✗ ${c.schema}:${c.version}  ${c.file}  stored ${short(c.stored)}, file ${short(c.actual)}`)
        const fix = name === undefined ? 'ssmd schema hash --all' : `ssmd schema hash ${name}`
        throw new SsmdError(
          `${plural(changed.length, 'hash', 'hashes')} ${pluralWord(changed.length, 'does', 'do')} not match: ${changed.map(c => `${c.schema}:${c.version} (${c.file})`).join(', ')}; if the changes are intended, run '${fix}'`,
        )
      }
      this.say(`all ${plural(checked, 'hash', 'hashes')} match`)
      return { check: true, checked, changed: [], written: [] }
    }

    const written: string[] = []
    for (const [doc, list] of changes) {
      editDocument<SchemaData>(doc.absPath, doc.file, data => {
        const now = usableSchema(doc.file, data)
        return list.map(c => {
          if (now.versions[c.index]?.version !== c.version) throw new ConflictError(`${doc.file} changed while hashing; run the command again`)
          return { op: 'set' as const, path: ['versions', c.index, 'hash'], value: c.actual }
        })
      })
      for (const c of list) this.say(`${c.schema}:${c.version}  ${short(c.stored)} → ${short(c.actual)}  (${c.file})`)
      this.say(`wrote ${this.shownPath(doc.file)}`)
      written.push(doc.file)
    }
    if (changed.length === 0) this.say(`all ${plural(checked, 'hash', 'hashes')} up to date; nothing written`)
    return { check: false, checked, changed: plain, written }
  }
}
