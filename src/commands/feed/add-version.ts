/*
 * JSON (--json): { file: string, name: string, version: string, copied_from: string,
 *                  entry: FeedVersion, closed?: { version: string, effective_to: string } }
 *   `entry` is the new version as written; `closed` is present when an open-ended
 *   earlier version was given an end date.
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { feedVersionFields, feedVersionFlags } from '../../lib/cli/flags.js'
import { planAddVersion, usableFeed, versionInput, type AddVersionPlan, type FeedVersion, insecureEndpointWarning } from '../../lib/domain/feed.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName, checkVersionId } from '../../lib/domain/input.js'
import type { FeedData } from '../../lib/spec/types.generated.js'

export default class FeedAddVersion extends SsmdCommand<typeof FeedAddVersion> {
  static override summary = 'Add the next version of a feed, copied from the latest (or --copy-from) version.'
  static override secretFreeInput = true
  static override description =
    'Appends v<N+1> starting --effective-from. Fields are copied from the latest version (or --copy-from) and any field flag overrides them. When the latest version is open-ended and would overlap, it is ended the day before the new one starts. Any other overlap is refused.'
  static override examples = [
    {
      description: 'A new endpoint from 1 September; the previous version ends the day before',
      command: '<%= config.bin %> feed add-version kalshi --effective-from 2025-09-01 --endpoint wss://api.kalshi.com/trade-api/ws/v3',
    },
    {
      description: 'Start from v1 instead of the latest version and change one field',
      command: '<%= config.bin %> feed add-version kalshi --effective-from 2025-09-01 --copy-from v1 --rate-limit 5',
    },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
  }
  static override flags = {
    'effective-from': Flags.string({ summary: 'First day the new version applies (YYYY-MM-DD).', required: true }),
    'copy-from': Flags.string({ summary: 'Version to copy fields from (default: the latest).' }),
    ...feedVersionFlags,
  }

  async run(): Promise<{ file: string; name: string; version: string; copied_from: string; entry: FeedVersion; closed?: { version: string; effective_to: string } }> {
    const name = checkName('feed', this.args.name)
    if (this.flags['copy-from'] !== undefined) checkVersionId('copy-from', this.flags['copy-from'])
    const input = versionInput(feedVersionFields(this.flags))
    const doc = this.workspace().get('feed', name)
    let plan: AddVersionPlan | undefined
    editDocument<FeedData>(doc.absPath, doc.file, data => {
      plan = planAddVersion(name, usableFeed(doc.file, data), input, this.flags['copy-from'])
      return plan.ops
    })
    const { entry, closed, copiedFrom } = plan!
    if (closed) this.say(`ended ${closed.version} on ${closed.effective_to}, the day before ${entry.version} starts`)
    this.say(`added ${entry.version} (from ${entry.effective_from}${entry.effective_to ? ` to ${entry.effective_to}` : ''}, copied from ${copiedFrom})`)
    this.say(`wrote ${this.shownPath(doc.file)}`)
    const insecure = insecureEndpointWarning(this.flags.endpoint)
    if (insecure !== undefined) this.note(insecure)
    return { file: doc.file, name, version: entry.version, copied_from: copiedFrom, entry, ...(closed ? { closed } : {}) }
  }
}
