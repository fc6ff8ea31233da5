/*
 * JSON (--json): {
 *   prefix, endpoints: string[], commit: string | null, dry_run: boolean,
 *   environments: Array<{ name, action: 'create'|'update'|'unchanged',
 *     result: 'written'|'unchanged'|'planned'|'refused'|'failed'|'skipped',
 *     changes: Array<{ key, kind: 'add'|'change'|'delete', note?: 'old layout'|'unexpected key' }>,
 *     drift: string[], message?, diff?: { old?, new } (dry run, environments to update) }>,
 *   summary: { written, unchanged, planned, refused, failed, skipped }, notes: string[]
 * }
 */
import { Flags } from '@oclif/core'
import { connectOptions, etcdFlags } from '../../lib/cli/etcd-flags.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { snakeKeys } from '../../lib/cli/json.js'
import { policySeverities, requiredPluginsOff, requiredPluginsOffError, validationSetup } from '../../lib/cli/validation.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { shortCommit } from '../../lib/deploy/deploy.js'
import type { KeyChange } from '../../lib/deploy/plan.js'
import { selectEnvironments } from '../../lib/deploy/prepare.js'
import { DEFAULT_LOCK_TIMEOUT_S, deployFailure, runDeploy, type DeployResult } from '../../lib/deploy/run.js'
import { UsageError } from '../../lib/core/errors.js'

export default class Deploy extends SsmdCommand<typeof Deploy> {
  static override summary = 'Write rendered environments into etcd, one guarded transaction per environment.'
  static override description = `Validates the environments and what they use, refuses files with uncommitted changes (unless --allow-dirty), and writes each environment's rendering under <prefix>/environments/<name>/ (key layout: ssmd docs deploy) as two keys (content and deploy record) in one etcd transaction that applies only if etcd still holds what was read, holding the prefix's deploy lock for the run. An environment whose rendering is already in etcd is not written ("unchanged").`
  static override examples = [
    { description: 'Deploy one environment', command: '<%= config.bin %> deploy kalshi-prod --etcd 10.0.0.5:2379' },
    {
      description: 'Show what deploying every environment to a TLS cluster would change, writing nothing',
      command: '<%= config.bin %> deploy --all --etcd https://etcd-1:2379,https://etcd-2:2379 --cacert ca.pem --dry-run',
    },
    { description: 'Authenticate as a user, the password from the environment', command: 'SSMD_ETCD_PASSWORD=… <%= config.bin %> deploy --all --etcd etcd:2379 --user deployer' },
  ]

  static override usage = ['deploy NAME... --etcd ENDPOINTS [FLAGS]', 'deploy --all --etcd ENDPOINTS [FLAGS]']
  static override strict = false
  static override args = {}

  static override flags = {
    ...etcdFlags,
    all: Flags.boolean({ summary: 'Deploy every environment.' }),
    'dry-run': Flags.boolean({ summary: 'Print the key-level changes against etcd; write nothing.' }),
    'allow-dirty': Flags.boolean({ summary: 'Deploy even when files involved have uncommitted changes (recorded as dirty).' }),
    'as-of': Flags.string({ summary: 'Resolve feed versions for this date (YYYY-MM-DD; default today, UTC).' }),
    'lock-timeout': Flags.string({ summary: 'Seconds to wait for another deploy to the same prefix to finish.', default: String(DEFAULT_LOCK_TIMEOUT_S) }),
  }

  async run(): Promise<Record<string, unknown>> {
    const root = this.root()
    const names = selectEnvironments(root, this.positionals, this.flags.all === true, 'deploy')
    const { prefix, options } = connectOptions(this.flags)
    const asOf = this.flags['as-of'] === undefined ? todayUtc() : checkDateFlag('as-of', this.flags['as-of'])
    const lockTimeout = Number(this.flags['lock-timeout'])
    if (!/^\d+(\.\d+)?$/.test(this.flags['lock-timeout']) || lockTimeout > 3600) {
      throw new UsageError(`--lock-timeout '${this.flags['lock-timeout']}' must be a number of seconds between 0 and 3600, e.g. 30`)
    }
    const off = requiredPluginsOff(root)
    if (off) throw requiredPluginsOffError('deploy', off)
    if (names.length === 0) this.say('No environments to deploy.')
    const result = await runDeploy({
      root,
      names,
      asOf,
      prefix,
      connect: options,
      dryRun: this.flags['dry-run'] === true,
      allowDirty: this.flags['allow-dirty'] === true,
      validation: { ...(await validationSetup(this.config)), policyOf: policySeverities },
      ssmdVersion: this.config.version,
      lockTimeoutMs: lockTimeout * 1000,
      onWait: line => this.note(line),
    })
    for (const n of result.notes) this.note(n)
    if (names.length > 0) this.print(result, !this.flags.all || this.flags.verbose === true)
    const failure = deployFailure(result)
    if (failure) throw failure
    // ssmd's JSON keys are snake_case (docs/terminal.md).
    return snakeKeys(result)
  }

  private print(r: DeployResult, listUnchanged: boolean): void {
    const lines: string[] = []
    for (const o of r.environments) {
      if (o.result === 'unchanged') {
        if (listUnchanged) lines.push(`${o.name}: unchanged`)
        continue
      }
      if (o.result === 'skipped' || o.result === 'failed' || o.result === 'refused') continue
      const verb = r.dryRun ? (o.action === 'create' ? 'would create' : 'would update') : o.action === 'create' ? 'created' : 'updated'
      lines.push(`${o.name}: ${verb}${o.drift.length > 0 ? ` (${o.drift.join('; ')})` : ''}`)
      if (r.dryRun) lines.push(...o.changes.flatMap(changeLines))
    }
    for (const o of r.environments) if (o.result === 'refused' || o.result === 'failed') this.note(`${o.name}: ${o.result}: ${o.message}`)
    const s = r.summary
    const total = r.environments.length
    const parts = r.dryRun
      ? [`${s.planned} to write`, `${s.unchanged} unchanged`]
      : [`${s.written} written`, `${s.unchanged} unchanged`, s.refused && `${s.refused} refused`, s.failed && `${s.failed} failed`, s.skipped && `${s.skipped} not attempted`]
    const where = `${r.endpoints.join(',')} under ${r.prefix}`
    lines.push(
      `${r.dryRun ? 'dry run: ' : ''}${total} environment${total === 1 ? '' : 's'} at commit ${shortCommit(r.commit)} → ${where}: ${parts.filter(Boolean).join(', ')}${r.dryRun ? '; nothing written' : ''}`,
    )
    this.say(lines.join('\n'))
  }
}

function changeLines(c: KeyChange): string[] {
  return [`  ${c.kind === 'add' ? '+' : c.kind === 'delete' ? '-' : '~'} ${c.key}${c.note ? ` (${c.note})` : ''}`]
}
