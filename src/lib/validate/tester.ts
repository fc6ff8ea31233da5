import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { plural } from '../core/text.js'
import { Workspace } from '../workspace/workspace.js'
import { compareFindings } from './engine.js'
import type { RulePack } from './plugin-api.js'
import type { InstalledPlugin } from './installed-plugin.js'
import { PluginSession, pluginFailedFinding } from './plugins.js'
import { reservedNamespaces } from './report.js'
import type { Finding, Severity } from './types.js'

/**
 * A repository as in-memory files: path relative to the ssmd root → content.
 * `null` removes a file of the tester's base repository for one case.
 */
export type TestFiles = Readonly<Record<string, string | Uint8Array | null>>

export interface ValidCase {
  /** Shown as the test title. */
  name?: string
  files: TestFiles
  /** npm package names that count as installed (for rules that read `ctx.installedPlugins`). */
  installedPlugins?: readonly string[]
  /** Run only this case (mocha's and node:test's `it.only`). */
  only?: boolean
}

/** One finding an invalid case expects, exactly. */
export interface ExpectedFinding {
  /** Relative to the ssmd root, as in `ssmd validate --json`. */
  file: string
  line: number
  column: number
  message: string
  /** Defaults to the rule under test. */
  rule?: string
  /** Checked when given. */
  severity?: Severity
}

export interface InvalidCase extends ValidCase {
  /** Every finding of the rule under test, in any order; nothing more, nothing less. */
  findings: readonly ExpectedFinding[]
}

export interface RuleTests {
  /** Repositories where the rule reports nothing. */
  valid?: readonly ValidCase[]
  /** Repositories where the rule reports exactly the listed findings. */
  invalid?: readonly InvalidCase[]
}

/**
 * What a rule test runs: the plugin itself, as the `file:` URL of its hook file
 * (`new URL('../hooks/validate.js', import.meta.url)`) or the path of its hook
 * file or package folder. Its rules then run exactly as `ssmd validate` runs
 * them: sealed, in their own process, from the plugin's own files, on the same
 * plain data, with the same checks of every report. A hook function, rule pack
 * or rule object is refused: a function cannot be moved into the sealed engine
 * with the modules and variables it closes over, and running it in the test's
 * own process would let a rule pass its tests and fail in validate.
 */
export type RuleUnderTest = URL | string

export interface RuleTesterOptions {
  /** Files every case starts from; a case's own files replace or (with null) remove them. */
  files?: TestFiles
  /** Installed plugins for every case (a case's own list wins). */
  installedPlugins?: readonly string[]
}

type Describe = (name: string, fn: () => void) => unknown
type It = (name: string, fn: () => Promise<void>) => unknown

/** Thrown (outside a test framework) with every failing case, or by the one failing case inside it. */
export class RuleTestError extends Error {
  readonly failures: readonly string[]
  constructor(rule: string, failures: string[]) {
    super(`${rule}: ${failures.length === 1 ? 'a case failed' : `${failures.length} cases failed`}\n\n${failures.join('\n\n')}`)
    this.name = 'RuleTestError'
    this.failures = failures
  }
}

interface PreparedCase {
  title: string
  only: boolean
  exec(): Promise<string[]>
}

/** Why a rule test's subject is refused: anything but the plugin's own files. */
export function subjectProblem(subject: unknown): string | undefined {
  if (typeof subject === 'string' || subject instanceof URL) return undefined
  const what = typeof subject === 'function' ? 'a function' : subject !== null && typeof subject === 'object' ? 'an object' : String(subject)
  return `RuleTester was given ${what}; it runs a plugin's rules as ssmd validate does, sealed, from the plugin's own files, so pass the URL of its hook file (new URL('../hooks/validate.js', import.meta.url)) or the path of its package folder`
}

/**
 * Runs a rule through ssmd's real engine: each case's files are written to a
 * temporary folder, read by the same workspace loader as `ssmd validate`,
 * checked by the engine and located in the source. Valid cases must produce no
 * finding of the rule; invalid cases exactly the listed ones.
 *
 * With mocha (or `RuleTester.describe`/`RuleTester.it` set, e.g. from
 * node:test), `run` declares one test per case; otherwise it runs them all and
 * rejects with one error listing every failing case.
 */
export class RuleTester<Subject = RuleUnderTest> {
  /** The test framework's describe/it; default: the globals mocha (and jest, vitest with globals) define. */
  static describe?: Describe
  static it?: It
  static itOnly?: It

  protected readonly options: RuleTesterOptions

  constructor(options: RuleTesterOptions = {}) {
    this.options = options
  }

  /** `new RuleTester().run(…)`: cases that each give their whole repository. */
  static run(ruleId: string, rule: RuleUnderTest, tests: RuleTests): Promise<void> {
    return new RuleTester().run(ruleId, rule, tests)
  }

  /**
   * Declares one test per case with the test framework's describe/it (mocha's
   * globals, or RuleTester.describe/it), or, without one, runs every case like `check`.
   */
  run(ruleId: string, rule: Subject, tests: RuleTests): Promise<void> {
    const cases = this.#cases(ruleId, rule, tests)
    const g = globalThis as { describe?: Describe; it?: It & { only?: It } }
    const describe = RuleTester.describe ?? g.describe
    const it = RuleTester.it ?? g.it
    if (typeof describe === 'function' && typeof it === 'function') {
      const itOnly = RuleTester.itOnly ?? (it as It & { only?: It }).only
      describe(ruleId, () => {
        for (const c of cases) {
          const declare = c.only && typeof itOnly === 'function' ? itOnly : it
          declare(c.title, async () => {
            const problems = await c.exec()
            if (problems.length > 0) throw new RuleTestError(ruleId, [`${c.title}\n${problems.join('\n')}`])
          })
        }
      })
      return Promise.resolve()
    }
    return this.check(ruleId, rule, tests)
  }

  /** Runs every case now, without a test framework; rejects with a RuleTestError listing each failing case. */
  async check(ruleId: string, rule: Subject, tests: RuleTests): Promise<void> {
    const cases = this.#cases(ruleId, rule, tests)
    const failures: string[] = []
    const selected = cases.some(c => c.only) ? cases.filter(c => c.only) : cases
    for (const c of selected) {
      const problems = await c.exec()
      if (problems.length > 0) failures.push(`${c.title}\n${problems.join('\n')}`)
    }
    if (failures.length > 0) throw new RuleTestError(ruleId, failures)
  }

  #cases(ruleId: string, rule: Subject, tests: RuleTests): PreparedCase[] {
    const problem = this.subjectProblem(rule)
    if (problem !== undefined) throw new TypeError(problem)
    return [
      ...(tests?.valid ?? []).map((c, i) => this.#prepare(ruleId, rule, c, `valid #${i + 1}`, undefined)),
      ...(tests?.invalid ?? []).map((c, i) => this.#prepare(ruleId, rule, c, `invalid #${i + 1}`, c?.findings ?? [])),
    ]
  }

  #prepare(ruleId: string, rule: Subject, c: ValidCase, label: string, expected: readonly ExpectedFinding[] | undefined): PreparedCase {
    const title = c?.name ? `${label}: ${c.name}` : label
    return {
      title,
      only: c?.only === true,
      exec: async () => {
        if (c === null || typeof c !== 'object' || c.files === null || typeof c.files !== 'object') return ["  the case has no 'files' (an object of path → content)"]
        if (expected !== undefined && expected.length === 0) return ['  an invalid case lists at least one expected finding (use a valid case for none)']
        const files = { ...this.options.files, ...c.files }
        for (const path of Object.keys(files)) {
          if (!isRelativePath(path)) return [`  file path '${path}' must be relative to the ssmd root, with / separators and no '..'`]
        }
        const dir = mkdtempSync(join(tmpdir(), 'ssmd-rule-test-'))
        try {
          for (const [path, content] of Object.entries(files)) {
            if (content === null) continue
            mkdirSync(dirname(join(dir, path)), { recursive: true })
            writeFileSync(join(dir, path), content)
          }
          const installedPlugins = [...(c.installedPlugins ?? this.options.installedPlugins ?? [])]
          const { findings, rules: declaredRules } = await this.findings(ruleId, rule, dir, installedPlugins)
          const problems = findings.filter(f => f.rule === 'plugin/failed' && ruleId !== 'plugin/failed').map(f => `  ${f.message}`)
          if (declaredRules && !declaredRules.includes(ruleId)) {
            problems.push(`  the pack declares no rule '${ruleId}' (it has ${declaredRules.join(', ') || 'none'})`)
          }
          const actual = findings.filter(f => f.rule === ruleId)
          if (expected === undefined) {
            if (actual.length > 0) problems.push('  expected no finding, got:', ...actual.map(f => `    ${show(f)}`))
          } else {
            problems.push(...compare(ruleId, expected, actual))
          }
          return problems
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      },
    }
  }

  /** Why the subject cannot be tested (undefined: it can). */
  protected subjectProblem(subject: unknown): string | undefined {
    return subjectProblem(subject)
  }

  /** The findings of one case: the plugin run sealed, as validate runs it, over the repository in `dir`. */
  protected findings(_ruleId: string, subject: unknown, dir: string, installedPlugins: string[]): Promise<{ findings: Finding[]; rules?: string[] }> {
    return sealedRun(pluginAt(subject as RuleUnderTest), dir, installedPlugins)
  }
}

/**
 * The plugin at a package folder or hook file, as `ssmd validate` would find
 * it installed: its package name and its `validate` hook entries.
 */
export function pluginAt(location: URL | string): InstalledPlugin {
  const path = location instanceof URL || location.startsWith('file:') ? fileURLToPath(location) : resolve(location)
  const isDir = statSync(path).isDirectory()
  let root = isDir ? path : dirname(path)
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root)
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: unknown; oclif?: { hooks?: Record<string, unknown> } }
  const declared = pkg.oclif?.hooks?.validate
  const entries = (Array.isArray(declared) ? declared : declared === undefined ? [] : [declared]).map(h =>
    typeof h === 'string'
      ? { target: h, identifier: 'default' }
      : { target: String((h as { target?: unknown }).target), identifier: String((h as { identifier?: unknown }).identifier ?? 'default') },
  )
  const hooks = isDir ? entries : [{ target: `./${relative(root, path).split('\\').join('/')}`, identifier: 'default' }]
  if (hooks.length === 0) throw new Error(`${path}: its package.json declares no oclif 'validate' hook`)
  return { name: pkg.name ?? root, version: typeof pkg.version === 'string' ? pkg.version : '', root, hooks }
}

/** One plugin run the way `ssmd validate` runs it (sealed, its own process), on the repository in `dir`. */
async function sealedRun(plugin: InstalledPlugin, dir: string, installedPlugins: string[]): Promise<{ findings: Finding[]; rules?: string[] }> {
  const session = new PluginSession([plugin], { root: dir, mode: 'run' })
  const ws = new Workspace(dir)
  await session.send(ws, { off: [], installedPlugins })
  const [outcome] = await session.finish({ ws, reserved: reservedNamespaces() })
  const rules = outcome.declared ? Object.keys((outcome.declared.result as RulePack).rules) : undefined
  return { findings: outcome.failure !== undefined ? [...outcome.findings, pluginFailedFinding(plugin.name, outcome.failure)] : outcome.findings, rules }
}

function isRelativePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.includes('\\') && !/^[A-Za-z]:/.test(path) && !path.split('/').some(s => s === '..' || s === '' || s === '.')
}

function show(f: { file: string; line: number; column: number; severity?: string; rule?: string; message: string }): string {
  return `${f.file}:${f.line}:${f.column} ${f.severity ?? '(any severity)'} ${f.rule} ${JSON.stringify(f.message)}`
}

function compare(ruleId: string, expected: readonly ExpectedFinding[], actual: Finding[]): string[] {
  const want = expected.map(e => ({ ...e, rule: e.rule ?? ruleId }))
  const matches = (e: (typeof want)[number], f: Finding) =>
    e.file === f.file && e.line === f.line && e.column === f.column && e.message === f.message && e.rule === f.rule && (e.severity === undefined || e.severity === f.severity)
  const unmatched = [...actual]
  const missing: typeof want = []
  for (const e of want) {
    const i = unmatched.findIndex(f => matches(e, f))
    if (i === -1) missing.push(e)
    else unmatched.splice(i, 1)
  }
  if (missing.length === 0 && unmatched.length === 0) return []
  const sortKey = (a: { file: string; line: number; column: number; rule: string }, b: typeof a) => compareFindings(a as Finding, b as Finding)
  return [
    `  expected ${plural(want.length, 'finding')}, got ${actual.length}`,
    ...(missing.length > 0 ? ['  missing (expected, not reported):', ...missing.sort(sortKey).map(e => `    ${show(e)}`)] : []),
    ...(unmatched.length > 0 ? ['  unexpected (reported, not expected):', ...unmatched.map(f => `    ${show(f)}`)] : []),
  ]
}
