/*
 * JSON (--json): {
 *   check: boolean,                 // --check: nothing written
 *   checked: number,                // versions whose file was hashed
 *   changed: Array<{ schema, version, file, stored, actual }>,   // hashes that differ from the file
 *   written: string[]               // metadata files rewritten (empty with --check)
 * }
 *   With --check and any difference, or when a definition file cannot be read, the command
 *   fails instead (exit 1, JSON { error: { code, message, exit_code } }); so does a changed
 *   hash of an active or deprecated version without --force.
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { ConflictError, SsmdError, UsageError } from '../../lib/core/errors.js'
import { plural, pluralWord } from '../../lib/core/text.js'
import { checkName } from '../../lib/domain/input.js'
import { guardedChanges, scanHashes, writeHashes, type HashChange } from '../../lib/domain/schema/hash.js'
import type { SchemaDocument } from '../../lib/workspace/document.js'

export type { HashChange }

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
    'Writes only the hashes that differ from the SHA-256 of the file now, leaving the rest of schemas/<name>.yaml as it is. A draft is re-hashed freely; an active or deprecated version whose file changed is refused (consumers were deployed with its recorded definition: add the change as a new version with schema add-version) unless --force. With --check nothing is written and the command exits 1 when any hash differs (for CI).'
  static override examples = [
    { description: "Recompute the hashes of one schema's versions", command: '<%= config.bin %> schema hash trade' },
    { description: 'Of every schema', command: '<%= config.bin %> schema hash --all' },
    { description: 'Only check them (exit 1 on a mismatch), e.g. in CI', command: '<%= config.bin %> schema hash --all --check' },
  ]
  static override args = {
    name: Args.string({ description: 'Schema name (or --all).' }),
  }
  static override flags = {
    all: Flags.boolean({ summary: 'Every schema of the repository.' }),
    check: Flags.boolean({ summary: 'Write nothing; exit 1 when a stored hash differs from its file.' }),
    force: Flags.boolean({ summary: 'Re-hash active and deprecated versions too (their definition changed in place).', exclusive: ['check'] }),
  }

  async run(): Promise<SchemaHashResult> {
    if (this.args.name === undefined && !this.flags.all) throw new UsageError("name a schema or pass --all (e.g. 'ssmd schema hash trade' or 'ssmd schema hash --all')")
    if (this.args.name !== undefined && this.flags.all) throw new UsageError(`pass either a schema name or --all, not both`)
    const name = this.args.name === undefined ? undefined : checkName('schema', this.args.name)
    const root = this.root()
    const ws = this.workspace()
    const docs: SchemaDocument[] = name === undefined ? ws.schemas : [ws.get('schema', name)]
    if (docs.length === 0) {
      this.say("No schemas yet. Register one with 'ssmd schema register <name> --file <definition>'.")
      return { check: this.flags.check, checked: 0, changed: [], written: [] }
    }

    const { checked, changes } = scanHashes(root, docs)

    const changed = [...changes.values()].flat()
    const plain = changed.map(({ index: _index, status: _status, ...c }) => c)
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

    const guarded = guardedChanges(changed)
    if (guarded.length > 0 && !this.flags.force) {
      const which = guarded.map(c => `${c.schema}:${c.version} (${String(c.status)}, ${c.file}: stored ${short(c.stored)}, file ${short(c.actual)})`).join(', ')
      const one = guarded.length === 1
      throw new ConflictError(
        `${which} ${one ? 'no longer matches its' : 'no longer match their'} recorded hash; consumers deployed with ${one ? 'that version' : 'those versions'} read data by the recorded definition, so changing it in place breaks them: restore the file and add the change as a new version (ssmd schema add-version ${guarded[0].schema} --file <new file> --effective-from <date>), or pass --force to re-hash anyway; nothing written`,
      )
    }
    for (const c of guarded) this.note(`warning: re-hashed ${String(c.status)} ${c.schema}:${c.version} (--force); consumers deployed with it still expect the old definition`)
    const written: string[] = []
    for (const [doc, list] of changes) {
      writeHashes(doc, list)
      for (const c of list) this.say(`${c.schema}:${c.version}  ${short(c.stored)} → ${short(c.actual)}  (${c.file})`)
      this.say(`wrote ${this.shownPath(doc.file)}`)
      written.push(doc.file)
    }
    if (changed.length === 0) this.say(`all ${plural(checked, 'hash', 'hashes')} up to date; nothing written`)
    return { check: false, checked, changed: plain, written }
  }
}
