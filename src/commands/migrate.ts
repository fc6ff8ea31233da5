/*
 * JSON (--json):
 * { root: string, dry_run: boolean, files: [{ file, action: 'edit' | 'create' | 'remove', changes: string[] }],
 *   needs_person: [{ file, line, column, message }],
 *   validation?: { errors, warnings, findings: [{ rule, severity, message, file, line, column }] } }
 * Paths are relative to the folder ssmd was run in (or -C).
 */
import { Flags } from '@oclif/core'
import { relative, sep } from 'node:path'
import { SsmdCommand } from '../lib/cli/command.js'
import { formatText } from '../lib/cli/findings-format.js'
import { colorEnabled } from '../lib/cli/style.js'
import { validateRepository } from '../lib/cli/validation.js'
import { applyMigration, findMigrationRoot, planMigration, type MigrationRoot } from '../lib/migrate/go-repository.js'
import type { Finding } from '../lib/validate/types.js'

interface FileResult {
  file: string
  action: 'edit' | 'create' | 'remove'
  changes: string[]
}
interface PersonResult {
  file: string
  line: number
  column: number
  message: string
}
interface MigrateResult {
  root: string
  dry_run: boolean
  files: FileResult[]
  needs_person: PersonResult[]
  validation?: { errors: number; warnings: number; findings: Array<Pick<Finding, 'rule' | 'severity' | 'message' | 'file' | 'line' | 'column'>> }
}

export default class Migrate extends SsmdCommand<typeof Migrate> {
  static override summary = 'Convert a repository made by the original Go ssmd tool to this file format, in place.'
  static override description =
    'Prints the plan file by file, then writes each changed file atomically (comments and layout elsewhere kept) and runs validation. What cannot be converted mechanically is listed as one file:line:col line each. Running it again changes nothing. Exit code 0 when everything converted (or there was nothing to do), 1 when something needs a person. docs/migrate.md lists every conversion.'
  static override examples = [
    { description: 'Show what would change, file by file, writing nothing', command: '<%= config.bin %> migrate --dry-run' },
    { description: 'Convert the repository the current folder belongs to', command: '<%= config.bin %> migrate' },
  ]
  static override flags = {
    'dry-run': Flags.boolean({ summary: 'Show the plan and write nothing.' }),
  }
  static override enableJsonFlag = true

  private where?: MigrationRoot
  private migrationRoot(): MigrationRoot {
    this.where ??= findMigrationRoot(this.startDir())
    return this.where
  }

  /** The migration's root: with the Go layout, `exchanges/`, whose local config is the one to read (if any yet). */
  protected override root(): string {
    return this.migrationRoot().root
  }

  private shown(abs: string): string {
    const rel = relative(this.startDir(), abs) || '.'
    return sep === '/' ? rel : rel.split(sep).join('/')
  }

  async run(): Promise<MigrateResult> {
    const where = this.migrationRoot()
    const dryRun = this.flags['dry-run']
    const plan = planMigration(where)
    const files: FileResult[] = plan.files.map(f => ({
      file: this.shown(f.path),
      action: f.content === undefined ? 'remove' : f.created ? 'create' : 'edit',
      changes: f.changes,
    }))
    const needsPerson: PersonResult[] = plan.items.map(i => ({ file: this.shown(i.path), line: i.line, column: i.column, message: i.message }))
    const result: MigrateResult = { root: this.shown(plan.root), dry_run: dryRun, files, needs_person: needsPerson }

    if (files.length === 0) this.say(`nothing to convert in ${result.root}`)
    for (const f of files) {
      this.say(`${f.action === 'edit' ? '' : `${f.action} `}${f.file}`)
      for (const c of f.changes) this.say(`  ${c}`)
    }
    if (!dryRun && files.length > 0) {
      applyMigration(plan)
      this.say(`converted ${files.length} file${files.length === 1 ? '' : 's'}`)
    } else if (dryRun && files.length > 0) this.say(`dry run: ${files.length} file${files.length === 1 ? '' : 's'} would change; nothing written`)

    if (!dryRun) {
      const validation = await validateRepository(this.config, plan.root, { cache: false })
      const { errors, warnings } = validation.summary
      result.validation = {
        errors,
        warnings,
        findings: validation.findings.map(f => ({ rule: f.rule, severity: f.severity, message: f.message, file: f.file, line: f.line, column: f.column })),
      }
      if (errors > 0 || warnings > 0) {
        this.say('')
        this.say(`ssmd validate ${this.shown(plan.root)} after the conversion:`)
        this.say(formatText(validation, { color: colorEnabled(), quiet: this.flags.quiet, verbose: this.flags.verbose }))
      } else this.say(`ssmd validate: no errors, no warnings`)
    }
    if (needsPerson.length > 0 && !this.jsonEnabled()) {
      // Shown even with --quiet: these are what is left to do.
      if (!this.flags.quiet) this.log('')
      this.log(`needs a person (${needsPerson.length}):`)
      for (const i of needsPerson) this.log(`${i.file}:${i.line}:${i.column}: ${i.message}`)
    }
    if (plan.root !== this.startDir() && !dryRun && files.length > 0) this.say(`the ssmd root is ${result.root}: run ssmd there, or with -C ${result.root}`)
    if (needsPerson.length > 0 || (result.validation?.errors ?? 0) > 0) process.exitCode = 1
    return result
  }
}
