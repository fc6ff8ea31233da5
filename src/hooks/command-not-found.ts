import type { Hook } from '@oclif/core'
import { closest, didYouMean, editDistance, escapeControl } from '../lib/core/text.js'
import { installOutputGate } from '../lib/cli/output-gate.js'

/**
 * An unknown command: one line with a suggestion, exit 2 — never a prompt and
 * never a guess that runs (this replaces @oclif/plugin-not-found).
 */
const hook: Hook<'command_not_found'> = async function ({ config, id, argv }) {
  const fail = (raw: string): void => {
    // What was typed reaches the terminal: through the output gate (secrets redacted), control characters escaped.
    installOutputGate()
    const message = escapeControl(raw)
    if ((argv ?? []).includes('--json')) process.stdout.write(JSON.stringify({ error: { code: 'usage', message, exit_code: 2 } }, null, 2) + '\n')
    process.stderr.write(`Error: ${message}\n`)
    this.exit(2)
  }
  if (id.startsWith('-')) {
    const globals = ['-C', '--dir', '--json', '-q', '--quiet', '-v', '--verbose']
    const line = globals.includes(id.split('=')[0])
      ? `${id} needs a command, e.g. 'ssmd validate ${id}${id === '-C' || id === '--dir' ? ' <dir>' : ''}'`
      : `unknown flag ${id}${didYouMean(id, [...globals, '--help', '-h', '--version'])}`
    fail(`ssmd: ${line} (see 'ssmd --help')`)
  }
  const visible = config.commands.filter(c => !c.hidden)
  const ids = new Set<string>()
  for (const c of visible) for (const name of [c.id, ...(c.aliases ?? [])]) ids.add(name.replaceAll(':', ' '))
  for (const t of config.topics) if (!t.hidden) ids.add(t.name.replaceAll(':', ' '))
  // What was typed: the id words oclif split off plus the words after them, up to the first flag.
  const rest: string[] = []
  for (const a of argv ?? []) {
    if (a.startsWith('-')) break
    rest.push(a)
  }
  const words = [...id.split(':'), ...rest]
  // oclif folds the extra words after a command without arguments into the id ('feed list a' → feed:list:a).
  for (let n = id.split(':').length - 1; n >= 1; n--) {
    const prefix = id.split(':').slice(0, n).join(':')
    // A command that is also a topic ('plugins') more likely met a mistyped subcommand ('plugins instal').
    const isTopic = config.commands.some(c => c.id.startsWith(`${prefix}:`))
    if (config.findCommand(prefix) && !isTopic) {
      const extra = id
        .split(':')
        .slice(n)
        .map(a => `'${a}'`)
      const list = extra.length === 1 ? extra[0] : `${extra.slice(0, -1).join(', ')} and ${extra.at(-1)}`
      const cmd = prefix.replaceAll(':', ' ')
      fail(`ssmd ${cmd}: unexpected argument${extra.length === 1 ? '' : 's'} ${list}; it takes none (see 'ssmd ${cmd} --help')`)
    }
  }
  let suggestion: string | undefined
  let typedCount = id.split(':').length
  // The longest phrase that resembles a command wins: 'fed list' → 'feed list' rather than 'fed' → 'feed'.
  // A destructive command is offered only for a typo of that very command, never for another verb.
  for (let n = Math.min(words.length, 3); n >= 1 && suggestion === undefined; n--) {
    const phrase = words.slice(0, n).join(' ')
    suggestion = closest(
      phrase,
      [...ids].filter(c => !isDestructive(c) || isTypoOf(phrase, c)),
    )
    if (suggestion !== undefined) typedCount = n
  }
  const typed = words.slice(0, Math.max(typedCount, id.split(':').length)).join(' ')
  const hint = suggestion === undefined ? '' : `; did you mean 'ssmd ${suggestion}'?`
  const topic = id.split(':')[0]
  const help = ids.has(topic) && topic !== id ? `ssmd ${topic} --help` : 'ssmd --help'
  fail(`'${typed}' is not an ssmd command${hint} (see '${help}')`)
}

/** Commands that delete or overwrite something: `… remove`, `… remove-*`, `cache clear`, `deploy`, and the plugin manager's removals. */
const DESTRUCTIVE_VERB = /^(remove(-[a-z-]+)?|clear|deploy|uninstall|unlink|reset)$/

function isDestructive(command: string): boolean {
  return DESTRUCTIVE_VERB.test(command.split(' ').at(-1) ?? '')
}

/**
 * True when `typed` is a slip of the keyboard for `command`: as many words and
 * one edit apart (a letter added, dropped or changed, or two neighbours swapped).
 */
function isTypoOf(typed: string, command: string): boolean {
  const a = typed.toLowerCase()
  if (a.split(' ').length !== command.split(' ').length) return false
  if (editDistance(a, command) <= 1) return true
  const i = [...a].findIndex((ch, k) => ch !== command[k])
  return a.length === command.length && a[i] === command[i + 1] && a[i + 1] === command[i] && a.slice(i + 2) === command.slice(i + 2)
}

export default hook
