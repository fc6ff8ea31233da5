/*
 * JSON (--json): {
 *   prefix, endpoints: string[], commit: string | null, dirty: string[],
 *   environments: Array<{ name, state: 'in-sync'|'drift'|'missing', deployed_commit: string | null,
 *     drift: string[], deployed_at?, deployed_by?, changes: Array<{ key, kind, note? }> }>,
 *   orphans: Array<{ name, commit: string | null }>   (in etcd, not in git; only without names)
 * }
 */
import { Flags } from '@oclif/core'
import { connectOptions, etcdFlags } from '../../lib/cli/etcd-flags.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { snakeKeys } from '../../lib/cli/json.js'
import { table } from '../../lib/cli/style.js'
import { pluginsOffNotice, policySeverities, requiredPluginsOff, validationSetup } from '../../lib/cli/validation.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { shortCommit } from '../../lib/deploy/deploy.js'
import { allEnvironments, selectEnvironments } from '../../lib/deploy/prepare.js'
import { runStatus, type DeployStatusResult } from '../../lib/deploy/run.js'

export default class DeployStatus extends SsmdCommand<typeof DeployStatus> {
  static override summary = 'Show, per environment, the deployed commit and whether git and etcd differ (drift).'
  static override description =
    'Renders each environment from the working tree and compares it with what etcd holds. Without names: every environment, plus environments etcd holds that git no longer has.'
  static override examples = [
    { description: 'Whether every environment in etcd matches the repository', command: '<%= config.bin %> deploy status --etcd 10.0.0.5:2379' },
    { description: 'One environment, with what differs', command: '<%= config.bin %> deploy status kalshi-prod --etcd 10.0.0.5:2379 -v' },
  ]

  static override usage = ['deploy status [NAME...] --etcd ENDPOINTS [FLAGS]']
  static override strict = false
  static override args = {}
  static override flags = {
    ...etcdFlags,
    'as-of': Flags.string({ summary: 'Resolve feed versions for this date (YYYY-MM-DD; default today, UTC).' }),
  }

  async run(): Promise<Omit<DeployStatusResult, 'environments'> & { environments: Array<Record<string, unknown>> }> {
    const root = this.root()
    const off = requiredPluginsOff(root)
    if (off) this.notice(pluginsOffNotice(off))
    const all = this.positionals.length === 0
    const names = all ? allEnvironments(root) : selectEnvironments(root, this.positionals, false, 'deploy status')
    const { prefix, options } = connectOptions(this.flags)
    const asOf = this.flags['as-of'] === undefined ? todayUtc() : checkDateFlag('as-of', this.flags['as-of'])
    const result = await runStatus({
      root,
      names,
      all,
      asOf,
      prefix,
      connect: options,
      validation: { ...(await validationSetup(this.config)), policyOf: policySeverities },
    })
    this.print(result)
    // ssmd's JSON keys are snake_case (docs/terminal.md).
    return { ...result, environments: result.environments.map(snakeKeys) }
  }

  private print(r: DeployStatusResult): void {
    const rows = r.environments.map(s => [
      s.name,
      s.drift.some(d => d.startsWith('old layout')) ? 'drift: old layout' : s.state,
      shortCommit(s.deployedCommit),
      s.deployedAt ?? '',
      s.deployedBy ?? '',
    ])
    for (const o of r.orphans) rows.push([o.name, 'not in git', shortCommit(o.commit), '', ''])
    const lines = rows.length === 0 ? ['No environments.'] : [table(['ENVIRONMENT', 'STATE', 'DEPLOYED COMMIT', 'DEPLOYED AT', 'BY'], rows, { flex: [4] })]
    if (this.flags.verbose) {
      for (const s of r.environments.filter(x => x.state === 'drift')) {
        lines.push(
          '',
          `${s.name}:`,
          ...s.drift.map(d => `  ${d}`),
          ...s.changes.map(c => `  ${c.kind === 'add' ? '+' : c.kind === 'delete' ? '-' : '~'} ${c.key}${c.note ? ` (${c.note})` : ''}`),
        )
      }
    }
    const drift = r.environments.filter(s => s.state === 'drift').length
    const missing = r.environments.filter(s => s.state === 'missing').length
    lines.push(
      '',
      `git at ${shortCommit(r.commit)}: ${r.environments.length - drift - missing} in sync, ${drift} drifted, ${missing} not deployed${r.orphans.length ? `, ${r.orphans.length} in etcd only` : ''}`,
    )
    this.say(lines.join('\n'))
    if (r.dirty.length > 0)
      this.note(
        `note: ${r.dirty.length} file${r.dirty.length === 1 ? '' : 's'} involved ha${r.dirty.length === 1 ? 's' : 've'} uncommitted changes (${r.dirty.slice(0, 3).join(', ')}${r.dirty.length > 3 ? ', …' : ''}); compared as in the working tree`,
      )
  }
}
