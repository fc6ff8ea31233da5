import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PROJECT_ROOT, tempDir } from '../helpers/repo.js'

describe('ssmd --version start-up path', () => {
  const bin = join(PROJECT_ROOT, 'bin', 'run.js')
  const env = { ...process.env, XDG_DATA_HOME: tempDir('ssmd-data-'), DEBUG: '' }
  // oclif finds the package from `dir` by the nearest package.json: the package's folder, as bin/ has a package.json of its own (it says bin/ is CommonJS).
  const viaOclif = () =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { execute } = await import('@oclif/core'); await execute({ dir: ${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'package.json')).href)}, args: ['--version'] })`,
      ],
      { cwd: PROJECT_ROOT, env, encoding: 'utf8' },
    )

  it('prints byte for byte what oclif prints', () => {
    const fast = execFileSync(process.execPath, [bin, '--version'], { env, encoding: 'utf8' })
    expect(fast).to.equal(viaOclif())
    expect(fast).to.match(/^ssmd\/\d+\.\d+\.\d+ \S+-\S+ node-v\d+\.\d+\.\d+\n$/)
  })

  it('leaves it to oclif when user plugins may be installed', () => {
    const data = tempDir('ssmd-data-')
    const dir = join(data, 'ssmd')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, oclif: { schema: 1, plugins: [] } }))
    const out = execFileSync(process.execPath, [bin, '--version'], { env: { ...env, XDG_DATA_HOME: data }, encoding: 'utf8' })
    expect(out).to.equal(viaOclif())
  })
})
