import { Flags } from '@oclif/core'
import { SsmdCommand } from '../lib/cli/command.js'
import { quotePath } from '../lib/git/quote.js'
import { describeChange, renderStat, type FileDiff } from '../lib/git/render.js'
import { openRepository } from '../lib/git/repo.js'
import { refreshStaleStat, ssmdStatus } from '../lib/git/status.js'
import { snakeKeys } from '../lib/cli/json.js'

/** One changed file in `ssmd diff --json`. */
export type DiffFile = FileDiff

export interface DiffResult {
  modified: DiffFile[]
  added: DiffFile[]
  deleted: DiffFile[]
}

export default class Diff extends SsmdCommand<typeof Diff> {
  static override lightStart = true
  static override summary = 'Show what changed in the ssmd files since the last commit.'
  static override description = `Compares the last commit (HEAD) with the working tree — staged or not — for feeds/, schemas/, environments/ and ssmd.yaml only. Paths are relative to the current directory; ignored files are never shown.

JSON (--json): {"modified": [...], "added": [...], "deleted": [...]}, each item {"path" (relative to the ssmd root), "git_path" (relative to the git repository), and with --stat/--patch "insertions", "deletions", "binary", "old_mode"/"new_mode" when the mode changed; with --patch "patch"}.`
  static override examples = [
    { description: 'Which ssmd files changed since the last commit', command: '<%= config.bin %> diff' },
    { description: 'With changed line counts, like git diff --stat', command: '<%= config.bin %> diff --stat' },
    { description: 'With a unified diff of each file', command: '<%= config.bin %> diff --patch' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> diff --json' },
  ]
  static override flags = {
    patch: Flags.boolean({ char: 'p', summary: 'Add a unified diff of each file.' }),
    stat: Flags.boolean({ summary: 'Show changed line counts per file, like git diff --stat.' }),
  }

  async run(): Promise<Record<keyof DiffResult, Array<Record<string, unknown>>>> {
    const root = this.root()
    const repo = openRepository(root, { cwd: this.startDir() })
    const status = await ssmdStatus(repo)
    refreshStaleStat(repo, status.stale, status.converter)
    const quote = repo.config.getBool('core.quotepath') ?? true
    const detail = this.flags.patch || this.flags.stat
    const result: DiffResult = { modified: [], added: [], deleted: [] }
    const files: DiffFile[] = []
    for (const c of status.changes) {
      const file: DiffFile = detail
        ? await describeChange(repo, c, { patch: this.flags.patch, converter: status.converter, quotePath: quote })
        : { path: c.path, gitPath: c.gitPath }
      files.push(file)
      result[c.kind].push(file)
    }
    if (files.length === 0) {
      this.say('No changes to ssmd files.')
      return json(result)
    }
    const show = (f: DiffFile) => quotePath(this.shownPath(f.path), quote)
    if (this.flags.stat) {
      for (const line of renderStat(files.map(f => ({ name: show(f), insertions: f.insertions ?? 0, deletions: f.deletions ?? 0, binary: f.binary })))) this.say(line)
    } else {
      const groups: Array<[string, DiffFile[]]> = [
        ['Modified:', result.modified],
        ['New:', result.added],
        ['Deleted:', result.deleted],
      ]
      let first = true
      for (const [title, list] of groups) {
        if (list.length === 0) continue
        if (!first) this.say()
        first = false
        this.say(title)
        for (const f of list) this.say(`  ${show(f)}${f.oldMode ? `  (mode ${f.oldMode} → ${f.newMode})` : ''}`)
      }
    }
    if (this.flags.patch) {
      for (const f of files) {
        this.say()
        this.say(f.patch!.replace(/\n$/, ''))
      }
    }
    return json(result)
  }
}

function json(result: DiffResult): Record<keyof DiffResult, Array<Record<string, unknown>>> {
  return { modified: result.modified.map(snakeKeys), added: result.added.map(snakeKeys), deleted: result.deleted.map(snakeKeys) }
}
