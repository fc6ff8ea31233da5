/**
 * The two deploy operations end to end — validate and render, check git,
 * connect, read, plan, write — as plain functions the commands call and
 * print the results of.
 */
import { randomUUID } from 'node:crypto'
import { SsmdError } from '../core/errors.js'
import { applyPlans, deployer, dirtyFiles, planAll, readCurrent, statusAll, type EnvOutcome } from './deploy.js'
import { EtcdSession, type ConnectOptions } from './etcd.js'
import { environmentsPrefix } from './layout.js'
import type { EnvStatus } from './plan.js'
import { prepare, type Validation } from './prepare.js'
import { sourceOf } from './source.js'

export interface DeployRequest {
  root: string
  names: string[]
  asOf: string
  prefix: string
  connect: ConnectOptions
  dryRun: boolean
  allowDirty: boolean
  validation: Validation
  ssmdVersion: string
}

export interface DeployResult {
  prefix: string
  endpoints: string[]
  commit: string | null
  dryRun: boolean
  environments: EnvOutcome[]
  summary: Record<EnvOutcome['result'], number>
  /** Notes for the user (stderr), e.g. that a real deploy would be refused. */
  notes: string[]
}

export function summarize(outcomes: EnvOutcome[]): DeployResult['summary'] {
  const s = { written: 0, unchanged: 0, planned: 0, refused: 0, failed: 0, skipped: 0 }
  for (const o of outcomes) s[o.result]++
  return s
}

/**
 * Validates and renders, refuses uncommitted changes (unless allowed; with a
 * dry run it is a note), connects within the dial timeout, and plans or writes
 * every environment. Environments refused or failed are in the result; the
 * caller decides how to exit.
 */
export async function runDeploy(req: DeployRequest): Promise<DeployResult> {
  const endpoints = req.connect.endpoints.map(e => e.hostPort)
  const notes: string[] = []
  if (req.names.length === 0) return { prefix: req.prefix, endpoints, commit: null, dryRun: req.dryRun, environments: [], summary: summarize([]), notes }

  const renderings = await prepare(req.root, req.names, req.asOf, req.validation)
  const source = await sourceOf(
    req.root,
    renderings.flatMap(r => r.files),
  )
  const dirty = dirtyFiles(renderings, source)
  if (dirty.length > 0 && !req.allowDirty) {
    const what = source.commit === null ? 'not committed' : 'uncommitted changes'
    const list = dirty.slice(0, 3).join(', ') + (dirty.length > 3 ? ` and ${dirty.length - 3} more` : '')
    const refusal = `${what} in ${list}; commit first (ssmd commit) so etcd holds a configuration git has, or pass --allow-dirty`
    if (!req.dryRun) throw new SsmdError(refusal, { code: 'dirty' })
    notes.push(`note: a deploy would be refused: ${refusal}`)
  }

  const session = await EtcdSession.connect(req.connect, environmentsPrefix(req.prefix))
  let outcomes: EnvOutcome[]
  try {
    const current = await readCurrent(session, req.prefix, req.names)
    const deployId = randomUUID()
    const plans = planAll(req.prefix, renderings, current, source, {
      asOf: req.asOf,
      deployedBy: deployer(),
      ssmdVersion: req.ssmdVersion,
      deployId,
      now: new Date().toISOString(),
    })
    outcomes = req.dryRun
      ? plans.map(p => ({ name: p.name, action: p.action, result: p.action === 'unchanged' ? 'unchanged' : 'planned', changes: p.changes }))
      : await applyPlans(session, req.prefix, plans, deployId)
  } finally {
    session.close()
  }
  return { prefix: req.prefix, endpoints, commit: source.commit, dryRun: req.dryRun, environments: outcomes, summary: summarize(outcomes), notes }
}

/** The one error a deploy with refused or failed environments ends with, or undefined. */
export function deployFailure(r: DeployResult): SsmdError | undefined {
  const bad = r.environments.filter(o => o.result === 'refused' || o.result === 'failed')
  if (bad.length === 0) return undefined
  const s = r.summary
  const first = bad[0]
  const counts = [s.refused && `${s.refused} refused`, s.failed && `${s.failed} failed`, s.skipped && `${s.skipped} not attempted`].filter(Boolean).join(', ')
  return new SsmdError(`${first.name}: ${first.message} (${counts}; ${s.written} written)`, { code: first.result === 'refused' ? 'conflict' : 'etcd' })
}

export interface StatusRequest {
  root: string
  names: string[]
  /** True when no names were given: every environment, and those only etcd has. */
  all: boolean
  asOf: string
  prefix: string
  connect: ConnectOptions
  validation: Validation
}

export interface DeployStatusResult {
  prefix: string
  endpoints: string[]
  commit: string | null
  dirty: string[]
  environments: EnvStatus[]
  orphans: Array<{ name: string; commit: string | null }>
}

export async function runStatus(req: StatusRequest): Promise<DeployStatusResult> {
  const renderings = await prepare(req.root, req.names, req.asOf, req.validation)
  const source = await sourceOf(
    req.root,
    renderings.flatMap(r => r.files),
  )
  const session = await EtcdSession.connect(req.connect, environmentsPrefix(req.prefix))
  let current
  try {
    current = await readCurrent(session, req.prefix, req.names, { whole: req.all })
  } finally {
    session.close()
  }
  const { statuses, orphans } = statusAll(req.prefix, renderings, current, req.all)
  return {
    prefix: req.prefix,
    endpoints: req.connect.endpoints.map(e => e.hostPort),
    commit: source.commit,
    dirty: dirtyFiles(renderings, source),
    environments: statuses,
    orphans,
  }
}
