/**
 * The fleet's reader (import from 'ssmd/runtime' in a capture process): reads
 * a deployed environment from etcd, checks its digest, and watches for new
 * deploys and dated feed versions taking effect. docs/deploy.md describes it.
 *
 *   import { openEnvironment } from 'ssmd/runtime'
 *
 *   const reader = await openEnvironment('kalshi-prod') // endpoints, user, password, TLS from SSMD_ETCD_*
 *   for await (const env of reader.watch()) restartCapture(env.content)
 *
 * It loads the etcd client and nothing of the command line.
 */
export { DEFAULT_PREFIX, EnvironmentReader, ReaderError, openEnvironment } from './lib/runtime/reader.js'
export type { Environment, ReaderErrorCode, ReaderOptions, WatchOptions } from './lib/runtime/reader.js'
export { NoVersionInEffect, nextSwitch, resolveContent, resolveFeed } from './lib/runtime/content.js'
export type { DeploymentRecord, EnvironmentContent, FeedVersionFields, RenderedFeed, RenderedKey, RenderedSchedule, RenderedSchema } from './lib/runtime/content.js'
