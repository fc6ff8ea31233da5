import { expect } from 'chai'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { findNpm, npmReason } from '../../src/lib/plugins/npm.js'
import { tempDir } from '../helpers/repo.js'

/** An executable file (its content never runs here). */
function program(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, '#!/bin/sh\n')
  chmodSync(path, 0o755)
  return path
}

describe('plugins: which npm runs', () => {
  it('takes npm on PATH first, in PATH order, skipping what is not an executable file', () => {
    const root = tempDir()
    mkdirSync(join(root, 'a', 'npm'), { recursive: true }) // a folder named npm
    mkdirSync(join(root, 'b'))
    writeFileSync(join(root, 'b', 'npm'), '') // not executable
    const c = program(join(root, 'c', 'npm'))
    program(join(root, 'd', 'npm'))
    const path = ['a', 'b', 'c', 'd'].map(d => join(root, d)).join(delimiter)
    expect(findNpm({ path, execPath: join(root, 'node', 'bin', 'node'), platform: 'linux' })).to.deep.equal({ command: c, prefix: [] })
  })

  it("then the npm of the Node.js running ssmd: npm's script on that Node.js, else its bin/npm", () => {
    const root = tempDir()
    const execPath = join(root, 'bin', 'node')
    const cli = join(root, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
    program(cli)
    program(join(root, 'bin', 'npm'))
    expect(findNpm({ path: '', execPath, platform: 'linux' })).to.deep.equal({ command: execPath, prefix: [cli] })
    const other = tempDir()
    const npm = program(join(other, 'bin', 'npm'))
    expect(findNpm({ path: '', execPath: join(other, 'bin', 'node'), platform: 'linux' })).to.deep.equal({ command: npm, prefix: [] })
  })

  it("on Windows runs npm's script with node (npm.cmd needs a shell): from PATH, else beside node.exe", () => {
    const root = tempDir()
    const onPath = join(root, 'nodejs')
    writeFileSync(program(join(onPath, 'node_modules', 'npm', 'bin', 'npm-cli.js')), '')
    writeFileSync(join(onPath, 'npm.cmd'), '')
    const execPath = join(root, 'other', 'node.exe')
    expect(findNpm({ path: onPath, execPath, platform: 'win32' })).to.deep.equal({ command: execPath, prefix: [join(onPath, 'node_modules', 'npm', 'bin', 'npm-cli.js')] })
    const beside = program(join(root, 'other', 'node_modules', 'npm', 'bin', 'npm-cli.js'))
    expect(findNpm({ path: '', execPath, platform: 'win32' })).to.deep.equal({ command: execPath, prefix: [beside] })
  })

  it('says in one line where it looked and what to do when there is no npm', () => {
    const root = tempDir()
    const execPath = join(root, 'node')
    expect(() => findNpm({ path: root, execPath, platform: 'linux' })).to.throw(
      `npm not found (not on PATH, nor next to ${execPath}): ssmd plugins installs with the npm that comes with Node.js; install Node.js with npm, or put npm on PATH`,
    )
  })

  it("gives npm's reason for a failure, not its code lines or log paths", () => {
    const stderr = [
      'npm error code ECONNREFUSED',
      'npm error syscall connect',
      'npm error errno ECONNREFUSED',
      'npm error FetchError: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9',
      'npm error A complete log of this run can be found in: /home/u/.npm/_logs/x.log',
    ].join('\n')
    expect(npmReason(stderr)).to.equal('FetchError: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9')
    expect(npmReason('npm error 404 Not Found - GET http://r/x - Not found\n')).to.equal('404 Not Found - GET http://r/x - Not found')
    expect(npmReason('')).to.equal('no reason given')
  })
})
