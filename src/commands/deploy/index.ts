/*
 * JSON (--json): {
 *   prefix, endpoints: string[], commit: string | null, dry_run: boolean,
 *   environments: Array<{ name, action: 'create'|'update'|'unchanged'|'remove'|'none',
 *     result: 'written'|'unchanged'|'removed'|'planned'|'refused'|'failed'|'skipped',
 *     changes: Array<{ path, kind: 'add'|'change'|'delete', from?, to? }>   (etcd → git, field by field),
 *     drift: string[], hand_edits?: { exact: boolean, paths: string[] }, message? }>,
 *   summary: { written, unchanged, removed, planned, refused, failed, skipped }, notes: string[]
 * }
 * A run with failed or refused environments prints the same object next to `error`.
 */
import { Flags } from '@oclif/core'
import { connectOptions, etcdFlags } from '../../lib/cli/etcd-flags.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { snakeKeys } from '../../lib/cli/json.js'
import { colorEnabled, green, red } from '../../lib/cli/style.js'
import { policySeverities, requiredPluginsOff, requiredPluginsOffError, validationSetup } from '../../lib/cli/validation.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { SsmdError, UsageError } from '../../lib/core/errors.js'
import { shortCommit, type EnvOutcome } from '../../lib/deploy/deploy.js'
import { diffLines, pathsInBrief } from '../../lib/deploy/diff.js'
import { selectEnvironments } from '../../lib/deploy/prepare.js'
import { DEFAULT_LOCK_TIMEOUT_S, deployFailure, runDeploy, type DeployResult } from '../../lib/deploy/run.js'

export default class Deploy extends SsmdCommand<typeof Deploy> {
  static override summary = 'Write rendered environments into etcd, one guarded transaction per environment.'
  static override description = `Validates the environments and what they use, refuses files with uncommitted changes (unless --allow-dirty), and writes each environment's rendering under <prefix>/environments/<name>/ (key layout: ssmd docs deploy) as two keys (content and deploy record) in one etcd transaction that applies only if etcd still holds what was read, holding the prefix's deploy lock for the run. An environment whose rendering is already in etcd is not written ("unchanged"). An environment that cannot be rendered or written fails alone (exit 1 at the end); a hand edit in etcd is named before it is overwritten. --dry-run prints a field-level diff (--exit-code: 2 when something would change); --prune also removes environments git no longer has.`
  static override examples = [
    { description: 'Deploy one environment', command: '<%= config.bin %> deploy kalshi-prod --etcd 10.0.0.5:2379' },
    {
      description: 'Show what deploying every environment to a TLS cluster would change, writing nothing',
      command: '<%= config.bin %> deploy --all --etcd https://etcd-1:2379,https://etcd-2:2379 --cacert ca.pem --dry-run',
    },
    { description: 'Authenticate as a user, the password from the environment', command: 'SSMD_ETCD_PASSWORD=… <%= config.bin %> deploy --all --etcd etcd:2379 --user deployer' },
    {
      description: "Deploy to the target 'prod' of ssmd.yaml, removing environments git no longer has (look first)",
      command: '<%= config.bin %> deploy --all --target prod --prune --dry-run',
    },
    { description: 'In CI: exit 2 when etcd differs from git, 0 when it does not', command: '<%= config.bin %> deploy --all --target prod --dry-run --exit-code' },
  ]

  static override usage = ['deploy NAME... (--etcd ENDPOINTS | --target NAME) [FLAGS]', 'deploy --all (--etcd ENDPOINTS | --target NAME) [--prune] [FLAGS]']
  static override strict = false
  static override args = {}

  static override flags = {
    ...etcdFlags,
    all: Flags.boolean({ summary: 'Deploy every environment.' }),
    'dry-run': Flags.boolean({ summary: 'Print the field-level changes against etcd (old → new); write nothing.' }),
    prune: Flags.boolean({ summary: 'Also remove environments etcd holds that git no longer has (with --all).' }),
    'exit-code': Flags.boolean({ summary: 'With --dry-run: exit 2 when something would be written or removed, 0 when nothing would (1 stays an error).' }),
    'allow-dirty': Flags.boolean({ summary: 'Deploy even when files involved have uncommitted changes (recorded as dirty).' }),
    'as-of': Flags.string({ summary: 'Resolve feed versions for this date (YYYY-MM-DD; default today, UTC).' }),
    'lock-timeout': Flags.string({ summary: 'Seconds to wait for another deploy to the same prefix to finish.', default: String(DEFAULT_LOCK_TIMEOUT_S) }),
  }

  async run(): Promise<Record<string, unknown>> {
    const root = this.root()
    const dryRun = this.flags['dry-run'] === true
    if (this.flags.prune && !this.flags.all) throw new UsageError('--prune removes environments git no longer has, so it needs every environment: pass --all')
    if (this.flags['exit-code'] && !dryRun) throw new UsageError('--exit-code goes with --dry-run (or deploy status): a deploy exits 0 when it wrote what it planned, 1 otherwise')
    const names = selectEnvironments(root, this.positionals, this.flags.all === true, 'deploy')
    const { prefix, options } = connectOptions(this.flags, process.env, root)
    const asOf = this.flags['as-of'] === undefined ? todayUtc() : checkDateFlag('as-of', this.flags['as-of'])
    const lockTimeout = Number(this.flags['lock-timeout'])
    if (!/^\d+(\.\d+)?$/.test(this.flags['lock-timeout']) || lockTimeout > 3600) {
      throw new UsageError(`--lock-timeout '${this.flags['lock-timeout']}' must be a number of seconds between 0 and 3600, e.g. 30`)
    }
    const off = requiredPluginsOff(root)
    if (off) throw requiredPluginsOffError('deploy', off)
    if (names.length === 0 && !this.flags.prune) this.say('No environments to deploy.')
    const result = await runDeploy({
      root,
      names,
      asOf,
      prefix,
      connect: options,
      dryRun,
      allowDirty: this.flags['allow-dirty'] === true,
      prune: this.flags.prune === true,
      validation: { ...(await validationSetup(this.config)), policyOf: policySeverities },
      ssmdVersion: this.config.version,
      lockTimeoutMs: lockTimeout * 1000,
      onWait: line => this.note(line),
      // Told before the environment is written.
      onHandEdit: e => {
        if (!e.handEdits) return
        const all = e.handEdits.exact ? '' : ' (git changed too: every field that differs is listed)'
        this.note(`${e.name}: ${dryRun ? 'would overwrite' : 'overwriting'} hand edit in etcd: ${e.handEdits.paths.join(', ')}${all}`)
      },
    })
    for (const n of result.notes) this.note(n)
    if (names.length > 0 || result.environments.length > 0) this.print(result, !this.flags.all || this.flags.verbose === true)
    const json = jsonOf(result)
    const failure = deployFailure(result)
    if (failure) throw new SsmdError(failure.message, { code: failure.code, json })
    if (this.flags['exit-code'] && result.summary.planned > 0) process.exitCode = 2
    return json
  }

  private print(r: DeployResult, listUnchanged: boolean): void {
    const lines: string[] = []
    const color = colorEnabled(process.stdout)
    const style = { removed: (s: string) => red(s, color), added: (s: string) => green(s, color) }
    for (const o of r.environments) {
      if (o.result === 'unchanged') {
        if (listUnchanged) lines.push(`${o.name}: unchanged`)
        continue
      }
      if (o.result === 'skipped' || o.result === 'failed' || o.result === 'refused') continue
      if (o.action === 'remove') {
        lines.push(`${o.name}: ${r.dryRun ? 'would remove' : 'removed'} (not in git)`)
        continue
      }
      const verb = r.dryRun ? (o.action === 'create' ? 'would create' : 'would update') : o.action === 'create' ? 'created' : 'updated'
      lines.push(`${o.name}: ${verb}${o.action === 'create' ? '' : ` (${whatChanged(o)})`}`)
      // A new environment's diff is all of it: shown with -v.
      if (r.dryRun && (o.action !== 'create' || this.flags.verbose)) lines.push(...diffLines(o.changes, style))
    }
    for (const o of r.environments) {
      if (o.result === 'refused' || o.result === 'failed') this.note(o.action === 'none' ? `${o.name}: ${o.message}` : `${o.name}: ${o.result}: ${o.message}`)
      if (o.result === 'skipped') this.note(`${o.name}: not attempted (after an etcd failure)`)
    }
    const s = r.summary
    const total = r.environments.length
    const parts = r.dryRun
      ? [`${s.planned} to write or remove`, `${s.unchanged} unchanged`, s.failed && `${s.failed} failed`]
      : [
          `${s.written} written`,
          `${s.unchanged} unchanged`,
          s.removed && `${s.removed} removed`,
          s.refused && `${s.refused} refused`,
          s.failed && `${s.failed} failed`,
          s.skipped && `${s.skipped} not attempted`,
        ]
    const where = `${r.endpoints.join(',')} under ${r.prefix}`
    lines.push(
      `${r.dryRun ? 'dry run: ' : ''}${total} environment${total === 1 ? '' : 's'} at commit ${shortCommit(r.commit)} → ${where}: ${parts.filter(Boolean).join(', ')}${r.dryRun ? '; nothing written' : ''}`,
    )
    this.say(lines.join('\n'))
  }
}

/** What an update changes, in brief: the fields, and what else etcd held (old layout, unexpected keys). */
function whatChanged(o: EnvOutcome): string {
  const parts = [...(o.drift ?? []).filter(d => d !== 'content differs'), ...(o.changes.length > 0 ? [pathsInBrief(o.changes)] : [])]
  return parts.length === 0 ? 'deploy record only' : parts.join('; ')
}

/** ssmd's JSON keys are snake_case (docs/terminal.md); field values keep their own names. */
function jsonOf(r: DeployResult): Record<string, unknown> {
  return snakeKeys({ ...r, environments: r.environments.map(e => snakeKeys(e)) })
}
