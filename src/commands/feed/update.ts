/*
 * JSON (--json): { file: string, name: string, version: string, changed: boolean,
 *                  changes: Array<{ path: string, from?: unknown, to?: unknown }>,
 *                  gaps: Array<{ first, last, before, after }> }
 *   `version` is the version the version flags applied to; `path` is a JSON Pointer;
 *   `gaps` are the days between versions a date change left uncovered (a warning).
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { changeText } from '../../lib/cli/output.js'
import { feedRootFields, feedRootFlags, feedVersionFields, feedVersionFlags } from '../../lib/cli/flags.js'
import { UsageError } from '../../lib/core/errors.js'
import { checkStatusChange, planUpdate, rootInput, statusOptions, typeOptions, usableFeed, versionInput, type UpdatePlan, insecureEndpointWarning } from '../../lib/domain/feed.js'
import { feedReferrers } from '../../lib/domain/remove.js'
import { gapDays, type VersionGap } from '../../lib/domain/versions.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName, checkVersionId } from '../../lib/domain/input.js'
import { type Change } from '../../lib/yaml/changes.js'
import type { FeedData } from '../../lib/spec/types.generated.js'
import { FEED_DEFAULTS } from '../../lib/spec/defaults.js'

export default class FeedUpdate extends SsmdCommand<typeof FeedUpdate> {
  static override summary = 'Change fields of a feed or of one of its versions.'
  static override secretFreeInput = true
  static override description =
    "Changes only the fields given; everything else in the file (comments, order, formatting) stays as it is. Version fields apply to the latest version unless --version names another. Changing --type changes every version's protocol, so every endpoint must fit the new protocol. Dates: --effective-from and --effective-to move a version, --no-effective-to makes it open-ended; a change that would make two versions share a day is refused, one that leaves days uncovered is written with a warning. --status disabled is refused while environments use the feed (each listed as file:line) unless --force; --status deprecated warns with them."
  static override examples = [
    { description: 'Change the version in effect today', command: '<%= config.bin %> feed update kalshi --rate-limit 20' },
    { description: 'End an older version on a date', command: '<%= config.bin %> feed update kalshi --version v1 --effective-to 2024-12-31' },
    { description: 'Make a version open-ended again', command: '<%= config.bin %> feed update kalshi --version v2 --no-effective-to' },
    { description: 'Retire a feed', command: '<%= config.bin %> feed update kraken --status disabled --display-name "Kraken (retired)"' },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
  }
  static override flags = {
    version: Flags.string({ summary: 'Version to change (default: the latest).' }),
    type: Flags.string({ summary: "Kind of source; every version's protocol follows it.", options: typeOptions }),
    status: Flags.string({ summary: 'Lifecycle status.', options: statusOptions }),
    'effective-from': Flags.string({ summary: 'First day the version applies (YYYY-MM-DD).' }),
    ...feedRootFlags,
    ...feedVersionFlags,
    'no-effective-to': Flags.boolean({ summary: 'Make the version open-ended (remove its effective_to).', exclusive: ['effective-to'] }),
    force: Flags.boolean({ summary: 'Allow --status disabled while environments use the feed.' }),
  }

  async run(): Promise<{ file: string; name: string; version: string; changed: boolean; changes: Change[]; gaps: Array<Omit<VersionGap, 'index'>> }> {
    const name = checkName('feed', this.args.name)
    if (this.flags.version !== undefined) checkVersionId('version', this.flags.version)
    const root = rootInput(feedRootFields(this.flags))
    const input = versionInput({ ...feedVersionFields(this.flags), noEffectiveTo: this.flags['no-effective-to'] })
    if (Object.keys(input).length === 0 && Object.keys(root.calendar).length === 0 && root.display_name === undefined && root.type === undefined && root.status === undefined) {
      throw new UsageError(`nothing to change; pass at least one field flag (see 'ssmd feed update --help')`)
    }
    const ws = this.workspace()
    const doc = ws.get('feed', name)
    // Environments are read only for a status change: the lifecycle guard names them.
    const referrers = root.status === undefined ? [] : feedReferrers(ws, name)
    let plan: UpdatePlan | undefined
    let warning: string | undefined
    const { changed } = editDocument<FeedData>(doc.absPath, doc.file, data => {
      const feed = usableFeed(doc.file, data)
      warning = checkStatusChange(name, feed.status ?? FEED_DEFAULTS.status, root.status, referrers, this.flags.force)
      plan = planUpdate(name, feed, root, input, this.flags.version)
      return plan.ops
    })
    if (warning) this.note(warning)
    for (const g of plan!.gaps) this.note(`warning: no version of feed '${name}' covers ${gapDays(g)} (between ${g.before} and ${g.after}) after this change`)
    const shown = this.shownPath(doc.file)
    const insecure = insecureEndpointWarning(this.flags.endpoint)
    if (insecure !== undefined) this.note(insecure)
    if (changed) {
      this.say(`wrote ${shown}`)
      if (this.flags.verbose) for (const c of plan!.changes) this.say(changeText(c))
    } else this.say(`${shown} already has these values; nothing written`)
    const gaps = plan!.gaps.map(({ index: _index, ...g }) => g)
    return { file: doc.file, name, version: plan!.version, changed, changes: changed ? plan!.changes : [], gaps }
  }
}
