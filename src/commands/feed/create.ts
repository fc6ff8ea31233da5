/*
 * JSON (--json): { file: string, name: string, feed: FeedData }
 *   `feed` is the document as written (keys in file-format order).
 */
import { Args, Flags } from '@oclif/core'
import { join } from 'node:path'
import { SsmdCommand } from '../../lib/cli/command.js'
import { feedRootFields, feedRootFlags, feedVersionFields, feedVersionFlags } from '../../lib/cli/flags.js'
import { ConflictError } from '../../lib/core/errors.js'
import { newFeed, rootInput, typeOptions, versionInput, insecureEndpointWarning } from '../../lib/domain/feed.js'
import { createDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import type { FeedData } from '../../lib/spec/types.generated.js'

export default class FeedCreate extends SsmdCommand<typeof FeedCreate> {
  static override summary = 'Create a feed file with its first version, v1.'
  static override secretFreeInput = true
  static override description =
    'Writes feeds/<name>.yaml. The protocol of v1 follows the type (websocket→wss, rest→https, multicast→multicast) and the endpoint must fit it. The version starts today (UTC) unless --effective-from says otherwise. Refuses to overwrite an existing feed.'
  static override examples = [
    {
      description: 'A WebSocket feed that authenticates with an API key',
      command: '<%= config.bin %> feed create kalshi --type websocket --endpoint wss://api.kalshi.com/trade-api/ws/v2 --auth-method api_key',
    },
    {
      description: 'A REST feed limited to one request a second, without trades',
      command: '<%= config.bin %> feed create kraken --type rest --endpoint https://api.kraken.com/0/public --rate-limit 1 --no-supports-trades',
    },
    {
      description: 'A multicast feed with its trading calendar',
      command:
        '<%= config.bin %> feed create cme --type multicast --endpoint udp://239.1.2.3:5000 --timezone America/Chicago --holiday-calendar us_equity --open-time 08:30 --close-time 15:00',
    },
  ]
  static override args = {
    name: Args.string({ description: 'Feed name (lowercase letters, digits, - and _).', required: true }),
  }
  static override flags = {
    type: Flags.string({ summary: 'Kind of source; decides the protocol.', options: typeOptions, required: true }),
    'effective-from': Flags.string({ summary: 'First day v1 applies (YYYY-MM-DD; default today, UTC).' }),
    ...feedRootFlags,
    ...feedVersionFlags,
    endpoint: Flags.string({ summary: feedVersionFlags.endpoint.summary, required: true }),
  }

  async run(): Promise<{ file: string; name: string; feed: FeedData }> {
    const name = checkName('feed', this.args.name)
    const root = rootInput(feedRootFields(this.flags))
    const version = versionInput(feedVersionFields(this.flags))
    const feed = newFeed(name, this.flags.type as FeedData['type'], root, version)
    const ws = this.workspace()
    const existing = ws.find('feed', name)
    if (existing) throw new ConflictError(`feed '${name}' already exists (${existing.file}); change it with 'ssmd feed update ${name}'`)
    const file = `feeds/${name}.yaml`
    const abs = join(ws.root, file)
    createDocument(abs, file, feed as unknown as Record<string, unknown>)
    this.say(`wrote ${this.shownPath(file)}`)
    const insecure = insecureEndpointWarning(this.flags.endpoint)
    if (insecure !== undefined) this.note(insecure)
    return { file, name, feed }
  }
}
