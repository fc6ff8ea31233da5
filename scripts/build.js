// Build: compile TypeScript, precompile the JSON Schema validators (so start-up
// never compiles schemas), bundle @oclif/core and js-yaml into one file each
// that the compiled code imports and that runs with a V8 code cache made here
// (scripts/bundle-vendor.js), and generate oclif.manifest.json (so oclif never
// scans command files). Run with `npm run build`.
// The new dist/ is assembled beside the old one and swapped in with renames, so a
// CLI process running during a rebuild never sees a half-built tree.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bundleLight, lightStartIds, writeLightCache, writeThreadCache } from './bundle-light.js'
import { bundleVendored, writeCodeCaches } from './bundle-vendor.js'
import { withoutGitRepository } from './git-env.js'

/** sha256 over every file of a tree (paths and contents, in sorted order). */
function treeHash(dir) {
  const hash = createHash('sha256')
  const walk = d => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else {
        hash.update(p.slice(dir.length)).update('\0').update(readFileSync(p)).update('\0')
      }
    }
  }
  walk(dir)
  return hash.digest('hex')
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const next = join(root, `.dist-${process.pid}`)
const old = join(root, `.dist-old-${process.pid}`)
/** The commands marked `lightStart`, each bundled for the light start. */
let lightIds = []

rmSync(next, { recursive: true, force: true })
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', next], { stdio: 'inherit', cwd: root })

  const { compileContractValidators } = await import(join(next, 'lib/validate/contract-compile.js'))
  const schemas = readdirSync(join(root, 'schemas-json'))
    .filter(f => f.endsWith('.schema.json'))
    .sort()
  const code = compileContractValidators(schemas.map(f => JSON.parse(readFileSync(join(root, 'schemas-json', f), 'utf8'))))
  mkdirSync(join(next, 'generated'), { recursive: true })
  writeFileSync(join(next, 'generated/validators.cjs'), code)
  await bundleVendored(root, next)
  lightIds = await lightStartIds(next)
  await bundleLight(next, lightIds)
  // The build's identity (a hash of every built file): caches written by one build are never read by another.
  writeFileSync(join(next, 'generated/build-id'), treeHash(next) + '\n')

  if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), old)
  renameSync(next, join(root, 'dist'))
  rmSync(old, { recursive: true, force: true })
} finally {
  rmSync(next, { recursive: true, force: true })
}

const { Plugin } = await import('@oclif/core')
const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true })
await plugin.load()
const manifest = plugin.manifest
if (Object.keys(manifest.commands).length === 0) throw new Error('no commands found for the manifest')
writeFileSync(join(root, `oclif.manifest.json.${process.pid}`), JSON.stringify(manifest, null, 2) + '\n')
renameSync(join(root, `oclif.manifest.json.${process.pid}`), join(root, 'oclif.manifest.json'))
// The light start's small table of the commands, read instead of the manifest (src/lib/cli/light-start.ts).
const { LIGHT_MANIFEST, LightConfig, lightManifest, ownCommands, plainStart } = await import(pathToFileURL(join(root, 'dist', 'lib', 'cli', 'light-start.js')).href)
// From the file as written: what oclif's Config reads of each command.
writeFileSync(join(root, ...LIGHT_MANIFEST), JSON.stringify(lightManifest(JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')))) + '\n')
// V8's code caches of the bundles, made by running `ssmd feed list` once on a
// copy of the example repository's feeds, with no user plugins (see scripts/bundle-vendor.js).
const scratch = mkdtempSync(join(tmpdir(), 'ssmd-build-'))
// The commands run here and the git they start work on scratch copies only, whatever git exported (git-env.js).
const kept = withoutGitRepository()
for (const key of Object.keys(process.env)) if (!(key in kept)) delete process.env[key]
const savedDataDir = process.env.SSMD_DATA_DIR
try {
  cpSync(join(root, 'examples', 'market-data', 'feeds'), join(scratch, 'repo', 'feeds'), { recursive: true })
  process.env.SSMD_DATA_DIR = join(scratch, 'data')
  await writeCodeCaches(join(root, 'dist'), async oclif => {
    await oclif.run(['feed', 'list', '--quiet', '-C', join(scratch, 'repo')], root)
    await oclif.flush()
  })
  // The light bundles' code caches: each light-start command run once the way bin/run.js runs it.
  const exitCode = process.exitCode
  process.env.SSMD_CONFIG_DIR = join(scratch, 'config')
  const start = plainStart(root)
  delete process.env.SSMD_CONFIG_DIR
  if (!start) throw new Error('the build runs the light-start commands once, which DEBUG prevents; unset it')
  const config = new LightConfig(start, ownCommands(root), process.platform)
  const example = join(scratch, 'example')
  cpSync(join(root, 'examples', 'market-data'), example, { recursive: true })
  // Committed, then one feed changed: what `diff` has to look at.
  const git = (...args) => execFileSync('git', ['-c', 'user.name=build', '-c', 'user.email=build@localhost', ...args], { cwd: example, stdio: 'ignore' })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-q', '--no-verify', '-m', 'example')
  appendFileSync(join(example, 'feeds', 'kalshi.yaml'), '# changed\n')
  // `commit` commits that change in a copy of its own, so that `diff` still sees it.
  const committed = join(scratch, 'commit')
  cpSync(example, committed, { recursive: true })
  execFileSync('git', ['config', 'user.name', 'build'], { cwd: committed, stdio: 'ignore' })
  execFileSync('git', ['config', 'user.email', 'build@localhost'], { cwd: committed, stdio: 'ignore' })
  const runs = {
    'feed:show': ['kalshi'],
    'env:show': ['kalshi-dev'],
    'env:render': ['kalshi-dev'],
    'key:list': ['kalshi-dev'],
    'schema:show': ['trade'],
    commit: ['--no-validate', '-m', 'build'],
  }
  await writeLightCache(join(root, 'dist'), lightIds, async (id, Command) => {
    Command.id = id
    process.exitCode = undefined
    await new Command([...(runs[id] ?? []), '--quiet', '-C', id === 'commit' ? committed : example], config)._run()
    if (process.exitCode) throw new Error(`the build's run of 'ssmd ${id.replaceAll(':', ' ')}' on the example repository failed (exit code ${process.exitCode})`)
  })
  // The second thread's code cache: the thread reads and checks the example's feeds and environments.
  await writeThreadCache(join(root, 'dist'), example)
  process.exitCode = exitCode
} finally {
  if (savedDataDir === undefined) delete process.env.SSMD_DATA_DIR
  else process.env.SSMD_DATA_DIR = savedDataDir
  rmSync(scratch, { recursive: true, force: true })
}
console.log(
  `built dist/, dist/generated/validators.cjs, dist/vendor/ (oclif and js-yaml, with code caches) and oclif.manifest.json (${Object.keys(manifest.commands).length} commands)`,
)
