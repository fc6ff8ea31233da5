/**
 * Every command × every output format, over a repository holding the whole
 * secret corpus, with secret-shaped arguments and flag values: no secret
 * reaches stdout or stderr of the built CLI. The command list comes from the
 * oclif manifest, so a new command fails here until it has a row in COMMANDS.
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import jsYaml from 'js-yaml'
import { BUILT_BIN } from '../helpers/cli.js'
import { CORPUS, entry, needles } from '../helpers/secret-corpus.js'
import { exampleRepo, git, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

/** What a secret-shaped argument or flag value is: a Slack token (refused as a name, a path, a version…). */
const TYPED = entry('slack-bot-token')
const SECRETS = [...CORPUS.flatMap(needles), TYPED.slice(5), 'Sup3rSecretPw']

interface Row {
  /** Arguments and flags that make the command do its job on the planted repository. */
  args: string[]
  /** Its exit code there (every format alike, but for those in `exits`). */
  exit: number
  /** Exit code of one output format (`--json`, `--format protobuf`) where it differs. */
  exits?: Record<string, number>
  /** Exit code with a secret as its first argument (or an extra one); default 2. */
  badArg?: number
  /** Exit code with a secret argument in one output format where it differs. */
  badArgExits?: Record<string, number>
  /** Exit code per flag given a secret value; default 2. */
  badFlag?: Record<string, number>
  /** Runs in an empty folder instead of the repository. */
  empty?: true
}

const ETCD = ['--etcd', '127.0.0.1:1', '--dial-timeout', '1']

/** One row per command of the manifest. */
const COMMANDS: Record<string, Row> = {
  // oclif's -m (which may be repeated) also takes the next word, so an extra argument becomes a second message paragraph.
  // A cache location is a path of the user's (never written into a file): any name is a folder name.
  commit: { args: ['-m', `rotate ${TYPED}`], exit: 0, badArg: 0, badFlag: { author: 2, message: 0, 'cache-location': 0 } },
  completion: { args: ['bash'], exit: 0 },
  diff: { args: [], exit: 0 },
  docs: { args: ['security'], exit: 0, badArg: 1 },
  init: { args: [], exit: 0, empty: true },
  migrate: { args: ['--dry-run'], exit: 0 },
  validate: { args: [], exit: 0, badFlag: { 'path-base': 0, 'cache-location': 0 } },
  version: { args: [], exit: 0 },
  'cache:clear': { args: [], exit: 0, badFlag: { 'cache-location': 0 } },
  // A dry run still reads what etcd holds, to compare: with no etcd it fails after validating and rendering.
  deploy: { args: ['--all', '--dry-run', ...ETCD], exit: 1 },
  'deploy:status': { args: [...ETCD], exit: 1 },
  'env:add-key': { args: ['kalshi-dev', 'extra', '--type', 'api_key', '--fields', 'value', '--source', 'env'], exit: 0 },
  'env:create': { args: ['e2', '--feed', 'kalshi', '--schema', 'trade:v1'], exit: 0 },
  'env:list': { args: [], exit: 0 },
  'env:remove-key': { args: ['kalshi-dev', 'kalshi'], exit: 0 },
  'env:remove': { args: ['kalshi-prod'], exit: 0 },
  'env:render': { args: ['kalshi-dev'], exit: 0 },
  'env:show': { args: ['kalshi-dev'], exit: 0 },
  'env:update': { args: ['kalshi-prod', '--schedule.timezone', 'UTC'], exit: 0 },
  'feed:add-location': { args: ['kalshi', '--datacenter', 'nyc2', '--provider', 'onprem'], exit: 0 },
  'feed:add-version': { args: ['kalshi', '--effective-from', '2031-01-01'], exit: 0 },
  'feed:create': { args: ['kraken2', '--type', 'websocket', '--endpoint', 'wss://ws.kraken.com'], exit: 0 },
  'feed:list': { args: [], exit: 0 },
  'feed:remove-location': { args: ['kalshi', '--datacenter', 'nyc1'], exit: 0 },
  'feed:remove': { args: ['kalshi', '--force'], exit: 0 },
  'feed:remove-version': { args: ['kalshi', 'v1', '--force'], exit: 0 },
  'feed:show': { args: ['kalshi'], exit: 0 },
  'feed:update': { args: ['kalshi', '--rate-limit', '20'], exit: 0 },
  'key:list': { args: ['kalshi-dev'], exit: 0 },
  'key:verify': { args: ['kalshi-dev'], exit: 1 },
  plugins: { args: [], exit: 0 },
  // The plugin commands run in a private, empty plugin home: each refuses before npm would run.
  'plugins:install': { args: ['./no-such-plugin'], exit: 2 },
  'plugins:link': { args: ['./no-such-plugin'], exit: 2 },
  'plugins:uninstall': { args: ['no-such-plugin'], exit: 1, badArg: 1 },
  'plugins:update': { args: [], exit: 0 },
  'rules:list': { args: [], exit: 0 },
  'rules:show': { args: ['security/secret-literal'], exit: 0, badArg: 1 },
  'schema:add-version': { args: ['trade', '--file', '<v3>', '--effective-from', '2031-01-01'], exit: 0 },
  'schema:compile': { args: ['trade'], exit: 0, exits: { '--json': 2 }, badFlag: { output: 0 } },
  'schema:diff': { args: ['trade', 'v1', 'v2'], exit: 0 },
  'schema:generate': { args: ['trade', '--lang', 'ts', '--out', 'gen'], exit: 0, badFlag: { out: 0 } },
  'schema:hash': { args: ['trade'], exit: 0 },
  'schema:list': { args: [], exit: 0 },
  // --format names the input's format here: the Cap'n Proto file is not protobuf or JSON Schema.
  'schema:register': { args: ['quote', '--file', 'schemas/trade.capnp'], exit: 0, exits: { '--format protobuf': 1, '--format json_schema': 1 } },
  'schema:remove-version': { args: ['trade:v1', '--force'], exit: 0 },
  'schema:remove': { args: ['trade', '--force'], exit: 0 },
  'schema:set-status': { args: ['trade:v1', 'deprecated', '--force'], exit: 0 },
  'schema:show': { args: ['trade'], exit: 0 },
  'schema:update-version': { args: ['trade:v2', '--breaking-changes', 'renamed a field'], exit: 0 },
}

interface ManifestFlag {
  type: 'boolean' | 'option'
  options?: string[]
  char?: string
}
interface ManifestCommand {
  args: Record<string, unknown>
  flags: Record<string, ManifestFlag>
  enableJsonFlag?: boolean
}

interface Run {
  label: string
  argv: string[]
  exit: number
  cwd: string
}

interface Result extends Run {
  stdout: string
  stderr: string
  code: number
}

/** The built CLI as a process, `jobs` at a time. */
async function runAll(runs: Run[], env: Record<string, string>, jobs = 3): Promise<Result[]> {
  const results: Result[] = []
  let next = 0
  const one = (run: Run) =>
    new Promise<Result>(resolve => {
      const child = spawn(process.execPath, [BUILT_BIN, ...run.argv], { cwd: run.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60000)
      child.on('close', code => {
        clearTimeout(timer)
        resolve({ ...run, stdout, stderr, code: code ?? 128 })
      })
    })
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < runs.length) {
        const run = runs[next++]
        results.push(await one(run))
      }
    }),
  )
  return results
}

/** The example repository with every corpus value planted where some command prints it, the security rules downgraded so that commands that validate first still print, committed. */
export function plantedRepo(): string {
  const root = exampleRepo({ git: true })
  const envPath = join(root, 'environments/kalshi-dev.yaml')
  const feedPath = join(root, 'feeds/kalshi.yaml')
  const env = jsYaml.load(readFileSync(envPath, 'utf8'), { schema: jsYaml.CORE_SCHEMA }) as Record<string, unknown> & {
    keys: Record<string, unknown>
    transport: Record<string, unknown>
  }
  const feed = jsYaml.load(readFileSync(feedPath, 'utf8'), { schema: jsYaml.CORE_SCHEMA }) as Record<string, unknown> & { versions: Array<Record<string, unknown>> }
  const current = feed.versions[1]
  CORPUS.forEach((e, i) => {
    env.keys[`leak_${i}`] = { type: 'api_key', required: false, fields: ['value'], source: 'env', description: e.value }
    current[`x-leak-${i}`] = e.value
    if (e.where === 'feed endpoint' && e.id === 'url-wss-user-password') current.endpoint = e.value
  })
  env.transport.url = 'nats://admin:Sup3rSecretPw@localhost:4222'
  feed.display_name = CORPUS.filter(e => !e.value.includes('\n'))
    .map(e => e.value)
    .join(' ')
  writeFileSync(envPath, jsYaml.dump(env, { lineWidth: -1 }))
  writeFileSync(feedPath, jsYaml.dump(feed, { lineWidth: -1 }))
  writeFileSync(join(root, 'ssmd.yaml'), 'rules:\n  ref/unused: off\n  security/credentials-in-url: warning\n  security/secret-literal: warning\n')
  git(root, 'add', '-A')
  git(root, 'commit', '-q', '-m', 'planted')
  // One uncommitted change, so that diff and commit have something to show.
  writeFileSync(feedPath, readFileSync(feedPath, 'utf8').replace('rate_limit_per_second: 10', 'rate_limit_per_second: 11'))
  return root
}

describe('output gate: every command × every output format prints no secret (built CLI)', function () {
  this.timeout(900000)

  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, ManifestCommand> }

  it('has a row for every command of the manifest, and none for a command that does not exist', () => {
    expect(Object.keys(COMMANDS).sort()).to.deep.equal(Object.keys(manifest.commands).sort())
  })

  it('no secret in stdout or stderr: text, --json, every --format, -v; secret-shaped arguments and flag values', async () => {
    const template = plantedRepo()
    const work = tempDir('ssmd-matrix-')
    // A new definition for schema add-version, outside the repository.
    const v3 = join(tempDir(), 'trade-v3.capnp')
    cpSync(join(template, 'schemas', 'trade-v2.capnp'), v3)
    for (const row of Object.values(COMMANDS)) row.args = row.args.map(a => (a === '<v3>' ? v3 : a))
    const runs: Run[] = []
    const fresh = (row: Row) => {
      const dir = join(work, String(runs.length))
      if (row.empty) mkdirSync(dir)
      else cpSync(template, dir, { recursive: true })
      return dir
    }
    for (const [id, row] of Object.entries(COMMANDS)) {
      const command = manifest.commands[id]
      if (command === undefined) continue
      const words = id.split(':')
      const formats: string[][] = [[]]
      if (command.enableJsonFlag !== false && command.flags.json) formats.push(['--json'])
      for (const value of command.flags.format?.options ?? []) formats.push(['--format', value])
      if (command.flags.verbose) formats.push(['-v'])
      for (const format of formats)
        runs.push({ label: `${words.join(' ')} ${format.join(' ')}`, argv: [...words, ...row.args, ...format], exit: row.exits?.[format.join(' ')] ?? row.exit, cwd: fresh(row) })
      // A secret as the first argument (or an extra one), text and --json.
      const argCount = Object.keys(command.args).length
      const badArgs = argCount > 0 ? [TYPED, ...row.args.slice(1)] : [...row.args, TYPED]
      for (const format of formats.slice(0, 2))
        runs.push({
          label: `${words.join(' ')} <secret argument> ${format.join(' ')}`,
          argv: [...words, ...badArgs, ...format],
          exit: row.badArgExits?.[format.join(' ')] ?? row.badArg ?? 2,
          cwd: fresh(row),
        })
      // A secret as the value of each flag that takes one.
      for (const [name, flag] of Object.entries(command.flags)) {
        if (flag.type !== 'option' || name === 'dir' || name === 'format') continue
        const at = row.args.indexOf(`--${name}`)
        const args = at === -1 ? [...row.args, `--${name}`, TYPED] : row.args.map((a, i) => (i === at + 1 ? TYPED : a))
        runs.push({ label: `${words.join(' ')} --${name} <secret>`, argv: [...words, ...args], exit: row.badFlag?.[name] ?? 2, cwd: fresh(row) })
      }
    }
    const env: Record<string, string> = {}
    const extra = {
      NO_COLOR: '1',
      XDG_DATA_HOME: tempDir(),
      XDG_CACHE_HOME: tempDir(),
      XDG_CONFIG_HOME: tempDir(),
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
    }
    for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined && k !== 'NODE_ENV' && !k.startsWith('SSMD_')) env[k] = v
    const results = await runAll(runs, env)
    const problems: string[] = []
    for (const r of results) {
      const out = r.stdout + r.stderr
      const leaked = SECRETS.filter(s => out.includes(s))
      if (leaked.length > 0) problems.push(`${r.label}: printed ${leaked.map(s => JSON.stringify(s.slice(0, 24))).join(', ')}`)
      if (r.code !== r.exit) problems.push(`${r.label}: exit ${r.code}, expected ${r.exit}: ${r.stderr.trim().split('\n').at(-1)?.slice(0, 160)}`)
      if (r.argv.includes('--json') && r.code !== 2 && r.stdout !== '') {
        try {
          JSON.parse(r.stdout)
        } catch {
          problems.push(`${r.label}: --json output is not JSON: ${r.stdout.slice(0, 200)}`)
        }
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([])
    // Every command ran in every format it has, plus the secret-argument and secret-flag runs.
    expect(results.length).to.equal(runs.length)
    expect(runs.length).to.be.greaterThan(250)
  })
})
