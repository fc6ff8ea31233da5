/*
 * JSON (--json): { cleared: boolean, path: string }
 *   `cleared` is false when there was no cache; `path` is relative to the ssmd root.
 */
import { SsmdCommand } from '../../lib/cli/command.js'
import { clearCache } from '../../lib/workspace/cache.js'

export default class CacheClear extends SsmdCommand<typeof CacheClear> {
  static override summary = 'Delete the validation cache (.ssmd/cache).'
  static override description =
    'The cache only ever saves time: every entry is checked against the file it describes before it is used, and a damaged cache is ignored and rebuilt. Clearing it is safe; the next validate reads everything anew.'
  static override examples = [{ description: 'Start the next validation from scratch', command: '<%= config.bin %> cache clear' }]

  async run(): Promise<{ cleared: boolean; path: string }> {
    const cleared = clearCache(this.root())
    this.say(cleared ? 'removed .ssmd/cache' : 'no cache to remove (.ssmd/cache)')
    return { cleared, path: '.ssmd/cache' }
  }
}
