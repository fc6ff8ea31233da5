import { expect } from 'chai'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_BIN, ssmdProcess, type CliResult } from '../helpers/cli.js'
import { moduleRecorder } from '../helpers/modules.js'
import { exampleRepo, git, PROJECT_ROOT, tempDir } from '../helpers/repo.js'
import { spawnSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'

/** The built commands marked for the light start, from the manifest the build wrote. */
function lightIds(): string[] {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { lightStart?: boolean }> }
  return Object.entries(manifest.commands)
    .filter(([, c]) => c.lightStart === true)
    .map(([id]) => id)
    .sort()
}

/** Argument lists for each light-start command: output modes, flag forms, usage errors, failures. */
const CASES: Record<string, string[][]> = {
  // Each run on its own copy of a repository with changes (see "commit:" below); only --no-validate is light.
  commit: [
    ['commit', '--no-validate', '-m', 'light and full'],
    ['commit', '--no-validate', '-m', 'as json', '--json'],
    ['commit', '-v', '--no-validate', '-m', 'verbose', '-m', 'second paragraph', '--author', 'Ada Lovelace <ada@example.com>'],
    ['commit', '--validate', '--no-validate', '-m', 'last form wins'],
    ['commit', '--no-validate'],
    ['commit', '--no-validate', '-m', 'x', '--bogus', '--json'],
    ['commit', '--no-validate', '-m', ''],
    ['commit', '--no-validate', '-m', 'x', '--author', 'nobody'],
  ],
  diff: [['diff'], ['diff', '--stat'], ['diff', '-p', '--json'], ['diff', '--patch=yes'], ['diff', 'extra'], ['diff', '--bogus', '--json']],
  'env:list': [
    ['env', 'list'],
    ['env', 'list', '--json'],
    ['env', 'list', '-q'],
    ['env', 'list', 'extra'],
    ['env', 'list', '--bogus'],
  ],
  // Validates first: with ssmd's own rules (loaded from the bundle), a failing rule and a missing required plugin refuse.
  'env:render': [
    ['env', 'render', 'kalshi-dev'],
    ['env', 'render', 'kalshi-prod', '--json'],
    ['env', 'render', 'kalshi-dev', '--format', 'json', '--as-of', '2025-07-01'],
    ['env', 'render', 'kalshi-dev', '--as-of', '1999-01-01'],
    ['env', 'render', 'broken'],
    ['env', 'render', 'broken', '--json'],
    ['env', 'render'],
    ['env', 'render', 'kalshi-dev', '--format', 'xml'],
    ['env', 'render', 'nope', '--json'],
  ],
  'env:show': [
    ['env', 'show', 'kalshi-dev'],
    ['env', 'show', 'kalshi-prod', '--json'],
    ['env', 'show'],
    ['env', 'show', 'nope', '--json'],
    ['env', 'show', 'Bad Name'],
  ],
  'feed:list': [
    ['feed', 'list'],
    ['feed', 'list', '-v'],
    ['feed', 'list', '--status=deprecated'],
    ['feed', 'list', '--status', 'bogus'],
    ['feed', 'list', '--status', 'bogus', '--json'],
    ['feed', 'list', '--json', '--quiet'],
    ['feed', 'list', 'extra'],
  ],
  'feed:show': [
    ['feed', 'show', 'kalshi'],
    ['feed', 'show', 'kalshi', '--json'],
    ['feed', 'show', 'kalshi', '--version=v1'],
    ['feed', 'show', 'kalshi', '--as-of', '2025-07-01', '--json'],
    ['feed', 'show', 'kalshi', '--as-of', '2025-07-01', '--version', 'v1'],
    ['feed', 'show', 'kalshi', '--version', 'v9'],
    ['feed', 'show'],
    ['feed', 'show', '--json'],
    ['feed', 'show', 'kalshi', '--bogus'],
    ['feed', 'show', 'kalshi', 'extra'],
    ['feed', 'show', 'nope', '--json'],
    ['feed', 'show', 'kalshi', '--verbose', '--as-of', 'yesterday'],
  ],
  'key:list': [
    ['key', 'list', 'kalshi-dev'],
    ['key', 'list', 'kalshi-prod', '--json'],
    ['key', 'list'],
  ],
  'schema:list': [
    ['schema', 'list'],
    ['schema', 'list', '-v', '--json'],
    ['schema', 'list', '--nope'],
  ],
  // ssmd's own rules only (no user plugin): the cache written by one run serves the next, so -v is asked without it.
  validate: [
    ['validate'],
    ['validate', '--json'],
    ['validate', '--format', 'sarif'],
    ['validate', '--format', 'github', '--strict'],
    ['validate', 'feeds/kalshi.yaml', '--format', 'json'],
    ['validate', '--no-cache', '-v'],
    ['validate', '--no-plugins', '--json'],
    ['validate', 'nope.yaml'],
    ['validate', '--format', 'xml'],
    ['validate', '--bogus', '--json'],
  ],
  'schema:show': [
    ['schema', 'show', 'trade'],
    ['schema', 'show', 'trade', '--json'],
    ['schema', 'show', 'nope'],
    ['schema', 'show'],
  ],
}

describe('light start of built-in commands (built CLI)', function () {
  this.timeout(240000)
  let repo: string
  let env: Record<string, string>
  before(() => {
    // A committed repository with one feed changed and one added, for diff.
    repo = exampleRepo({ git: true })
    const feed = join(repo, 'feeds', 'kraken.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('status: deprecated', 'status: disabled'))
    writeFileSync(join(repo, 'feeds', 'extra.yaml'), 'name: extra\ntype: rest\n')
    // An environment that does not validate (an unknown time zone), for env render.
    const dev = readFileSync(join(repo, 'environments', 'kalshi-dev.yaml'), 'utf8')
    writeFileSync(join(repo, 'environments', 'broken.yaml'), dev.replace('name: kalshi-dev', 'name: broken').replace('timezone: UTC', 'timezone: Mars/Base'))
    env = { XDG_DATA_HOME: tempDir(), XDG_CONFIG_HOME: tempDir(), XDG_CACHE_HOME: tempDir() }
  })

  const both = (args: string[], cwd: string, extra: Record<string, string> = {}): [CliResult, CliResult] => [
    ssmdProcess(args, { cwd, env: { ...env, ...extra } }),
    ssmdProcess(args, { cwd, env: { ...env, ...extra, SSMD_FULL_START: '1' } }),
  ]

  it('covers every command the manifest marks for it', () => {
    expect(Object.keys(CASES).sort()).to.deep.equal(lightIds())
  })

  it("decides from the build's small table of the commands: every id, alias, strict and args, the light-start commands whole", () => {
    type Entry = Record<string, unknown> & { lightStart?: boolean }
    const read = (...path: string[]) => readFileSync(join(PROJECT_ROOT, ...path), 'utf8')
    const manifest = JSON.parse(read('oclif.manifest.json')) as { commands: Record<string, Entry> }
    const table = read('dist', 'lib', 'light', 'manifest.json')
    const expected: Record<string, Entry> = {}
    for (const [key, c] of Object.entries(manifest.commands)) {
      const { id, strict, args, aliases, hiddenAliases } = c
      expected[key] = c.lightStart === true ? c : (JSON.parse(JSON.stringify({ id, strict, args, aliases, hiddenAliases })) as Entry)
    }
    // test/setup.ts rewrites oclif.manifest.json without the command files' paths the build wrote (and the table kept).
    const built = JSON.parse(table) as { commands: Record<string, Entry> }
    for (const c of Object.values(built.commands)) {
      delete c.relativePath
      delete c.isESM
    }
    expect(built).to.deep.equal({ commands: expected })
    // What the table is for: a fraction of the manifest to read and parse on every start.
    expect(table.length).to.be.below(read('oclif.manifest.json').length / 4)
  })

  for (const [id, cases] of Object.entries(CASES)) {
    if (id === 'commit') continue
    it(`${id.replace(':', ' ')}: the same stdout, stderr and exit code as through oclif, for every flag form and error`, () => {
      const codes = new Set<number>()
      for (const args of cases) {
        const [light, full] = both(args, repo)
        expect(light, args.join(' ')).to.deep.equal(full)
        codes.add(full.code)
      }
      // The cases reach success and usage errors at least (and failures where the command has them).
      expect([...codes]).to.include.members([0, 2])
    })
  }

  it("env render: the same plugin names as oclif's for ssmd.yaml's required plugins, and the same notice with plugins off", () => {
    const policy = exampleRepo()
    const required = (plugins: string[]) => writeFileSync(join(policy, 'ssmd.yaml'), `plugins:\n${plugins.map(p => `  - '${p}'\n`).join('')}`)
    const codes: number[] = []
    // A core plugin counts as installed (it is in oclif's plugin list); an absent one refuses the render.
    for (const plugins of [['@oclif/plugin-help'], ['@oclif/plugin-help', 'ssmd-plugin-absent'], ['ssmd']]) {
      required(plugins)
      for (const extra of [{}, { SSMD_NO_PLUGINS: '1' }] as Array<Record<string, string>>) {
        const [light, full] = both(['env', 'render', 'kalshi-dev'], policy, extra)
        expect(light, `${plugins.join(', ')} ${JSON.stringify(extra)}`).to.deep.equal(full)
        codes.push(full.code)
      }
    }
    expect(codes).to.deep.equal([0, 0, 1, 1, 0, 0])
  })

  it("env render takes ssmd's rules from the module package.json declares as its validate hook", () => {
    const pjson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { oclif: { hooks: Record<string, unknown> } }
    // src/lib/cli/validation.ts (builtinSources) imports this module directly when it runs with the light start's config.
    expect(pjson.oclif.hooks.validate).to.equal('./dist/hooks/validate/builtin.js')
  })

  it('commit: the same stdout, stderr, exit code, commit and index as through oclif, then the same "nothing to commit"', () => {
    const codes = new Set<number>()
    const dates = { GIT_AUTHOR_DATE: '@1700000000 +0000', GIT_COMMITTER_DATE: '@1700000100 +0000', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com' }
    const state = (dir: string) => ({
      head: git(dir, 'rev-parse', 'HEAD'),
      status: git(dir, 'status', '--porcelain'),
      staged: git(dir, 'ls-files', '-s'),
    })
    for (const args of CASES.commit) {
      const [a, b] = [tempDir(), tempDir()].map(d => join(d, 'repo'))
      cpSync(repo, a, { recursive: true })
      cpSync(repo, b, { recursive: true })
      for (let round = 0; round < 2; round++) {
        const light = ssmdProcess(args, { cwd: a, env: { ...env, ...dates } })
        const full = ssmdProcess(args, { cwd: b, env: { ...env, ...dates, SSMD_FULL_START: '1' } })
        expect(light, `${args.join(' ')} (run ${round + 1})`).to.deep.equal(full)
        expect(state(a), args.join(' ')).to.deep.equal(state(b))
        codes.add(full.code)
      }
    }
    expect([...codes].sort()).to.deep.equal([0, 1, 2])
  })

  it('is the same with -C before, inside and after the command words, and with a folder that does not exist', () => {
    const elsewhere = tempDir()
    for (const args of [
      ['-C', repo, 'feed', 'show', 'kalshi'],
      ['feed', '-C', repo, 'list', '--json'],
      ['env', 'show', 'kalshi-dev', `--dir=${repo}`],
      ['feed', 'list', '-C', join(repo, 'missing')],
    ]) {
      const [light, full] = both(args, elsewhere)
      expect(light, args.join(' ')).to.deep.equal(full)
    }
  })

  it('gives the same output when V8 rejects the code caches (other V8 flags) and the bundles compile as usual', () => {
    for (const args of [
      ['feed', 'show', 'kalshi', '--json'],
      ['env', 'show', 'kalshi-dev'],
      ['feed', 'list', '--bogus'],
    ]) {
      const run = (flags: string[]) => {
        const r = spawnSync(process.execPath, [...flags, BUILT_BIN, ...args], { cwd: repo, env: { ...process.env, NODE_ENV: undefined, NO_COLOR: '1', ...env }, encoding: 'utf8' })
        return { stdout: r.stdout, stderr: r.stderr, code: r.status }
      }
      expect(run(['--no-opt']), args.join(' ')).to.deep.equal(run([]))
    }
  })

  /** Whether oclif's plugin loading (src/lib/cli/plugin-trust.ts) ran for these arguments. */
  const loadsPlugins = (args: string[], extra: Record<string, string> = {}) => {
    const recorder = moduleRecorder()
    const r = spawnSync(process.execPath, [...recorder.nodeArgs, BUILT_BIN, ...args], {
      cwd: repo,
      env: { ...process.env, NODE_ENV: undefined, NO_COLOR: '1', ...env, ...extra },
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).to.be.oneOf([0, 2])
    return recorder.loaded().includes('dist/lib/cli/plugin-trust.js')
  }

  it('runs a marked command without loading plugins, and leaves help, plugins, unmarked commands and SSMD_FULL_START to oclif', () => {
    expect(loadsPlugins(['feed', 'show', 'kalshi'])).to.equal(false)
    expect(loadsPlugins(['env', 'render', 'kalshi-dev'])).to.equal(false)
    expect(loadsPlugins(['feed', 'show', 'kalshi'], { SSMD_FULL_START: '1' })).to.equal(true)
    expect(loadsPlugins(['feed', 'show', 'kalshi', '--help'])).to.equal(true)
    expect(loadsPlugins(['feed', 'show', '-h'])).to.equal(true)
    expect(loadsPlugins(['feed:show', 'kalshi'])).to.equal(true)
    expect(loadsPlugins(['plugins'])).to.equal(true)
    expect(loadsPlugins(['rules', 'list'])).to.equal(true)
  })

  it('a validating commit given the light config refuses to run rather than commit unvalidated', () => {
    const dir = join(tempDir(), 'repo')
    cpSync(repo, dir, { recursive: true })
    const head = git(dir, 'rev-parse', 'HEAD')
    const dist = pathToFileURL(join(PROJECT_ROOT, 'dist')).href
    const script = [
      `const { LightConfig, plainStart, ownCommands } = await import('${dist}/lib/cli/light-start.js')`,
      `const { default: Commit } = await import('${dist}/commands/commit.js')`,
      `const root = ${JSON.stringify(PROJECT_ROOT)}`,
      "Commit.id = 'commit'",
      "await new Commit(['-m', 'x', '-C', process.argv[1]], new LightConfig(plainStart(root), ownCommands(root), 'linux'))._run()",
    ].join('\n')
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir], {
      env: { ...process.env, NODE_ENV: undefined, NO_COLOR: '1', ...env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com' },
      encoding: 'utf8',
    })
    expect(r.stderr).to.include('validation needs the plugin list, which the light start does not load')
    expect(r.status).to.equal(1)
    expect(git(dir, 'rev-parse', 'HEAD')).to.equal(head)
  })

  it('runs commit light only when --no-validate is certainly the last word on validation', () => {
    expect(loadsPlugins(['commit', '--no-validate', '-m', 'x', '--bogus'])).to.equal(false)
    expect(loadsPlugins(['commit', '-m', 'x', '--no-validate', '--bogus'])).to.equal(false)
    expect(loadsPlugins(['commit', '-m', 'x', '--bogus'])).to.equal(true)
    expect(loadsPlugins(['commit', '--no-validate', '--validate', '-m', 'x', '--bogus'])).to.equal(true)
    // The value of -m / --message, not a flag: validation stays on.
    expect(loadsPlugins(['commit', '-m', '--no-validate', '--bogus'])).to.equal(true)
    expect(loadsPlugins(['commit', '--message', '--no-validate', '--bogus'])).to.equal(true)
    expect(loadsPlugins(['commit', '-m', 'x', '--', '--no-validate'])).to.equal(true)
  })

  it('leaves every command to oclif when a user or linked plugin is installed, or a theme file exists', () => {
    const data = tempDir()
    writeFileSync(join(data, 'package.json'), JSON.stringify({ private: true, oclif: { schema: 1, plugins: [] }, dependencies: {} }))
    expect(loadsPlugins(['feed', 'list'], { SSMD_DATA_DIR: data })).to.equal(true)
    expect(loadsPlugins(['env', 'render', 'kalshi-dev'], { SSMD_DATA_DIR: data })).to.equal(true)
    const config = tempDir()
    mkdirSync(join(config, 'ssmd'))
    writeFileSync(join(config, 'ssmd', 'theme.json'), '{}')
    expect(loadsPlugins(['feed', 'list'], { XDG_CONFIG_HOME: config })).to.equal(true)
  })
})
