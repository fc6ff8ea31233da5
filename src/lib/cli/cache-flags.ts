/*
 * The validation cache's flags, shared by validate and commit (each declares
 * --cache/--no-cache itself). A module of its own: commit loads it at start-up
 * and must not pay for the other shared flags' imports.
 */
import { Flags } from '@oclif/core'

export const cacheFlags = {
  'cache-strategy': Flags.string({
    summary: 'How a cached file is proven unchanged: metadata (stat data, else its content) or content (always its content).',
    options: ['metadata', 'content'],
    default: 'metadata',
  }),
  'cache-location': Flags.string({
    summary: 'Folder to keep the validation cache in, e.g. a CI cache folder (default: .ssmd/cache; or SSMD_CACHE_LOCATION).',
  }),
}
