import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo, git, tempDir } from '../helpers/repo.js'

describe('ssmd init', () => {
  it('creates the folders, config, .gitignore entry and a git repository', async () => {
    const dir = tempDir()
    const r = await ssmd(['init'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    for (const f of ['feeds/.gitkeep', 'schemas/.gitkeep', 'environments/.gitkeep', '.ssmd/config.yaml', '.git/HEAD']) {
      expect(existsSync(join(dir, f)), f).to.equal(true)
    }
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).to.equal('.ssmd/\n')
    expect(r.stdout).to.contain('initialised ssmd repository')
    // git itself accepts the repository
    expect(git(dir, 'status', '--porcelain')).to.contain('feeds/')
  })

  it('is idempotent and keeps an existing .gitignore', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, '.gitignore'), 'node_modules/')
    await ssmd(['init', '--no-git'], { cwd: dir })
    const again = await ssmd(['init', '--no-git'], { cwd: dir })
    expect(again.code).to.equal(0)
    expect(again.stdout).to.contain('nothing to do')
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).to.equal('node_modules/\n.ssmd/\n')
    expect(existsSync(join(dir, '.git'))).to.equal(false)
  })

  it('does not create a nested repository inside an existing one', async () => {
    const dir = tempDir()
    git(dir, 'init', '-q')
    const sub = join(dir, 'config')
    mkdirSync(sub)
    const r = await ssmd(['init', '-C', sub])
    expect(r.code, r.stderr).to.equal(0)
    expect(existsSync(join(sub, '.git'))).to.equal(false)
    expect(existsSync(join(sub, 'feeds', '.gitkeep'))).to.equal(true)
  })

  it('refuses -C pointing at a file with exit code 2', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'f'), '')
    const r = await ssmd(['init', '-C', join(dir, 'f')])
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/is a file/)
  })
})

describe('.ssmd/config.yaml preferences', () => {
  it('output: json makes JSON the default output', async () => {
    const dir = exampleRepo()
    mkdirSync(join(dir, '.ssmd'), { recursive: true })
    writeFileSync(join(dir, '.ssmd', 'config.yaml'), 'output: json\ncolor: never\n')
    const r = await ssmd(['feed', 'list'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(JSON.parse(r.stdout).map((f: { name: string }) => f.name)).to.deep.equal(['kalshi', 'kraken', 'polymarket'])
  })

  it('is ignored when malformed', async () => {
    const dir = exampleRepo()
    mkdirSync(join(dir, '.ssmd'), { recursive: true })
    writeFileSync(join(dir, '.ssmd', 'config.yaml'), 'output: [json\n')
    const r = await ssmd(['feed', 'list'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^NAME\s+TYPE/)
  })
})
