/*
 * JSON (--json): {
 *   file: string, name: string, version: string,
 *   changed: boolean,                                   // false when the version already had these values (nothing written)
 *   changes: Array<{ path: string, from?: unknown, to?: unknown }>,   // `path` is a JSON Pointer
 *   compatibility: Array<{ with: string, checked: boolean, compatible?: boolean, breaking: CapnpChange[] }>,  // each claim added, as checked
 *   gaps: Array<{ first, last, before, after }>         // days between versions a date change left uncovered (a warning)
 * }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { changeText } from '../../lib/cli/output.js'
import { checkDateFlag } from '../../lib/core/dates.js'
import { UsageError } from '../../lib/core/errors.js'
import { parseSchemaRef, splitList } from '../../lib/domain/input.js'
import { claimNotes, type CompatibilityCheck } from '../../lib/domain/schema/add-version.js'
import { checkVersionList } from '../../lib/domain/schema/lifecycle.js'
import { planSchemaUpdateVersion, writeSchemaUpdateVersion } from '../../lib/domain/schema/update-version.js'
import { checkEffectiveTo, gapDays, type VersionGap } from '../../lib/domain/versions.js'
import type { Change } from '../../lib/yaml/changes.js'

const list = (flag: string, value: string | undefined): string[] | undefined => {
  if (value === undefined) return undefined
  const ids = checkVersionList(flag, splitList(value))
  if (ids.length === 0) throw new UsageError(`--${flag} is empty; list version ids, e.g. --${flag} v1,v2`)
  return ids
}

export default class SchemaUpdateVersion extends SsmdCommand<typeof SchemaUpdateVersion> {
  static override summary = "Change a schema version's compatibility claims, breaking-changes text or dates."
  static override description =
    'Changes only what the flags name; the rest of schemas/<name>.yaml stays as it is. Every compatibility claim the change adds is checked as schema add-version checks it (a structural compare for capnp) and a false one is refused, listing each breaking change, unless --force. Dates: a change that would make two versions share a day is refused; one that leaves days uncovered is written with a warning. The status has its own command (ssmd schema set-status).'
  static override examples = [
    { description: 'Claim compatibility with v1 and v2 (both checked)', command: '<%= config.bin %> schema update-version trade:v3 --compatible-with v1,v2' },
    { description: 'Drop one claim', command: '<%= config.bin %> schema update-version trade:v3 --remove-compatible-with v1' },
    { description: 'Record what breaks', command: '<%= config.bin %> schema update-version trade:v3 --breaking-changes "price is now Int64"' },
    { description: 'Make v2 open-ended again', command: '<%= config.bin %> schema update-version trade:v2 --no-effective-to' },
  ]
  static override args = {
    version: Args.string({ description: 'The version, as <schema>:<version> (e.g. trade:v3).', required: true }),
  }
  static override secretFreeInput = true
  static override flags = {
    'compatible-with': Flags.string({
      summary: 'Replace the compatibility claims: older versions this one can read, comma-separated (v1,v2); each new claim is checked.',
      exclusive: ['no-compatible-with', 'add-compatible-with', 'remove-compatible-with'],
    }),
    'add-compatible-with': Flags.string({ summary: 'Add compatibility claims, comma-separated; each is checked.', exclusive: ['no-compatible-with'] }),
    'remove-compatible-with': Flags.string({ summary: 'Drop compatibility claims, comma-separated.', exclusive: ['no-compatible-with'] }),
    'no-compatible-with': Flags.boolean({ summary: 'Drop every compatibility claim.' }),
    'breaking-changes': Flags.string({ summary: 'What breaks relative to the previous version.', exclusive: ['no-breaking-changes'] }),
    'no-breaking-changes': Flags.boolean({ summary: 'Remove the breaking_changes text.' }),
    'effective-from': Flags.string({ summary: 'First day the version applies (YYYY-MM-DD).' }),
    'effective-to': Flags.string({ summary: 'Last day the version applies (YYYY-MM-DD, inclusive).', exclusive: ['no-effective-to'] }),
    'no-effective-to': Flags.boolean({ summary: 'Make the version open-ended (remove its effective_to).' }),
    force: Flags.boolean({ summary: 'Record claims even when the check finds breaking changes or cannot run (with a warning).' }),
  }

  async run(): Promise<{
    file: string
    name: string
    version: string
    changed: boolean
    changes: Change[]
    compatibility: CompatibilityCheck[]
    gaps: Array<Omit<VersionGap, 'index'>>
  }> {
    const { name, version: id } = parseSchemaRef(this.args.version, { requireVersion: true })
    const f = this.flags
    const breakingChanges = f['breaking-changes']?.trim()
    if (f['breaking-changes'] !== undefined && !breakingChanges)
      throw new UsageError('--breaking-changes is empty; say what breaks, e.g. --breaking-changes "price is now Int64", or remove the text with --no-breaking-changes')
    const input = {
      compatibleWith: list('compatible-with', f['compatible-with']),
      addCompatibleWith: list('add-compatible-with', f['add-compatible-with']),
      removeCompatibleWith: list('remove-compatible-with', f['remove-compatible-with']),
      noCompatibleWith: f['no-compatible-with'],
      breakingChanges,
      noBreakingChanges: f['no-breaking-changes'],
      dates: {
        effective_from: f['effective-from'] === undefined ? undefined : checkDateFlag('effective-from', f['effective-from']),
        effective_to: f['effective-to'] === undefined ? undefined : checkEffectiveTo(f['effective-to'], true),
        clearEffectiveTo: f['no-effective-to'],
      },
      force: f.force,
    }
    const given = [input.compatibleWith, input.addCompatibleWith, input.removeCompatibleWith, breakingChanges, input.dates.effective_from, input.dates.effective_to]
    if (given.every(v => v === undefined) && !input.noCompatibleWith && !input.noBreakingChanges && !input.dates.clearEffectiveTo) {
      throw new UsageError(`nothing to change; pass at least one flag (see 'ssmd schema update-version --help')`)
    }
    const doc = this.workspace().get('schema', name)
    const plan = await planSchemaUpdateVersion(this.root(), doc, name, id, input)
    for (const line of claimNotes(id, plan.checks)) this.note(line)
    const changed = plan.ops.length > 0 && writeSchemaUpdateVersion(doc, plan)
    for (const g of plan.gaps) this.note(`warning: no version of schema '${name}' covers ${gapDays(g)} (between ${g.before} and ${g.after}) after this change`)
    const shown = this.shownPath(doc.file)
    if (changed) {
      for (const c of plan.changes)
        this.say(
          `${name}:${id}${changeText(c)
            .trim()
            .replace(/^\/versions\/\d+\//, ' ')}`,
        )
      const checked = plan.checks.compatibility.filter(c => c.checked && c.compatible).map(c => c.with)
      if (checked.length > 0) this.say(`compatible with ${checked.join(', ')} (checked)`)
      this.say(`wrote ${shown}`)
    } else this.say(`${shown} already has these values; nothing written`)
    return {
      file: doc.file,
      name,
      version: id,
      changed,
      changes: changed ? plan.changes : [],
      compatibility: plan.checks.compatibility,
      gaps: plan.gaps.map(({ index: _index, ...g }) => g),
    }
  }
}
