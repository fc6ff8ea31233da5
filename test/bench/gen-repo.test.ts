import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateRepo } from '../../scripts/gen-repo.js'
import { ssmd } from '../helpers/cli.js'
import { git, tempDir } from '../helpers/repo.js'

describe('benchmark repository generator', () => {
  it('generates N feeds, N/2 schemas and 5N environments that validate with no findings, committed to git', async () => {
    const dir = join(tempDir(), 'repo')
    const out = generateRepo(dir, 10)
    expect(readdirSync(join(dir, 'feeds'))).to.have.length(10)
    expect(readdirSync(join(dir, 'schemas')).filter(f => f.endsWith('.yaml'))).to.have.length(5)
    expect(readdirSync(join(dir, 'schemas')).filter(f => f.endsWith('.capnp')))
      .to.have.length(out.capnpFiles)
      .and.to.have.length(6)
    expect(readdirSync(join(dir, 'environments'))).to.have.length(50)
    expect(git(dir, 'status', '--porcelain')).to.equal('')
    expect(Number(git(dir, 'rev-list', '--count', 'HEAD').trim())).to.equal(1)

    const r = await ssmd(['validate', '--json'], { cwd: dir })
    const result = JSON.parse(r.stdout) as { findings: unknown[]; summary: { errors: number; files: number } }
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(result.summary.errors).to.equal(0)
    expect(result.findings).to.deep.equal([])
    expect(result.summary.files).to.equal(65)
  })

  it("commits into its own folder when git's repository variables point elsewhere (as `git rebase -x` exports GIT_DIR in a worktree)", () => {
    const other = join(tempDir(), 'other')
    generateRepo(other, 1)
    const head = git(other, 'rev-parse', 'HEAD')
    const config = readFileSync(join(other, '.git', 'config'), 'utf8')
    const saved = { dir: process.env.GIT_DIR, tree: process.env.GIT_WORK_TREE }
    process.env.GIT_DIR = join(other, '.git')
    process.env.GIT_WORK_TREE = other
    const dir = join(tempDir(), 'repo')
    try {
      generateRepo(dir, 2)
    } finally {
      for (const [key, value] of [
        ['GIT_DIR', saved.dir],
        ['GIT_WORK_TREE', saved.tree],
      ] as const) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).to.equal('1')
    expect(git(other, 'rev-parse', 'HEAD')).to.equal(head)
    expect(readFileSync(join(other, '.git', 'config'), 'utf8')).to.equal(config)
  })

  it('writes the SHA-256 of each definition file into the metadata, and is deterministic', () => {
    const a = join(tempDir(), 'a')
    const b = join(tempDir(), 'b')
    generateRepo(a, 5, { git: false })
    generateRepo(b, 5, { git: false })
    for (const folder of ['feeds', 'schemas', 'environments']) {
      for (const f of readdirSync(join(a, folder))) expect(readFileSync(join(a, folder, f), 'utf8')).to.equal(readFileSync(join(b, folder, f), 'utf8'))
    }
    const meta = readFileSync(join(a, 'schemas', 'schema-01.yaml'), 'utf8')
    const capnp = readFileSync(join(a, 'schemas', 'schema-01.capnp'))
    expect(meta).to.include(`hash: sha256:${createHash('sha256').update(capnp).digest('hex')}`)
    const fields =
      capnp
        .toString('utf8')
        .split('struct ')[1]
        .match(/@\d+ :/g) ?? []
    expect(fields.length).to.be.within(5, 20)
  })
})
