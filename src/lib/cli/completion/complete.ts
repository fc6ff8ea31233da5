/*
 * The hidden completion entry point: `ssmd __complete <shell> -- <words…>`.
 * bin/run.js calls it without loading oclif; it reads the command manifests
 * and the repository (the current folder or -C) and prints one candidate per
 * line, `value<TAB>description`, or a single directive line:
 *   __files__   complete a file path (the shell's own path completion)
 *   __dirs__    complete a folder path
 * <words> are the words after `ssmd` up to the cursor; the last one is the
 * word being completed ('' after a space).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { commandTable } from '../argv.js'
import { loadManifest, type ManifestCommand, type ManifestFlag } from '../manifest.js'

export interface Candidate {
  value: string
  description?: string
}

export type Answer = Candidate[] | 'files' | 'dirs'

const GLOBAL_FLAGS: Record<string, ManifestFlag> = {
  dir: { name: 'dir', char: 'C', type: 'option', summary: 'The ssmd root to work in.' },
  json: { name: 'json', type: 'boolean', summary: 'Print JSON.' },
  quiet: { name: 'quiet', char: 'q', type: 'boolean', summary: 'Print only errors.' },
  verbose: { name: 'verbose', char: 'v', type: 'boolean', summary: 'More detail.' },
}

/** Flags whose values are paths; everything else with a value comes from options or the repository. */
const DIR_FLAGS = new Set(['dir', 'storage.path', 'path-base', 'out'])
const FILE_FLAGS = new Set(['file', 'cacert', 'cert', 'output'])
/** Commands whose positional arguments (not declared one by one) are environment names. */
const ENV_LIST_COMMANDS = new Set(['deploy', 'deploy:status'])

/** The repository names and ids completion offers, read on demand. */
class RepoView {
  private rootDir?: string | null
  constructor(private readonly start: string) {}

  root(): string | undefined {
    if (this.rootDir === undefined) {
      this.rootDir = null
      let dir = resolve(this.start)
      for (;;) {
        if (['feeds', 'schemas', 'environments', '.ssmd'].some(m => isDir(join(dir, m))) || exists(join(dir, 'ssmd.yaml'))) {
          this.rootDir = dir
          break
        }
        const parent = resolve(dir, '..')
        if (parent === dir) break
        dir = parent
      }
    }
    return this.rootDir ?? undefined
  }

  names(folder: 'feeds' | 'schemas' | 'environments'): string[] {
    const root = this.root()
    if (!root) return []
    let entries: string[]
    try {
      entries = readdirSync(join(root, folder))
    } catch {
      return []
    }
    // Only names a command could accept: a hostile file name must not put control characters on the terminal.
    return entries
      .filter(f => /^[\w][\w.-]*\.ya?ml$/.test(f))
      .map(f => f.replace(/\.ya?ml$/, ''))
      .sort()
  }

  private text(folder: string, name: string): string {
    const root = this.root()
    if (!root || !/^[\w.-]+$/.test(name)) return ''
    for (const ext of ['yaml', 'yml']) {
      try {
        const path = join(root, folder, `${name}.${ext}`)
        // Completion must answer at once: an oversized file is not read (validate reports it).
        if (statSync(path).size > 1024 * 1024) return ''
        return readFileSync(path, 'utf8')
      } catch {
        // try the other extension
      }
    }
    return ''
  }

  /** Version ids listed under `versions:` (feeds and schemas). */
  versions(folder: 'feeds' | 'schemas', name: string): string[] {
    const ids: string[] = []
    for (const m of this.text(folder, name).matchAll(/^\s*(?:-\s+)?version:\s*["']?([\w.-]+)["']?\s*(?:#.*)?$/gm)) ids.push(m[1])
    return [...new Set(ids)]
  }

  /** Key names of an environment's `keys:` mapping. */
  keys(env: string): string[] {
    const lines = this.text('environments', env).split(/\r?\n/)
    const start = lines.findIndex(l => /^keys:\s*(#.*)?$/.test(l))
    if (start === -1) return []
    const out: string[] = []
    let indent: number | undefined
    for (const line of lines.slice(start + 1)) {
      if (/^\s*(#.*)?$/.test(line)) continue
      const m = /^( +)([\w.-]+):/.exec(line)
      if (!m) break
      indent ??= m[1].length
      if (m[1].length === indent) out.push(m[2])
    }
    return out
  }

  /** `<schema>:<version>` references, reading only the schemas the word can still reach. */
  schemaRefs(cur: string): string[] {
    const colon = cur.indexOf(':')
    if (colon !== -1) return this.versions('schemas', cur.slice(0, colon)).map(v => `${cur.slice(0, colon)}:${v}`)
    const names = this.names('schemas').filter(n => n.startsWith(cur))
    if (names.length > 50) return names.map(n => `${n}:`)
    return names.flatMap(n => this.versions('schemas', n).map(v => `${n}:${v}`))
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function exists(p: string): boolean {
  try {
    statSync(p)
    return true
  } catch {
    return false
  }
}

const TOPIC_FOLDER: Record<string, 'feeds' | 'schemas' | 'environments'> = { feed: 'feeds', schema: 'schemas', env: 'environments', key: 'environments' }

/** Positional argument values the repository can supply. */
function argValues(cmd: ManifestCommand, argName: string, positionals: string[], repo: RepoView, cur: string): Answer {
  const [topic, verb] = cmd.id.split(':')
  const arg = cmd.args[argName]
  if (arg?.options) return arg.options.map(value => ({ value }))
  if (cmd.id === 'validate') return 'files'
  if (verb === 'create' || (topic === 'schema' && verb === 'register')) return []
  if (cmd.id === 'schema:set-status' || cmd.id === 'schema:remove-version' || cmd.id === 'schema:update-version')
    return argName === 'version' ? repo.schemaRefs(cur).map(value => ({ value })) : []
  if (cmd.id === 'feed:remove-version' && argName === 'version') return repo.versions('feeds', positionals[0] ?? '').map(value => ({ value }))
  if (cmd.id === 'schema:show') return [...repo.names('schemas'), ...(cur.includes(':') ? repo.schemaRefs(cur) : [])].map(value => ({ value }))
  if (cmd.id === 'schema:diff' && (argName === 'from' || argName === 'to')) return repo.versions('schemas', positionals[0] ?? '').map(value => ({ value }))
  if (argName === 'key' && cmd.id === 'env:remove-key') return repo.keys(positionals[0] ?? '').map(value => ({ value }))
  if (argName === 'key') return []
  const folder = argName === 'env' ? 'environments' : TOPIC_FOLDER[topic]
  if (folder && (argName === 'name' || argName === 'env' || argName === 'schema' || argName === 'feed')) return repo.names(folder).map(value => ({ value }))
  return []
}

/** Values for a flag that takes one. */
function flagValues(cmd: ManifestCommand | undefined, flag: ManifestFlag, positionals: string[], repo: RepoView, cur: string): Answer {
  if (flag.options) return flag.options.map(value => ({ value }))
  if (DIR_FLAGS.has(flag.name)) return 'dirs'
  if (FILE_FLAGS.has(flag.name) || (flag.name === 'key' && cmd?.id.startsWith('deploy'))) return 'files'
  if (flag.name === 'feed') return repo.names('feeds').map(value => ({ value }))
  if (flag.name === 'schema') return repo.schemaRefs(cur).map(value => ({ value }))
  const topic = cmd?.id.split(':')[0]
  if ((flag.name === 'version' || flag.name === 'copy-from') && topic === 'feed') return repo.versions('feeds', positionals[0] ?? '').map(value => ({ value }))
  if (flag.name === 'compatible-with' && topic === 'schema') return repo.versions('schemas', positionals[0] ?? '').map(value => ({ value }))
  return []
}

function allFlags(cmd: ManifestCommand | undefined): Record<string, ManifestFlag> {
  return { ...(cmd ? cmd.flags : {}), ...(cmd ? {} : GLOBAL_FLAGS) }
}

function findFlag(flags: Record<string, ManifestFlag>, word: string): ManifestFlag | undefined {
  const name = word.split('=')[0]
  if (name.startsWith('--')) {
    const bare = name.slice(2)
    if (flags[bare]) return flags[bare]
    if (bare.startsWith('no-') && flags[bare.slice(3)]?.allowNo) return flags[bare.slice(3)]
    return undefined
  }
  if (/^-[^-]/.test(name)) return Object.values(flags).find(f => f.char === name.slice(1, 2))
  return undefined
}

/** A command's one-line description, with oclif's `<%= config.bin %>` template filled in. */
function summaryOf(c: ManifestCommand | undefined): string | undefined {
  const text = c?.summary ?? c?.description?.split('\n')[0]
  return text?.replace(/<%=\s*config\.bin\s*%>/g, 'ssmd').replace(/<%=[^%]*%>/g, '')
}

/** The completions for `words` (the last one being completed). */
export function completions(projectRoot: string, words: string[], cwd = process.cwd()): Answer {
  const manifest = loadManifest(projectRoot)
  const visible = [...manifest.commands.entries()].filter(([, c]) => !c.hidden)
  const table = commandTable(visible.map(([id]) => id))
  const cur = words.at(-1) ?? ''
  const before = words.slice(0, -1)
  const idWords: string[] = []
  let cmd: ManifestCommand | undefined
  const positionals: string[] = []
  const used = new Set<string>()
  let pending: ManifestFlag | undefined
  let dir: string | undefined
  let dashDash = false
  const flagsNow = () => allFlags(cmd)

  for (const w of before) {
    if (pending) {
      if (pending.name === 'dir') dir = w
      pending = undefined
      continue
    }
    if (!dashDash && w === '--') {
      dashDash = true
      continue
    }
    if (!dashDash && w.startsWith('-') && w !== '-') {
      const flag = findFlag(flagsNow(), w) ?? findFlag(GLOBAL_FLAGS, w)
      if (flag) {
        used.add(flag.name)
        if (flag.type === 'option' && !w.includes('=') && !/^-[^-]./.test(w)) pending = flag
        else if (flag.name === 'dir') dir = w.includes('=') ? w.slice(w.indexOf('=') + 1) : w.slice(2)
      }
      continue
    }
    if (!cmd || (positionals.length === 0 && table.prefixes.has(cmd.id))) {
      const candidate = [...idWords, w].join(':')
      if (table.ids.has(candidate) || table.prefixes.has(candidate)) {
        idWords.push(w)
        cmd = manifest.commands.get(candidate)
        continue
      }
      if (!cmd) return []
    }
    positionals.push(w)
  }

  const repo = new RepoView(dir === undefined ? cwd : isAbsolute(dir) ? dir : resolve(cwd, dir))
  const filter = (answer: Answer, prefix = cur): Answer => (typeof answer === 'string' ? answer : answer.filter(c => c.value.startsWith(prefix)))

  if (pending) return filter(flagValues(cmd, pending, positionals, repo, cur))

  if (!dashDash && cur.startsWith('-')) {
    const flags = flagsNow()
    if (cur.includes('=')) {
      const flag = findFlag(flags, cur) ?? findFlag(GLOBAL_FLAGS, cur)
      if (!flag || flag.type !== 'option') return []
      const head = cur.slice(0, cur.indexOf('=') + 1)
      const values = flagValues(cmd, flag, positionals, repo, cur.slice(head.length))
      if (typeof values === 'string') return values
      return filter(values.map(v => ({ value: head + v.value, description: v.description })))
    }
    const out: Candidate[] = []
    for (const f of Object.values(flags)) {
      if (f.hidden || (used.has(f.name) && !f.multiple)) continue
      out.push({ value: `--${f.name}`, description: f.summary })
      if (f.type === 'boolean' && f.allowNo) out.push({ value: `--no-${f.name}`, description: f.summary })
    }
    out.push({ value: '--help', description: 'Show help.' })
    if (!cmd) out.push({ value: '--version', description: 'Show the version.' })
    if (cur.length === 2 && cur !== '--') {
      const short = Object.values(flags).find(f => f.char === cur[1])
      if (short) return [{ value: cur, description: short.summary }]
    }
    return filter(out.sort((a, b) => a.value.localeCompare(b.value)))
  }

  // Command words: the next word of an id.
  const out: Candidate[] = []
  if (!cmd || (positionals.length === 0 && table.prefixes.has(cmd.id))) {
    const prefix = idWords.length === 0 ? '' : `${idWords.join(':')}:`
    const seen = new Set<string>()
    for (const [id, c] of visible) {
      // Aliases resolve (above) but are not offered beside the command's own name.
      if (!id.startsWith(prefix) || id !== c.id) continue
      const next = id.slice(prefix.length).split(':')[0]
      if (seen.has(next)) continue
      seen.add(next)
      const isTopic = table.prefixes.has(prefix + next)
      const description = isTopic ? (manifest.topics.get(prefix + next) ?? summaryOf(c)) : summaryOf(c)
      out.push({ value: next, description })
    }
    if (cmd === undefined) return filter(out.sort((a, b) => a.value.localeCompare(b.value)))
  }
  if (!cmd) return []
  // `ssmd help <command words>`
  if (cmd.id === 'help') {
    const typed = positionals.join(':')
    const prefix = typed === '' ? '' : `${typed}:`
    const next = new Map<string, string | undefined>()
    for (const [id, c] of visible)
      if (id === c.id && id.startsWith(prefix) && id !== 'help')
        next.set(
          id.slice(prefix.length).split(':')[0],
          table.prefixes.has(prefix + id.slice(prefix.length).split(':')[0]) ? manifest.topics.get(prefix + id.slice(prefix.length).split(':')[0]) : summaryOf(c),
        )
    return filter([...next.entries()].map(([value, description]) => ({ value, description })).sort((a, b) => a.value.localeCompare(b.value)))
  }
  // `deploy` is a command and a topic: its subcommands (`out`) come with the environment names.
  if (ENV_LIST_COMMANDS.has(cmd.id))
    return filter([
      ...out,
      ...repo
        .names('environments')
        .filter(n => !positionals.includes(n))
        .map(value => ({ value })),
    ])
  const argNames = Object.keys(cmd.args)
  const argName = argNames[positionals.length] ?? (cmd.strict === false ? argNames.at(-1) : undefined)
  if (argName) {
    const values = argValues(cmd, argName, positionals, repo, cur)
    if (typeof values === 'string') return out.length === 0 ? values : filter(out)
    return filter([...out, ...values])
  }
  return filter(out)
}

/**
 * Entry point: prints the answer, returns the exit code.
 * @public imported from dist/ by bin/run.js
 */
export function complete(projectRoot: string, argv: string[]): number {
  const dashes = argv.indexOf('--')
  const words = dashes === -1 ? argv.slice(1) : argv.slice(dashes + 1)
  let answer: Answer
  try {
    answer = completions(projectRoot, words.length === 0 ? [''] : words)
  } catch {
    return 0
  }
  if (answer === 'files') process.stdout.write('__files__\n')
  else if (answer === 'dirs') process.stdout.write('__dirs__\n')
  else {
    const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ')
    process.stdout.write(answer.map(c => (c.description ? `${clean(c.value)}\t${clean(c.description)}` : clean(c.value)) + '\n').join(''))
  }
  return 0
}
