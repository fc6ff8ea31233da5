// typescript is an optional peer dependency: only `schema generate` needs it
// (capnp-es's code generator runs on it), so a production install does not
// carry it. Without it, generate says how to add it in one line and writes
// nothing; every other command runs as before.
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { exampleRepo, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

/** The built package in a folder of its own, its dependencies linked from this checkout, typescript only if asked. */
function installed(withTypeScript: boolean): string {
  const root = join(tempDir(), 'ssmd')
  for (const p of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(PROJECT_ROOT, p), join(root, p), { recursive: true })
  mkdirSync(join(root, 'node_modules'))
  for (const name of readdirSync(join(PROJECT_ROOT, 'node_modules'))) {
    if (name === '.bin' || (name === 'typescript' && !withTypeScript)) continue
    symlinkSync(join(PROJECT_ROOT, 'node_modules', name), join(root, 'node_modules', name))
  }
  return root
}

function run(root: string, args: string[], cwd: string) {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', NODE_ENV: undefined, SSMD_NO_PLUGINS: '1' })) if (v !== undefined) env[k] = v
  return spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], { cwd, env, encoding: 'utf8', timeout: 120000 })
}

describe('typescript is needed by schema generate only (built CLI)', function () {
  this.timeout(240000)

  it('without it, generate fails in one line saying how to install it, writes nothing, and the other commands run', () => {
    const root = installed(false)
    const repo = exampleRepo()
    const r = run(root, ['schema', 'generate', 'trade', '--lang', 'ts', '--out', 'generated'], repo)
    expect(r.status, r.stderr).to.equal(1)
    expect(r.stderr).to.equal(
      "Error: schema generate needs the TypeScript compiler, which is not installed with ssmd (only this command uses it): run 'npm install --global typescript@5' beside a global ssmd, or 'npm install --save-dev typescript@5' in the project that has ssmd; nothing written\n",
    )
    expect(existsSync(join(repo, 'generated'))).to.equal(false)
    const compile = run(root, ['schema', 'compile', 'trade', '-o', 'trade.bin'], repo)
    expect(compile.status, compile.stderr).to.equal(0)
    const validate = run(root, ['validate'], repo)
    expect(validate.status, validate.stdout + validate.stderr).to.equal(0)
  })

  it('with it, the same copy generates the bindings', () => {
    const root = installed(true)
    const repo = exampleRepo()
    const r = run(root, ['schema', 'generate', 'trade', '--lang', 'ts', '--out', 'generated'], repo)
    expect(r.status, r.stderr).to.equal(0)
    expect(readdirSync(join(repo, 'generated')).length).to.be.greaterThan(0)
  })
})
