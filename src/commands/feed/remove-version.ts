/*
 * JSON (--json): {
 *   file: string, name: string, version: string, forced: boolean,
 *   referrers: Array<{ file, line, column, text }>,        // environments using the feed while the version is in effect (only with --force)
 *   reopened?: { version: string, effective_to: string },  // the previous version, open-ended again; effective_to is the end it had
 *   gaps: Array<{ first, last, before, after }>            // days no version covers once it is gone
 * }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { todayUtc } from '../../lib/core/dates.js'
import { checkName, checkVersionId } from '../../lib/domain/input.js'
import { findVersion, planRemoveVersion, usableFeed, type RemoveVersionPlan } from '../../lib/domain/feed.js'
import { feedReferrers, referrerList, type Referrer } from '../../lib/domain/remove.js'
import { ConflictError } from '../../lib/core/errors.js'
import { plural, pluralWord } from '../../lib/core/text.js'
import { gapDays, resolveVersionForDate, type VersionGap } from '../../lib/domain/versions.js'
import { editDocument } from '../../lib/workspace/files.js'
import type { FeedData } from '../../lib/spec/types.generated.js'

export default class FeedRemoveVersion extends SsmdCommand<typeof FeedRemoveVersion> {
  static override summary = 'Remove one version of a feed.'
  static override description =
    "Deletes the version's entry from feeds/<name>.yaml. When it was the latest version and the previous one ended the day before it started (as feed add-version leaves it), the previous version is made open-ended again, and the output says so. Refuses to remove the version in effect today while environments use the feed (each one is listed as file:line); --force removes it anyway. The last version cannot be removed: remove the feed instead (ssmd feed remove)."
  static override examples = [
    { description: 'Undo an add-version: v2 goes, v1 is open-ended again', command: '<%= config.bin %> feed remove-version kalshi v2' },
    { description: 'Remove the version in effect although environments use the feed', command: '<%= config.bin %> feed remove-version kalshi v2 --force' },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
    version: Args.string({ description: 'The version to remove (e.g. v2).', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ summary: 'Remove the version in effect today even while environments use the feed.' }),
  }

  async run(): Promise<{
    file: string
    name: string
    version: string
    forced: boolean
    referrers: Referrer[]
    reopened?: { version: string; effective_to: string }
    gaps: Array<Omit<VersionGap, 'index'>>
  }> {
    const name = checkName('feed', this.args.name)
    const id = checkVersionId('version', this.args.version)
    const ws = this.workspace()
    const doc = ws.get('feed', name)
    const feed = usableFeed(doc.file, doc.data)
    const { version } = findVersion(name, feed, id)
    // Environments use a feed through the version in effect: removing that one changes what they deploy.
    const today = todayUtc()
    const inEffect = resolveVersionForDate(feed.versions, today) === version
    const referrers = inEffect ? feedReferrers(ws, name) : []
    const then = resolveVersionForDate(planRemoveVersion(name, feed, id).remaining, today)?.version
    if (referrers.length > 0 && !this.flags.force) {
      throw new ConflictError(
        `${name} ${id} is the version in effect today (${today}) and ${plural(referrers.length, 'environment')} ${pluralWord(referrers.length, 'uses', 'use')} feed '${name}' (${referrerList(referrers)}); without it they would deploy ${then ?? 'no version at all'}; add its replacement first (ssmd feed add-version ${name} --effective-from <date>), or pass --force to remove it anyway`,
      )
    }
    // Inside the lock the file is read again: the plan is made on what is there now.
    let plan: RemoveVersionPlan | undefined
    editDocument<FeedData>(doc.absPath, doc.file, data => {
      plan = planRemoveVersion(name, usableFeed(doc.file, data), id)
      return plan.ops
    })
    const { reopened, gaps } = plan!
    if (reopened) {
      this.say(
        `reopened ${reopened.version} (it ended ${reopened.effective_to}, the day before ${id} started); to keep that end: ssmd feed update ${name} --version ${reopened.version} --effective-to ${reopened.effective_to}`,
      )
    }
    this.say(`removed ${name} ${id} from ${this.shownPath(doc.file)}`)
    for (const g of gaps) this.note(`warning: no version of feed '${name}' covers ${gapDays(g)} (between ${g.before} and ${g.after}) now`)
    if (referrers.length > 0)
      this.note(`warning: ${referrerList(referrers)} now deploy ${resolveVersionForDate(plan!.remaining, today)?.version ?? 'no version at all'} (${id} was in effect today)`)
    return {
      file: doc.file,
      name,
      version: id,
      forced: referrers.length > 0,
      referrers,
      ...(reopened ? { reopened: { version: reopened.version, effective_to: reopened.effective_to } } : {}),
      gaps: gaps.map(({ index: _index, ...g }) => g),
    }
  }
}
