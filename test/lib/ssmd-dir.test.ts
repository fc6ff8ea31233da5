import { expect } from 'chai'
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SsmdError } from '../../src/lib/core/errors.js'
import { ensureSsmdIgnore, LOCK_DIR, SSMD_GITIGNORE, ssmdDirProblem, ssmdSubdir, TMP_DIR, writeFileAtomic } from '../../src/lib/io/atomic.js'
import { tempDir } from '../helpers/repo.js'

describe('.ssmd/: a real folder inside the root, its .gitignore first', () => {
  it('ssmdDirProblem: missing is fine; a symlink (wherever it leads) or a file at any level is not', () => {
    const root = tempDir()
    expect(ssmdDirProblem(root)).to.equal(undefined)
    expect(ssmdDirProblem(root, LOCK_DIR)).to.equal(undefined)
    mkdirSync(join(root, 'inside'))
    symlinkSync('inside', join(root, '.ssmd'))
    expect(ssmdDirProblem(root)).to.equal(`.ssmd in ${root} is a symlink`)
    expect(ssmdDirProblem(root, TMP_DIR)).to.equal(`.ssmd in ${root} is a symlink`)
    const other = tempDir()
    mkdirSync(join(other, '.ssmd'))
    writeFileSync(join(other, '.ssmd', 'locks'), '')
    expect(ssmdDirProblem(other)).to.equal(undefined)
    expect(ssmdDirProblem(other, LOCK_DIR)).to.equal(`.ssmd/locks in ${other} is a regular file, not a folder`)
  })

  it('ssmdSubdir writes .ssmd/.gitignore before the folder asked for; writeFileAtomic into .ssmd/ does too', () => {
    const root = tempDir()
    expect(ssmdSubdir(root, LOCK_DIR)).to.equal(join(root, LOCK_DIR))
    expect(readdirSync(join(root, '.ssmd')).sort()).to.deep.equal(['.gitignore', 'locks'])
    expect(readFileSync(join(root, '.ssmd', '.gitignore'), 'utf8')).to.equal(SSMD_GITIGNORE)
    const other = tempDir()
    writeFileAtomic(other, join(other, '.ssmd', 'config.yaml'), 'color: never\n')
    expect(readdirSync(join(other, '.ssmd')).sort()).to.deep.equal(['.gitignore', 'config.yaml', 'tmp'])
    expect(readFileSync(join(other, '.ssmd', '.gitignore'), 'utf8')).to.equal(SSMD_GITIGNORE)
  })

  it('an empty, cut short or altered .gitignore is rewritten whole', () => {
    const root = tempDir()
    mkdirSync(join(root, '.ssmd'))
    for (const broken of ['', '# ssmd: local', '*\n!cache/\n']) {
      writeFileSync(join(root, '.ssmd', '.gitignore'), broken)
      ensureSsmdIgnore(root)
      expect(readFileSync(join(root, '.ssmd', '.gitignore'), 'utf8')).to.equal(SSMD_GITIGNORE)
    }
    expect(readdirSync(join(root, '.ssmd'))).to.deep.equal(['.gitignore'])
  })

  it('when the .gitignore cannot be put in place, nothing else is created under .ssmd/ and no temporary file is left', () => {
    const root = tempDir()
    // A failure injected at the rename: a non-empty folder where the file goes.
    mkdirSync(join(root, '.ssmd', '.gitignore'), { recursive: true })
    writeFileSync(join(root, '.ssmd', '.gitignore', 'x'), '')
    let error: unknown
    try {
      ssmdSubdir(root, TMP_DIR)
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(SsmdError)
    expect((error as Error).message).to.match(/^cannot write \.ssmd\/\.gitignore in .* \((EISDIR|ENOTEMPTY|EEXIST)\); ssmd writes nothing under \.ssmd\/ without it/)
    expect((error as Error).message).to.not.contain('\n')
    expect(readdirSync(join(root, '.ssmd'))).to.deep.equal(['.gitignore'])
    expect(() => writeFileAtomic(root, join(root, '.ssmd', 'config.yaml'), 'color: never\n')).to.throw(SsmdError, /cannot write \.ssmd\/\.gitignore/)
    expect(readdirSync(join(root, '.ssmd'))).to.deep.equal(['.gitignore'])
  })

  it('refuses a symlinked .ssmd before creating anything, wherever it leads', () => {
    const outside = tempDir()
    const root = tempDir()
    symlinkSync(outside, join(root, '.ssmd'))
    expect(() => ssmdSubdir(root, LOCK_DIR)).to.throw(SsmdError, `.ssmd in ${root} is a symlink: `)
    expect(() => writeFileAtomic(root, join(root, '.ssmd', 'cache', 'documents.bin'), 'x')).to.throw(SsmdError, /is a symlink/)
    expect(readdirSync(outside)).to.deep.equal([])
  })
})
