/*
 * What a plugin's process answers, checked: its answer lines (one JSON
 * message each, bounded in bytes), its rule declarations (namespace, meta),
 * its reports (rule, document, severity, position, text: through report.ts)
 * and the errors its checks threw. Everything a plugin sends is untrusted
 * data; anything malformed is the plugin's failure, returned as a sentence,
 * never an exception in ssmd. Also the outcome types of a plugin's run.
 */
import type { SsmdDocument } from '../workspace/document.js'
import type { Workspace } from '../workspace/workspace.js'
import type { PackSource, PolicySeverity } from './engine.js'
import { metaProblem, resolveMeta, type ResolvedMeta } from './meta.js'
import { cleanText, MAX_FINDINGS, namespaceProblem, packNameProblem, reportFinding } from './report.js'
import type { RuleDefinition } from './checks.js'
import type { Finding } from './types.js'
import type { InstalledPlugin } from './installed-plugin.js'

export interface PluginRun {
  /** npm package name. */
  name: string
  /** The installed version that ran. */
  version: string
  /** The rule pack's name (rule id prefix), when it declared one. */
  pack?: string
  rules: number
  /** Time the plugin took, in ms: loading its hook and running its checks, as measured in its process; for a plugin that failed, ssmd's wall-clock time from starting it to the verdict. */
  ms: number
  status: 'ok' | 'failed'
  /** The plugin did not run: its findings are those of an earlier run on the same documents, options and date (see PluginResults). */
  cached?: true
}

export interface PluginOutcome {
  run: PluginRun
  /** The pack as declared (rule declarations without functions), for rule listings. */
  declared?: PackSource
  findings: Finding[]
  /** Why the plugin failed; one `plugin/failed` finding says so. */
  failure?: string
}

/** The most bytes of answers ssmd reads from one plugin's process. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024

/**
 * The plugin process's answers: one JSON message per line. Anything else (a
 * line that is not JSON, more than MAX_ANSWER_BYTES in all) is the plugin's
 * failure, returned as a sentence, never an exception in ssmd.
 */
export class AnswerLines {
  private pending: Uint8Array[] = []
  private bytes = 0
  private failed = false

  constructor(private readonly maxBytes = MAX_ANSWER_BYTES) {}

  push(chunk: Uint8Array): unknown[] | string {
    if (this.failed) return []
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes)
      return this.fail(`sent more than ${this.maxBytes >= 1048576 ? `${Math.round(this.maxBytes / 1048576)} MB` : `${this.maxBytes} bytes`} of answers`)
    const out: unknown[] = []
    let from = 0
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
      this.pending.push(chunk.subarray(from, nl))
      const line = Buffer.concat(this.pending).toString('utf8')
      this.pending = []
      from = nl + 1
      try {
        out.push(JSON.parse(line))
      } catch {
        return this.fail('sent a malformed answer (not one JSON message per line)')
      }
    }
    if (from < chunk.length) this.pending.push(chunk.subarray(from))
    return out
  }

  /** At the end of the stream: a trailing partial line is malformed too. */
  end(): string | undefined {
    if (this.failed || this.pending.every(b => b.length === 0)) return undefined
    return this.fail('sent a malformed answer (a message cut off)')
  }

  private fail(why: string): string {
    this.failed = true
    this.pending = []
    return why
  }
}

export function pluginFailedFinding(plugin: string, message: string): Finding {
  return {
    rule: 'plugin/failed',
    severity: 'error',
    message: `plugin '${plugin}' failed: ${cleanText(message)}; its findings are incomplete`,
    file: '',
    line: 1,
    column: 1,
    path: '',
    plugin: 'ssmd',
  }
}

export interface ChildAnswer {
  declared?: unknown
  done?: { reports: unknown; errors: unknown }
  failure?: string
  /** Loading the hook plus running the checks, as the plugin's process measured it; else ssmd's wall-clock from start to answer. */
  ms: number
}

interface DeclaredPack {
  plugin: string
  rules: Record<string, Record<string, unknown>>
}

export function interpret(
  plugin: InstalledPlugin,
  answer: ChildAnswer,
  context: { ws?: Workspace; reserved: ReadonlySet<string>; policy?: Record<string, PolicySeverity>; mode: 'declare' | 'run' },
): PluginOutcome {
  const run: PluginRun = { name: plugin.name, version: plugin.version, rules: 0, ms: answer.ms, status: 'failed' }
  const fail = (failure: string, findings: Finding[] = [], declared?: PackSource): PluginOutcome => ({ run, failure, findings, declared })
  if (answer.declared === undefined) return fail(answer.failure ?? 'sent no rule declarations')
  const packs = checkDeclaration(answer.declared, context.reserved)
  if (typeof packs === 'string') return fail(packs)
  run.pack = packs.map(p => p.plugin).join(', ') || undefined
  run.rules = packs.reduce((n, p) => n + Object.keys(p.rules).length, 0)
  // One pack per plugin is the norm; several hook entries are merged into one declaration per pack.
  const declared: PackSource | undefined =
    packs.length === 0
      ? undefined
      : { plugin: plugin.name, result: packs.length === 1 ? packs[0] : { plugin: packs[0].plugin, rules: Object.assign({}, ...packs.map(p => p.rules)) } }
  // Declared, then failed while running (budget, exit): its rules are known, its findings are not.
  if (answer.failure !== undefined) return fail(answer.failure, [], declared)
  if (context.mode === 'declare') {
    run.status = 'ok'
    return { run, declared, findings: [] }
  }
  const ws = context.ws
  if (!answer.done || !ws) return fail('did not run its checks', [], declared)
  const owners = new Map<string, Owner>()
  for (const p of packs) for (const [id, d] of Object.entries(p.rules)) owners.set(id, { pack: p.plugin, meta: resolveMeta(d as unknown as RuleDefinition) })
  const { findings, problem } = checkReports(answer.done.reports, ws, owners, context.policy ?? {})
  const thrown = checkErrors(answer.done.errors, owners)
  const failure = problem ?? thrown
  if (failure !== undefined) return fail(failure, findings, declared)
  run.status = 'ok'
  return { run, declared, findings }
}

/** The hook's answer as packs, or why it is refused. */
function checkDeclaration(value: unknown, reserved: ReadonlySet<string>): DeclaredPack[] | string {
  if (!Array.isArray(value)) return 'sent no rule declarations'
  const packs: DeclaredPack[] = []
  for (const p of value as Array<{ plugin?: unknown; rules?: unknown }>) {
    if (p === null || typeof p !== 'object') return 'sent a malformed rule declaration'
    const nameProblem = packNameProblem(p.plugin, reserved)
    if (nameProblem !== undefined) return nameProblem
    const pack = p.plugin as string
    if (!Array.isArray(p.rules)) return "its rule pack has no 'rules'"
    const rules: Record<string, Record<string, unknown>> = {}
    for (const entry of p.rules as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return 'sent a malformed rule declaration'
      const [id, decl] = entry as [string, unknown]
      const shown = cleanText(id, 100)
      if (decl === null || typeof decl !== 'object') return `rule '${shown}' is not an object`
      const outside = namespaceProblem(pack, id)
      if (outside !== undefined) return outside
      const problem = metaProblem(id, decl as RuleDefinition)
      if (problem) return cleanText(problem, 300)
      rules[id] = decl as Record<string, unknown>
    }
    packs.push({ plugin: pack, rules })
  }
  return packs
}

interface Owner {
  pack: string
  meta: ResolvedMeta
}

function checkReports(value: unknown, ws: Workspace, owners: Map<string, Owner>, policy: Record<string, PolicySeverity>): { findings: Finding[]; problem?: string } {
  const findings: Finding[] = []
  if (!Array.isArray(value)) return { findings, problem: 'sent malformed results' }
  if (value.length > MAX_FINDINGS) return { findings, problem: `reported more than ${MAX_FINDINGS} findings` }
  const docs = ws.documents
  let problem: string | undefined
  let bad = 0
  const refuse = (why: string) => {
    bad++
    problem ??= why
  }
  for (const item of value as Array<{ rule?: unknown; doc?: unknown; report?: unknown }>) {
    if (item === null || typeof item !== 'object' || typeof item.rule !== 'string') {
      refuse('sent malformed results')
      continue
    }
    const owner = owners.get(item.rule)
    const rule = cleanText(item.rule, 100)
    if (!owner) {
      refuse(`reported for rule '${rule}', which it did not declare`)
      continue
    }
    if (typeof item.report === 'string') {
      refuse(`rule '${rule}' ${cleanText(item.report, 200)}`)
      continue
    }
    const index = item.doc
    const doc: SsmdDocument | undefined = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < docs.length ? docs[index] : undefined
    if (index !== -1 && doc === undefined) {
      refuse('sent malformed results')
      continue
    }
    const setting = policy[item.rule]
    const made = reportFinding({ id: item.rule, pack: owner.pack, meta: owner.meta, setting: setting === 'off' ? undefined : setting }, doc, item.report)
    if (typeof made === 'string') {
      refuse(`rule '${rule}' ${made}`)
      continue
    }
    if (setting !== 'off') findings.push(made)
  }
  if (problem && bad > 1) problem += ` (and ${bad - 1} more invalid report${bad === 2 ? '' : 's'})`
  return { findings, problem }
}

function checkErrors(value: unknown, owners: Map<string, unknown>): string | undefined {
  if (!Array.isArray(value)) return 'sent malformed results'
  if (value.length === 0) return undefined
  const first = value[0] as { rule?: unknown; file?: unknown; message?: unknown }
  if (first === null || typeof first !== 'object' || typeof first.rule !== 'string' || !owners.has(first.rule)) return 'sent malformed results'
  const where = typeof first.file === 'string' ? ` on ${cleanText(first.file, 200)}` : ''
  const more = value.length > 1 ? ` (and ${value.length - 1} more failed check${value.length === 2 ? '' : 's'})` : ''
  return `rule '${cleanText(first.rule, 100)}' threw${where}: ${cleanText(String(first.message ?? ''), 300)}${more}`
}
