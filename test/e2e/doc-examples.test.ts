/**
 * Every `ssmd …` command shown in README.md and docs/*.md runs, with the built
 * CLI, against a fresh committed copy of examples/market-data, and ends with
 * the exit code the doc implies: 0 unless EXPECTED below says otherwise. So a
 * doc whose example no longer works (a renamed flag, a removed command, a
 * changed refusal) fails the tests.
 *
 * What is an example: in a fenced `sh` block, every line that runs ssmd (after
 * optional `VAR=value` assignments); in a fenced `console` block, every `$ `
 * line that does. A trailing `\` continues the line. The lines of one block run
 * in order, in one copy (a block is a session), through bash with `pipefail`,
 * so comments, pipes and redirections behave as they would for the reader.
 * A block preceded by `<!-- not run: <reason> -->` is skipped (for what needs
 * etcd, a registry or another shell); every such block is listed by a test so
 * that the reasons stay few and visible.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_BIN } from '../helpers/cli.js'
import { exampleRepo, FIXTURES, PROJECT_ROOT, sandboxEnv, tempDir } from '../helpers/repo.js'

interface Example {
  /** `README.md:163`: where the command starts */
  where: string
  /** as shown, continuation lines and comments included (bash reads it so) */
  command: string
  /** the command on one line without its comment: how EXPECTED names it */
  key: string
  /** in a console block, the output shown under the command */
  shown: string[]
}
interface Block {
  where: string
  examples: Example[]
  /** the reason given in `<!-- not run: … -->`, if any */
  notRun?: string
}

const PAGES = [
  'README.md',
  ...readdirSync(join(PROJECT_ROOT, 'docs'))
    .filter(f => f.endsWith('.md'))
    .sort()
    .map(f => `docs/${f}`),
]

const RUNS_SSMD = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*ssmd(?:\s|$)/

/** A command on one line: continuations joined, each line's `# comment` dropped, spaces collapsed. */
const keyOf = (command: string) =>
  command
    .split('\n')
    .map(l => l.replace(/\s#\s.*$/, '').replace(/\\$/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim()

/** The fenced sh and console blocks of a page that show at least one ssmd command. */
function docBlocks(page: string, text: string): Block[] {
  const lines = text.split('\n')
  const out: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i])
    if (!open) continue
    const start = i
    let end = i + 1
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++
    i = end
    const lang = open[1]
    if (lang !== 'sh' && lang !== 'console') continue
    const examples: Example[] = []
    for (let j = start + 1; j < end; j++) {
      let line = lines[j]
      if (lang === 'console') {
        if (!line.startsWith('$ ')) continue
        line = line.slice(2)
      }
      const first = j
      while (line.endsWith('\\') && j + 1 < end) line += '\n' + lines[++j]
      const shown: string[] = []
      if (lang === 'console') while (j + 1 < end && !lines[j + 1].startsWith('$ ')) shown.push(lines[++j])
      if (RUNS_SSMD.test(line)) examples.push({ where: `${page}:${first + 1}`, command: line, key: keyOf(line), shown })
    }
    if (examples.length === 0) continue
    let k = start - 1
    while (k >= 0 && lines[k].trim() === '') k--
    const notRun = k >= 0 ? /^<!-- not run: (.+?) -->$/.exec(lines[k].trim())?.[1] : undefined
    out.push({ where: `${page}:${start + 1}`, examples, notRun })
  }
  return out
}

const BLOCKS = PAGES.flatMap(page => docBlocks(page, readFileSync(join(PROJECT_ROOT, page), 'utf8')))

/**
 * Examples that do not end with 0, by their exact command text (an entry that
 * no longer matches an example fails the test: the doc changed, so must this),
 * and commands a block needs first because the doc shows them earlier on.
 */
const REGISTER_QUOTE = 'ssmd schema register quote --file defs/quote.capnp --effective-from 2025-01-01'
const QUOTE_V2 = 'ssmd schema add-version quote --file defs/quote-v2.capnp --effective-from 2025-07-01 --compatible-with v1'
const EXPECTED: Record<string, { exit?: number; before?: string[]; env?: Record<string, string> }> = {
  // README, schema: the session the text walks through, from the register shown in the block before.
  'ssmd schema add-version quote --file defs/quote-v3.capnp --effective-from 2025-07-01 --compatible-with v1': { exit: 1, before: [REGISTER_QUOTE] },
  'ssmd schema diff quote v1 v2': { before: [REGISTER_QUOTE, QUOTE_V2] },
  'ssmd schema diff quote-pb v1 v2': {
    before: [
      'ssmd schema register quote-pb --file defs/quote.proto --effective-from 2025-01-01',
      'ssmd schema add-version quote-pb --file defs/quote-v2.proto --effective-from 2025-07-01',
    ],
  },
  'ssmd schema set-status quote:v2 active': { before: [REGISTER_QUOTE, QUOTE_V2] },
  // v3 changes bid's type: the claims on v1 and v2 are false and refused, as the comment says they are checked.
  'ssmd schema update-version quote:v3 --compatible-with v1,v2': {
    exit: 1,
    before: [REGISTER_QUOTE, QUOTE_V2, 'ssmd schema add-version quote --file defs/quote-v3.capnp --effective-from 2025-09-01 --breaking-changes "bid is now Int64"'],
  },
  'ssmd schema update-version quote:v3 --add-compatible-with v1': { exit: 1 },
  // README, env: the example repository has both environments already.
  'ssmd env create kalshi-dev --feed kalshi --schema trade:v1': { before: ['ssmd env remove kalshi-dev'] },
  'ssmd env create kalshi-prod --feed kalshi --schema trade:v1 --transport.type nats --transport.url tls://nats.prod.internal:4222 --storage.type s3 --storage.bucket ssmd-prod --storage.region us-east-1 --cache.type redis --cache.url rediss://cache.internal:6379 --cache.max-size 2GB --schedule.timezone America/New_York --schedule.day-start 04:00 --schedule.day-end 00:00':
    { before: ['ssmd env remove kalshi-prod'] },
  // README, removing: the schema's last user goes first.
  'ssmd schema remove orderbook': { before: ['ssmd env remove polymarket-dev'] },
  // README, key: the output shown has one variable of the key set, the other not.
  'ssmd key list kalshi-dev': { env: { SSMD_KALSHI_API_KEY: 'set-for-the-example' } },
  'ssmd key verify kalshi-dev': { exit: 1, env: { SSMD_KALSHI_API_KEY: 'set-for-the-example' } },
  // compatibility.md: a JSON Schema claim is refused as uncheckable.
  'ssmd schema add-version quote --file quote-v2.json --effective-from 2025-03-01 --compatible-with v1': {
    exit: 1,
    before: ['ssmd schema register quote --file defs/quote.json --effective-from 2025-01-01', 'cp defs/quote-v2.json .'],
  },
}

/** Definition files the schema examples pass with --file, as `defs/…` of the repository (copies of test fixtures). */
const DEFS: Record<string, string> = {
  'quote.capnp': 'schema/quote.capnp',
  'quote-v2.capnp': 'schema/quote-v2.capnp',
  'quote-v3.capnp': 'schema/quote-v3-type.capnp',
  'quote.proto': 'schema/quote.proto',
  'quote-v2.proto': 'schema/quote-v2.proto',
  'quote.json': 'schema/quote.json',
  'quote-v2.json': 'schema/quote-v2.json',
}

function repository(): string {
  const dir = exampleRepo({ git: true })
  mkdirSync(join(dir, 'defs'))
  for (const [name, fixture] of Object.entries(DEFS)) cpSync(join(FIXTURES, fixture), join(dir, 'defs', name))
  return dir
}

/** A folder with an `ssmd` that runs the built CLI, for the PATH of the shell running an example. */
function shim(): string {
  const bin = tempDir()
  writeFileSync(join(bin, 'ssmd'), `#!/bin/sh\nexec '${process.execPath}' '${BUILT_BIN}' "$@"\n`, { mode: 0o755 })
  return bin
}

describe('every ssmd command in README.md and docs/*.md runs against the example repository (built CLI)', function () {
  this.timeout(600000)
  let bin: string
  before(() => {
    bin = shim()
  })

  const sh = (command: string, cwd: string, extra: Record<string, string> = {}) => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...sandboxEnv(), NO_COLOR: '1', NODE_ENV: undefined, COLUMNS: undefined, SSMD_NO_PLUGINS: '1', ...extra }))
      if (v !== undefined) env[k] = v
    env.PATH = `${bin}:${env.PATH}`
    return spawnSync('bash', ['-o', 'pipefail', '-c', command], { cwd, env, encoding: 'utf8', timeout: 60000 })
  }

  it('finds the examples', () => {
    expect(BLOCKS.reduce((n, b) => n + b.examples.length, 0)).to.be.greaterThan(80)
  })

  for (const block of BLOCKS.filter(b => !b.notRun)) {
    it(`${block.where}: ${block.examples[0].command.split('\n')[0]}${block.examples.length > 1 ? ` (+${block.examples.length - 1})` : ''}`, () => {
      const dir = repository()
      for (const { where, command, key, shown } of block.examples) {
        for (const setup of EXPECTED[key]?.before ?? []) {
          const r = sh(setup, dir)
          expect(r.status, `setup for ${where}: ${setup}\n${r.stdout}${r.stderr}`).to.equal(0)
        }
        const r = sh(command, dir, EXPECTED[key]?.env)
        const expected = EXPECTED[key]?.exit ?? 0
        expect(r.status, `${where}: ${command}\n${r.stdout}${r.stderr}`).to.equal(expected)
        // A failure is one clear line, never a stack trace.
        expect(r.stderr, `${where}: ${command}`).not.to.match(/^\s+at .+:\d+:\d+\)?$/m)
        // The error line a console block shows is the one the command prints, and a shown error means a failing exit code.
        const shownError = shown.find(l => l.startsWith('Error: '))
        if (shownError !== undefined) expect(r.stderr.split('\n'), `${where}: ${command}`).to.include(shownError)
        if (shown.length > 0) expect(shownError !== undefined, `${where}: the doc shows ${shownError ? 'an error' : 'no error'}; exit code ${expected}`).to.equal(expected !== 0)
      }
    })
  }

  it('every expectation above matches an example of the docs', () => {
    const shown = new Set(BLOCKS.flatMap(b => b.examples.map(e => e.key)))
    expect(Object.keys(EXPECTED).filter(c => !shown.has(c))).to.deep.equal([])
  })

  it('skips few blocks, each with its reason', () => {
    expect(BLOCKS.filter(b => b.notRun).map(b => `${b.where.replace(/:\d+$/, '')}: ${b.notRun}`)).to.deep.equal([
      'README.md: needs etcd',
      'README.md: needs a published plugin package',
      'README.md: writes shell start-up files; test/e2e/completion.test.ts runs the scripts in real shells',
      'docs/deploy.md: needs etcd; test/runtime/getting-started.test.ts runs this walk-through against a real etcd',
      'docs/deploy.md: needs etcd; test/runtime/getting-started.test.ts runs this walk-through against a real etcd',
      'docs/plugins.md: needs a published plugin package',
      'docs/plugins.md: needs installed plugins and a plugin folder; test/e2e/plugin-commands.test.ts runs each command',
      "docs/plugins.md: runs in a plugin's folder",
      "docs/plugins.md: runs in a plugin's folder",
    ])
  })
})
