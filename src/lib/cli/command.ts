import { Command, Flags, Interfaces } from '@oclif/core'
import { SsmdError } from '../core/errors.js'
import { checkNumericEnv } from '../core/numbers.js'
import { escapeControl } from '../core/text.js'
import { checkNotSecret } from '../domain/input.js'
import { redactValue } from '../domain/secrets.js'
import { installOutputGate } from './output-gate.js'
import { colorEnabled } from './style.js'
import { displayPath } from './output.js'
import { checkDirFlag, findRoot } from '../workspace/root.js'
import { Workspace } from '../workspace/workspace.js'
import { readLocalConfig } from '../workspace/config.js'
import { takeNotices } from '../io/atomic.js'
import { isParseError, parseErrorLine } from './parse-errors.js'

export type SsmdFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof SsmdCommand)['baseFlags'] & T['flags']>
export type SsmdArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Base of every ssmd command: global flags (-C, --json, -q, -v) and the error
 * convention — one clear line on stderr, exit 1 (failed) or 2 (wrong usage),
 * a stack trace only with --verbose.
 */
export abstract class SsmdCommand<T extends typeof Command = typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    dir: Flags.string({ char: 'C', summary: 'The ssmd root to work in (default: nearest ancestor holding feeds/, schemas/ or environments/).', helpGroup: 'GLOBAL' }),
    quiet: Flags.boolean({ char: 'q', summary: 'Print only errors.', helpGroup: 'GLOBAL' }),
    verbose: Flags.boolean({ char: 'v', summary: 'More detail; stack traces for unexpected failures.', helpGroup: 'GLOBAL' }),
  }

  /**
   * Set by commands that write their flag values and arguments into files
   * (feed create/update, env create/update, schema register…): every string
   * value given is refused up front when it holds a secret, before anything is read or written.
   */
  static secretFreeInput = false

  /**
   * Set by commands that ask their config for nothing beyond what oclif's
   * `Command` does (no plugins, no hooks): bin/run.js may then run them
   * without loading oclif's plugins (src/lib/cli/light-start.ts). The value
   * is read from oclif.manifest.json.
   */
  static lightStart = false

  /**
   * Boolean flags (with a `--no-` form) that need oclif's full start while
   * they are on, in a command marked `lightStart`: the light start takes the
   * command only when each of them is turned off on its command line
   * (`commit --no-validate`; validating reads the plugin list). Read from
   * oclif.manifest.json.
   */
  static fullStartFlags: string[] = []

  protected flags!: SsmdFlags<T>
  protected args!: SsmdArgs<T>
  /** Every positional argument as oclif parsed it (flags and their values removed). */
  protected positionals: string[] = []

  public override async init(): Promise<void> {
    takeNotices() // left by an earlier command run in this process
    // bin/run.js installed it already; this covers commands run in-process (tests, embedding).
    installOutputGate()
    await super.init()
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof SsmdCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as SsmdFlags<T>
    this.args = args as SsmdArgs<T>
    this.positionals = argv as string[]
    if ((this.ctor as typeof SsmdCommand).secretFreeInput) this.checkInputSecretFree()
    checkNumericEnv()
    this.applyLocalConfig()
  }

  /** Every argument and flag value of the command line (not the global flags) is checked as `ssmd validate` would check it in the file. */
  private checkInputSecretFree(): void {
    const globals = new Set(['json', ...Object.keys((this.ctor as typeof SsmdCommand).baseFlags)])
    for (const [name, value] of Object.entries(this.args as Record<string, unknown>)) {
      if (typeof value === 'string') checkNotSecret(`argument ${name}`, value)
    }
    for (const [name, value] of Object.entries(this.flags as Record<string, unknown>)) {
      if (typeof value === 'string' && !globals.has(name)) checkNotSecret(`--${name}`, value, name.replace(/^.*\./, '').replaceAll('-', '_'))
    }
  }

  private preferJson = false

  /**
   * Warnings kept while the command ran (a symlinked `.ssmd` that a read-only
   * command went without), printed once at the end; a command that failed
   * has said all in its error line.
   */
  protected override async finally(err: Error | undefined): Promise<unknown> {
    const kept = takeNotices()
    if (err === undefined) for (const n of kept) this.note(`warning: ${n}`)
    return super.finally(err)
  }

  /** Personal preferences from .ssmd/config.yaml (colour, default output); the environment and flags win. */
  private applyLocalConfig(): void {
    let root: string
    try {
      root = this.root()
    } catch {
      return
    }
    const config = readLocalConfig(root)
    for (const w of config.warnings ?? []) this.note(`warning: ${w}`)
    if (config.color && process.env.NO_COLOR === undefined && process.env.FORCE_COLOR === undefined) {
      if (config.color === 'never') process.env.NO_COLOR = '1'
      else if (config.color === 'always') process.env.FORCE_COLOR = '1'
    }
    this.preferJson = config.output === 'json' && this.ctor.enableJsonFlag === true
  }

  public override jsonEnabled(): boolean {
    return super.jsonEnabled() || this.preferJson
  }

  /** The folder the user pointed at with -C, or the working directory. */
  protected startDir(): string {
    return this.flags.dir === undefined ? process.cwd() : checkDirFlag(this.flags.dir)
  }

  private rootCache?: string
  protected root(): string {
    this.rootCache ??= findRoot(this.startDir())
    return this.rootCache
  }

  protected workspace(): Workspace {
    return new Workspace(this.root())
  }

  /** A root-relative path as shown to the user: relative to the -C folder or the working directory, as git shows paths. */
  protected shownPath(rootRelative: string): string {
    return displayPath(this.root(), rootRelative, this.startDir())
  }

  /** Normal output: suppressed by --quiet and --json. */
  protected say(message = ''): void {
    if (!this.flags?.quiet && !this.jsonEnabled()) this.log(message)
  }

  /**
   * Notes and warnings on stderr (kept out of stdout so pipes stay clean);
   * suppressed by --quiet, and by --json, where the JSON result is the whole answer.
   */
  protected note(message: string): void {
    if (!this.flags?.quiet && !this.jsonEnabled()) process.stderr.write(terminalLine(message, process.stderr) + '\n')
  }

  /** A notice that must be seen whatever the output mode (also with --json and --quiet): one line on stderr. */
  protected notice(message: string): void {
    process.stderr.write(`Notice: ${terminalLine(message, process.stderr)}\n`)
  }

  /**
   * A failure that still has a result to show (e.g. `key verify`): the error line
   * goes to stderr like a thrown error's, the exit code is set, and the command
   * returns its result (printed as usual, JSON included).
   */
  protected fail(message: string, exitCode: 1 | 2 = 1): void {
    process.stderr.write(`Error: ${terminalLine(message, process.stderr)}\n`)
    process.exitCode = exitCode
  }

  // Every byte a command prints passes the output gate (output-gate.ts), which
  // redacts secrets; text also goes through the control-character escaper here.

  public override log(message: unknown = '', ...args: unknown[]): void {
    super.log(typeof message === 'string' ? terminalText(message, process.stdout) : (message as string), ...args)
  }

  public override logToStderr(message: unknown = '', ...args: unknown[]): void {
    super.logToStderr(typeof message === 'string' ? terminalText(message, process.stderr) : (message as string), ...args)
  }

  /** Structured results are masked by key as well (a random value under `api_secret` or `source`), which text redaction cannot see. */
  protected override logJson(json: unknown): void {
    super.logJson(redactValue(json))
  }

  public override warn(input: string | Error): string | Error {
    return super.warn(typeof input === 'string' ? terminalText(input, process.stderr) : input)
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    const verbose = this.flags?.verbose ?? this.argv.some(a => a === '-v' || a === '--verbose')
    const json = this.flags ? this.jsonEnabled() : this.argv.includes('--json')
    const exitError = err.oclif?.exit !== undefined && err.constructor?.name === 'ExitError'
    if (exitError) throw err
    // A flag that failed to parse is reported here; oclif's development-mode "did not parse" note would only add noise.
    this.parsed = true
    let exitCode: number
    let message: string
    let code: string
    let details: readonly string[] = []
    if (err instanceof SsmdError) {
      exitCode = err.exitCode
      message = err.message
      code = err.code
      details = err.details
    } else if (isParseError(err)) {
      exitCode = 2
      code = 'usage'
      message = parseErrorLine(err, (this.id ?? '').replaceAll(':', ' '), { ...(this.ctor as typeof SsmdCommand).baseFlags, ...this.ctor.flags } as never)
    } else {
      exitCode = 1
      code = 'internal'
      const where = err.code === 'EACCES' || err.code === 'EPERM' ? ' (permission denied)' : ''
      message = `${err.message || String(err)}${where}${verbose ? '' : ' (run with --verbose for details)'}`
    }
    if (json) {
      const extra = err instanceof SsmdError && err.json ? redactValue(err.json) : undefined
      process.stdout.write(JSON.stringify({ error: { code, message, exit_code: exitCode, ...(details.length > 0 ? { details } : {}) }, ...extra }, null, 2) + '\n')
    }
    for (const line of details) process.stderr.write(terminalLine(line, process.stderr) + '\n')
    process.stderr.write(`Error: ${terminalLine(message, process.stderr)}\n`)
    // Expected errors (usage, not found, conflicts…) are fully told by their line; only unexpected ones get a trace.
    if (verbose && code === 'internal' && err.stack) process.stderr.write(terminalText(stackFrames(err.stack), process.stderr) + '\n')
    process.exitCode = exitCode
    return undefined
  }
}

/** Output text: control characters escaped (colour kept when ssmd itself colours that stream). */
function terminalText(text: string, stream: NodeJS.WriteStream): string {
  return escapeControl(text, { keepNewlines: true, keepSgr: colorEnabled(stream) })
}

/** One line of a note or error: every control character escaped (a newline in a file name shows as `\u000a`). */
function terminalLine(text: string, stream: NodeJS.WriteStream): string {
  return escapeControl(text, { keepSgr: colorEnabled(stream) })
}

/** The frames of a stack trace, without the message line(s) already printed. */
function stackFrames(stack: string): string {
  const lines = stack.split('\n')
  const first = lines.findIndex(l => /^\s+at /.test(l))
  return (first === -1 ? lines : lines.slice(first)).join('\n')
}
