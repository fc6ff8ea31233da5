/*
 * The light start of ssmd's own commands (bin/run.js, through light-entry.ts).
 *
 * oclif's `Config.load` reads ssmd's package.json and manifest, resolves and
 * reads the core plugins' (plugin-help, plugin-plugins), the user plugins',
 * sorts every command list, and more: about a fifth of a one-file command's
 * time. A built-in command marked `static lightStart = true` (the mark is
 * copied into oclif.manifest.json) needs none of it when nothing could make
 * oclif behave differently: it then runs with `LightConfig`, which answers
 * what oclif's `Command` and the command ask of their config from ssmd's
 * package.json and the build's small table of the commands taken from the
 * manifest (lightManifest) alone. The command class, its parsing (oclif's
 * parser, the same flag definitions), its run and its error handling are the
 * same code either way; a test runs every such command both ways and compares
 * the bytes.
 *
 * Anything else goes through oclif as before: help (`help`, `--help`, `-h`),
 * `--version`, plugin commands, a command id written with colons, words
 * oclif would read differently, and every run when a user or linked plugin is
 * installed, a theme file exists, DEBUG is set, a hook could run, or
 * SSMD_FULL_START=1 asks for it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { arch, homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

interface Pjson {
  name: string
  version?: string
  oclif?: {
    bin?: string
    dirname?: string
    plugins?: string[]
    hooks?: Record<string, unknown>
    devPlugins?: unknown
    jitPlugins?: unknown
    binAliases?: unknown
    theme?: unknown
    topicSeparator?: string
    commands?: unknown
    flexibleTaxonomy?: boolean
    additionalHelpFlags?: string[]
    additionalVersionFlags?: string[]
  }
  dependencies?: Record<string, string>
}

/** What oclif would do beyond loading and running a command: nothing, when this returns the package's facts. */
export interface PlainStart {
  root: string
  pjson: Pjson
  bin: string
  dataDir: string
  configDir: string
  /** ssmd and its core plugins, by package name, as oclif's Config lists them (`config.plugins.keys()`). */
  plugins: string[]
}

/** Hook events oclif runs around a command; `init` and `finally` run for `--version` too. */
const COMMAND_HOOKS = ['init', 'prerun', 'preparse', 'postrun', 'finally'] as const

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

/** oclif's name of a scoped environment variable (SSMD_<KEY>). */
function scopedKey(bin: string, key: string): string {
  return [bin.replaceAll('@', '').replaceAll(/[/-]/g, '_'), key].join('_').toUpperCase()
}

/**
 * The package's facts when oclif, given these arguments' command, would run
 * nothing but it: none of `events` is hooked by ssmd or its core plugins, no
 * core plugin brings validation rules (a `validate` hook), no user-installed
 * or linked plugin, no theme, no debug output, not Windows. Undefined in every
 * other case.
 * @public imported from dist/ by bin/run.js
 */
export function plainStart(root: string, events: readonly string[] = COMMAND_HOOKS): PlainStart | undefined {
  if (process.env.DEBUG || process.platform === 'win32') return undefined
  const pjson = readJson<Pjson>(join(root, 'package.json'))
  const oclif = pjson.oclif ?? {}
  const hooked = (o: Pjson['oclif'], also: string[] = []) => Object.keys(o?.hooks ?? {}).some(h => events.includes(h) || also.includes(h))
  if (hooked(oclif) || oclif.devPlugins || oclif.jitPlugins || oclif.binAliases) return undefined
  const require = createRequire(join(root, 'package.json'))
  const plugins = [pjson.name]
  for (const name of oclif.plugins ?? []) {
    const dir = (require.resolve.paths(name) ?? []).find(d => existsSync(join(d, name, 'package.json')))
    if (!dir) return undefined
    const core = readJson<Pjson>(join(dir, name, 'package.json'))
    // A core plugin's rules would run in validating commands (env render): oclif's plugin objects list them.
    if (hooked(core.oclif, ['validate'])) return undefined
    plugins.push(core.name)
  }
  const bin = oclif.bin || pjson.name
  const dirname = oclif.dirname || pjson.name
  const home = process.env.HOME || homedir() || tmpdir()
  const dir = (category: 'data' | 'config') => join(process.env[`XDG_${category.toUpperCase()}_HOME`] || join(home, category === 'data' ? '.local/share' : '.config'), dirname)
  // Where `plugins install` / `plugins link` record user plugins, and where oclif looks for a theme.
  const dataDir = process.env[scopedKey(bin, 'DATA_DIR')] || dir('data')
  const configDir = process.env[scopedKey(bin, 'CONFIG_DIR')] || dir('config')
  if (existsSync(join(dataDir, 'package.json'))) return undefined
  if (oclif.theme !== undefined || (process.env[scopedKey(bin, 'DISABLE_THEME')] === undefined && existsSync(join(configDir, 'theme.json')))) return undefined
  return { root, pjson, bin, dataDir, configDir, plugins }
}

interface ManifestEntry {
  id: string
  strict?: boolean
  args?: Record<string, unknown>
  aliases?: string[]
  hiddenAliases?: string[]
  lightStart?: boolean
  /** Boolean flags that need oclif's full start while on (SsmdCommand.fullStartFlags). */
  fullStartFlags?: string[]
  flags?: Record<string, { type?: string; char?: string }>
  [key: string]: unknown
}

/**
 * What oclif's `Command` and a light-start command read from their config,
 * answered as oclif's `Config` answers it for ssmd when no plugin, hook or
 * theme is in play (see plainStart).
 */
export class LightConfig {
  readonly root: string
  readonly pjson: Pjson
  readonly name: string
  readonly version: string
  readonly bin: string
  readonly dirname: string
  readonly binAliases = undefined
  readonly topicSeparator: ' ' | ':'
  readonly flexibleTaxonomy = false
  readonly isSingleCommandCLI = false
  readonly windows = false
  readonly platform: string
  readonly arch: string
  readonly userAgent: string
  readonly dataDir: string
  readonly configDir: string
  readonly theme = undefined
  readonly commandIDs: string[]
  /** What tells src/lib/cli/validation.ts it has this config, not oclif's: its rules come from ssmd's own pack alone. */
  readonly light = true
  /** ssmd and its core plugins, as oclif's `config.plugins.keys()` (none of them but ssmd has rules; plainStart checked). */
  readonly pluginNames: readonly string[]
  private readonly commands: Map<string, ManifestEntry>

  constructor(start: PlainStart, commands: Map<string, ManifestEntry>, os: string) {
    this.root = start.root
    this.pjson = start.pjson
    this.name = start.pjson.name
    this.version = start.pjson.version || '0.0.0'
    this.bin = start.bin
    this.dirname = start.pjson.oclif?.dirname || this.name
    this.topicSeparator = start.pjson.oclif?.topicSeparator === ' ' ? ' ' : ':'
    this.platform = os
    this.arch = arch() === 'ia32' ? 'x86' : arch()
    this.userAgent = `${this.name}/${this.version} ${this.platform}-${this.arch} node-${process.version}`
    this.dataDir = start.dataDir
    this.configDir = start.configDir
    this.commands = commands
    this.commandIDs = [...commands.keys()]
    this.pluginNames = start.plugins
  }

  findCommand(id: string): ManifestEntry | undefined {
    return this.commands.get(id)
  }

  scopedEnvVarKey(k: string): string {
    return scopedKey(this.bin, k)
  }

  scopedEnvVarKeys(k: string): string[] {
    return [scopedKey(this.bin, k)]
  }

  scopedEnvVar(k: string): string | undefined {
    return process.env[this.scopedEnvVarKeys(k).find(key => process.env[key]) ?? '']
  }

  scopedEnvVarTrue(k: string): boolean {
    const v = this.scopedEnvVar(k)
    return v === '1' || v === 'true'
  }

  /** No hook of ssmd or its core plugins is declared for the events a command runs (plainStart checked). */
  async runHook(): Promise<{ successes: never[]; failures: never[] }> {
    return { successes: [], failures: [] }
  }
}

/** A built-in command the light start takes: its id and its arguments. */
export interface LightCommand {
  id: string
  argv: string[]
}

/**
 * The light-start command `args` (already normalised by bin/run.js) names, or
 * undefined when oclif must decide: the words before the first flag name one
 * of ssmd's commands marked `lightStart` exactly as oclif reads them, and no
 * help flag comes before `--`.
 */
export function lightCommand(start: PlainStart, commands: ReadonlyMap<string, ManifestEntry>, args: readonly string[]): LightCommand | undefined {
  const oclif = start.pjson.oclif ?? {}
  if (oclif.topicSeparator !== ' ' || oclif.flexibleTaxonomy || typeof oclif.commands !== 'string') return undefined
  const helpFlags = new Set(['--help', ...(oclif.additionalHelpFlags ?? [])])
  const versionFlags = new Set(['--version', ...(oclif.additionalVersionFlags ?? [])])
  const end = args.includes('--') ? args.indexOf('--') : args.length
  if (args.slice(0, end).some(a => helpFlags.has(a)) || versionFlags.has(args[0] ?? '')) return undefined
  // oclif's reading of a spaced command id: the longest run of words that are ids or topics.
  const prefixes = new Set<string>()
  for (const id of commands.keys()) {
    const parts = id.split(':')
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join(':'))
  }
  let id = ''
  let n = 0
  while (n < args.length && !args[n].startsWith('-') && !args[n].includes(':')) {
    const next = id ? `${id}:${args[n]}` : args[n]
    if (!commands.has(next) && !prefixes.has(next)) break
    id = next
    n++
  }
  const command = commands.get(id)
  if (!command || command.id !== id || command.lightStart !== true) return undefined
  // A word oclif would take as part of the id (it does when the command takes no positional argument).
  const takesArgs = command.strict === false || Object.keys(command.args ?? {}).length > 0
  if (n < args.length && !args[n].startsWith('-') && !takesArgs) return undefined
  const argv = args.slice(n)
  for (const flag of command.fullStartFlags ?? []) if (!turnedOff(command, argv, flag)) return undefined
  return { id, argv }
}

/**
 * Whether boolean flag `name` of `command` is certainly off on this command
 * line: its last occurrence as a flag (before `--`, not the value of an
 * option flag given as the next word) is `--no-<name>`. Any doubt (a form
 * oclif might read otherwise) answers false, and oclif runs the command.
 */
function turnedOff(command: ManifestEntry, argv: readonly string[], name: string): boolean {
  const flags = Object.entries(command.flags ?? {})
  const takesValue = (word: string) => {
    if (word.startsWith('--')) return !word.includes('=') && command.flags?.[word.slice(2)]?.type === 'option'
    return word.length === 2 && flags.some(([, f]) => f.type === 'option' && f.char === word[1])
  }
  let off = false
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    if (word === '--') break
    if (word === `--no-${name}`) off = true
    else if (word === `--${name}` || word.startsWith(`--${name}=`) || word.startsWith(`--no-${name}=`)) off = false
    else if (word.startsWith('-') && takesValue(word)) i++
  }
  return off
}

/**
 * Where the build writes the bundle of light-start command `id`, relative to
 * dist/ and without extension (scripts/bundle-light.js): lib/light/ and the
 * command's words as folders (`feed:show` is lib/light/feed/show).
 * @public imported from dist/ by scripts/bundle-light.js
 */
export function lightBundle(id: string): string[] {
  return ['lib', 'light', ...id.split(':')]
}

/** Where the build writes the light start's table of ssmd's commands (lightManifest), under the package root. */
export const LIGHT_MANIFEST = ['dist', 'lib', 'light', 'manifest.json'] as const

/** What the light start and oclif's `Command` read of a command other than the one run: how oclif reads a spaced command id. */
const TABLE_KEYS = ['id', 'strict', 'args', 'aliases', 'hiddenAliases'] as const

/**
 * The light start's table of ssmd's commands, made by the build from
 * oclif.manifest.json (written to LIGHT_MANIFEST): every command with its id,
 * aliases, `strict` and arguments, and the light-start commands whole. It is
 * about a tenth of the manifest, whose flags, descriptions and examples
 * took more than a millisecond of every start to parse.
 * @public imported from dist/ by scripts/build.js
 */
export function lightManifest(manifest: { commands?: Record<string, ManifestEntry> }): { commands: Record<string, ManifestEntry> } {
  const commands: Record<string, ManifestEntry> = {}
  for (const [key, c] of Object.entries(manifest.commands ?? {})) {
    if (c.lightStart === true) commands[key] = c
    else commands[key] = Object.fromEntries(TABLE_KEYS.filter(k => c[k] !== undefined).map(k => [k, c[k]])) as ManifestEntry
  }
  return { commands }
}

/** ssmd's own commands (by id and alias) from the build's table (lightManifest); undefined when the build wrote none. */
export function ownCommands(root: string): Map<string, ManifestEntry> | undefined {
  const file = join(root, ...LIGHT_MANIFEST)
  if (!existsSync(file)) return undefined
  const manifest = readJson<{ commands?: Record<string, ManifestEntry> }>(file)
  const commands = new Map<string, ManifestEntry>()
  for (const c of Object.values(manifest.commands ?? {})) {
    commands.set(c.id, c)
    for (const alias of [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]) if (!commands.has(alias)) commands.set(alias, c)
  }
  return commands
}

export interface RunnableCommand {
  id?: string
  new (argv: string[], config: LightConfig): { _run(): Promise<unknown> }
}

/**
 * The light start's run of `args` (a function that runs the command and
 * throws its errors as oclif's `run` does), or undefined, having done
 * nothing, when oclif must run them. `load` gives the command's class (from
 * the build's bundle of that command, lightBundle), or undefined when there is none; `os` is oclif's platform name.
 */
export function lightRunner(
  root: string,
  args: readonly string[],
  load: (id: string) => Promise<RunnableCommand | undefined>,
  os: () => Promise<string>,
): (() => Promise<void>) | undefined {
  if (process.env.SSMD_FULL_START === '1') return undefined
  const start = plainStart(root)
  if (!start) return undefined
  const commands = ownCommands(root)
  if (!commands) return undefined
  const found = lightCommand(start, commands, args)
  if (!found) return undefined
  return async () => {
    const Command = await load(found.id)
    if (Command === undefined) throw new Error(`the build wrote no light-start bundle of '${found.id}'; run \`npm run build\``)
    const config = new LightConfig(start, commands, await os())
    // What oclif sets on a command class it loads from a plugin.
    Command.id = found.id
    await new Command(found.argv, config)._run()
  }
}
