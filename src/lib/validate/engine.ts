import { createHash } from 'node:crypto'
import { SsmdDocument, type DocumentKind } from '../workspace/document.js'
import { definitionCache, type DefinitionCache } from '../domain/schema/definitions.js'
import { contractOf, type ContractFinding } from './contract.js'
import type { PluginDocument, PluginWorkspace } from './plugin-api.js'
import type { Workspace } from '../workspace/workspace.js'
import { metaProblem, resolveMeta, type ResolvedMeta } from './meta.js'
import { cleanText, namespaceProblem, reportFinding, type Reporter } from './report.js'
import { numericEnv } from '../core/numbers.js'
import type { Capabilities, CheckContext, RuleDefinition, RulePack } from './checks.js'
import type { Capability, Finding, Report, RuleInfo, Severity } from './types.js'

export type PolicySeverity = Severity | 'off'

export interface PackSource {
  /** Name of the oclif plugin (package) the pack came from. */
  plugin: string
  /** What the plugin's `validate` hook returned, or the error it threw. */
  result?: unknown
  error?: unknown
}

export interface EngineOptions {
  /** Severity overrides by rule id (from ssmd.yaml `rules:`). */
  policy?: Record<string, PolicySeverity>
  /** Time budget of each plugin (all its checks together), in ms. */
  pluginBudgetMs?: number
  /** Names of the installed plugins, for policy/plugin-missing. */
  installedPlugins?: readonly string[]
  /** Called as the run goes, with the steps done so far and the total (for a progress display). */
  onProgress?: (done: number, total: number) => void
  /**
   * Release each feed's and environment's data once the rules that read one
   * file at a time have run over it (see SsmdDocument.release): a run over a
   * large repository then holds only what rules across files need.
   */
  releaseData?: boolean
  /**
   * Called with each document, in the workspace's order, while the rules that
   * read one file at a time have its data at hand (before releaseData lets it
   * go): the plugins take the documents there (DocumentIntake).
   */
  withData?: (doc: SsmdDocument) => void
  /** Called once the built-in rules across files are done with a feed, schema or environment. */
  afterDocument?: (doc: SsmdDocument) => void
  /**
   * Run the schemas' checks across files (their definitions, the Cap'n Proto
   * compiles, which read nothing of the environments) between the file-scoped
   * rules of the feeds and schemas and those of the environments: while a
   * second thread reads environments (see parallel-read.ts), this thread
   * compiles instead of doing so alone after it. Not with plugins: they take
   * the documents in order, and the environments would reach them later.
   */
  schemasFirst?: boolean
}

export interface EngineResult {
  findings: Finding[]
  rules: RuleInfo[]
}

const BUILTIN = 'ssmd'

class BudgetExceeded extends Error {}
/** A report report.ts refuses: the rule's failure, worded as for a sealed plugin. */
class ReportRefused extends Error {}

interface LoadedPack {
  plugin: string
  source: string
  rules: Array<[string, RuleDefinition, ResolvedMeta]>
}

/** The engine's own rule: a plugin that could not run. */
export const PLUGIN_FAILED: RuleInfo = {
  id: 'plugin/failed',
  plugin: BUILTIN,
  defaultSeverity: 'error',
  description: 'A plugin threw, returned no rule pack or ran past its time budget.',
}

/** Checks that a hook result is a usable rule pack; returns why not. */
function packProblem(source: PackSource): string | undefined {
  const r = source.result as RulePack | undefined
  if (r === null || typeof r !== 'object') return `its validate hook returned ${r === undefined ? 'nothing' : typeof r} instead of a rule pack (export default defineChecks({...}))`
  if (typeof r.plugin !== 'string' || r.plugin === '') return "its rule pack has no 'plugin' name"
  if (r.rules === null || typeof r.rules !== 'object') return "its rule pack has no 'rules'"
  for (const [id, rule] of Object.entries(r.rules)) {
    if (rule === null || typeof rule !== 'object') return `rule '${id}' is not an object`
    const outside = namespaceProblem(r.plugin, id)
    if (outside !== undefined) return outside
    const problem = metaProblem(id, rule, r.plugin === BUILTIN)
    if (problem) return problem
  }
  return undefined
}

/**
 * Runs every rule of every pack over the workspace and returns all findings.
 * Built-in rules run first; a plugin that throws, rejects, returns garbage or
 * exceeds its budget becomes one `plugin/failed` finding and cannot hide any
 * other rule's findings.
 */
export async function runRules(ws: Workspace, sources: PackSource[], options: EngineOptions = {}): Promise<EngineResult> {
  const findings: Finding[] = []
  const rules: RuleInfo[] = []
  const policy = options.policy ?? {}
  const budget = options.pluginBudgetMs ?? numericEnv('SSMD_PLUGIN_TIMEOUT_MS')
  const packs: LoadedPack[] = []
  const seen = new Set<string>()

  const pluginFailed = (plugin: string, message: string) => {
    findings.push({
      rule: 'plugin/failed',
      severity: 'error',
      message: `plugin '${plugin}' failed: ${message}; its findings are incomplete`,
      file: '',
      line: 1,
      column: 1,
      path: '',
      plugin: BUILTIN,
    })
  }

  // Built-in packs first: plugins run later and cannot affect them.
  const ordered = [...sources].sort((a, b) => Number(packName(b) === BUILTIN) - Number(packName(a) === BUILTIN))
  for (const source of ordered) {
    if (source.error !== undefined) {
      pluginFailed(source.plugin, `its validate hook threw: ${errorText(source.error)}`)
      continue
    }
    const problem = packProblem(source)
    if (problem) {
      pluginFailed(source.plugin, problem)
      continue
    }
    const pack = source.result as RulePack
    const entries = Object.entries(pack.rules).filter(([id]) => {
      if (seen.has(id)) {
        pluginFailed(source.plugin, `rule '${id}' is already declared by another plugin`)
        return false
      }
      seen.add(id)
      return true
    })
    const loaded = entries.map(([id, rule]): [string, RuleDefinition, ResolvedMeta] => [id, rule, resolveMeta(rule)])
    packs.push({ plugin: pack.plugin, source: source.plugin, rules: loaded })
    for (const [id, , meta] of loaded) {
      rules.push({ id, plugin: pack.plugin, description: meta.description, defaultSeverity: meta.severity, ...(meta.docs === undefined ? {} : { docs: meta.docs }) })
    }
  }

  // Built-in rules that read one file at a time run first, file by file (their findings are memoised per file);
  // every other rule then runs over the whole repository.
  // (Declarations only, as `rules list` passes them, have no checks: then no file is read at all.)
  const fileRules = packs.filter(p => p.plugin === BUILTIN).flatMap(p => p.rules.filter(([, rule]) => runsPerFile(rule)))
  const documents = fileRules.length > 0 ? ws.documents : []
  const builtinAcross = packs.some(p => p.plugin === BUILTIN && p.rules.some(([, rule]) => acrossPart(rule) !== undefined))
  const totalSteps = documents.length + (builtinAcross ? ws.documents.length : 0) + packs.filter(p => p.plugin !== BUILTIN).reduce((n, p) => n + p.rules.length, 0)
  let rulesDone = 0
  const acrossOf = (pack: LoadedPack) =>
    pack.rules.flatMap(([id, rule, meta]): Array<[string, RuleDefinition, ResolvedMeta]> => {
      const part = policy[id] === 'off' ? undefined : acrossPart(rule)
      return part ? [[id, part, meta]] : []
    })
  const acrossProgress = () => options.onProgress?.(rulesDone++, totalSteps)
  const across = new AcrossRun(ws, policy, options, acrossProgress)
  if (fileRules.length > 0) {
    const run = new FileRulesRun(fileRules, policy, options, done => options.onProgress?.((rulesDone = done), totalSteps))
    if (options.schemasFirst === true) {
      // Feeds and schemas, then the schemas' checks across files, then the environments (see schemasFirst).
      const split = ws.feeds.length + ws.schemas.length
      findings.push(...(await run.over(documents.slice(0, split))))
      for (const pack of packs) if (pack.plugin === BUILTIN) findings.push(...(await across.run(acrossOf(pack), ['schema'], false)))
      findings.push(...(await run.over(documents.slice(split))))
    } else findings.push(...(await run.over(documents)))
    run.finish()
  }
  const lateKinds: FolderKind[] = fileRules.length > 0 && options.schemasFirst === true ? ['feed', 'environment'] : ['feed', 'schema', 'environment']
  for (const pack of packs) {
    if (pack.plugin === BUILTIN) {
      findings.push(...(await across.run(acrossOf(pack), lateKinds, true)))
      continue
    }
    const deadline = Date.now() + budget
    let failure: string | undefined
    for (const [id, rule, meta] of pack.rules) {
      options.onProgress?.(rulesDone++, totalSteps)
      if (failure) break
      const setting = policy[id]
      if (setting === 'off') continue
      // Synchronous checks are not awaited: one await per document and rule is most of the cost of a large run.
      const call = (fn: (...a: never[]) => unknown, target: unknown, ctx: CheckContext): PromiseLike<unknown> | undefined => {
        const remaining = deadline - Date.now()
        if (remaining <= 0) throw new BudgetExceeded()
        const out = (fn as (t: unknown, c: CheckContext) => unknown).call(rule, target, ctx)
        return isThenable(out) ? withTimeout(out as Promise<unknown>, Math.max(remaining, 1)) : undefined
      }
      const contextFor = (doc: SsmdDocument | undefined): CheckContext & { reportIn(d: SsmdDocument, r: Report): void } => {
        const reportIn = (d: SsmdDocument | undefined, r: Report) => {
          const made = reportFinding({ id, pack: pack.plugin, meta, setting: setting as Severity | undefined }, d, r)
          if (typeof made === 'string') throw new ReportRefused(made)
          findings.push(made)
        }
        return { workspace: asData(ws), installedPlugins: options.installedPlugins ?? [], options: undefined, report: (r: Report) => reportIn(doc, r), reportIn }
      }
      try {
        if (typeof rule.document === 'function') {
          for (const doc of ws.documents) {
            const pending = call(rule.document, doc, contextFor(doc))
            if (pending) await pending
          }
        }
        for (const [kind, list] of [
          ['feed', ws.feeds],
          ['schema', ws.schemas],
          ['environment', ws.environments],
        ] as const) {
          const fn = rule[kind]
          if (typeof fn !== 'function') continue
          for (const doc of list as SsmdDocument[]) {
            if (!doc.isObject) continue
            const pending = call(fn as never, doc, contextFor(doc))
            if (pending) await pending
          }
        }
        if (typeof rule.repository === 'function') {
          const pending = call(rule.repository as never, ws, contextFor(undefined))
          if (pending) await pending
        }
      } catch (error) {
        failure =
          error instanceof BudgetExceeded
            ? `exceeded its time budget of ${budget} ms (in rule '${id}')`
            : error instanceof ReportRefused
              ? `rule '${id}' ${error.message}`
              : `rule '${id}' threw: ${errorText(error)}`
      }
    }
    if (failure) pluginFailed(pack.source, failure)
  }

  findings.sort(compareFindings)
  return { findings, rules }
}

/** The findings of a file without any (shared by all of them: most files). */
const NO_FINDINGS: Finding[] = Object.freeze([]) as unknown as Finding[]

/** A built-in rule whose checks read only the document they are given (see BuiltinMeta.scope). */
function isFileScoped(rule: RuleDefinition): boolean {
  return (rule.meta as { scope?: string } | undefined)?.scope === 'file'
}

/**
 * What of a built-in rule runs with the rules across files: all of a rule
 * that is not file-scoped; of a file-scoped one, its repository check alone
 * (e.g. a scan of the files that are not documents), which sees the workspace.
 */
function acrossPart(rule: RuleDefinition): RuleDefinition | undefined {
  if (!isFileScoped(rule)) return hasChecks(rule) ? rule : undefined
  return typeof rule.repository === 'function' ? ({ meta: rule.meta, repository: rule.repository } as RuleDefinition) : undefined
}

function hasChecks(rule: RuleDefinition): boolean {
  return (['document', 'feed', 'schema', 'environment', 'repository'] as const).some(k => typeof rule[k] === 'function')
}

function builtinFailed(id: string, error: unknown): Finding {
  return {
    rule: 'plugin/failed',
    severity: 'error',
    message: `built-in rule '${id}' failed: ${cleanText(errorText(error), 600)}; please report this`,
    file: '',
    line: 1,
    column: 1,
    path: '',
    plugin: BUILTIN,
  }
}

/** A built-in rule that reads one file at a time and has checks: what FileChecks runs. */
function runsPerFile(rule: RuleDefinition): boolean {
  return isFileScoped(rule) && hasChecks(rule)
}

/** Of a pack's rules, those FileChecks runs (runsPerFile), with their meta: the second thread's list. */
export function fileScopedRules(rules: Iterable<[string, RuleDefinition]>): Array<[string, RuleDefinition, ResolvedMeta]> {
  const out: Array<[string, RuleDefinition, ResolvedMeta]> = []
  for (const [id, rule] of rules) if (runsPerFile(rule)) out.push([id, rule, resolveMeta(rule)])
  return out
}

/** What checking one file found: its findings (at the rules' own severities) and the rules that threw on it. */
export interface FileCheck {
  found: Finding[]
  failures: Array<[string, unknown]>
}

/**
 * The built-in rules that read one file at a time, run over one document
 * (here, or in the worker that reads documents in parallel, see
 * parallel-read.ts: one implementation for both). A document checked
 * with no failure keeps its findings in its memo under `key`, the digest of
 * the rules' ids, so the validation cache keeps them while the file is
 * unchanged; a document that carries findings under the same key is not
 * checked again.
 */
export class FileChecks {
  /** Which rules made a memoised list: a short digest, since every cache entry carries it. */
  readonly key: string
  private readonly ctx = new FileContext()
  /** The rules that check each kind of document (see forKind). */
  private readonly byKind = new Map<DocumentKind, ReadonlyArray<[string, RuleDefinition, ResolvedMeta]>>()

  constructor(readonly rules: Array<[string, RuleDefinition, ResolvedMeta]>) {
    this.key = createHash('sha256')
      .update(rules.map(([id]) => id).join(','))
      .digest('base64url')
      .slice(0, 16)
  }

  /** The document's findings from its memo, when these rules made them; undefined: check it. */
  memoised(doc: SsmdDocument): Finding[] | undefined {
    const memo = doc.memo
    return memo.fileRules === this.key ? (memo.findings as Finding[] | undefined) : undefined
  }

  /**
   * Runs every rule over `doc` and, when none threw, memoises what they found.
   * Without a promise when every check is synchronous (the built-in ones are):
   * an await per document is a measurable part of a large run.
   */
  check(doc: SsmdDocument): FileCheck | Promise<FileCheck> {
    const found: Finding[] = []
    const failures: Array<[string, unknown]> = []
    const rules = this.forKind(doc.kind)
    for (let i = 0; i < rules.length; i++) {
      const pending = this.one(rules, i, doc, found, failures)
      if (pending) return this.rest(rules, pending, i + 1, doc, found, failures)
    }
    return this.finish(doc, found, failures)
  }

  /** The rules with a check for documents of `kind` (a check of any document, or of that kind), in order. */
  private forKind(kind: DocumentKind): ReadonlyArray<[string, RuleDefinition, ResolvedMeta]> {
    let rules = this.byKind.get(kind)
    if (rules === undefined) {
      rules = this.rules.filter(([, rule]) => typeof rule.document === 'function' || (kind !== 'policy' && typeof rule[kind] === 'function'))
      this.byKind.set(kind, rules)
    }
    return rules
  }

  private async rest(
    rules: ReadonlyArray<[string, RuleDefinition, ResolvedMeta]>,
    pending: PromiseLike<unknown>,
    from: number,
    doc: SsmdDocument,
    found: Finding[],
    failures: Array<[string, unknown]>,
  ): Promise<FileCheck> {
    try {
      await pending
    } catch (error) {
      failures.push([rules[from - 1][0], error])
    }
    for (let i = from; i < rules.length; i++) {
      const next = this.one(rules, i, doc, found, failures)
      if (next) {
        try {
          await next
        } catch (error) {
          failures.push([rules[i][0], error])
        }
      }
    }
    return this.finish(doc, found, failures)
  }

  private one(
    rules: ReadonlyArray<[string, RuleDefinition, ResolvedMeta]>,
    i: number,
    doc: SsmdDocument,
    found: Finding[],
    failures: Array<[string, unknown]>,
  ): PromiseLike<unknown> | undefined {
    const [id, rule, meta] = rules[i]
    try {
      this.ctx.found = found
      return checkOneFile(this.ctx, id, rule, meta, doc)
    } catch (error) {
      failures.push([id, error])
      return undefined
    }
  }

  private finish(doc: SsmdDocument, found: Finding[], failures: Array<[string, unknown]>): FileCheck {
    if (failures.length === 0) {
      doc.remember('findings', found.length === 0 ? NO_FINDINGS : found)
      doc.remember('fileRules', this.key)
    }
    return { found, failures }
  }
}

/**
 * Runs the built-in rules that read one file at a time, document by document
 * (in parts: see runRules). A document's findings (before the policy's
 * severities, for every such rule, switched off or not) are memoised on it
 * under the list of rules that made them (see FileChecks), so the validation
 * cache keeps them while the file is unchanged; the policy is applied when
 * they are reported. Such a rule sees no workspace: one that reaches for it
 * fails, so a wrong declaration cannot make a stale finding.
 */
class FileRulesRun {
  private readonly checks: FileChecks
  private readonly failed = new Set<string>()
  private done = 0

  constructor(
    rules: Array<[string, RuleDefinition, ResolvedMeta]>,
    private readonly policy: Record<string, PolicySeverity>,
    private readonly options: EngineOptions,
    private readonly progress: (done: number) => void,
  ) {
    this.checks = new FileChecks(rules)
  }

  async over(documents: SsmdDocument[]): Promise<Finding[]> {
    const { checks, failed, policy, options } = this
    const out: Finding[] = []
    for (const doc of documents) {
      if (++this.done % 256 === 0) this.progress(this.done)
      let own = checks.memoised(doc)
      if (own === undefined) {
        const checked = checks.check(doc)
        const { found, failures } = isThenable(checked) ? await checked : checked
        // Not memoised, so this file is checked again next time. The rule goes on with the other
        // files (a warm run takes theirs from the cache: both must report the same), and its failure
        // is reported once, unless the policy switched the rule off.
        for (const [id, error] of failures) {
          if (!failed.has(id) && policy[id] !== 'off') out.push(builtinFailed(id, error))
          failed.add(id)
        }
        own = found
      }
      for (const f of own) {
        const setting = policy[f.rule]
        if (setting === 'off') continue
        out.push(setting === undefined || setting === f.severity ? f : { ...f, severity: setting })
      }
      // What rules across files read of the document, worked out while its data is at hand (and kept by the cache).
      void doc.facts
      options.withData?.(doc)
      if (options.releaseData) doc.release()
    }
    return out
  }

  finish(): void {
    this.progress(this.done)
  }
}

type FolderKind = 'feed' | 'schema' | 'environment'

/**
 * Runs the built-in rules that look across files (in parts: see runRules):
 * checks of a feed, schema or environment document by document (so that what
 * one document needed, such as its definitions' Cap'n Proto models, can be let
 * go before the next, see EngineOptions.afterDocument), then whole-document
 * and repository checks. A rule that throws becomes one finding and does not
 * run again.
 */
class AcrossRun {
  private readonly failed = new Set<string>()
  private readonly ctx: AcrossContext
  private out: Finding[] = []

  constructor(
    private readonly ws: Workspace,
    private readonly policy: Record<string, PolicySeverity>,
    private readonly options: EngineOptions,
    private readonly progress: () => void,
  ) {
    this.ctx = new AcrossContext(ws, options.installedPlugins ?? [], () => this.out)
  }

  /** The checks of `kinds`, and with `whole` the whole-document and repository checks. */
  async run(rules: Array<[string, RuleDefinition, ResolvedMeta]>, kinds: FolderKind[], whole: boolean): Promise<Finding[]> {
    const out: Finding[] = (this.out = [])
    if (rules.length === 0) return out
    const { ws, options } = this
    if (whole) {
      for (const [id, rule, meta] of rules) {
        if (typeof rule.document !== 'function') continue
        for (const doc of ws.documents) {
          const pending = this.check(id, rule, meta, rule.document, doc, doc)
          if (pending) await pending
        }
      }
    }
    for (const kind of kinds) {
      const list = kind === 'feed' ? ws.feeds : kind === 'schema' ? ws.schemas : ws.environments
      const checking = rules.filter(([, rule]) => typeof rule[kind] === 'function')
      for (const doc of list as SsmdDocument[]) {
        this.progress()
        if (checking.length === 0 || !doc.isObject) continue
        for (const [id, rule, meta] of checking) {
          const pending = this.check(id, rule, meta, rule[kind], doc, doc)
          if (pending) await pending
        }
        options.afterDocument?.(doc)
      }
    }
    if (!whole) return out
    if (ws.policy) this.progress()
    for (const [id, rule, meta] of rules) {
      const pending = typeof rule.repository === 'function' ? this.check(id, rule, meta, rule.repository, ws, undefined) : undefined
      if (pending) await pending
    }
    return out
  }

  // Synchronous checks are not awaited: one await per document and rule is most of the cost of a large run.
  private check(id: string, rule: RuleDefinition, meta: ResolvedMeta, fn: unknown, target: unknown, doc: SsmdDocument | undefined): PromiseLike<unknown> | undefined {
    if (this.failed.has(id)) return undefined
    this.ctx.point(id, meta, doc, this.policy[id] as Severity | undefined)
    try {
      const pending = (fn as (t: unknown, c: CheckContext) => unknown).call(rule, target, this.ctx)
      if (isThenable(pending)) return pending.then(undefined, error => this.fail(id, error))
    } catch (error) {
      this.fail(id, error)
    }
    return undefined
  }

  private fail(id: string, error: unknown): void {
    this.failed.add(id)
    this.out.push(builtinFailed(id, error))
  }
}

/** One file-scoped rule over one document; findings carry the rule's own severity (the policy comes later). */
function checkOneFile(ctx: FileContext, id: string, rule: RuleDefinition, meta: ResolvedMeta, doc: SsmdDocument): PromiseLike<unknown> | undefined {
  ctx.point(id, meta, doc)
  let first: unknown
  if (typeof rule.document === 'function') first = rule.document.call(rule, doc, ctx)
  const byKind = doc.kind === 'policy' ? undefined : rule[doc.kind]
  const second = typeof byKind === 'function' && doc.isObject ? (byKind as (d: SsmdDocument, c: CheckContext) => unknown).call(rule, doc, ctx) : undefined
  if (isThenable(first)) return isThenable(second) ? Promise.all([first, second]) : first
  return isThenable(second) ? second : undefined
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as PromiseLike<unknown>).then === 'function'
}

/**
 * What the contexts of built-in checks share: the capabilities (see
 * Capabilities), each usable only by a rule whose meta.uses lists it.
 */
abstract class BuiltinContext {
  protected id = ''
  protected meta!: ResolvedMeta
  /** Built-in rules take no options from ssmd.yaml. */
  readonly options = undefined

  protected abstract whole(capability: 'definitions' | 'repository'): Workspace

  protected need(capability: Capability): void {
    if (!this.meta.uses.has(capability)) throw new Error(`it uses the '${capability}' capability without declaring it (add '${capability}' to its meta.uses)`)
  }

  readonly source = ((doc: PluginDocument): SsmdDocument => {
    this.need('source')
    if (!(doc instanceof SsmdDocument)) throw new Error('it asked for the source of something that is not one of the repository documents')
    return doc
  }) as Capabilities['source']

  readonly contract = (doc: PluginDocument): readonly ContractFinding[] | Promise<readonly ContractFinding[]> => {
    this.need('contract')
    if (!(doc instanceof SsmdDocument)) throw new Error('it asked for the contract findings of something that is not one of the repository documents')
    return contractOf(doc)
  }

  get definitions(): DefinitionCache {
    this.need('definitions')
    return definitionCache(this.whole('definitions'))
  }

  get repository(): Workspace {
    this.need('repository')
    return this.whole('repository')
  }
}

/**
 * The context of built-in checks: one per run, pointed at the rule and document
 * being checked (checks run one at a time, each awaited before the next), so
 * that checking tens of thousands of documents allocates no context per check.
 */
class AcrossContext extends BuiltinContext implements CheckContext<Capability> {
  private doc: SsmdDocument | undefined
  private setting: Severity | undefined
  readonly workspace: PluginWorkspace

  constructor(
    private readonly ws: Workspace,
    readonly installedPlugins: readonly string[],
    /** Where findings go: the list of the part of the run in progress. */
    private readonly out: () => Finding[],
  ) {
    super()
    this.workspace = asData(ws)
  }

  point(id: string, meta: ResolvedMeta, doc: SsmdDocument | undefined, setting: Severity | undefined): void {
    this.id = id
    this.meta = meta
    this.doc = doc
    this.setting = setting
  }

  protected whole(): Workspace {
    return this.ws
  }

  readonly report = (r: Report): void => this.reportIn(this.doc, r)

  readonly reportIn = (d: PluginDocument | undefined, r: Report): void => {
    this.out().push(made({ id: this.id, pack: BUILTIN, meta: this.meta, setting: this.setting }, d as SsmdDocument | undefined, r))
  }
}

/** The context of a check declared to read one file: no workspace, findings at the rule's own severity (the policy comes later). */
class FileContext extends BuiltinContext implements CheckContext<Capability> {
  private doc!: SsmdDocument
  found: Finding[] = []

  point(id: string, meta: ResolvedMeta, doc: SsmdDocument): void {
    this.id = id
    this.meta = meta
    this.doc = doc
  }

  get workspace(): never {
    return this.refuse('the workspace')
  }

  get installedPlugins(): never {
    return this.refuse('the installed plugins')
  }

  protected whole(capability: 'definitions' | 'repository'): never {
    return this.refuse(`the '${capability}' capability`)
  }

  readonly reportIn = (): never => this.refuse('another document')

  readonly report = (r: Report): void => {
    this.found.push(made({ id: this.id, pack: BUILTIN, meta: this.meta }, this.doc, r))
  }

  private refuse(what: string): never {
    throw new Error(`it is declared to read one file at a time but reached for ${what}`)
  }
}

/**
 * The workspace as the check API describes it: its documents as data. The
 * Workspace has every field of that view (its documents are SsmdDocuments,
 * whose kind, name, file and data are the plugin documents' fields); the
 * types only do not track each list's kind.
 */
function asData(ws: Workspace): PluginWorkspace {
  return ws as unknown as PluginWorkspace
}

function packName(s: PackSource): string | undefined {
  const r = s.result as { plugin?: unknown } | undefined
  return r && typeof r === 'object' && typeof r.plugin === 'string' ? r.plugin : undefined
}

/** A built-in rule's report as a finding; a report ssmd would refuse from a plugin fails the rule the same way. */
function made(from: Reporter, doc: SsmdDocument | undefined, r: Report): Finding {
  const finding = reportFinding(from, doc, r)
  if (typeof finding === 'string') throw new Error(finding)
  return finding
}

export function compareFindings(a: Finding, b: Finding): number {
  // Plain code-unit order: localeCompare is ~20× slower and findings can number in the tens of thousands.
  return cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.rule, b.rule)
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  return String(error)
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      // Not unref'd: a check that never settles must still end in a finding, not an idle exit.
      timer = setTimeout(() => reject(new BudgetExceeded()), ms)
    }),
  ])
}
