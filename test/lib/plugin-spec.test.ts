import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { localInstallSpec, parsePluginSpec } from '../../src/lib/cli/plugin-spec.js'
import { tempDir } from '../helpers/repo.js'

describe('plugins install: local specs', () => {
  it('turns tarball paths, folders and file: specs into absolute file: specs, as npm reads them', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'acme-1.0.0.tgz'), '')
    mkdirSync(join(cwd, 'plugin'))
    mkdirSync(join(cwd, 'sub'))
    writeFileSync(join(cwd, 'sub', 'x.tar.gz'), '')
    expect(localInstallSpec('acme-1.0.0.tgz', cwd)).to.equal(`file:${cwd}/acme-1.0.0.tgz`)
    expect(localInstallSpec('./acme-1.0.0.tgz', cwd)).to.equal(`file:${cwd}/acme-1.0.0.tgz`)
    expect(localInstallSpec(`${cwd}/acme-1.0.0.tgz`, '/')).to.equal(`file:${cwd}/acme-1.0.0.tgz`)
    expect(localInstallSpec('sub/x.tar.gz', cwd)).to.equal(`file:${cwd}/sub/x.tar.gz`)
    expect(localInstallSpec('./plugin', cwd)).to.equal(`file:${cwd}/plugin`)
    expect(localInstallSpec('.', join(cwd, 'plugin'))).to.equal(`file:${cwd}/plugin`)
    expect(localInstallSpec('file:acme-1.0.0.tgz', cwd)).to.equal(`file:${cwd}/acme-1.0.0.tgz`)
    expect(localInstallSpec('file:../plugin', join(cwd, 'sub'))).to.equal(`file:${cwd}/plugin`)
    expect(localInstallSpec(`file://${cwd}/plugin`, '/')).to.equal(`file:${cwd}/plugin`)
    expect(localInstallSpec('~/', '/')).to.equal(`file:${homedir()}`)
  })

  it('leaves package names, GitHub slugs and URLs to the rest of the parsing', () => {
    const cwd = tempDir()
    for (const spec of [
      'ssmd-plugin-acme',
      '@acme/ssmd-checks',
      '@acme/ssmd-checks@1.2.0',
      'acme/ssmd-checks',
      'https://github.com/acme/ssmd-checks',
      'git+ssh://git@github.com/acme/x.git',
    ]) {
      expect(localInstallSpec(spec, cwd), spec).to.equal(undefined)
    }
  })

  it('refuses a local path that does not exist, naming it', () => {
    expect(() => localInstallSpec('./missing-1.0.0.tgz', '/tmp/nowhere')).to.throw('no such file or directory: /tmp/nowhere/missing-1.0.0.tgz')
    expect(() => localInstallSpec('file:/nonexistent', '/')).to.throw('no such file or directory: /nonexistent')
  })

  it('reads registry names with a version, range or tag, GitHub slugs and git URLs as oclif did', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'acme-1.0.0.tgz'), '')
    expect(parsePluginSpec('ssmd-plugin-acme', cwd)).to.deep.equal({ kind: 'registry', name: 'ssmd-plugin-acme', tag: 'latest' })
    expect(parsePluginSpec('@acme/ssmd-checks@^1.2.0', cwd)).to.deep.equal({ kind: 'registry', name: '@acme/ssmd-checks', tag: '^1.2.0' })
    expect(parsePluginSpec('ssmd-plugin-acme@next', cwd)).to.deep.equal({ kind: 'registry', name: 'ssmd-plugin-acme', tag: 'next' })
    expect(parsePluginSpec('acme/ssmd-checks', cwd)).to.deep.equal({ kind: 'url', url: 'https://github.com/acme/ssmd-checks' })
    expect(parsePluginSpec('github:acme/ssmd-checks', cwd)).to.deep.equal({ kind: 'url', url: 'github:acme/ssmd-checks' })
    expect(parsePluginSpec('git+ssh://git@github.com/acme/x.git', cwd)).to.deep.equal({ kind: 'url', url: 'git+ssh://git@github.com/acme/x.git' })
    expect(parsePluginSpec('./acme-1.0.0.tgz', cwd)).to.deep.equal({ kind: 'url', url: `file:${cwd}/acme-1.0.0.tgz` })
  })

  it('refuses what is no package name, and an empty tag, naming the input', () => {
    expect(() => parsePluginSpec('Acme', '/')).to.throw("'Acme' is not a package name, a tarball, a folder or a URL")
    expect(() => parsePluginSpec('acme checks', '/')).to.throw("'acme checks' is not a package name")
    expect(() => parsePluginSpec('acme@', '/')).to.throw("'acme@': no version or tag after '@' (e.g. acme@latest or acme@1.2.0)")
  })
})
