import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../lib/cli/command.js'
import { cacheFlags } from '../lib/cli/cache-flags.js'
import { formatGithub, formatJson, formatJunit, formatSarif, formatText, FORMATS } from '../lib/cli/findings-format.js'
import { filterByPaths, pluginsOffNotice, validateRepository, type ValidationResult } from '../lib/cli/validation.js'
import { colorEnabled } from '../lib/cli/style.js'
import { progressOnTty } from '../lib/cli/progress.js'
import { checkReportPaths } from '../lib/workspace/paths.js'
import { findGitRoot } from '../lib/git/find.js'
import { plural } from '../lib/core/text.js'
import type { CacheStrategy } from '../lib/workspace/cache.js'
import { resolve } from 'node:path'

/**
 * JSON (`--json` or `--format json`):
 * { findings: [{ rule, severity, message, file, line, column, path, plugin }], summary: { errors, warnings, infos, files, files_with_errors, plugins: [{ name, pack, rules, ms, status }] } }
 */
export default class Validate extends SsmdCommand<typeof Validate> {
  // With no user plugin installed, ssmd's own rules are all there is to run: no oclif plugin objects needed.
  static override lightStart = true
  static override summary = 'Check every file, cross-file reference, hash and definition.'
  static override description =
    'Runs the JSON Schema contract, every built-in rule and every installed plugin rule over the whole repository and reports all findings at once. With paths, only findings in those files or folders are shown (cross-file rules still see everything). Exit code 1 when there are errors (or warnings with --strict).'
  static override examples = [
    { description: 'Check the whole repository', command: '<%= config.bin %> validate' },
    { description: 'Report only on one file (cross-file rules still see everything)', command: '<%= config.bin %> validate feeds/kalshi.yaml' },
    { description: 'Annotations for GitHub Actions', command: '<%= config.bin %> validate --format github' },
    { description: 'SARIF for code scanning', command: '<%= config.bin %> validate --format sarif > ssmd.sarif' },
    { description: 'Fail on warnings too, as JSON', command: '<%= config.bin %> validate --strict --json' },
    { description: 'Read and check every file anew, ignoring the cache', command: '<%= config.bin %> validate --no-cache' },
    { description: 'In CI: keep the cache in a folder the CI caches between runs', command: '<%= config.bin %> validate --cache-location .cache/ssmd' },
    { description: 'Only the built-in rules, no plugins', command: '<%= config.bin %> validate --no-plugins' },
  ]
  static override strict = false
  static override args = {
    paths: Args.string({ description: 'Files or folders to report on (default: the whole repository).' }),
  }
  static override flags = {
    format: Flags.string({ char: 'f', summary: 'Output format.', options: [...FORMATS], default: 'text' }),
    strict: Flags.boolean({ summary: 'Fail on warnings too.' }),
    cache: Flags.boolean({
      summary: 'Reuse what earlier runs learned about unchanged files (.ssmd/cache); --no-cache reads and checks everything anew.',
      default: true,
      allowNo: true,
    }),
    ...cacheFlags,
    plugins: Flags.boolean({ summary: 'Run installed plugins (--no-plugins, or SSMD_NO_PLUGINS=1: built-in rules only).', default: true, allowNo: true }),
    'path-base': Flags.string({ summary: 'Folder that github and sarif paths are relative to (default: the git work-tree root, else the current folder).' }),
  }

  async run(): Promise<{ findings: ValidationResult['findings']; summary: ValidationResult['summary'] }> {
    const root = this.root()
    const paths = this.positionals
    checkReportPaths(root, paths)
    const progress = this.jsonEnabled() || this.flags.quiet ? undefined : progressOnTty('validating')
    let full: ValidationResult
    try {
      full = await validateRepository(this.config, root, {
        cache: this.flags.cache,
        cacheStrategy: this.flags['cache-strategy'] as CacheStrategy,
        cacheLocation: this.flags['cache-location'],
        plugins: this.flags.plugins,
        onProgress: progress?.update,
      })
    } finally {
      progress?.end()
    }
    const result = filterByPaths(full, paths)
    const base = this.flags['path-base'] === undefined ? (findGitRoot(root) ?? process.cwd()) : resolve(this.flags['path-base'])
    const { summary } = result
    const failed = summary.errors > 0 || (this.flags.strict && summary.warnings > 0)
    if (!this.jsonEnabled()) {
      switch (this.flags.format) {
        case 'json':
          this.log(formatJson(result))
          break
        case 'github':
          this.log(formatGithub(result, base))
          break
        case 'sarif':
          this.log(formatSarif(result, this.config.version, base))
          break
        case 'junit':
          this.log(formatJunit(result))
          break
        default: {
          const text = formatText(result, { color: colorEnabled(), quiet: this.flags.quiet, verbose: this.flags.verbose })
          if (this.flags.quiet) {
            const body = text.split('\n').slice(0, -1).join('\n').trim()
            if (body) this.log(body)
          } else this.log(text)
        }
      }
    }
    if (summary.plugins_off && summary.plugins_off.required.length > 0) this.notice(pluginsOffNotice(summary.plugins_off))
    if (this.flags.verbose) {
      const c = full.cache
      this.note(
        c === undefined
          ? 'cache: not used (--no-cache)'
          : `cache (${c.strategy}, ${c.location}): ${plural(c.hits, 'file')} unchanged by stat data, ${c.index} by git's index, ${c.content} by content, ${c.misses} read anew; ${plural(c.definitions, 'definition')} reused`,
      )
      const p = full.parallel
      this.note(
        p === undefined
          ? 'second thread: not used'
          : `second thread: read and checked ${plural(p.worker, 'feed or environment', 'feeds and environments')} of ${p.worker + p.here}`,
      )
      const runs = summary.plugins
      this.note(runs.length === 0 ? 'plugins: none ran (built-in rules only)' : `plugins (each in its own sandboxed process):`)
      for (const p of runs)
        this.note(
          `  ${p.name}@${p.version}${p.pack ? ` (${p.pack}, ${p.rules} rule${p.rules === 1 ? '' : 's'})` : ''}: ${p.cached ? `${p.status}, from the cache (nothing it reads changed)` : `${p.status}, ${p.ms} ms`}`,
        )
    }
    if (failed) process.exitCode = 1
    return { findings: result.findings, summary }
  }
}
