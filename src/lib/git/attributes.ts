import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { expandHome } from './config.js'
import type { Repository } from './repo.js'
import { PathPattern } from './wildmatch.js'

/** An attribute's state: set (`text`), unset (`-text`), a value (`eol=lf`), or unspecified (absent or `!text`). */
export type AttrValue = true | false | string | undefined

interface AttrRule {
  pattern: PathPattern
  assignments: Array<[string, AttrValue]>
}

interface AttrFile {
  /** Folder the patterns are relative to ('' for the top or files outside the tree). */
  base: string
  rules: AttrRule[]
}

const BUILTIN_MACROS: Record<string, Array<[string, AttrValue]>> = {
  binary: [
    ['diff', false],
    ['merge', false],
    ['text', false],
  ],
}

/** The attributes that change what `git add` stores, and `diff`, which changes how `git diff` shows a file. */
const WATCHED = ['text', 'crlf', 'eol', 'filter', 'ident', 'working-tree-encoding', 'diff']

/**
 * gitattributes as git resolves them for `git add`: `core.attributesFile`
 * (default `$XDG_CONFIG_HOME/git/attributes`) lowest, then `.gitattributes`
 * from the top of the working tree down to the file's folder, then
 * `.git/info/attributes` highest; within a file the last matching line wins.
 * Macros (`binary`, and `[attr]` lines in the top-level files) are expanded.
 */
export class Attributes {
  private readonly global: AttrFile | undefined
  private readonly info: AttrFile | undefined
  private readonly perDir = new Map<string, AttrFile | undefined>()
  private readonly macros = new Map<string, Array<[string, AttrValue]>>(Object.entries(BUILTIN_MACROS))
  private readonly ignoreCase: boolean

  constructor(private readonly repo: Repository) {
    this.ignoreCase = repo.config.getBool('core.ignorecase') ?? false
    const configured = repo.config.get('core.attributesfile')
    const xdg = process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config')
    this.global = this.readFile(configured ? expandHome(configured) : join(xdg, 'git', 'attributes'), '', true)
    this.perDir.set('', this.readFile(join(repo.workTree, '.gitattributes'), '', true))
    this.info = this.readFile(join(repo.gitdir, 'info', 'attributes'), '', true)
  }

  /** False when no attributes file that applies to files in the git folder `dir` ('' for the top) sets a watched attribute: get() is empty for all of them. */
  anyIn(dir: string): boolean {
    if ((this.global?.rules.length ?? 0) > 0 || (this.info?.rules.length ?? 0) > 0) return true
    const parts = dir === '' ? [] : dir.split('/')
    for (let i = 0; i <= parts.length; i++) if ((this.dir(parts.slice(0, i).join('/'))?.rules.length ?? 0) > 0) return true
    return false
  }

  /** The watched attributes of a git path. */
  get(path: string): Record<string, AttrValue> {
    const files: AttrFile[] = []
    if (this.global) files.push(this.global)
    const parts = path.split('/')
    for (let i = 0; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      const f = this.dir(dir)
      if (f) files.push(f)
    }
    if (this.info) files.push(this.info)
    const out: Record<string, AttrValue> = {}
    for (const f of files) {
      for (const rule of f.rules) {
        if (!rule.pattern.matches(path, false, this.ignoreCase)) continue
        for (const [name, value] of rule.assignments) {
          if (value === undefined) delete out[name]
          else out[name] = value
        }
      }
    }
    return out
  }

  private dir(dir: string): AttrFile | undefined {
    if (!this.perDir.has(dir)) this.perDir.set(dir, this.readFile(join(this.repo.workTree, dir, '.gitattributes'), dir, false))
    return this.perDir.get(dir)
  }

  private readFile(file: string, base: string, macrosAllowed: boolean): AttrFile | undefined {
    if (!existsSync(file)) return undefined
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return undefined
    }
    const rules: AttrRule[] = []
    // As git reads it: a byte order mark skipped, blanks (space, tab, CR) around each line ignored.
    for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
      const line = raw.replace(/^[ \t\r]+|[ \t\r]+$/g, '')
      if (!line || line.startsWith('#')) continue
      const [pattern, ...fields] = splitLine(line)
      if (pattern.startsWith('[attr]')) {
        if (macrosAllowed) this.macros.set(pattern.slice(6), fields.map(parseAssignment))
        continue
      }
      // git ignores negative patterns here, and a folder-only pattern never names a file.
      if (pattern.startsWith('!')) continue
      if (pattern.endsWith('/')) continue
      const assignments: Array<[string, AttrValue]> = []
      for (const field of fields) {
        const [name, value] = parseAssignment(field)
        const macro = this.macros.get(name)
        if (macro && value === true) assignments.push(...macro)
        assignments.push([name, value])
      }
      if (!assignments.some(([n]) => WATCHED.includes(n))) continue
      rules.push({ pattern: new PathPattern(pattern, base), assignments })
    }
    return { base, rules }
  }
}

function splitLine(line: string): string[] {
  if (line.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"\s*(.*)$/.exec(line)
    if (m) return [m[1].replace(/\\(.)/g, '$1'), ...m[2].split(/\s+/).filter(Boolean)]
  }
  return line.split(/\s+/)
}

function parseAssignment(field: string): [string, AttrValue] {
  if (field.startsWith('-')) return [field.slice(1), false]
  if (field.startsWith('!')) return [field.slice(1), undefined]
  const eq = field.indexOf('=')
  if (eq !== -1) return [field.slice(0, eq), field.slice(eq + 1)]
  return [field, true]
}

type CrlfAction = 'binary' | 'text' | 'text-input' | 'text-crlf' | 'auto' | 'auto-input' | 'auto-crlf' | 'undefined'

interface Stats {
  lonecr: number
  lonelf: number
  crlf: number
  nul: number
  printable: number
  nonprintable: number
}

function gatherStats(buf: Buffer): Stats {
  const s: Stats = { lonecr: 0, lonelf: 0, crlf: 0, nul: 0, printable: 0, nonprintable: 0 }
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]
    if (c === 13) {
      if (buf[i + 1] === 10) {
        s.crlf++
        i++
      } else s.lonecr++
    } else if (c === 10) s.lonelf++
    else if (c === 127) s.nonprintable++
    else if (c < 32) {
      if (c === 8 || c === 9 || c === 27 || c === 12) s.printable++
      else {
        if (c === 0) s.nul++
        s.nonprintable++
      }
    } else s.printable++
  }
  if (buf.length > 0 && buf[buf.length - 1] === 0x1a) s.nonprintable--
  return s
}

function isBinaryStats(s: Stats): boolean {
  return s.lonecr > 0 || s.nul > 0 || s.printable >> 7 < s.nonprintable
}

/**
 * What `git add` does to a working file's bytes before hashing them
 * (convert_to_git): line endings per `text`/`eol`/`crlf` attributes,
 * `core.autocrlf` and `core.eol`, with git's "safer autocrlf" rule (a file
 * whose index version has CRLFs is left alone) and `core.safecrlf=true`
 * refusals. Attributes ssmd cannot reproduce exactly (a `filter` driver,
 * `ident`, `working-tree-encoding`) are refused by path.
 */
export class ContentConverter {
  /** The attributes of each path (also read for `git diff`'s `diff` attribute). */
  readonly attributes: Attributes
  private readonly autocrlf: 'true' | 'false' | 'input'
  private readonly eolIsCrlf: boolean
  private readonly safecrlfDie: boolean

  constructor(
    repo: Repository,
    private readonly indexBlob: (path: string) => Buffer | undefined,
  ) {
    this.attributes = new Attributes(repo)
    const a = (repo.config.get('core.autocrlf') ?? 'false').trim().toLowerCase()
    this.autocrlf = a === 'input' ? 'input' : /^(true|yes|on|1)$/.test(a) ? 'true' : 'false'
    const eol = (repo.config.get('core.eol') ?? '').toLowerCase()
    this.eolIsCrlf = this.autocrlf === 'true' ? true : this.autocrlf === 'input' ? false : eol === 'crlf'
    const safe = (repo.config.get('core.safecrlf') ?? 'warn').toLowerCase()
    this.safecrlfDie = safe !== 'warn' && /^(true|yes|on|1)$/.test(safe)
  }

  toGit(path: string, raw: Buffer): Buffer {
    const attrs = this.attributes.get(path)
    const instead = `commit it with \`git add ${path} && git commit\``
    if (typeof attrs.filter === 'string')
      throw new SsmdError(
        `${path} has the git attribute filter=${attrs.filter} (a clean/smudge filter, e.g. git-crypt or LFS), which ssmd cannot run exactly as git does: ${instead}`,
        { code: 'unsupported-repo' },
      )
    if (attrs.ident === true) throw new SsmdError(`${path} has the git attribute 'ident', which ssmd does not reproduce: ${instead}`, { code: 'unsupported-repo' })
    if (typeof attrs['working-tree-encoding'] === 'string')
      throw new SsmdError(`${path} has the git attribute working-tree-encoding=${attrs['working-tree-encoding']}, which ssmd does not reproduce: ${instead}`, {
        code: 'unsupported-repo',
      })
    const action = this.action(attrs)
    if (action === 'binary' || raw.length === 0) return raw
    const stats = gatherStats(raw)
    let convert = stats.crlf > 0
    const auto = action === 'auto' || action === 'auto-input' || action === 'auto-crlf'
    if (auto) {
      if (isBinaryStats(stats)) return raw
      if (convert && this.hasCrlfInIndex(path)) convert = false
    }
    if (this.safecrlfDie) {
      const after = { ...stats }
      if (convert) {
        after.lonelf += after.crlf
        after.crlf = 0
      }
      if (this.willConvertLfToCrlf(after, action)) {
        after.crlf += after.lonelf
        after.lonelf = 0
      }
      if (stats.crlf && !after.crlf)
        throw new SsmdError(`${path}: CRLF would be replaced by LF (core.safecrlf=true); fix the line endings or the setting, as \`git add ${path}\` would ask`, {
          code: 'invalid',
        })
      if (stats.lonelf && !after.lonelf)
        throw new SsmdError(`${path}: LF would be replaced by CRLF (core.safecrlf=true); fix the line endings or the setting, as \`git add ${path}\` would ask`, {
          code: 'invalid',
        })
    }
    if (!convert) return raw
    const out = Buffer.alloc(raw.length - stats.crlf)
    let j = 0
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === 13 && raw[i + 1] === 10) continue
      out[j++] = raw[i]
    }
    return out
  }

  private action(attrs: Record<string, AttrValue>): CrlfAction {
    const fromAttr = (v: AttrValue): CrlfAction => (v === true ? 'text' : v === false ? 'binary' : v === 'input' ? 'text-input' : v === 'auto' ? 'auto' : 'undefined')
    let action = fromAttr(attrs.text)
    if (action === 'undefined') action = fromAttr(attrs.crlf)
    if (action !== 'binary') {
      const eol = attrs.eol
      if (action === 'auto' && eol === 'lf') action = 'auto-input'
      else if (action === 'auto' && eol === 'crlf') action = 'auto-crlf'
      else if (eol === 'lf') action = 'text-input'
      else if (eol === 'crlf') action = 'text-crlf'
    }
    if (action === 'text') action = this.eolIsCrlf ? 'text-crlf' : 'text-input'
    if (action === 'undefined') action = this.autocrlf === 'true' ? 'auto-crlf' : this.autocrlf === 'input' ? 'auto-input' : 'binary'
    return action
  }

  private outputIsCrlf(action: CrlfAction): boolean {
    if (action === 'text-crlf' || action === 'auto-crlf') return true
    if (action === 'auto' || action === 'text') return this.eolIsCrlf
    return false
  }

  private willConvertLfToCrlf(s: Stats, action: CrlfAction): boolean {
    if (!this.outputIsCrlf(action) || !s.lonelf) return false
    if (action === 'auto' || action === 'auto-input' || action === 'auto-crlf') {
      if (s.lonecr || s.crlf) return false
      if (isBinaryStats(s)) return false
    }
    return true
  }

  private hasCrlfInIndex(path: string): boolean {
    const blob = this.indexBlob(path)
    if (!blob || !blob.includes(13)) return false
    const s = gatherStats(blob)
    return !isBinaryStats(s) && s.crlf > 0
  }
}
