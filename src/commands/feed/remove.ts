/*
 * JSON (--json): { file: string, name: string, forced: boolean, referrers: Array<{ file, line, column, text }> }
 *   `referrers` are the environments still using the feed (non-empty only with --force).
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { displayPath } from '../../lib/cli/output.js'
import { checkName } from '../../lib/domain/input.js'
import { feedReferrers, refuseIfReferred, referrerList, removeFileLocked, type Referrer } from '../../lib/domain/remove.js'

export default class FeedRemove extends SsmdCommand<typeof FeedRemove> {
  static override summary = 'Remove a feed file.'
  static override description =
    'Deletes feeds/<name>.yaml. Refuses while an environment uses the feed (each one is listed as file:line); --force removes it anyway and leaves those environments pointing at a missing feed, which validate reports. Commit the removal with ssmd commit.'
  static override examples = [
    { description: 'Remove a feed nothing uses any more', command: '<%= config.bin %> feed remove kraken' },
    { description: 'Remove it although environments still use it', command: '<%= config.bin %> feed remove kalshi --force' },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ summary: 'Remove even while environments use the feed.' }),
  }

  async run(): Promise<{ file: string; name: string; forced: boolean; referrers: Referrer[] }> {
    const name = checkName('feed', this.args.name)
    const ws = this.workspace()
    const doc = ws.get('feed', name)
    const referrers = feedReferrers(ws, name)
    refuseIfReferred(`feed '${name}'`, referrers, this.flags.force, `point them at another feed (ssmd env update <env> --feed <feed>) or remove them (ssmd env remove <env>)`)
    removeFileLocked(doc.absPath, doc.file)
    this.say(`removed ${displayPath(doc.absPath, doc.file)}`)
    if (referrers.length > 0) this.note(`warning: still used by ${referrerList(referrers)}; 'ssmd validate' reports them until they change`)
    return { file: doc.file, name, forced: referrers.length > 0, referrers }
  }
}
