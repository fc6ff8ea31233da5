/**
 * Rendering: an environment resolved into one self-contained document — the
 * feed version in effect on a date, the schema version it names with its
 * definition file and hash, key references (never values) — plus where it came
 * from (git commit, uncommitted changes in the files involved).
 *
 * No oclif here: commands call these functions and print the result.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError, SsmdError } from '../core/errors.js'
import { variablesOf } from '../domain/keys.js'
import type { EnvironmentData, FeedData, SchemaData } from '../spec/types.generated.js'
import { boolOr, FEED_DEFAULTS, FEED_VERSION_DEFAULTS, KEY_DEFAULTS, SCHEDULE_DEFAULTS } from '../spec/defaults.js'
import { definitionRef } from '../domain/schema/files.js'
import { resolveVersionForDate } from '../domain/versions.js'
import { didYouMean } from '../core/text.js'
import { RealPaths } from '../io/real-paths.js'
import { canonicalJson } from './layout.js'
import { SsmdDocument, type EnvironmentDocument, type FeedDocument, type SchemaDocument } from '../workspace/document.js'
import type { DocumentCache } from '../workspace/cache.js'
import type { OtherFile } from '../workspace/inventory.js'
import { listYamlFiles, Workspace } from '../workspace/workspace.js'
import type { FeedVersionFields, RenderedContent, RenderedFeed, RenderedKey, RenderedSchema } from '../runtime/content.js'

export type { FeedVersionFields, RenderedContent, RenderedFeed, RenderedKey, RenderedSchema } from '../runtime/content.js'

type FeedVersion = FeedData['versions'][number]

export interface SourceInfo {
  /** HEAD commit; null when there is no git repository or no commit yet. */
  commit: string | null
  /** True when a file involved differs from the commit (or is not committed). */
  dirty: boolean
  /** The files involved that differ from the commit, root-relative. */
  changed: string[]
}

export interface Rendering {
  content: RenderedContent
  /** Root-relative files the rendering was made from (environment, feed, schema metadata, definition). */
  files: string[]
}

/** The documents of one environment: the environment and the feed and schema it names. */
export interface Involved {
  env: EnvironmentDocument
  feed?: FeedDocument
  schema?: SchemaDocument
}

const fileOf = (root: string, folder: string, name: string): { file: string; abs: string } | undefined => {
  for (const ext of ['yaml', 'yml']) {
    const abs = join(root, folder, `${name}.${ext}`)
    if (existsSync(abs)) return { file: `${folder}/${name}.${ext}`, abs }
  }
  return undefined
}

/**
 * A workspace holding exactly the documents given (and the team policy): what
 * the rules see when only some environments are validated. Nothing else of
 * the repository is read, so cross-file rules see these documents only.
 */
class InvolvedWorkspace extends Workspace {
  private readonly lists: { feed: SsmdDocument[]; schema: SsmdDocument[]; environment: SsmdDocument[] } = { feed: [], schema: [], environment: [] }
  private readonly byName = { feed: new Map<string, SsmdDocument>(), schema: new Map<string, SsmdDocument>(), environment: new Map<string, SsmdDocument>() }

  add(doc: SsmdDocument): void {
    const kind = doc.kind as 'feed' | 'schema' | 'environment'
    this.lists[kind].push(doc)
    if (!this.byName[kind].has(doc.name)) this.byName[kind].set(doc.name, doc)
  }

  override get feeds(): FeedDocument[] {
    return this.lists.feed as FeedDocument[]
  }

  override get schemas(): SchemaDocument[] {
    return this.lists.schema as SchemaDocument[]
  }

  override get environments(): EnvironmentDocument[] {
    return this.lists.environment as EnvironmentDocument[]
  }

  override find<K extends 'feed' | 'schema' | 'environment'>(kind: K, name: string): SsmdDocument | undefined {
    return this.byName[kind].get(name)
  }

  /**
   * None: the files a commit would take beyond the documents are the whole
   * repository's concern (`ssmd validate`, `ssmd commit`); measured against
   * the involved documents only, every definition of another schema would
   * look unused.
   */
  override get otherFiles(): OtherFile[] {
    return []
  }
}

/**
 * Reads only what rendering `names` needs: each environment file and the feed
 * and schema files it names (not the whole repository). Returns a workspace
 * holding exactly those documents (and the team policy), for validation.
 * With `cache`, unchanged files are taken from the validation cache (read
 * only: a deploy of a few environments must not shrink it).
 */
export function loadInvolved(root: string, names: string[], cache?: DocumentCache): { ws: Workspace; involved: Involved[] } {
  const ws = new InvolvedWorkspace(root, cache ? { cache } : {})
  // One real-path cache for the run: every file of a folder asks whether that folder leads outside the root.
  const realPaths = new RealPaths()
  const read = (kind: 'feed' | 'schema' | 'environment', name: string, where: { file: string; abs: string }) =>
    cache ? cache.read(kind, name, where.file, where.abs, realPaths) : SsmdDocument.read(kind, name, where.file, where.abs, root, realPaths)
  const involved: Involved[] = []
  const feeds = new Map<string, FeedDocument | undefined>()
  const schemas = new Map<string, SchemaDocument | undefined>()
  for (const name of names) {
    const where = fileOf(root, 'environments', name)
    if (!where) {
      const all = listYamlFiles(root, 'environments').map(([n]) => n)
      throw new NotFoundError(`environment '${name}' not found${didYouMean(name, all)} (ssmd env list)`)
    }
    const env = read('environment', name, where) as EnvironmentDocument
    ws.add(env)
    // The names from the environment's facts (kept by the validation cache): its data is not parsed here.
    const facts = env.facts
    // A file the validation cache did not hold was parsed for its facts: its data is dropped again (validation reads it
    // once more, one environment at a time, as `ssmd validate` does), so a fleet is never held parsed all at once.
    env.release()
    const feedName = facts.feed
    const schemaName = facts.schema?.split(':')[0]
    const entry: Involved = { env }
    if (feedName !== undefined && /^[a-z0-9][a-z0-9_-]{0,62}$/.test(feedName)) {
      if (!feeds.has(feedName)) {
        const f = fileOf(root, 'feeds', feedName)
        const doc = f ? (read('feed', feedName, f) as FeedDocument) : undefined
        feeds.set(feedName, doc)
        if (doc) ws.add(doc)
      }
      entry.feed = feeds.get(feedName)
    }
    if (schemaName !== undefined && /^[a-z0-9][a-z0-9_-]{0,62}$/.test(schemaName)) {
      if (!schemas.has(schemaName)) {
        const f = fileOf(root, 'schemas', schemaName)
        const doc = f ? (read('schema', schemaName, f) as SchemaDocument) : undefined
        schemas.set(schemaName, doc)
        if (doc) ws.add(doc)
      }
      entry.schema = schemas.get(schemaName)
    }
    involved.push(entry)
  }
  return { ws, involved }
}

/** The listed keys that are present, in that order (values are shared, never modified). */
function pick<T extends object>(obj: T, keys: ReadonlyArray<keyof T>): Partial<T> {
  const out: Partial<T> = {}
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k]
  return out
}

/**
 * Feeds and schemas rendered once per run: environments share them by the
 * hundred, and the rendered objects (never modified) are shared too.
 */
export interface RenderCache {
  feeds: Map<FeedDocument, RenderedFeed | SsmdError>
  schemas: Map<string, RenderedSchema>
}

export const newRenderCache = (): RenderCache => ({ feeds: new Map(), schemas: new Map() })

const rangeOf = (v: { version: string; effective_from: string; effective_to?: string }) => `${v.version} ${v.effective_from} → ${v.effective_to ?? 'open'}`

/**
 * Renders one environment as of `asOf` (YYYY-MM-DD). The documents must have
 * passed validation; what cannot be resolved (no feed version in effect on the
 * date) is an error naming what to do.
 */
export function renderEnvironment(inv: Involved, asOf: string, cache: RenderCache = newRenderCache()): Rendering {
  const env = inv.env.data as EnvironmentData
  const name = inv.env.name
  if (!inv.feed?.isObject) throw new NotFoundError(`environment '${name}': feed '${env.feed}' not found (ssmd feed list)`)
  if (!inv.schema?.isObject) throw new NotFoundError(`environment '${name}': schema '${env.schema}' not found (ssmd schema list)`)
  let renderedFeed = cache.feeds.get(inv.feed)
  if (renderedFeed === undefined) {
    renderedFeed = renderFeed(inv.feed.data as FeedData, asOf)
    cache.feeds.set(inv.feed, renderedFeed)
  }
  if (renderedFeed instanceof SsmdError) throw new SsmdError(`environment '${name}': ${renderedFeed.message}`, { code: renderedFeed.code })

  const renderedSchema = schemaOf(inv, cache)

  const keys: Record<string, RenderedKey> = {}
  for (const [k, v] of Object.entries(env.keys ?? {})) {
    const variables = variablesOf(k, v)
    keys[k] = {
      type: v.type,
      required: boolOr(v.required, KEY_DEFAULTS.required),
      fields: v.fields,
      source: v.source,
      ...pick(v, ['rotation_days', 'description']),
      ...(variables.length > 0 ? { variables } : {}),
    }
  }

  const s = env.schedule
  const content: RenderedContent = {
    name,
    feed: renderedFeed,
    schemas: [renderedSchema],
    ...(s === undefined
      ? {}
      : { schedule: { timezone: s.timezone ?? SCHEDULE_DEFAULTS.timezone, ...pick(s, ['day_start', 'day_end']), auto_roll: boolOr(s.auto_roll, SCHEDULE_DEFAULTS.auto_roll) } }),
    keys,
    transport: pick(env.transport, ['type', 'url']) as RenderedContent['transport'],
    storage: pick(env.storage, ['type', 'path', 'bucket', 'region']) as RenderedContent['storage'],
    ...(env.cache === undefined ? {} : { cache: pick(env.cache, ['type', 'max_size', 'url']) as RenderedContent['cache'] }),
  }
  return { content, files: [inv.env.file, inv.feed.file, inv.schema.file, renderedSchema.definition] }
}

/**
 * Renders one environment (see renderEnvironment), then drops the parsed data
 * of its environment and feed documents: a fleet's documents are never held
 * parsed at once (reading them again is what a later rendering does), while
 * the feed and schema renderings stay in `cache`.
 */
export function renderReleasing(inv: Involved, asOf: string, cache: RenderCache): Rendering {
  try {
    return renderEnvironment(inv, asOf, cache)
  } finally {
    inv.env.release()
    inv.feed?.release()
  }
}

/** The rendered schema version an environment names (once per run: environments share it). */
function schemaOf(inv: Involved, cache: RenderCache): RenderedSchema {
  // The reference from the environment's facts: listing an environment's files does not parse it.
  const ref = inv.env.facts.schema
  if (!inv.schema?.isObject || ref === undefined) throw new NotFoundError(`environment '${inv.env.name}': schema '${ref}' not found (ssmd schema list)`)
  const schemaKey = `${inv.schema.file}\0${ref}`
  let renderedSchema = cache.schemas.get(schemaKey)
  if (renderedSchema === undefined) {
    renderedSchema = renderSchema(inv.env.name, inv.schema.data as SchemaData, ref)
    cache.schemas.set(schemaKey, renderedSchema)
  }
  return renderedSchema
}

/** The files an environment's rendering is made of, without rendering it: `Rendering.files`. */
export function involvedFiles(inv: Involved, cache: RenderCache = newRenderCache()): string[] {
  if (!inv.feed?.isObject || !inv.schema?.isObject) return [inv.env.file, ...(inv.feed ? [inv.feed.file] : []), ...(inv.schema ? [inv.schema.file] : [])]
  let definition: string[]
  try {
    definition = [schemaOf(inv, cache).definition]
  } catch {
    // Rendering says why (no such version); the files are what there is.
    definition = []
  }
  return [inv.env.file, inv.feed.file, inv.schema.file, ...definition]
}

/**
 * Whether an environment's feed renders the same as of both dates (one
 * rendering per feed and date, remembered in `memo` by its canonical JSON).
 * False when it cannot be told (no feed, no version in effect on a date).
 */
export function feedSameOn(inv: Involved, a: string, b: string, memo: Map<string, string | null>): boolean {
  const feed = inv.feed
  if (!feed?.isObject) return false
  const at = (date: string) => {
    const key = `${feed.file}\0${date}`
    let json = memo.get(key)
    if (json === undefined) {
      const r = renderFeed(feed.data as FeedData, date)
      json = r instanceof SsmdError ? null : canonicalJson(r)
      memo.set(key, json)
      feed.release()
    }
    return json
  }
  const left = at(a)
  return left !== null && left === at(b)
}

/** The feed with its version in effect on `asOf`, or the error saying there is none. */
function renderFeed(feed: FeedData, asOf: string): RenderedFeed | SsmdError {
  const fv = resolveVersionForDate(feed.versions, asOf)
  if (!fv) {
    const ranges = feed.versions.map(rangeOf).join(', ')
    return new SsmdError(`feed '${feed.name}' has no version in effect on ${asOf} (${ranges}); pass another --as-of or add a version (ssmd feed add-version ${feed.name})`, {
      code: 'no-version',
    })
  }
  const upcoming = feed.versions
    .filter(v => typeof v === 'object' && v !== null && typeof v.effective_from === 'string' && v.effective_from > fv.effective_from)
    .sort((a, b) => (a.effective_from < b.effective_from ? -1 : a.effective_from > b.effective_from ? 1 : 0))
    .map(versionFields)
  return {
    name: feed.name,
    ...pick(feed, ['display_name']),
    type: feed.type,
    status: feed.status ?? FEED_DEFAULTS.status,
    ...versionFields(fv),
    capture_locations: (feed.capture_locations ?? []).map(l => pick(l, ['datacenter', 'provider', 'region']) as RenderedFeed['capture_locations'][number]),
    ...(feed.calendar === undefined ? {} : { calendar: pick(feed.calendar, ['timezone', 'holiday_calendar', 'open_time', 'close_time']) as RenderedFeed['calendar'] }),
    ...(upcoming.length > 0 ? { upcoming } : {}),
  }
}

/** One feed version's fields, the file format's defaults filled in. */
function versionFields(fv: FeedVersion): FeedVersionFields {
  return {
    version: fv.version,
    effective_from: fv.effective_from,
    ...pick(fv, ['effective_to']),
    protocol: fv.protocol,
    endpoint: fv.endpoint,
    ...pick(fv, ['auth_method', 'rate_limit_per_second', 'max_symbols_per_connection']),
    supports_orderbook: boolOr(fv.supports_orderbook, FEED_VERSION_DEFAULTS.supports_orderbook),
    supports_trades: boolOr(fv.supports_trades, FEED_VERSION_DEFAULTS.supports_trades),
    supports_historical: boolOr(fv.supports_historical, FEED_VERSION_DEFAULTS.supports_historical),
    ...(fv.parser_config === undefined ? {} : { parser_config: fv.parser_config as Record<string, unknown> }),
  }
}

/** The schema version an environment names (`name:version`). */
function renderSchema(envName: string, schema: SchemaData, ref: string): RenderedSchema {
  const versionId = ref.slice(ref.indexOf(':') + 1)
  const sv = schema.versions.find(v => v.version === versionId)
  if (!sv) throw new NotFoundError(`environment '${envName}': schema '${schema.name}' has no version '${versionId}' (ssmd schema show ${schema.name})`)
  const file = definitionRef(schema, sv)
  return {
    name: schema.name,
    version: sv.version,
    status: sv.status,
    format: schema.format,
    effective_from: sv.effective_from,
    ...pick(sv, ['effective_to']),
    definition: `schemas/${file}`,
    hash: sv.hash,
    ...(sv.compatible_with === undefined ? {} : { compatible_with: sv.compatible_with }),
  }
}

/** The document `ssmd env render` prints: the content plus the date and the source. */
export function renderDocumentOf(r: Rendering, asOf: string, source: SourceInfo): Record<string, unknown> {
  const { name, ...rest } = r.content
  return {
    name,
    as_of: asOf,
    source: { commit: source.commit, dirty: source.dirty, files: r.files, ...(source.changed.length > 0 ? { changed: source.changed } : {}) },
    ...rest,
  }
}
