/*
 * JSON (--json): { cleared: boolean, path: string }
 *   `cleared` is false when there was no cache; `path` is relative to the ssmd
 *   root (absolute for a --cache-location outside it).
 */
import { Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { cacheDir, cacheLocation, clearCache, portablePath } from '../../lib/workspace/cache.js'

export default class CacheClear extends SsmdCommand<typeof CacheClear> {
  static override summary = 'Delete the validation cache (.ssmd/cache).'
  static override description =
    'The cache only ever saves time: every entry is checked against the file it describes before it is used, and a damaged cache is ignored and rebuilt. Clearing it is safe; the next validate reads everything anew. With --cache-location (or SSMD_CACHE_LOCATION) only the cache file in that folder is removed, not the folder.'
  static override examples = [
    { description: 'Start the next validation from scratch', command: '<%= config.bin %> cache clear' },
    { description: 'Clear a cache kept elsewhere', command: '<%= config.bin %> cache clear --cache-location ~/.cache/ssmd' },
  ]
  static override flags = {
    'cache-location': Flags.string({ summary: 'The folder the cache is kept in (default: .ssmd/cache; or SSMD_CACHE_LOCATION).' }),
  }

  async run(): Promise<{ cleared: boolean; path: string }> {
    const root = this.root()
    const dir = cacheLocation(root, this.flags['cache-location'])
    const cleared = clearCache(root, dir)
    const path = dir === cacheDir(root) ? '.ssmd/cache' : portablePath(root, dir)
    this.say(cleared ? `removed ${path}` : `no cache to remove (${path})`)
    return { cleared, path }
  }
}
