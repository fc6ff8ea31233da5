/*
 * JSON (--json): {
 *   prefix, endpoints: string[], commit: string | null, dryRun: boolean,
 *   environments: Array<{ name, action: 'create'|'update'|'unchanged',
 *     result: 'written'|'unchanged'|'planned'|'refused'|'failed'|'skipped',
 *     changes: Array<{ key, kind: 'add'|'change'|'delete', from?, to? }>, message? }>,
 *   summary: { written, unchanged, planned, refused, failed, skipped }
 * }
 */
import { randomUUID } from 'node:crypto'
import { Flags } from '@oclif/core'
import { connectOptions, etcdFlags } from '../../lib/cli/etcd-flags.js'
import { SsmdCommand } from '../../lib/cli/command.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { applyPlans, deployer, dirtyFiles, planAll, readCurrent, shortCommit, type EnvOutcome } from '../../lib/deploy/deploy.js'
import { EtcdSession } from '../../lib/deploy/etcd.js'
import { environmentsPrefix } from '../../lib/deploy/layout.js'
import type { KeyChange } from '../../lib/deploy/plan.js'
import { prepare, selectEnvironments } from '../../lib/deploy/prepare.js'
import { sourceOf } from '../../lib/deploy/source.js'
import { SsmdError } from '../../lib/core/errors.js'
import { collectPacks, policySeverities } from '../../lib/cli/validation.js'

export interface DeployResult {
  prefix: string
  endpoints: string[]
  commit: string | null
  dryRun: boolean
  environments: EnvOutcome[]
  summary: Record<EnvOutcome['result'], number>
}

export default class Deploy extends SsmdCommand<typeof Deploy> {
  static override summary = 'Write rendered environments into etcd, one guarded transaction per environment.'
  static override description = `Validates the environments and what they use, refuses files with uncommitted changes (unless --allow-dirty), and writes each environment's rendering under <prefix>/environments/<name>/ (docs/deploy.md) in one etcd transaction that applies only if etcd still holds what the last deploy recorded. An environment whose rendering is already in etcd is not written ("unchanged").`
  static override examples = [
    '<%= config.bin %> deploy kalshi-prod --etcd 10.0.0.5:2379',
    '<%= config.bin %> deploy --all --etcd https://etcd-1:2379,https://etcd-2:2379 --cacert ca.pem --dry-run',
    'SSMD_ETCD_PASSWORD=… <%= config.bin %> deploy --all --etcd etcd:2379 --user deployer',
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
  }

  async run(): Promise<DeployResult> {
    const root = this.root()
    const names = selectEnvironments(root, this.positionals, this.flags.all === true, 'deploy')
    const { prefix, options } = connectOptions(this.flags)
    const asOf = this.flags['as-of'] === undefined ? todayUtc() : checkDateFlag('as-of', this.flags['as-of'])
    const dryRun = this.flags['dry-run'] === true
    const endpoints = options.endpoints.map(e => e.hostPort)
    if (names.length === 0) {
      this.say('No environments to deploy.')
      return { prefix, endpoints, commit: null, dryRun, environments: [], summary: summarize([]) }
    }

    const renderings = await prepare(root, names, asOf, { packs: await collectPacks(this.config), installedPlugins: [...this.config.plugins.keys()], policyOf: policySeverities })
    const source = await sourceOf(root, renderings.flatMap(r => r.files))
    const dirty = dirtyFiles(renderings, source)
    if (dirty.length > 0 && !this.flags['allow-dirty']) {
      const what = source.commit === null ? 'not committed' : 'uncommitted changes'
      const list = dirty.slice(0, 3).join(', ') + (dirty.length > 3 ? ` and ${dirty.length - 3} more` : '')
      const refusal = `${what} in ${list}; commit first (ssmd commit) so etcd holds a configuration git has, or pass --allow-dirty`
      if (!dryRun) throw new SsmdError(refusal, { code: 'dirty' })
      this.note(`note: a deploy would be refused: ${refusal}`)
    }

    const session = await EtcdSession.connect(options, environmentsPrefix(prefix))
    let outcomes: EnvOutcome[]
    try {
      const current = await readCurrent(session, prefix, names)
      const deployId = randomUUID()
      const plans = planAll(prefix, renderings, current, source, {
        asOf, deployedBy: deployer(), ssmdVersion: this.config.version, deployId, now: new Date().toISOString(),
      })
      outcomes = dryRun
        ? plans.map(p => ({ name: p.name, action: p.action, result: p.action === 'unchanged' ? 'unchanged' : 'planned', changes: p.changes }))
        : await applyPlans(session, prefix, plans, deployId)
    } finally {
      session.close()
    }

    const result: DeployResult = { prefix, endpoints, commit: source.commit, dryRun, environments: outcomes, summary: summarize(outcomes) }
    this.print(result, !this.flags.all || this.flags.verbose)
    const bad = outcomes.filter(o => o.result === 'refused' || o.result === 'failed')
    if (bad.length > 0) {
      const s = result.summary
      const first = bad[0]
      const counts = [s.refused && `${s.refused} refused`, s.failed && `${s.failed} failed`, s.skipped && `${s.skipped} not attempted`].filter(Boolean).join(', ')
      throw new SsmdError(`${first.name}: ${first.message} (${counts}; ${s.written} written)`, { code: first.result === 'refused' ? 'conflict' : 'etcd' })
    }
    return result
  }

  private print(r: DeployResult, listUnchanged: boolean): void {
    const lines: string[] = []
    for (const o of r.environments) {
      if (o.result === 'unchanged') {
        if (listUnchanged) lines.push(`${o.name}: unchanged`)
        continue
      }
      if (o.result === 'skipped' || o.result === 'failed' || o.result === 'refused') continue
      const n = o.changes.length
      const keys = `${n} key${n === 1 ? '' : 's'}`
      const verb = r.dryRun ? (o.action === 'create' ? 'would create' : 'would update') : o.action === 'create' ? 'created' : 'updated'
      lines.push(`${o.name}: ${verb} (${n === 0 ? 'deploy record only' : keys})`)
      if (r.dryRun) lines.push(...o.changes.flatMap(changeLines))
    }
    for (const o of r.environments) if (o.result === 'refused' || o.result === 'failed') this.note(`${o.name}: ${o.result}: ${o.message}`)
    const s = r.summary
    const total = r.environments.length
    const parts = r.dryRun
      ? [`${s.planned} to write`, `${s.unchanged} unchanged`]
      : [`${s.written} written`, `${s.unchanged} unchanged`, s.refused && `${s.refused} refused`, s.failed && `${s.failed} failed`, s.skipped && `${s.skipped} not attempted`]
    const where = `${r.endpoints.join(',')} under ${r.prefix}`
    lines.push(`${r.dryRun ? 'dry run: ' : ''}${total} environment${total === 1 ? '' : 's'} at commit ${shortCommit(r.commit)} → ${where}: ${parts.filter(Boolean).join(', ')}${r.dryRun ? '; nothing written' : ''}`)
    this.say(lines.join('\n'))
  }
}

function changeLines(c: KeyChange): string[] {
  if (c.kind === 'add') return [`  + ${c.key} ${c.to}`]
  if (c.kind === 'delete') return [`  - ${c.key} ${c.from}`]
  return [`  ~ ${c.key}`, `      - ${c.from}`, `      + ${c.to}`]
}

function summarize(outcomes: EnvOutcome[]): DeployResult['summary'] {
  const s = { written: 0, unchanged: 0, planned: 0, refused: 0, failed: 0, skipped: 0 }
  for (const o of outcomes) s[o.result]++
  return s
}
