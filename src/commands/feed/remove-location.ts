/*
 * JSON (--json): { file: string, name: string, removed: { datacenter: string, provider?: string, region?: string }, remaining: number }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { planRemoveLocation, usableFeed, type CaptureLocation } from '../../lib/domain/feed.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import type { FeedData } from '../../lib/spec/types.generated.js'

export default class FeedRemoveLocation extends SsmdCommand<typeof FeedRemoveLocation> {
  static override summary = 'Remove a capture location from a feed.'
  static override description = 'Removing the last location removes the capture_locations key.'
  static override examples = [{ description: 'Stop capturing kalshi in nyc1', command: '<%= config.bin %> feed remove-location kalshi --datacenter nyc1' }]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
  }
  static override flags = {
    datacenter: Flags.string({ summary: 'Datacenter of the location to remove.', required: true }),
  }

  async run(): Promise<{ file: string; name: string; removed: CaptureLocation; remaining: number }> {
    const name = checkName('feed', this.args.name)
    const datacenter = checkName('datacenter', this.flags.datacenter)
    const doc = this.workspace().get('feed', name)
    let result: ReturnType<typeof planRemoveLocation> | undefined
    editDocument<FeedData>(doc.absPath, doc.file, data => {
      result = planRemoveLocation(name, usableFeed(doc.file, data), datacenter)
      return result.ops
    })
    this.say(`removed capture location ${datacenter}${result!.remaining === 0 ? ' (no locations left)' : ''}`)
    this.say(`wrote ${this.shownPath(doc.file)}`)
    return { file: doc.file, name, removed: result!.removed, remaining: result!.remaining }
  }
}
