/**
 * Every pointer into the documentation that the built CLI can print resolves
 * for someone who installed the package: the package is packed with npm,
 * unpacked, and each `docs/….md` path named in dist/ must be in it, each
 * `ssmd docs <page>` / `ssmd rules show <rule>` named in dist/ (help texts,
 * messages) must print its page from the unpacked copy, every rule of
 * `rules list` must have its page, and the relative links of the packed
 * README.md and docs/*.md must lead to packed files.
 */
import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { PROJECT_ROOT, tempDir } from '../helpers/repo.js'

/** Every file under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}

describe('documentation pointers resolve in the installed package (built CLI)', function () {
  this.timeout(180000)

  let packed: Set<string>
  let pkg: string
  /** Runs the unpacked package's CLI, outside any ssmd repository. */
  const installed = (args: string[]) => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', NODE_ENV: undefined, SSMD_NO_PLUGINS: '1' })) if (v !== undefined) env[k] = v
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'run.js'), ...args], { cwd: tempDir(), env, encoding: 'utf8', timeout: 60000 })
    return { stdout: r.stdout, stderr: r.stderr, code: r.status }
  }

  before(() => {
    const out = tempDir()
    const [info] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as Array<{
      filename: string
      files: Array<{ path: string }>
    }>
    packed = new Set(info.files.map(f => f.path))
    execFileSync('tar', ['-xzf', join(out, info.filename), '-C', out])
    pkg = join(out, 'package')
    // What `npm install` would put beside it: the dependencies.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(pkg, 'node_modules'))
  })

  it('ships docs/ and examples/ beside the code', () => {
    for (const f of ['README.md', 'docs/rules.md', 'docs/git.md', 'docs/deploy.md', 'docs/plugins.md', 'examples/market-data/ssmd.yaml', 'dist/commands/docs.js']) {
      expect(packed.has(f), f).to.equal(true)
    }
  })

  it('every docs/….md path named in dist/ is in the package, and no placeholder host is', () => {
    const dist = walk(join(pkg, 'dist')).filter(f => f.endsWith('.js'))
    const named = new Set(dist.flatMap(f => [...readFileSync(f, 'utf8').matchAll(/\bdocs\/[A-Za-z0-9_.-]+\.md\b/g)].map(m => m[0])))
    for (const path of named) expect(packed.has(path), path).to.equal(true)
    for (const f of dist) expect(readFileSync(f, 'utf8'), f).not.to.contain('github.com/ssmd/ssmd')
  })

  it('every `ssmd docs` and `ssmd rules show` command named in dist/ prints its page', () => {
    const refs = new Set<string>()
    for (const f of walk(join(pkg, 'dist')).filter(p => p.endsWith('.js'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:\bssmd|<%= config\.bin %>) (docs|rules show)\b(?: ([a-z0-9][a-z0-9/_-]*))?/g)) {
        // `ssmd rules show <rule>` as a template, or followed by an interpolated id, names no page.
        if (m[1] === 'rules show' && m[2] === undefined) continue
        refs.add(m[2] === undefined ? m[1] : `${m[1]} ${m[2]}`)
      }
    }
    expect([...refs].sort()).to.include.members(['docs', 'docs deploy', 'docs git', 'docs plugins', 'rules show yaml/syntax'])
    for (const ref of refs) {
      const r = installed(ref.split(' '))
      expect(r.code, `ssmd ${ref}: ${r.stderr}`).to.equal(0)
      expect(r.stdout.trim(), ref).not.to.equal('')
    }
    expect(installed(['docs', 'git']).stdout).to.match(/^# How ssmd uses git\n/)
  })

  it('every rule of `rules list` has its documentation through `rules show`', () => {
    const list = installed(['rules', 'list', '--json'])
    expect(list.code, list.stderr).to.equal(0)
    const rules = JSON.parse(list.stdout) as Array<{ id: string; plugin: string; docs?: string }>
    expect(rules.length).to.be.greaterThan(30)
    const text = installed(['rules', 'list']).stdout
    for (const rule of rules) {
      expect(rule, rule.id).not.to.have.property('docs')
      expect(text, rule.id).to.match(new RegExp(`^${rule.id} .* ssmd rules show ${rule.id}$`, 'm'))
      const shown = installed(['rules', 'show', rule.id, '--json'])
      expect(shown.code, `${rule.id}: ${shown.stderr}`).to.equal(0)
      const page = JSON.parse(shown.stdout) as { id: string; text?: string }
      expect(page.id).to.equal(rule.id)
      expect(page.text, rule.id).to.match(/^\*\*Default severity:\*\* (error|warning|info)\b/)
    }
    const gap = installed(['rules', 'show', 'feed/version-gap'])
    expect(gap.stdout).to.match(/^rule: +feed\/version-gap\n/)
    expect(gap.stdout).to.contain('```yaml fires')
    expect(gap.stdout).to.contain('```yaml passes')
  })

  it('the relative links of the packed README.md and docs/*.md lead to packed files', () => {
    const pages = [...packed].filter(f => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f))
    expect(pages.length).to.be.greaterThan(5)
    for (const page of pages) {
      for (const m of readFileSync(join(pkg, page), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue
        const target = posix.normalize(posix.join(posix.dirname(page), m[1])).replace(/\/$/, '')
        const ok = packed.has(target) || [...packed].some(f => f.startsWith(`${target}/`))
        expect(ok, `${page} links to ${m[1]}`).to.equal(true)
        expect(statSync(join(pkg, target)).isFile() || statSync(join(pkg, target)).isDirectory()).to.equal(true)
      }
    }
  })

  it('unknown pages and rules are not found, with the closest name', () => {
    const page = installed(['docs', 'gti'])
    expect(page.code).to.equal(1)
    expect(page.stderr).to.contain("no documentation page 'gti'; did you mean 'git'?")
    const rule = installed(['rules', 'show', 'yaml/sintax'])
    expect(rule.code).to.equal(1)
    expect(rule.stderr).to.contain("no rule 'yaml/sintax'; did you mean 'yaml/syntax'?")
    expect(dirname(pkg)).not.to.equal(PROJECT_ROOT)
  })
})
