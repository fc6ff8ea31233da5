import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { copyExample, git, tempDir } from '../helpers/repo.js'

/** The example repository in config/ of a larger git repository, with one error in feeds/kalshi.yaml. */
function monorepo(): { top: string; root: string } {
  const top = join(tempDir(), 'mono')
  const root = join(top, 'config')
  mkdirSync(top)
  copyExample(root)
  const file = join(root, 'feeds', 'kalshi.yaml')
  writeFileSync(file, readFileSync(file, 'utf8').replace('America/New_York', 'America/Nowhere'))
  git(top, 'init', '-q', '-b', 'main')
  return { top, root }
}

describe('validate: paths, output at scale, CI annotations (built CLI)', () => {
  it('a path that matches no ssmd file is a usage error with a suggestion', () => {
    const { root } = monorepo()
    const cases: Array<[string, RegExp]> = [
      ['nonexistent.yaml', /^Error: validate: nonexistent\.yaml matches no ssmd file \(/],
      ['feeds/kalsh.yaml', /^Error: validate: feeds\/kalsh\.yaml matches no ssmd file; did you mean 'feeds\/kalshi\.yaml'\?/],
      ['feeds/kalshi.yml', /^Error: validate: feeds\/kalshi\.yml matches no ssmd file; did you mean 'feeds\/kalshi\.yaml'\?/],
      ['../README.md', /^Error: validate: \.\.\/README\.md is outside the ssmd root/],
    ]
    for (const [path, expected] of cases) {
      const r = ssmdProcess(['validate', path], { cwd: root })
      expect(r.code, `${path}: ${r.stderr}`).to.equal(2)
      expect(r.stderr).to.match(expected)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
      expect(r.stdout).to.equal('')
    }
    // From the parent folder, the suggestion is as the user would type it.
    const fromTop = ssmdProcess(['validate', '-C', 'config', 'config/feeds/kalsh.yaml'], { cwd: join(root, '..') })
    expect(fromTop.code).to.equal(2)
    expect(fromTop.stderr).to.match(/did you mean 'config\/feeds\/kalshi\.yaml'\?/)
    const ok = ssmdProcess(['validate', 'feeds/kraken.yaml', 'environments'], { cwd: root })
    expect(ok.code, ok.stderr).to.equal(0)
  })

  it('lists only files with findings and ends with a summary naming them; -v lists passing files too', () => {
    const { root } = monorepo()
    const r = ssmdProcess(['validate'], { cwd: root })
    expect(r.code).to.equal(1)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).to.equal('✗ feeds/kalshi.yaml')
    expect(r.stdout).not.to.contain('✓')
    expect(lines.at(-1)).to.equal('1 error, 0 warnings in 9 files: feeds/kalshi.yaml (1 error)')
    const v = ssmdProcess(['validate', '-v'], { cwd: root })
    expect(v.stdout).to.contain('✓ feeds/kraken.yaml')
    expect(v.stdout).to.contain('✗ feeds/kalshi.yaml')
    expect(v.stdout.trim().split('\n').at(-1)).to.equal('1 error, 0 warnings in 9 files: feeds/kalshi.yaml (1 error)')
  })

  it('GitHub annotations and SARIF paths are relative to the git work-tree root, or to --path-base', () => {
    const { top, root } = monorepo()
    const gh = ssmdProcess(['validate', '--format', 'github'], { cwd: root })
    expect(gh.stdout).to.match(/^::error file=config\/feeds\/kalshi\.yaml,line=33,col=13,title=feed\/timezone::/m)
    const fromTop = ssmdProcess(['validate', '--format', 'github', '-C', 'config'], { cwd: top })
    expect(fromTop.stdout).to.match(/^::error file=config\/feeds\/kalshi\.yaml,/m)
    const based = ssmdProcess(['validate', '--format', 'github', '--path-base', '.'], { cwd: root })
    expect(based.stdout).to.match(/^::error file=feeds\/kalshi\.yaml,/m)
    const sarif = JSON.parse(ssmdProcess(['validate', '--format', 'sarif'], { cwd: root }).stdout)
    const run = sarif.runs[0]
    expect(run.originalUriBaseIds.SRCROOT.uri).to.equal(`file://${top}/`)
    expect(run.results[0].locations[0].physicalLocation.artifactLocation).to.deep.equal({ uri: 'config/feeds/kalshi.yaml', uriBaseId: 'SRCROOT' })
  })

  it('shows progress on stderr only on a terminal, not in CI and not when piped', function () {
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0) this.skip()
    const { root } = monorepo()
    // A zero threshold stands in for a run that takes longer than a second.
    const env = { ...process.env, SSMD_PROGRESS_AFTER_MS: '0', NO_COLOR: '1', NODE_ENV: '' } as Record<string, string>
    delete env.CI
    const tty = (extra: Record<string, string>) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BUILT_BIN} validate`, '/dev/null'], { cwd: root, env: { ...env, ...extra }, encoding: 'utf8' })
    const onTty = tty({})
    // eslint-disable-next-line no-control-regex
    expect(onTty.stdout).to.match(/\r\u001b\[Kvalidating: \d+% \(\d+\.\d s\)/)
    expect(onTty.stdout).to.contain('feeds/kalshi.yaml (1 error)')
    const inCi = tty({ CI: 'true' })
    expect(inCi.stdout).to.contain('feeds/kalshi.yaml (1 error)')
    expect(inCi.stdout).not.to.contain('validating:')
    const piped = ssmdProcess(['validate'], { cwd: root, env: { SSMD_PROGRESS_AFTER_MS: '0', CI: undefined } })
    expect(piped.stderr).to.equal('')
  })
})
