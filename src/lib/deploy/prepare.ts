/** Load, validate and render environments: what `env render`, `deploy` and `deploy status` share. */
import { SsmdError, UsageError } from '../core/errors.js'
import { boundHeapGrowth } from '../core/heap.js'
import { checkName } from '../domain/input.js'
import type { PackSource, PolicySeverity } from '../validate/engine.js'
import type { InstalledPlugin } from '../validate/plugins.js'
import { cacheLocation, DocumentCache } from '../workspace/cache.js'
import { IndexBlobIds } from '../git/blob-ids.js'
import { listYamlFiles, type Workspace } from '../workspace/workspace.js'
import { involvedErrors, notValidError } from './check.js'
import { feedSameOn, involvedFiles, loadInvolved, newRenderCache, renderReleasing, type Rendering } from './render.js'
import type { Recordable } from './unchanged.js'

/** From this many environments on, the validation cache is read. */
const CACHE_FROM = 16

export interface Validation {
  /** ssmd's own rule packs (run in-process). */
  packs: PackSource[]
  /** Third-party plugins, each run in its own sandboxed process. */
  plugins?: readonly InstalledPlugin[]
  installedPlugins: readonly string[]
  /** Rule severities the team policy (ssmd.yaml) sets, read from the workspace. */
  policyOf: (ws: Workspace) => Record<string, PolicySeverity>
}

/** Every environment name of the repository, sorted. */
export function allEnvironments(root: string): string[] {
  return listYamlFiles(root, 'environments').map(([name]) => name)
}

/** An environment that validated but cannot be rendered (no feed version in effect on the date…): why, in one line. */
export interface RenderFailure {
  name: string
  /** What is wrong and how to fix it, without the environment's name. */
  message: string
  /** The error code (`no-version`, `not-found`…). */
  code: string
}

/**
 * Environments validated and ready to render, one at a time: the renderings
 * of a fleet would not fit in memory at once, so deploy and status render each
 * environment when they come to it (feed and schema renderings are shared).
 */
export interface Prepared {
  names: string[]
  /** The files each environment is made of (environment, feed, schema metadata, definition), by index. */
  files: string[][]
  /** Renders environment `i`. */
  render(i: number): Rendering
  /** What tells, without rendering it, that environment `i` renders what its deploy record describes (see RecordCheck). */
  recordable(i: number): Recordable
}

/**
 * Validates the documents `names` are made of, for rendering as of `asOf`.
 * Refuses (one error line) when any of those documents has an error. With
 * `keepCache` (every environment of the repository is named), the validation
 * cache is written back; otherwise it is only read, so that a deploy of a few
 * environments does not shrink it.
 */
export async function validateForRender(root: string, names: string[], asOf: string, validation: Validation, options: { keepCache?: boolean } = {}): Promise<Prepared> {
  // Each environment is at least one document, held for the whole run.
  boundHeapGrowth(names.length)
  // Many environments: take unchanged files from the validation cache (worth its loading cost only then), or all of them: keep it up to date.
  const documents = names.length > CACHE_FROM || options.keepCache ? new DocumentCache(root, { location: cacheLocation(root), blobIds: () => IndexBlobIds.open(root) }) : undefined
  const { ws, involved } = loadInvolved(root, names, documents)
  const errors = await involvedErrors(ws, validation.packs, { policy: validation.policyOf(ws), installedPlugins: validation.installedPlugins, plugins: validation.plugins })
  // Every environment validated: the cache is kept up to date as `ssmd validate` keeps it (the next run finds it warm).
  if (options.keepCache) documents?.save()
  if (errors.length > 0) {
    const what = names.length === 1 ? `environment '${names[0]}'` : `the ${names.length} environments`
    throw notValidError(what, names.length !== 1, errors)
  }
  const cache = newRenderCache()
  const files = involved.map(inv => involvedFiles(inv, cache))
  const feedsOn = new Map<string, string | null>()
  return {
    names: involved.map(inv => inv.env.name),
    files,
    render: i => renderReleasing(involved[i], asOf, cache),
    recordable: i => ({ files: files[i], sameFeedOn: date => feedSameOn(involved[i], asOf, date, feedsOn) }),
  }
}

/**
 * Renders environment `i` of `envs`, or says why it cannot be rendered (no feed
 * version in effect on the date…): deploy and status report such an
 * environment on its own line and go on with the others.
 */
export function renderEach(envs: Prepared, i: number): { rendering: Rendering } | { failure: RenderFailure } {
  try {
    return { rendering: envs.render(i) }
  } catch (error) {
    if (!(error instanceof SsmdError)) throw error
    const name = envs.names[i]
    const prefix = `environment '${name}': `
    return { failure: { name, message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message, code: error.code } }
  }
}

/** Validates and renders every environment of `names` (see validateForRender); the first that cannot be rendered is the error. */
export async function prepare(root: string, names: string[], asOf: string, validation: Validation): Promise<Rendering[]> {
  const prepared = await validateForRender(root, names, asOf, validation)
  return prepared.names.map((_, i) => prepared.render(i))
}

/** The environments a deploy command works on: the names given, or every one with `all`. */
export function selectEnvironments(root: string, names: string[], all: boolean, command: string): string[] {
  if (all && names.length > 0) throw new UsageError(`pass environment names or --all, not both (ssmd ${command} --help)`)
  if (all) return allEnvironments(root)
  if (names.length === 0) throw new UsageError(`name the environments to work on, or pass --all (ssmd ${command} --help)`)
  for (const n of names) checkName('environment', n)
  return [...new Set(names)]
}
