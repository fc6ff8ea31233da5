import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { localInstallSpec } from '../../src/lib/cli/plugin-spec.js'
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

  it('leaves package names, GitHub slugs and URLs to plugin-plugins', () => {
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
})
