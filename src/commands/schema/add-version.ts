/*
 * JSON (--json): {
 *   file: string,                       // schemas/<name>.yaml
 *   name: string,
 *   version: string,                    // the new version id
 *   entry: { version, effective_from, status, schema_file, hash, compatible_with?, breaking_changes? },
 *   closed?: { version: string, effective_to: string },   // an open-ended earlier version given an end date
 *   copied?: { from: string, to: string },                // the definition copied into schemas/
 *   compatibility: Array<{ with: string, checked: boolean, compatible?: boolean, breaking: CapnpChange[] }>,
 *   previous?: { version: string, checked: boolean, breaking: CapnpChange[] }   // compare with the previous version
 * }
 *   `checked` is false when no structural compare was possible (not capnp); `compatible` is
 *   false only when --force recorded a claim that does not hold.
 */
import { Args, Flags } from '@oclif/core'
import type { CapnpChange } from '../../lib/capnp/index.js'
import { notParsing } from '../../lib/domain/schema/parse.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { checkDateFlag } from '../../lib/core/dates.js'
import { ConflictError, SsmdError, UsageError } from '../../lib/core/errors.js'
import { plural } from '../../lib/core/text.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName, splitList } from '../../lib/domain/input.js'
import { compareDefinitions, DefinitionCache, type Definition } from '../../lib/domain/schema/definitions.js'
import { FORMAT_BY_EXTENSION } from '../../lib/domain/schema/files.js'
import {
  checkVersionList,
  findSchemaVersion,
  installIncoming,
  locateIncoming,
  orderedEntry,
  parseIncoming,
  planDates,
  statusOptions,
  uninstallIncoming,
  usableSchema,
  versionsUsingRef,
  type SchemaStatus,
  type SchemaVersion,
} from '../../lib/domain/schema/lifecycle.js'
import type { SchemaData } from '../../lib/spec/types.generated.js'
import { latestVersion, nextVersionId, versionNumber } from '../../lib/domain/versions.js'
import { extname } from 'node:path'

export interface CompatibilityCheck {
  with: string
  checked: boolean
  compatible?: boolean
  breaking: CapnpChange[]
}

export interface SchemaAddVersionResult {
  file: string
  name: string
  version: string
  entry: SchemaVersion
  closed?: { version: string; effective_to: string }
  copied?: { from: string; to: string }
  compatibility: CompatibilityCheck[]
  previous?: { version: string; checked: boolean; breaking: CapnpChange[] }
}

const changeLine = (c: CapnpChange) => `  ${c.file}:${c.line}:${c.column}  ${c.message}`

export default class SchemaAddVersion extends SsmdCommand<typeof SchemaAddVersion> {
  static override summary = 'Add the next version of a schema, with its own definition file.'
  static override description =
    'Appends v<N+1> with its own schema_file and hash. The file must parse; a file outside schemas/ is copied in. When the previous version is open-ended it is ended the day before the new one starts; any other overlap is refused. Each --compatible-with claim is checked by a structural compare (capnp) and a false one is refused, listing each breaking change, unless --force.'
  static override examples = [
    '<%= config.bin %> schema add-version trade --file trade-v3.capnp --effective-from 2025-09-01 --compatible-with v1,v2',
    '<%= config.bin %> schema add-version trade --file trade-v3.capnp --effective-from 2025-09-01 --breaking-changes "price is now fixed-point Int64"',
    '<%= config.bin %> schema add-version trade --file trade-v3.capnp --effective-from 2025-09-01 --status active',
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
    force: Flags.boolean({ summary: 'Record --compatible-with claims even when the check finds breaking changes (with a warning).' }),
  }

  async run(): Promise<SchemaAddVersionResult> {
    const name = checkName('schema', this.args.name)
    const effectiveFrom = checkDateFlag('effective-from', this.flags['effective-from'])
    const claims = this.flags['compatible-with'] === undefined ? [] : checkVersionList('compatible-with', splitList(this.flags['compatible-with']))
    if (this.flags['compatible-with'] !== undefined && claims.length === 0) throw new UsageError('--compatible-with is empty; list version ids, e.g. --compatible-with v1,v2')
    const breakingText = this.flags['breaking-changes']?.trim()
    if (this.flags['breaking-changes'] !== undefined && !breakingText)
      throw new UsageError('--breaking-changes is empty; say what breaks, e.g. --breaking-changes "price is now Int64"')
    const root = this.root()
    const doc = this.workspace(['schema']).get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    const format = schema.format
    const extFormat = FORMAT_BY_EXTENSION[extname(this.flags.file).toLowerCase()]
    if (extFormat !== undefined && extFormat !== format) throw new UsageError(`--file ${this.flags.file} looks like ${extFormat}, but schema '${name}' is ${format}`)

    const id = nextVersionId(schema.versions)
    for (const claim of claims) {
      const known = schema.versions.some(v => v?.version === claim)
      if (!known) findSchemaVersion(name, schema, claim)
      if (!(versionNumber(claim) < versionNumber(id))) throw new SsmdError(`--compatible-with ${claim} is not older than ${id}`)
    }
    const dates = planDates(name, schema.versions, { version: id, effective_from: effectiveFrom })

    const inc = locateIncoming(root, this.flags.file)
    const users = versionsUsingRef(schema, inc.ref)
    if (users.length > 0) {
      throw new ConflictError(
        `${inc.display} is already the definition of ${users.join(', ')}; give ${id} its own file (e.g. schemas/${name}-${id}${extname(inc.ref)}) so older versions keep theirs`,
      )
    }
    const def = await parseIncoming(root, inc, format)
    if (!def.parsed?.ok) throw notParsing(inc.shown, def.parsed?.problems ?? [], 'nothing written', format)

    // Each claim must hold; the previous version is compared too, for the breaking_changes hint.
    const cache = new DefinitionCache(root)
    const compatibility: CompatibilityCheck[] = []
    const refused: string[] = []
    for (const claim of claims) {
      const check = await this.compare(doc, schema, claim, def, cache)
      if (check.problem) {
        if (!this.flags.force) throw new SsmdError(`cannot check --compatible-with ${claim}: ${check.problem}; fix it, drop the claim, or pass --force`)
        this.note(`warning: --compatible-with ${claim} not checked: ${check.problem}`)
        compatibility.push({ with: claim, checked: false, breaking: [] })
        continue
      }
      compatibility.push({ with: claim, checked: check.checked, ...(check.checked ? { compatible: check.breaking.length === 0 } : {}), breaking: check.breaking })
      if (check.breaking.length > 0) refused.push(claim)
    }
    if (format !== 'capnp' && claims.length > 0) this.note(`note: --compatible-with not checked: structural compare is only available for capnp (this schema is ${format})`)
    for (const claim of refused) {
      const { breaking } = compatibility.find(c => c.with === claim)!
      const head = `${id} is not compatible with ${claim}: ${plural(breaking.length, 'breaking change')}`
      if (this.flags.force) {
        this.note(`warning: ${head}; recorded anyway because of --force`)
        for (const c of breaking) this.note(changeLine(c))
      } else {
        process.stderr.write(`${head}:\n`)
        for (const c of breaking) process.stderr.write(changeLine(c) + '\n')
      }
    }
    if (refused.length > 0 && !this.flags.force) {
      throw new SsmdError(`${id} is not compatible with ${refused.join(', ')} (breaking changes above); fix the definition, drop the claim, or pass --force; nothing written`)
    }

    let previous: SchemaAddVersionResult['previous']
    const prev = latestVersion(schema.versions.filter(v => v && typeof v.version === 'string'))
    if (prev) {
      const check = await this.compare(doc, schema, prev.version, def, cache)
      previous = { version: prev.version, checked: check.checked && !check.problem, breaking: check.breaking }
      if (check.breaking.length > 0 && !breakingText) {
        this.note(
          `warning: ${id} breaks compatibility with ${prev.version} (${plural(check.breaking.length, 'breaking change')}, first: ${check.breaking[0].message}); describe it with --breaking-changes "…"`,
        )
      }
    }

    const entry = orderedEntry({
      version: id,
      effective_from: effectiveFrom,
      status: this.flags.status as SchemaStatus,
      schema_file: inc.ref,
      hash: inc.hash,
      compatible_with: claims.length > 0 ? claims : undefined,
      breaking_changes: breakingText,
    })
    const created = installIncoming(inc)
    try {
      editDocument<SchemaData>(doc.absPath, doc.file, data => {
        const now = usableSchema(doc.file, data)
        if (nextVersionId(now.versions) !== id)
          throw new ConflictError(`${doc.file} changed while ${id} was being added (it now has ${now.versions.map(v => v.version).join(', ')}); run the command again`)
        const plan = planDates(name, now.versions, { version: id, effective_from: effectiveFrom })
        return [
          ...(plan.closed ? [{ op: 'set' as const, path: ['versions', plan.closed.index, 'effective_to'], value: plan.closed.effective_to }] : []),
          { op: 'append' as const, path: ['versions'], value: entry },
        ]
      })
    } catch (error) {
      uninstallIncoming(inc, created)
      throw error
    }

    const closed = dates.closed ? { version: dates.closed.version, effective_to: dates.closed.effective_to } : undefined
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
      ...(closed ? { closed } : {}),
      ...(created ? { copied: { from: inc.shown, to: inc.display } } : {}),
      compatibility,
      ...(previous ? { previous } : {}),
    }
  }

  /** Breaking changes from version `older` to the new definition; `checked` false when the format has no structural compare. */
  private async compare(
    doc: Parameters<DefinitionCache['forVersion']>[0],
    schema: SchemaData,
    older: string,
    newer: Definition,
    cache: DefinitionCache,
  ): Promise<{ checked: boolean; breaking: CapnpChange[]; problem?: string }> {
    if (schema.format !== 'capnp') return { checked: false, breaking: [] }
    const { index } = findSchemaVersion(schema.name ?? doc.name, schema, older)
    const old = await cache.forVersion(doc, index)
    if (!old) return { checked: false, breaking: [], problem: `${older} names no definition file` }
    if (old.problem) return { checked: false, breaking: [], problem: old.problem.message }
    if (!old.parsed?.capnp) return { checked: false, breaking: [], problem: `${old.display} (${older}) does not parse (ssmd validate)` }
    const changes = await compareDefinitions(old, newer)
    return { checked: true, breaking: (changes ?? []).filter(c => c.severity === 'breaking') }
  }
}
