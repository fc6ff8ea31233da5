import { plural } from '../core/text.js'
import { diffDriver } from './funcname.js'
import { countChanges, diffLines, isBinary, unifiedHunks } from './line-diff.js'
import { readObject } from './objects.js'
import type { Repository } from './repo.js'
import type { ContentConverter } from './attributes.js'
import { quotePath } from './quote.js'
import { workingContent, type FileChange } from './status.js'

/** One changed ssmd file with its line counts and, on request, its patch. */
export interface FileDiff {
  /** Relative to the ssmd root. */
  path: string
  /** Relative to the git working-tree root (the paths `git` shows). */
  gitPath: string
  insertions?: number
  deletions?: number
  binary?: boolean
  /** Mode before/after when it changed (e.g. made executable). */
  oldMode?: string
  newMode?: string
  /** The unified diff (git's format, git paths in the headers). */
  patch?: string
}

/** Line counts and (with `patch`) the unified diff of a change. */
export async function describeChange(repo: Repository, c: FileChange, options: { patch: boolean; converter: ContentConverter; quotePath?: boolean }): Promise<FileDiff> {
  const before = c.head ? (await readObject(repo, c.head.oid)).content : Buffer.alloc(0)
  const after = !c.work
    ? Buffer.alloc(0)
    : (c.work.content ?? (c.work.stat ? workingContent(repo, options.converter, c.gitPath, c.work.stat) : (await readObject(repo, c.work.oid)).content))
  const out: FileDiff = { path: c.path, gitPath: c.gitPath }
  if (c.kind === 'modified' && c.head!.mode !== c.work!.mode) {
    out.oldMode = c.head!.mode
    out.newMode = c.work!.mode
  }
  // As git diff shows it: the path's `diff` attribute and driver decide binary or text, and the hunk headers' function lines.
  const driver = diffDriver(repo.config, options.converter.attributes.get(c.gitPath).diff)
  const binary = driver.binary ?? (isBinary(before) || isBinary(after))
  let hunks: string[] = []
  if (binary) {
    out.binary = true
    out.insertions = 0
    out.deletions = 0
  } else {
    const edits = diffLines(before.toString('utf8'), after.toString('utf8'))
    Object.assign(out, countChanges(edits))
    if (options.patch) hunks = unifiedHunks(edits, 3, driver.funcLine)
  }
  if (options.patch) {
    const short = (oid?: string) => (oid ?? '0'.repeat(40)).slice(0, 7)
    const q = (prefix: string) => quotePath(prefix + c.gitPath, options.quotePath ?? true)
    const lines = [`diff --git ${q('a/')} ${q('b/')}`]
    if (c.kind === 'added') lines.push(`new file mode ${c.work!.mode}`, `index ${short()}..${short(c.work!.oid)}`)
    else if (c.kind === 'deleted') lines.push(`deleted file mode ${c.head!.mode}`, `index ${short(c.head!.oid)}..${short()}`)
    else if (out.oldMode) lines.push(`old mode ${out.oldMode}`, `new mode ${out.newMode}`, `index ${short(c.head!.oid)}..${short(c.work!.oid)}`)
    else lines.push(`index ${short(c.head!.oid)}..${short(c.work!.oid)} ${c.head!.mode}`)
    // git ends these lines with a tab when the name holds a space.
    const tab = c.gitPath.includes(' ') ? '\t' : ''
    const a = c.kind === 'added' ? '/dev/null' : q('a/') + tab
    const b = c.kind === 'deleted' ? '/dev/null' : q('b/') + tab
    if (binary) lines.push(`Binary files ${a.replace(/\t$/, '')} and ${b.replace(/\t$/, '')} differ`)
    else if (hunks.length > 0) lines.push(`--- ${a}`, `+++ ${b}`, ...hunks)
    out.patch = lines.join('\n') + '\n'
  }
  return out
}

/** git's `--stat` block: ` name | N +++--`, then the summary line. */
export function renderStat(rows: Array<{ name: string; insertions: number; deletions: number; binary?: boolean }>, width = 80): string[] {
  const nameWidth = Math.max(...rows.map(r => r.name.length))
  const counts = rows.map(r => (r.binary ? 'Bin' : String(r.insertions + r.deletions)))
  const countWidth = Math.max(...counts.map(c => c.length))
  const maxChange = Math.max(...rows.map(r => r.insertions + r.deletions))
  const room = Math.max(10, width - nameWidth - countWidth - 6)
  const scale = (n: number) => (maxChange <= room ? n : Math.max(n > 0 ? 1 : 0, Math.round((n * room) / maxChange)))
  const lines = rows.map((r, i) => {
    const bar = r.binary ? '' : '+'.repeat(scale(r.insertions)) + '-'.repeat(scale(r.deletions))
    return ` ${r.name.padEnd(nameWidth)} | ${counts[i].padStart(countWidth)}${bar ? ' ' + bar : ''}`
  })
  const ins = rows.reduce((n, r) => n + r.insertions, 0)
  const del = rows.reduce((n, r) => n + r.deletions, 0)
  const parts = [`${plural(rows.length, 'file')} changed`]
  if (ins > 0 || del === 0) parts.push(`${plural(ins, 'insertion')}(+)`)
  if (del > 0) parts.push(`${plural(del, 'deletion')}(-)`)
  lines.push(' ' + parts.join(', '))
  return lines
}
