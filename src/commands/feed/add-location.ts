/*
 * JSON (--json): { file: string, name: string, location: { datacenter: string, provider?: string, region?: string } }
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { UsageError } from '../../lib/core/errors.js'
import { hasControlChar } from '../../lib/core/text.js'
import { planAddLocation, usableFeed, type CaptureLocation } from '../../lib/domain/feed.js'
import { editDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import { compact } from '../../lib/yaml/changes.js'
import type { FeedData } from '../../lib/spec/types.generated.js'

export default class FeedAddLocation extends SsmdCommand<typeof FeedAddLocation> {
  static override summary = 'Add a capture location (where the feed is captured) to a feed.'
  static override secretFreeInput = true
  static override examples = [
    { description: 'Capture kalshi in AWS us-west-2 as well', command: '<%= config.bin %> feed add-location kalshi --datacenter aws-usw2 --provider aws --region us-west-2' },
    { description: 'An on-premises capture site', command: '<%= config.bin %> feed add-location kraken --datacenter nyc1 --provider onprem' },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name.', required: true }),
  }
  static override flags = {
    datacenter: Flags.string({ summary: 'Datacenter name, unique within the feed.', required: true }),
    provider: Flags.string({ summary: 'Hosting provider, e.g. onprem, aws, gcp.' }),
    region: Flags.string({ summary: 'Provider region, e.g. us-east-1.' }),
  }

  async run(): Promise<{ file: string; name: string; location: CaptureLocation }> {
    const name = checkName('feed', this.args.name)
    const datacenter = checkName('datacenter', this.flags.datacenter)
    for (const f of ['provider', 'region'] as const) {
      const v = this.flags[f]
      if (v !== undefined && (v.trim() === '' || hasControlChar(v))) throw new UsageError(`--${f} must be a non-empty single-line value`)
    }
    const location = compact({ datacenter, provider: this.flags.provider, region: this.flags.region }) as CaptureLocation
    const doc = this.workspace().get('feed', name)
    editDocument<FeedData>(doc.absPath, doc.file, data => planAddLocation(name, usableFeed(doc.file, data), location))
    this.say(`wrote ${this.shownPath(doc.file)}`)
    return { file: doc.file, name, location }
  }
}
