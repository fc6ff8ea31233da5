/*
 * JSON (--json): {
 *   prefix, endpoints: string[], commit: string | null, dirty: string[],
 *   environments: Array<{ name, state: 'in-sync'|'drift'|'missing'|'not-in-git'|'cannot-render',
 *     deployed_commit: string | null, deployed_at?, deployed_by?,
 *     drift: string[]   (why etcd differs: 'old layout (9 keys)', 'content differs', '2 unexpected keys: …'),
 *     changes: Array<{ path, kind: 'add'|'change'|'delete', from?, to? }>   (etcd → git),
 *     hand_edits?: { exact: boolean, paths: string[] }, reason? }>
 * }
 * `not-in-git` rows (in etcd, not in the repository) only without names.
 */
import { Flags } from '@oclif/core'
import { connectOptions, etcdFlags } from '../../lib/cli/etcd-flags.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { snakeKeys } from '../../lib/cli/json.js'
import { colorEnabled, green, red, table } from '../../lib/cli/style.js'
import { pluginsOffNotice, policySeverities, requiredPluginsOff, validationSetup } from '../../lib/cli/validation.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { shortCommit } from '../../lib/deploy/deploy.js'
import { diffLines, pathsInBrief } from '../../lib/deploy/diff.js'
import { allEnvironments, selectEnvironments } from '../../lib/deploy/prepare.js'
import { runStatus, type DeployStatusResult, type StatusRow } from '../../lib/deploy/run.js'

export default class DeployStatus extends SsmdCommand<typeof DeployStatus> {
  static override summary = 'Show, per environment, the deployed commit and whether git and etcd differ (drift).'
  static override description =
    'Renders each environment from the working tree and compares it with what etcd holds, one row per environment: in-sync, drift (git differs, or a hand edit in etcd), missing, not in git, cannot render (with why). Without names: every environment, plus environments etcd holds that git no longer has. Exit 1 when an environment cannot be rendered; with --exit-code, 2 when any is not in sync.'
  static override examples = [
    { description: 'Whether every environment in etcd matches the repository', command: '<%= config.bin %> deploy status --etcd 10.0.0.5:2379' },
    { description: 'One environment, with what differs', command: '<%= config.bin %> deploy status kalshi-prod --etcd 10.0.0.5:2379 -v' },
    { description: 'In a script: exit 2 when anything is not in sync', command: '<%= config.bin %> deploy status --target prod --exit-code -q' },
  ]

  static override usage = ['deploy status [NAME...] (--etcd ENDPOINTS | --target NAME) [--exit-code] [FLAGS]']
  static override strict = false
  static override args = {}
  static override flags = {
    ...etcdFlags,
    'as-of': Flags.string({ summary: 'Resolve feed versions for this date (YYYY-MM-DD; default today, UTC).' }),
    'exit-code': Flags.boolean({ summary: 'Exit 2 when any environment is not in sync (drift, missing, not in git), 0 when all are (1 stays an error).' }),
  }

  async run(): Promise<Record<string, unknown>> {
    const root = this.root()
    const off = requiredPluginsOff(root)
    if (off) this.notice(pluginsOffNotice(off))
    const all = this.positionals.length === 0
    const names = all ? allEnvironments(root) : selectEnvironments(root, this.positionals, false, 'deploy status')
    const { prefix, options } = connectOptions(this.flags, process.env, root)
    const asOf = this.flags['as-of'] === undefined ? todayUtc() : checkDateFlag('as-of', this.flags['as-of'])
    const result = await runStatus({
      root,
      names,
      all,
      asOf,
      prefix,
      connect: options,
      validation: { ...(await validationSetup(this.config)), policyOf: policySeverities },
      ssmdVersion: this.config.version,
    })
    this.print(result)
    const broken = result.environments.filter(e => e.state === 'cannot-render')
    if (broken.length > 0) {
      const more = broken.length > 1 ? ` (and ${broken.length - 1} more cannot be rendered)` : ''
      this.fail(`${broken[0].name}: cannot render: ${broken[0].reason}${more}`)
    } else if (this.flags['exit-code'] && result.environments.some(e => e.state !== 'in-sync')) process.exitCode = 2
    // ssmd's JSON keys are snake_case (docs/terminal.md).
    return snakeKeys({ ...result, environments: result.environments.map(e => snakeKeys(e)) })
  }

  private print(r: DeployStatusResult): void {
    const rows = r.environments.map(s => [
      s.name,
      s.state.replaceAll('-', ' ').replace('in sync', 'in-sync'),
      shortCommit(s.deployedCommit),
      s.deployedAt ?? '',
      s.deployedBy ?? '',
      noteOf(s),
    ])
    const lines = rows.length === 0 ? ['No environments.'] : [table(['ENVIRONMENT', 'STATE', 'DEPLOYED COMMIT', 'DEPLOYED AT', 'BY', 'NOTE'], rows, { flex: [5, 4] })]
    if (this.flags.verbose) {
      const color = colorEnabled(process.stdout)
      const style = { removed: (s: string) => red(s, color), added: (s: string) => green(s, color) }
      for (const s of r.environments.filter(x => x.state === 'drift')) {
        lines.push(
          '',
          `${s.name}: etcd → git`,
          ...(s.drift ?? []).filter(d => d !== 'content differs').map(d => `  ${d}`),
          ...(s.changes.length === 0 && (s.drift ?? []).length === 0 ? ['  deploy record out of date'] : diffLines(s.changes, style)),
        )
      }
    }
    const count = (state: StatusRow['state']) => r.environments.filter(s => s.state === state).length
    const parts = [
      `${count('in-sync')} in sync`,
      `${count('drift')} drifted`,
      `${count('missing')} not deployed`,
      count('not-in-git') && `${count('not-in-git')} in etcd only`,
      count('cannot-render') && `${count('cannot-render')} cannot be rendered`,
    ]
    lines.push('', `git at ${shortCommit(r.commit)}: ${parts.filter(Boolean).join(', ')}`)
    this.say(lines.join('\n'))
    if (r.dirty.length > 0)
      this.note(
        `note: ${r.dirty.length} file${r.dirty.length === 1 ? '' : 's'} involved ha${r.dirty.length === 1 ? 's' : 've'} uncommitted changes (${r.dirty.slice(0, 3).join(', ')}${r.dirty.length > 3 ? ', …' : ''}); compared as in the working tree`,
      )
  }
}

/** The NOTE column: why an environment cannot be rendered, or what differs. */
function noteOf(s: StatusRow): string {
  if (s.state === 'cannot-render') return s.reason ?? ''
  if (s.state !== 'drift') return ''
  // The old layout and keys ssmd did not write are named first: a deploy replaces them.
  const layout = (s.drift ?? []).filter(d => d.startsWith('old layout') || d.includes('unexpected key'))
  if (layout.length > 0) return layout.join('; ')
  if (s.handEdits)
    return `hand edit in etcd: ${s.handEdits.paths.length > 3 ? `${s.handEdits.paths.slice(0, 3).join(', ')} and ${s.handEdits.paths.length - 3} more` : s.handEdits.paths.join(', ')}`
  return `git differs: ${pathsInBrief(s.changes)}`
}
