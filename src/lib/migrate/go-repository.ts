/*
 * Converting a repository written by the original Go implementation of ssmd
 * into this tool's file format (docs/migrate.md lists every conversion).
 *
 * Everything is planned in memory first: each file's new text is computed with
 * the YAML edit helpers (comments, quoting and order elsewhere survive), and
 * what cannot be converted mechanically becomes one located item for a person.
 * Writing is a separate step, so `--dry-run` and the real run share one plan.
 */
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { addDays, isValidDate } from '../core/dates.js'
import { SsmdError } from '../core/errors.js'
import { variableName } from '../domain/keys.js'
import { writeFileAtomic } from '../io/atomic.js'
import { readBounded } from '../io/read.js'
import { DOCUMENT_SCHEMAS, type DocumentKind } from '../spec/documents.js'
import { NAME_PATTERN } from '../spec/common.js'
import { PROTOCOL_FOR_TYPE, PROTOCOLS, SCHEMES_FOR_PROTOCOL } from '../spec/enums.js'
import { keyOrderAt } from '../spec/generate.js'
import { applyEdits, EditError, type EditOp } from '../yaml/edit.js'
import { SourceLocator } from '../yaml/locate.js'
import { MAX_FILE_BYTES, oversizeMessage, parseYamlBytes } from '../yaml/read.js'
import { SSMD_FOLDERS } from '../workspace/root.js'
import { redact, urlScheme } from '../domain/secrets.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The folder the Go tool kept feeds/, schemas/ and environments/ in, below the repository root. */
export const GO_LAYOUT_FOLDER = 'exchanges'
const CONFIG = join('.ssmd', 'config.yaml')
/** What the Go tool's `format:` setting becomes; `yaml` output has no equivalent. */
const OUTPUT_FOR_FORMAT: Readonly<Record<string, string>> = { text: 'text', json: 'json' }

/** Where the repository's files are: the ssmd root, and a local config the Go layout kept one folder up. */
export interface MigrationRoot {
  /** The folder holding feeds/, schemas/ and environments/ (or the start folder when there are none). */
  root: string
  /** `<repo>/.ssmd/config.yaml` of the Go layout, when the ssmd root is `<repo>/exchanges`. */
  outerConfig?: string
}

/** One file the migration writes (or creates, or removes). */
export interface FileChange {
  /** Absolute path. */
  path: string
  /** What changes, one short line each. */
  changes: string[]
  /** The new content; undefined when the file is removed. */
  content?: string
  /** True when the file does not exist yet. */
  created?: boolean
}

/** Something that cannot be converted mechanically, located in its file. */
export interface PersonItem {
  path: string
  line: number
  column: number
  message: string
}

export interface MigrationPlan {
  root: string
  files: FileChange[]
  items: PersonItem[]
  /** True when anything in the repository still looks like the Go tool's output. */
  goMade: boolean
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}
const hasSsmdFolder = (dir: string) => SSMD_FOLDERS.some(f => isDir(join(dir, f)))

/**
 * The ssmd root seen from `start`: the nearest folder upwards holding feeds/,
 * schemas/ or environments/, or holding an `exchanges/` folder that does (the
 * Go tool's layout), or holding `.ssmd/` or `ssmd.yaml`.
 */
export function findMigrationRoot(start: string): MigrationRoot {
  let dir = start
  for (;;) {
    if (hasSsmdFolder(dir)) {
      const outer = join(dirname(dir), CONFIG)
      return basename(dir) === GO_LAYOUT_FOLDER && existsSync(outer) ? { root: dir, outerConfig: outer } : { root: dir }
    }
    const inner = join(dir, GO_LAYOUT_FOLDER)
    if (hasSsmdFolder(inner)) return existsSync(join(dir, CONFIG)) ? { root: inner, outerConfig: join(dir, CONFIG) } : { root: inner }
    if (isDir(join(dir, '.ssmd')) || existsSync(join(dir, 'ssmd.yaml'))) return { root: dir }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  throw new SsmdError(
    `not an ssmd repository: no feeds/, schemas/, environments/ or ${GO_LAYOUT_FOLDER}/ folder in ${start} or any parent; run ssmd migrate inside the repository, or pass -C <dir>`,
    { code: 'no-root' },
  )
}

interface Source {
  path: string
  kind?: DocumentKind
  text: string
  data: Obj
  locator: SourceLocator
  ops: EditOp[]
  changes: string[]
}

const pointer = (parts: Array<string | number>) => '/' + parts.map(p => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

/** Plans the conversion of the repository at `where`; reads only, writes nothing. */
export function planMigration(where: MigrationRoot): MigrationPlan {
  const items: PersonItem[] = []
  const person = (src: Source, parts: Array<string | number>, message: string, at: 'key' | 'value' = 'key') => {
    const pos = src.locator.locate(pointer(parts), at)
    items.push({ path: src.path, line: pos.line, column: pos.column, message })
  }
  const sources: Source[] = []
  for (const folder of SSMD_FOLDERS) {
    const dir = join(where.root, folder)
    if (!isDir(dir)) continue
    const kind = folder === 'feeds' ? 'feed' : folder === 'schemas' ? 'schema' : 'environment'
    for (const name of readdirSync(dir).sort()) {
      if (!/\.ya?ml$/.test(name)) continue
      const src = readSource(where.root, join(dir, name), kind, items)
      if (src) sources.push(src)
    }
  }
  const configs = [join(where.root, CONFIG), ...(where.outerConfig ? [where.outerConfig] : [])].filter(p => existsSync(p))
  // The Go layout's config sits one folder above the ssmd root: read it bounded against that folder.
  const configSources = configs.map(p => readSource(p === where.outerConfig ? dirname(dirname(p)) : where.root, p, undefined, items)).filter((s): s is Source => s !== undefined)

  // The Go tool's defaults differ from this format's (supports_trades, required, auto_roll are false when
  // absent there): they are made explicit only in a repository that still shows the Go tool's shapes.
  const goMade =
    configSources.some(c => 'format' in c.data) ||
    sources.some(s =>
      s.kind === 'feed'
        ? list(s.data.versions).some(v => isObj(v.protocol)) || list(s.data.capture_locations).some(l => 'site' in l)
        : s.kind === 'environment' && isObj(s.data.keys) && Object.values(s.data.keys).some(k => isObj(k) && typeof k.source === 'string' && k.source.startsWith('env:')),
    )

  for (const src of sources) {
    if (src.kind === 'feed') planFeed(src, goMade, person)
    if (src.kind === 'environment') planEnvironment(src, goMade, person)
    if (src.kind) reportForeignKeys(src, person)
  }

  const files: FileChange[] = []
  for (const src of sources) {
    const content = render(src, items)
    if (content !== undefined) files.push({ path: src.path, changes: src.changes, content })
  }
  files.push(...planConfig(where, configSources, person, items))
  for (const folder of SSMD_FOLDERS) {
    const dir = join(where.root, folder)
    if (isDir(dir) && readdirSync(dir).length === 0)
      files.push({ path: join(dir, '.gitkeep'), changes: ['add .gitkeep so a fresh clone keeps the empty folder'], content: '', created: true })
  }
  // Messages quote values from the files (endpoints, key sources): no secret may reach the output.
  for (const f of files) f.changes = f.changes.map(redact)
  for (const i of items) i.message = redact(i.message)
  return { root: where.root, files, items: items.sort((a, b) => (a.path === b.path ? a.line - b.line || a.column - b.column : a.path < b.path ? -1 : 1)), goMade }
}

function readSource(root: string, path: string, kind: DocumentKind | undefined, items: PersonItem[]): Source | undefined {
  const read = readBounded(path, { maxBytes: MAX_FILE_BYTES, display: path, root })
  if (read.refusal) {
    items.push({ path, line: 1, column: 1, message: read.refusal.kind === 'too-large' ? oversizeMessage(read.refusal.size ?? 0) : read.refusal.message })
    return undefined
  }
  const parsed = parseYamlBytes(read.bytes)
  if (parsed.problem) {
    items.push({ path, line: parsed.problem.line, column: parsed.problem.column, message: `${parsed.problem.message}; fix the YAML, then run ssmd migrate again` })
    return undefined
  }
  if (parsed.data === null || parsed.data === undefined) return undefined
  if (!isObj(parsed.data)) {
    items.push({ path, line: 1, column: 1, message: 'not a YAML mapping; nothing converted' })
    return undefined
  }
  return { path, kind, text: parsed.text!, data: parsed.data, locator: new SourceLocator(parsed.text!), ops: [], changes: [] }
}

/** Position of a key in a preferred order; keys not listed keep their relative order after the listed ones. */
const rank = (order: readonly string[], key: string) => (order.includes(key) ? order.indexOf(key) : order.length)
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : [])
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

type Person = (src: Source, parts: Array<string | number>, message: string, at?: 'key' | 'value') => void

function planFeed(src: Source, goMade: boolean, person: Person): void {
  const { data } = src
  const type = str(data.type)
  const expected = type && Object.hasOwn(PROTOCOL_FOR_TYPE, type) ? PROTOCOL_FOR_TYPE[type as keyof typeof PROTOCOL_FOR_TYPE] : undefined
  const versions = Array.isArray(data.versions) ? (data.versions as unknown[]) : []
  const fileIsGo = versions.some(v => isObj(v) && isObj(v.protocol))
  versions.forEach((v, i) => {
    if (!isObj(v)) return
    const id = str(v.version) ?? `version ${i + 1}`
    if (isObj(v.protocol)) convertProtocol(src, v, i, id, expected, type, person)
    // Go wrote supports_trades only when true; absent meant false there and means true here.
    if (goMade && fileIsGo && !('supports_trades' in v)) {
      src.ops.push({ op: 'set', path: ['versions', i, 'supports_trades'], value: false })
      src.changes.push(`${id}: supports_trades: false (absent meant false in the Go tool; the default is now true)`)
    }
  })
  if (fileIsGo) closeOpenVersions(src, versions, person)
  list(data.capture_locations).forEach((loc, i) => {
    if (!('site' in loc)) return
    const site = loc.site
    if ('datacenter' in loc) {
      person(src, ['capture_locations', i, 'site'], `capture location has both site and datacenter; keep one as datacenter and remove site`)
      return
    }
    if (typeof site !== 'string' || !new RegExp(NAME_PATTERN).test(site)) {
      person(
        src,
        ['capture_locations', i, 'site'],
        `site ${JSON.stringify(site)} is not a valid datacenter name (lowercase letters, digits, - and _); rename it and write it as datacenter`,
        'value',
      )
      return
    }
    // The entry is written anew, in this format's key order: datacenter, provider, region, then extension keys.
    const renamed: Obj = { datacenter: site }
    const notes = [`capture location ${site}: site → datacenter`]
    for (const [key, value] of Object.entries(loc)) {
      if (key === 'site') continue
      const ext = key === 'type' ? 'x-site-type' : key === 'clock' ? 'x-clock' : key
      if (ext !== key) notes.push(`capture location ${site}: ${key} → ${ext} (kept as an extension key; this format has no such field)`)
      renamed[ext] = value
    }
    const order = ['datacenter', 'provider', 'region']
    const sorted = Object.fromEntries(Object.entries(renamed).sort(([a], [b]) => rank(order, a) - rank(order, b)))
    src.ops.push({ op: 'set', path: ['capture_locations', i], value: sorted })
    src.changes.push(...notes)
  })
}

function convertProtocol(src: Source, v: Obj, i: number, id: string, expected: string | undefined, type: string | undefined, person: Person): void {
  const go = v.protocol as Obj
  const transport = str(go.transport)
  const endpoint = str(v.endpoint)
  const scheme = endpoint === undefined ? undefined : urlScheme(endpoint)
  const fits = (p: string) => scheme !== undefined && SCHEMES_FOR_PROTOCOL[p as keyof typeof SCHEMES_FOR_PROTOCOL].includes(scheme)
  let protocol: string | undefined
  if (expected && transport === expected) protocol = expected
  // The Go tool's `feed create` wrote transport wss whatever the type: the type and the endpoint decide.
  else if (expected && transport !== undefined && (PROTOCOLS as readonly string[]).includes(transport) && fits(expected)) protocol = expected
  if (protocol === undefined) {
    person(
      src,
      ['versions', i, 'protocol', 'transport'],
      `${id}: protocol.transport ${JSON.stringify(go.transport ?? null)} has no equivalent for a ${type ?? 'feed of unknown type'} with endpoint ${endpoint ?? '(none)'}; set protocol to ${expected ?? 'wss, https or multicast'} and an endpoint that fits it`,
      'value',
    )
    return
  }
  const moved: string[] = []
  const parser = isObj(v.parser_config) ? v.parser_config : {}
  for (const [goKey, key] of [
    ['message', 'message_format'],
    ['version', 'protocol_version'],
  ] as const) {
    if (!(goKey in go)) continue
    const value = go[goKey]
    if (key in parser && parser[key] !== value) {
      person(
        src,
        ['versions', i, 'protocol', goKey],
        `${id}: protocol.${goKey} ${JSON.stringify(value)} differs from parser_config.${key} ${JSON.stringify(parser[key])}; keep one in parser_config.${key}`,
        'value',
      )
      return
    }
    if (!(key in parser)) moved.push(key)
  }
  // Deleted and set again rather than replaced: the edit helpers splice that, keeping the rest of the file byte for byte.
  src.ops.push({ op: 'delete', path: ['versions', i, 'protocol'] }, { op: 'set', path: ['versions', i, 'protocol'], value: protocol })
  for (const key of moved) {
    const goKey = key === 'message_format' ? 'message' : 'version'
    src.ops.push({ op: 'set', path: ['versions', i, 'parser_config', key], value: go[goKey] })
  }
  const shown = Object.entries(go)
    .map(([k, val]) => `${k}: ${String(val)}`)
    .join(', ')
  src.changes.push(
    `${id}: protocol {${shown}} → protocol: ${protocol}${moved.map(k => `, parser_config.${k}: ${String(go[k === 'message_format' ? 'message' : 'version'])}`).join('')}`,
  )
}

/**
 * The Go tool let a version run until a later one started (the latest version
 * starting on or before a day wins); this format's ranges never overlap, so an
 * open-ended version followed by another ends the day before it.
 */
function closeOpenVersions(src: Source, versions: unknown[], person: Person): void {
  const dated = versions
    .map((v, index) => ({ v, index }))
    .filter((d): d is { v: Obj; index: number } => isObj(d.v) && isValidDate(d.v.effective_from))
    .sort((a, b) => ((a.v.effective_from as string) < (b.v.effective_from as string) ? -1 : 1))
  for (let k = 0; k + 1 < dated.length; k++) {
    const { v, index } = dated[k]
    if (v.effective_to !== undefined) continue
    const id = str(v.version) ?? `version ${index + 1}`
    const later = dated.slice(k + 1)
    if (later.some(d => d.v.effective_to !== undefined)) {
      person(
        src,
        ['versions', index, 'effective_from'],
        `${id} is open-ended and a later version ends: the Go tool used ${id} again after that end; add effective_to to ${id} or a version for those days`,
      )
      continue
    }
    const next = dated[k + 1].v.effective_from as string
    if (next === v.effective_from) continue // a duplicate start: feed/version-overlap reports it.
    const to = addDays(next, -1)
    src.ops.push({ op: 'set', path: ['versions', index, 'effective_to'], value: to })
    src.changes.push(`${id}: effective_to: ${to} (the day before ${str(dated[k + 1].v.version) ?? 'the next version'} starts, as the Go tool resolved it)`)
  }
}

/**
 * Top-level keys this format does not know (the original project's later
 * `message_types`, `defaults`): no mechanical equivalent, so each is reported.
 */
function reportForeignKeys(src: Source, person: Person): void {
  const known = keyOrderAt(DOCUMENT_SCHEMAS[src.kind!].schema, []) ?? []
  for (const key of Object.keys(src.data)) {
    if (known.includes(key) || key.startsWith('x-')) continue
    person(src, [key], `'${key}' is not part of this file format; move what it holds to the keys ssmd knows, or rename it to x-${key} to keep it as an extension key ssmd ignores`)
  }
}

function planEnvironment(src: Source, goMade: boolean, person: Person): void {
  const { data } = src
  if (isObj(data.keys)) {
    for (const [name, key] of Object.entries(data.keys)) {
      if (!isObj(key)) continue
      const source = key.source
      if (typeof source === 'string' && source.startsWith('env:')) {
        const listed = source
          .slice(4)
          .split(',')
          .map(s => s.trim())
        const fields = Array.isArray(key.fields) ? key.fields.filter((f): f is string => typeof f === 'string') : []
        const wanted = fields.map(f => variableName(name, f))
        if (wanted.length > 0 && listed.length === wanted.length && wanted.every((w, j) => w === listed[j])) {
          src.ops.push({ op: 'set', path: ['keys', name, 'source'], value: 'env' })
          src.changes.push(`key ${name}: source ${source} → env (the variables already have the names ssmd reads)`)
        } else {
          person(
            src,
            ['keys', name, 'source'],
            `key '${name}' reads ${listed.join(', ')}; ssmd reads ${wanted.join(', ') || 'SSMD_<KEY>_<FIELD> variables'} with source: env: rename the variables where the feed runs, then set source: env`,
            'value',
          )
        }
      }
      if (goMade && !('required' in key)) {
        src.ops.push({ op: 'set', path: ['keys', name, 'required'], value: false })
        src.changes.push(`key ${name}: required: false (absent meant false in the Go tool; the default is now true)`)
      }
    }
  }
  if (goMade && isObj(data.schedule) && !('auto_roll' in data.schedule)) {
    src.ops.push({ op: 'set', path: ['schedule', 'auto_roll'], value: false })
    src.changes.push('schedule: auto_roll: false (absent meant false in the Go tool; the default is now true)')
  }
}

/** The new text of a source with its edits applied; undefined when nothing changes. */
function render(src: Source, items: PersonItem[]): string | undefined {
  if (src.ops.length === 0) return undefined
  const schema = src.kind ? DOCUMENT_SCHEMAS[src.kind].schema : undefined
  try {
    const text = applyEdits(src.text, src.ops, schema ? path => keyOrderAt(schema, path) : undefined)
    return text === src.text ? undefined : text
  } catch (error) {
    if (!(error instanceof EditError)) throw error
    items.push({
      path: src.path,
      line: 1,
      column: 1,
      message: `${error.message}; the file's layout is too unusual to convert safely: make the changes by hand (${src.changes.join('; ')})`,
    })
    return undefined
  }
}

/**
 * `.ssmd/config.yaml`: the Go tool's `format:` becomes `output:`; with the Go
 * layout the file moves from the repository root into the ssmd root
 * (`exchanges/.ssmd/`), where ssmd reads it.
 */
function planConfig(where: MigrationRoot, configs: Source[], person: Person, items: PersonItem[]): FileChange[] {
  const target = join(where.root, CONFIG)
  const out: FileChange[] = []
  const inner = configs.find(c => c.path === target)
  const outer = configs.find(c => c.path === where.outerConfig)
  for (const c of configs) {
    if (!('format' in c.data)) continue
    const format = c.data.format
    const output = typeof format === 'string' && Object.hasOwn(OUTPUT_FOR_FORMAT, format) ? OUTPUT_FOR_FORMAT[format] : undefined
    if (output === undefined) {
      person(c, ['format'], `format ${JSON.stringify(format)} has no equivalent (ssmd writes text or json); replace it with output: text or output: json`, 'value')
      continue
    }
    if ('output' in c.data && c.data.output !== output) {
      person(c, ['format'], `format ${JSON.stringify(format)} and output ${JSON.stringify(c.data.output)} disagree; keep output and remove format`)
      continue
    }
    // The new key first: a mapping never goes empty in between, so the splice keeps the file's comments.
    if (!('output' in c.data)) c.ops.push({ op: 'set', path: ['output'], value: output })
    c.ops.push({ op: 'delete', path: ['format'] })
    c.changes.push(`format: ${format} → output: ${output}`)
  }
  if (outer && inner) {
    if (outer.ops.length > 0 || 'format' in outer.data) {
      person(outer, ['format'], `the Go tool's settings here and ${target} both exist; merge them into ${target} and remove this file`)
    }
  } else if (outer) {
    // Moved, converted or not: ssmd reads the config in the ssmd root only.
    const content = render(outer, items) ?? outer.text
    const converted = outer.changes.length > 0 && content !== outer.text
    out.push({ path: target, changes: ['moved here from the repository root, where the Go tool kept it', ...(converted ? outer.changes : [])], content, created: true })
    out.push({ path: outer.path, changes: [`moved into ${GO_LAYOUT_FOLDER}/.ssmd/, where ssmd reads it`] })
  }
  if (inner) {
    const content = render(inner, items)
    if (content !== undefined) out.push({ path: inner.path, changes: inner.changes, content })
  }
  return out
}

/**
 * Writes the plan: each file atomically (never half-written), new files in
 * place, moved files removed after their copy is written.
 */
export function applyMigration(plan: MigrationPlan): void {
  for (const f of plan.files) if (f.content !== undefined) writeFileAtomic(plan.root, f.path, f.content)
  for (const f of plan.files) {
    if (f.content !== undefined) continue
    rmSync(f.path, { force: true })
    try {
      rmdirSync(dirname(f.path)) // the outer .ssmd/ folder, once empty
    } catch {
      /* not empty: other local state stays */
    }
  }
}
