import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { PROJECT_ROOT } from '../helpers/repo.js'
import { numericEnv } from '../../src/lib/core/numbers.js'
import { pluginBudgetMs } from '../../src/lib/validate/plugins.js'

/** `fn`'s result with these environment variables set (undefined: unset), restored after. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]))
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k]
      else process.env[k] = x
    }
  }
  apply(vars)
  try {
    return fn()
  } finally {
    apply(saved)
  }
}

const run = promisify(execFile)

describe('help (built CLI)', () => {
  it('the top-level help lists global flags, exit codes and environment variables', () => {
    const r = ssmdProcess(['--help'])
    expect(r.code, r.stderr).to.equal(0)
    for (const section of ['GLOBAL FLAGS', 'EXIT CODES', 'ENVIRONMENT']) expect(r.stdout).to.match(new RegExp(`^${section}`, 'm'))
    for (const flag of ['-C, --dir <dir>', '--json', '-q, --quiet', '-v, --verbose', '-h, --help']) expect(r.stdout).to.contain(flag)
    expect(r.stdout).to.match(/^ {2}2 {2}wrong usage/m)
    for (const name of ['NO_COLOR', 'SSMD_LOCK_TIMEOUT_MS', 'SSMD_PLUGIN_TIMEOUT_MS', 'GIT_AUTHOR_NAME']) expect(r.stdout).to.contain(name)
    expect(ssmdProcess(['-h']).stdout).to.equal(r.stdout)
  })

  it("the defaults the top-level help gives for the time limits are the code's", () => {
    const r = ssmdProcess(['--help'], { env: { SSMD_PLUGIN_TIMEOUT_MS: undefined, SSMD_LOCK_TIMEOUT_MS: undefined } })
    const lock = /^ {2}SSMD_LOCK_TIMEOUT_MS .*\((\d+)\)$/m.exec(r.stdout)
    expect(lock, r.stdout).not.to.equal(null)
    expect(Number(lock![1])).to.equal(withEnv({ SSMD_LOCK_TIMEOUT_MS: undefined }, () => numericEnv('SSMD_LOCK_TIMEOUT_MS')))
    const plugin = /^ {2}SSMD_PLUGIN_TIMEOUT_MS .*\n {30}\(default: (\d+) \+ 1 per document of the repository\)$/m.exec(r.stdout)
    expect(plugin, r.stdout).not.to.equal(null)
    for (const documents of [0, 250]) expect(withEnv({ SSMD_PLUGIN_TIMEOUT_MS: undefined }, () => pluginBudgetMs(documents))).to.equal(Number(plugin![1]) + documents)
    expect(withEnv({ SSMD_PLUGIN_TIMEOUT_MS: '500' }, () => pluginBudgetMs(250))).to.equal(500)
  })

  it("every ssmd command's help has examples, each with a one-line comment", async function () {
    this.timeout(240000)
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { hidden?: boolean }> }
    const ids = Object.entries(manifest.commands)
      .filter(([, c]) => !c.hidden)
      .map(([id]) => id)
    expect(ids.length).to.be.greaterThan(25)
    const env = { ...process.env, NO_COLOR: '1', NODE_ENV: '', COLUMNS: '200' }
    const failures: string[] = []
    // A few at a time: each is a separate CLI process.
    for (let i = 0; i < ids.length; i += 4) {
      await Promise.all(
        ids.slice(i, i + 4).map(async id => {
          const { stdout } = await run(process.execPath, [BUILT_BIN, ...id.split(':'), '-h'], { env })
          const examples = stdout.split(/^EXAMPLES$/m)[1]?.split(/^[A-Z][A-Z ]+$/m)[0]
          if (!examples) return failures.push(`${id}: no EXAMPLES section`)
          const lines = examples.split('\n').filter(l => l.trim() !== '')
          const commands = lines.filter(l => /^\s+\$ /.test(l))
          if (commands.length === 0) failures.push(`${id}: no example command`)
          lines.forEach((l, k) => {
            if (!/^\s+\$ /.test(l)) return
            const before = lines[k - 1]
            if (before === undefined || /^\s+\$ /.test(before) || (/^\s{4,}\S/.test(before) && !/^ {2}\S/.test(before))) failures.push(`${id}: '${l.trim()}' has no comment line`)
          })
        }),
      )
    }
    expect(failures).to.deep.equal([])
  })

  it('the top-level help names every environment variable ssmd reads', () => {
    // Found in the sources: SSMD_* names (not constants named SSMD_…) and every process.env.X / env.X read.
    const files: string[] = [join(PROJECT_ROOT, 'bin', 'run.js')]
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) walk(join(dir, e.name))
        else if (/\.[jt]s$/.test(e.name) && !(dir.endsWith(join('lib', 'cli')) && e.name === 'help.ts')) files.push(join(dir, e.name))
    }
    walk(join(PROJECT_ROOT, 'src'))
    const constants = new Set<string>()
    const names = new Set<string>()
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/\b(?:const|let|var)\s+(SSMD_[A-Z0-9_]+)/g)) constants.add(m[1])
      for (const m of text.matchAll(/\bSSMD_[A-Z0-9_]+\b/g)) names.add(m[0])
      for (const m of text.matchAll(/\b(?:process\.env|env)\.([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1])
    }
    // Not read by ssmd: a user's own secrets in an example of env add-key, and a variable ssmd sets for oclif.
    const notRead = new Set(['SSMD_KALSHI_API_KEY', 'SSMD_KALSHI_API_SECRET', 'OCLIF_DISABLE_LINKED_ESM_WARNING'])
    const wanted = [...names].filter(n => !constants.has(n) && !notRead.has(n)).sort()
    expect(wanted).to.include.members(['SSMD_ETCD_ENDPOINTS', 'SSMD_ETCD_PASSWORD', 'SSMD_NO_PLUGINS', 'COLUMNS', 'NO_COLOR', 'FORCE_COLOR'])
    const help = ssmdProcess(['--help']).stdout
    const environment = help.slice(help.indexOf('\nENVIRONMENT\n'))
    expect(wanted.filter(n => !new RegExp(`\\b${n}\\b`).test(environment))).to.deep.equal([])
  })
})
