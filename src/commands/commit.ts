import { Flags } from '@oclif/core'
import { SsmdCommand } from '../lib/cli/command.js'
import { cacheFlags } from '../lib/cli/cache-flags.js'
import { SsmdError } from '../lib/core/errors.js'
import { plural } from '../lib/core/text.js'
import { quotePath } from '../lib/git/quote.js'
import { commitSsmdChanges } from '../lib/git/commit.js'
import type { GateSnapshot } from '../lib/git/gate-snapshot.js'
import type { Finding } from '../lib/validate/types.js'
import type { ValidationSummary } from '../lib/cli/validation.js'

/** `commit --json`: ssmd's keys in snake_case; findings as `validate --json` prints them. */
export interface CommitOutput {
  commit: string
  short: string
  branch?: string
  root_commit: boolean
  subject: string
  author: string
  files: Array<{ kind: string; path: string; git_path: string }>
  validation?: { errors: number; warnings: number; findings: Finding[]; summary: ValidationSummary }
}

export default class Commit extends SsmdCommand<typeof Commit> {
  static override summary = 'Validate, then commit the changed ssmd files (and nothing else).'
  static override description = `Stages the additions, modifications and deletions under feeds/, schemas/, environments/ and ssmd.yaml, and commits only those: anything else you staged stays staged and out of the commit. Validates first (unless --no-validate) and commits nothing when validation reports errors; validation covers every file the commit would take (a file under the ssmd folders that is not a document, a definition in use or kept by ssmd.yaml "keep:" is a repo/unrecognised-file error, and all of them are scanned for secrets). Never pushes.

The result is what \`git add <those paths> && git commit\` would give — line endings per .gitattributes and core.autocrlf, symbolic links, submodules, skip-worktree and assume-unchanged entries, the repository's pre-commit, prepare-commit-msg, commit-msg and post-commit hooks (--no-verify skips pre-commit and commit-msg) — or a one-line refusal naming what ssmd cannot reproduce (clean/smudge filters, signing, a sparse index, SHA-256 repositories) and the git command to use instead. Interrupted (Ctrl-C, SIGTERM), it releases git's locks. See \`ssmd docs git\`.

Author: --author, else GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, else user.name/user.email from the repository's git config, else from your global git config.

JSON (--json): {"commit", "short", "branch", "root_commit", "subject", "author", "files": [{"kind": "modified"|"added"|"deleted", "path", "git_path"}], "validation": {"errors", "warnings", "findings", "summary"}} (findings and summary as in 'ssmd validate --json'; no "validation" with --no-validate). When validation refuses the commit: {"error": {"code": "invalid", "message", "exit_code": 1}, "validation": {…}}.`
  static override examples = [
    { description: 'Validate, then commit every changed ssmd file', command: '<%= config.bin %> commit -m "kalshi: move to the v2 endpoint"' },
    { description: 'Commit as someone else', command: '<%= config.bin %> commit -m "add polygon feed" --author "Ada Lovelace <ada@example.com>"' },
    { description: 'Commit without validating first', command: '<%= config.bin %> commit -m "wip" --no-validate' },
  ]
  // Validating reads oclif's plugin list: only `--no-validate` runs on the light start.
  static override lightStart = true
  static override fullStartFlags = ['validate']
  static override flags = {
    message: Flags.string({ char: 'm', summary: 'The commit message (repeat for more paragraphs).', required: true, multiple: true }),
    validate: Flags.boolean({ summary: 'Validate before committing (--no-validate skips it).', default: true, allowNo: true }),
    author: Flags.string({ summary: 'Commit as "Name <email>".' }),
    verify: Flags.boolean({ summary: "Run the repository's pre-commit and commit-msg hooks (--no-verify skips them, as in git).", default: true, allowNo: true }),
    cache: Flags.boolean({ summary: 'Let validation reuse what earlier runs learned about unchanged files (.ssmd/cache).', default: true, allowNo: true }),
    ...cacheFlags,
  }

  async run(): Promise<CommitOutput> {
    const root = this.root()
    let validation: CommitOutput['validation']
    let checked: GateSnapshot | undefined
    if (this.flags.validate) {
      // The light start gives no plugin list; it must never take a validating run (src/lib/cli/light-start.ts, fullStartFlags).
      if (!(this.config.plugins instanceof Map))
        throw new Error('commit: validation needs the plugin list, which the light start does not load; run with SSMD_FULL_START=1 and report this')
      const { requiredPluginsOff, requiredPluginsOffError, validateForCommit } = await import('../lib/cli/validation.js')
      const off = requiredPluginsOff(root)
      if (off) throw requiredPluginsOffError('commit', off, 'commit with --no-validate to skip validation altogether')
      const outcome = await validateForCommit(this.config, root, {
        cache: this.flags.cache,
        cacheStrategy: this.flags['cache-strategy'] as 'metadata' | 'content',
        cacheLocation: this.flags['cache-location'],
        cwd: this.startDir(),
      })
      checked = outcome.checked
      validation = { errors: outcome.errors, warnings: outcome.warnings, findings: outcome.findings, summary: outcome.summary }
      if (outcome.errors > 0) {
        throw new SsmdError(`validation found ${plural(outcome.errors, 'error')}; nothing was staged or committed (fix them, or commit anyway with --no-validate)`, {
          code: 'invalid',
          // With --json the findings are in the output, not repeated as text.
          details: outcome.report && !this.jsonEnabled() ? outcome.report.replace(/\n$/, '').split('\n') : [],
          json: { validation },
        })
      }
      // The report's lines are lines; note() escapes control characters within each (file names, messages).
      if (outcome.warnings > 0 && outcome.report && !this.jsonEnabled()) for (const line of outcome.report.replace(/\n$/, '').split('\n')) this.note(line)
    }
    const result = await commitSsmdChanges(root, { message: this.flags.message.join('\n\n'), author: this.flags.author, verify: this.flags.verify, cwd: this.startDir(), checked })
    const where = result.branch === undefined ? 'detached HEAD' : result.branch
    this.say(`[${where}${result.rootCommit ? ' (root-commit)' : ''} ${result.short}] ${result.subject}`)
    const count = (kind: string) => result.files.filter(f => f.kind === kind).length
    const parts = [
      ['modified', count('modified')],
      ['new', count('added')],
      ['deleted', count('deleted')],
    ]
      .filter(([, n]) => n)
      .map(([k, n]) => `${n} ${k}`)
    this.say(` ${plural(result.files.length, 'file')} changed (${parts.join(', ')})`)
    if (this.flags.verbose) for (const f of result.files) this.say(`  ${f.kind === 'added' ? 'new' : f.kind}: ${quotePath(this.shownPath(f.path), result.quotePath)}`)
    return {
      commit: result.commit,
      short: result.short,
      branch: result.branch,
      root_commit: result.rootCommit,
      subject: result.subject,
      author: result.author,
      files: result.files.map(f => ({ kind: f.kind, path: f.path, git_path: f.gitPath })),
      validation,
    }
  }
}
