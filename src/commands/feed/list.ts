import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { todayUtc } from '../../lib/core/dates.js'
import { FEED_STATUSES } from '../../lib/spec/enums.js'
import { FEED_DEFAULTS } from '../../lib/spec/defaults.js'
import type { FeedData } from '../../lib/spec/types.generated.js'
import { table } from '../../lib/cli/style.js'
import { latestVersion, resolveVersionForDate } from '../../lib/domain/versions.js'

export interface FeedListItem {
  name: string
  file: string
  type?: string
  status?: string
  versions: number
  current_version?: string
  endpoint?: string
  error?: string
}

export default class FeedList extends SsmdCommand<typeof FeedList> {
  static override lightStart = true
  static override summary = 'List feeds.'
  static override examples = [
    { description: 'All feeds with their type, status and number of versions', command: '<%= config.bin %> feed list' },
    { description: 'Only active feeds, with their current endpoint', command: '<%= config.bin %> feed list --status active -v' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> feed list --json' },
  ]
  static override flags = {
    status: Flags.string({ summary: 'Only feeds with this status.', options: [...FEED_STATUSES] }),
  }

  async run(): Promise<FeedListItem[]> {
    const ws = this.workspace()
    const today = todayUtc()
    const items: FeedListItem[] = []
    for (const doc of ws.feeds) {
      if (!doc.isObject) {
        items.push({ name: doc.name, file: doc.file, versions: 0, error: doc.problem?.message ?? 'not a feed document' })
        continue
      }
      const feed = doc.data as FeedData
      const versions = Array.isArray(feed.versions) ? feed.versions : []
      const current = resolveVersionForDate(versions, today) ?? latestVersion(versions)
      const status = feed.status ?? FEED_DEFAULTS.status
      if (this.flags.status && status !== this.flags.status) continue
      items.push({ name: doc.name, file: doc.file, type: feed.type, status, versions: versions.length, current_version: current?.version, endpoint: current?.endpoint })
    }
    if (items.length === 0) {
      this.say(this.flags.status ? `No ${this.flags.status} feeds.` : "No feeds yet. Create one with 'ssmd feed create <name> --type websocket --endpoint wss://…'.")
      return items
    }
    const headers = ['NAME', 'TYPE', 'STATUS', 'VERSIONS', ...(this.flags.verbose ? ['ENDPOINT'] : [])]
    this.say(
      table(
        headers,
        items.map(i => [i.name, i.type ?? '?', i.error ? 'invalid' : (i.status ?? ''), String(i.versions), ...(this.flags.verbose ? [i.endpoint ?? ''] : [])]),
        { flex: [4] },
      ),
    )
    for (const i of items) if (i.error) this.note(`warning: ${i.file}: ${i.error} (run 'ssmd validate')`)
    return items
  }
}
