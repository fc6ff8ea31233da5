/**
 * Hostile files stay harmless: the built CLI as a process over repositories
 * holding FIFOs, device links, huge sparse files, symlinks leading outside,
 * control characters in names, and malformed numbers.
 */
import { expect } from 'chai'
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, git, PROJECT_ROOT, tempDir } from '../helpers/repo.js'

const mkfifo = (path: string) => execFileSync('mkfifo', [path])
/** Folder entries without the .gitkeep of the example repository. */
const entries = (dir: string) =>
  readdirSync(dir)
    .filter(f => f !== '.gitkeep')
    .sort()
/** Generous: a hang is what these tests catch, and the machine may be busy. */
const T = 30000

describe('hostile files (built CLI)', function () {
  this.timeout(240000)

  it('a FIFO in feeds/: validate, feed list/show/update and commit finish, with a located finding, never opening it', () => {
    const root = exampleRepo({ git: true })
    mkfifo(join(root, 'feeds', 'pipe.yaml'))
    const v = ssmdProcess(['validate', '--json', '-C', root], { timeout: T })
    expect(v.code, v.stderr).to.equal(1)
    const finding = (JSON.parse(v.stdout) as { findings: Array<{ file: string; rule: string; line: number; column: number; message: string }> }).findings.find(
      f => f.file === 'feeds/pipe.yaml',
    )
    expect(finding).to.deep.include({ rule: 'yaml/unsafe', line: 1, column: 1 })
    expect(finding!.message).to.match(/FIFO.*not a regular file/)
    const list = ssmdProcess(['feed', 'list', '-C', root], { timeout: T })
    expect(list.code, list.stderr).to.equal(0)
    expect(list.stdout).to.match(/pipe\s+\?\s+invalid/)
    const show = ssmdProcess(['feed', 'show', 'pipe', '-C', root], { timeout: T })
    expect(show.code).to.equal(1)
    expect(show.stderr.trim().split('\n')).to.have.length(1)
    const update = ssmdProcess(['feed', 'update', 'pipe', '--rate-limit', '5', '-C', root], { timeout: T })
    expect(update.code).to.equal(1)
    expect(update.stderr).to.match(/^Error: .*FIFO/)
    const ok = ssmdProcess(['feed', 'update', 'kalshi', '--rate-limit', '5', '-C', root], { timeout: T })
    expect(ok.code, ok.stderr).to.equal(0)
    const head = git(root, 'rev-parse', 'HEAD')
    const commit = ssmdProcess(['commit', '-m', 'x', '-C', root], { timeout: T })
    expect(commit.code).to.equal(1)
    expect(commit.stderr).to.contain('validation found')
    expect(git(root, 'rev-parse', 'HEAD')).to.equal(head)
  })

  it('a /dev/zero link, a 2 GiB sparse file and a FIFO: validate refuses each without reading it', () => {
    const root = exampleRepo()
    symlinkSync('/dev/zero', join(root, 'feeds', 'zero.yaml'))
    writeFileSync(join(root, 'feeds', 'sparse.yaml'), '')
    truncateSync(join(root, 'feeds', 'sparse.yaml'), 2 * 1024 ** 3)
    mkfifo(join(root, 'environments', 'pipe.yaml'))
    // A device reached through a link that stays inside the root is refused by its type.
    symlinkSync('/dev/zero', join(root, 'schemas', 'dev-zero'))
    symlinkSync('dev-zero', join(root, 'schemas', 'zero.yaml'))
    const r = ssmdProcess(['validate', '--json', '-C', root], { timeout: T })
    expect(r.code, r.stderr).to.equal(1)
    const byFile = new Map((JSON.parse(r.stdout) as { findings: Array<{ file: string; rule: string; message: string }> }).findings.map(f => [f.file, f]))
    expect(byFile.get('feeds/zero.yaml')?.message).to.match(/symlink leading outside the repository/)
    expect(byFile.get('feeds/sparse.yaml')?.message).to.contain('2,147,483,648 bytes')
    expect(byFile.get('environments/pipe.yaml')?.message).to.match(/FIFO/)
    expect(byFile.get('schemas/zero.yaml')?.message).to.match(/symlink leading outside|character device/)
    for (const f of ['feeds/zero.yaml', 'feeds/sparse.yaml', 'environments/pipe.yaml', 'schemas/zero.yaml']) expect(byFile.get(f)?.rule, f).to.equal('yaml/unsafe')
  })

  it('a symlink to a file outside the root is a finding; the target is neither read nor quoted', () => {
    const root = exampleRepo()
    const outside = join(tempDir(), 'outside-secret.yaml')
    writeFileSync(outside, 'name: kalshi\nsecret_marker: OUTSIDE-CONTENT-7731\n')
    symlinkSync(outside, join(root, 'feeds', 'link.yaml'))
    for (const args of [['validate'], ['validate', '--json'], ['feed', 'list', '-v'], ['feed', 'show', 'link'], ['feed', 'show', 'link', '--json']]) {
      const r = ssmdProcess([...args, '-C', root], { timeout: T })
      // feed list lists the others and warns about this one; the rest fail.
      expect(r.code, args.join(' ')).to.equal(args[1] === 'list' ? 0 : 1)
      const out = r.stdout + r.stderr
      expect(out, args.join(' ')).not.to.contain('OUTSIDE-CONTENT-7731')
      expect(out, args.join(' ')).not.to.contain(outside)
      expect(out, args.join(' ')).to.contain('symlink leading outside the repository')
    }
  })

  it('a symlinked feeds/ leading outside: every edit command refuses with one line, and nothing outside changes', () => {
    const root = exampleRepo()
    const elsewhere = join(tempDir(), 'elsewhere')
    renameSync(join(root, 'feeds'), elsewhere)
    symlinkSync(elsewhere, join(root, 'feeds'))
    const before = readdirSync(elsewhere).map(f => [f, readFileSync(join(elsewhere, f), 'utf8')])
    for (const args of [
      ['feed', 'create', 'newfeed', '--type', 'rest', '--endpoint', 'https://x.example'],
      ['feed', 'update', 'kalshi', '--rate-limit', '7'],
      ['feed', 'add-version', 'kalshi', '--effective-from', '2099-01-01', '--endpoint', 'wss://api.kalshi.com/v3'],
      ['feed', 'add-location', 'kalshi', '--datacenter', 'fra1'],
      ['feed', 'remove-location', 'kalshi', '--datacenter', 'nyc1'],
    ]) {
      const r = ssmdProcess([...args, '-C', root], { timeout: T })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(1)
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1)
      expect(r.stderr).to.match(/symlink leading outside the repository/)
    }
    expect(readdirSync(elsewhere).map(f => [f, readFileSync(join(elsewhere, f), 'utf8')])).to.deep.equal(before)
  })

  it('schema register --file refuses a FIFO and a 2 GiB sparse file by type and size, before reading', () => {
    const root = exampleRepo()
    const dir = tempDir()
    mkfifo(join(dir, 'pipe.capnp'))
    writeFileSync(join(dir, 'huge.capnp'), '')
    truncateSync(join(dir, 'huge.capnp'), 2 * 1024 ** 3)
    const fifo = ssmdProcess(['schema', 'register', 'piped', '--file', join(dir, 'pipe.capnp'), '-C', root], { timeout: T })
    expect(fifo.code, fifo.stderr).to.equal(2)
    expect(fifo.stderr).to.match(/FIFO.*not a regular file/)
    const huge = ssmdProcess(['schema', 'register', 'huge', '--file', join(dir, 'huge.capnp'), '-C', root], { timeout: T })
    expect(huge.code, huge.stderr).to.equal(2)
    expect(huge.stderr).to.contain('2,147,483,648 bytes')
    expect(entries(join(root, 'schemas'))).to.deep.equal(['orderbook.capnp', 'orderbook.yaml', 'trade-v2.capnp', 'trade.capnp', 'trade.yaml'])
  })

  it('an interrupted schema register leaves nothing in schemas/ for diff or commit to pick up', async () => {
    const root = exampleRepo({ git: true })
    const structs = Array.from({ length: 200 }, (_, i) => `struct S${i} {\n  a @0 :UInt64;\n  b @1 :Text;\n}\n`).join('')
    const file = join(tempDir(), 'big.capnp')
    writeFileSync(file, `@0xd6f0a4c8e2b1a3f5;\n${structs}`)
    // The signal is sent when the command is seen opening the definition (after start-up, before anything is
    // parsed or written), not after a guessed delay: the child reports the open on fd 3 and waits there for it.
    const preload = join(tempDir(), 'announce-open.mjs')
    writeFileSync(
      preload,
      [
        "import fs from 'node:fs'",
        "import { syncBuiltinESMExports } from 'node:module'",
        'const open = fs.openSync',
        'fs.openSync = function (path, ...rest) {',
        '  const fd = open.call(this, path, ...rest)',
        '  if (String(path) === process.env.ANNOUNCE_OPEN) {',
        "    fs.writeSync(3, 'opened\\n')",
        '    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000)',
        '  }',
        '  return fd',
        '}',
        'syncBuiltinESMExports()',
        '',
      ].join('\n'),
    )
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, BUILT_BIN, 'schema', 'register', 'big', '--file', file, '-C', root], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, NODE_ENV: '', NO_COLOR: '1', ANNOUNCE_OPEN: file },
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
      let announced = false
      ;(child.stdio[3] as NodeJS.ReadableStream).on('data', () => {
        announced = true
        child.kill(signal)
      })
      const [code, died] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => resolve([c, s])))
      expect(announced, `${signal}: the command never opened the definition\n${stderr}`).to.equal(true)
      // Interrupted, not finished: it died of the signal (or exited as a shell reports it), and wrote nothing.
      expect(died === signal || code === 128 + osConstants.signals[signal], `${signal}: code ${code}, signal ${died}\n${stderr}`).to.equal(true)
      expect(entries(join(root, 'schemas')), signal).to.deep.equal(['orderbook.capnp', 'orderbook.yaml', 'trade-v2.capnp', 'trade.capnp', 'trade.yaml'])
      const tmp = join(root, '.ssmd', 'tmp')
      expect(existsSync(tmp) ? readdirSync(tmp) : [], signal).to.deep.equal([])
    }
    const diff = ssmdProcess(['diff', '--json', '-C', root], { timeout: T })
    expect(JSON.parse(diff.stdout)).to.deep.equal({ modified: [], added: [], deleted: [] })
  })

  it('temporary files and locks live under .ssmd/, which no listing, diff or commit picks up', () => {
    const root = exampleRepo({ git: true })
    const r = ssmdProcess(['feed', 'add-location', 'kalshi', '--datacenter', 'fra1', '-C', root], { timeout: T })
    expect(r.code, r.stderr).to.equal(0)
    // .ssmd/.gitignore first: git ignores the rest even where the repository's .gitignore does not mention .ssmd/.
    expect(readdirSync(join(root, '.ssmd')).sort()).to.deep.equal(['.gitignore', 'locks', 'tmp'])
    expect(readFileSync(join(root, '.ssmd', '.gitignore'), 'utf8')).to.equal('# ssmd: local preferences and caches, never committed\n*\n')
    expect(entries(join(root, 'feeds'))).to.deep.equal(['kalshi.yaml', 'kraken.yaml', 'polymarket.yaml'])
    const diff = ssmdProcess(['diff'], { cwd: root, timeout: T })
    expect(diff.stdout).to.equal('Modified:\n  feeds/kalshi.yaml\n')
  })

  it('numeric environment variables are parsed strictly: SSMD_LOCK_TIMEOUT_MS=15s is a usage error, not an endless wait', () => {
    const root = exampleRepo()
    // A lock held by this (live) process, where earlier versions kept it: a wait that never ends would time out here.
    writeFileSync(join(root, 'feeds', 'kalshi.yaml.lock'), String(process.pid))
    mkdirSync(join(root, '.ssmd', 'locks'), { recursive: true })
    writeFileSync(join(root, '.ssmd', 'locks', 'feeds%2Fkalshi.yaml.lock'), String(process.pid))
    for (const [name, value] of [
      ['SSMD_LOCK_TIMEOUT_MS', '15s'],
      ['SSMD_LOCK_TIMEOUT_MS', '1e3'],
      ['SSMD_LOCK_TIMEOUT_MS', '-5'],
      ['SSMD_PLUGIN_TIMEOUT_MS', 'ten'],
      ['SSMD_PLUGIN_TIMEOUT_MS', '99999999999999999999'],
    ]) {
      const r = ssmdProcess(['feed', 'add-location', 'kalshi', '--datacenter', 'fra1', '-C', root], { env: { [name]: value }, timeout: T })
      expect(r.code, `${name}=${value}: ${r.stderr}`).to.equal(2)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
      expect(r.stderr).to.contain(`${name}="${value}"`)
    }
    const fine = ssmdProcess(['feed', 'add-location', 'kalshi', '--datacenter', 'fra1', '-C', root], { env: { SSMD_LOCK_TIMEOUT_MS: '200' }, timeout: T })
    expect(fine.code).to.equal(1)
    expect(fine.stderr).to.match(/locked by another ssmd process/)
  })

  it('integer flags beyond 2^53 − 1 or not plain are refused; validate reports such integers in files', () => {
    const root = exampleRepo()
    const before = readFileSync(join(root, 'feeds', 'kalshi.yaml'), 'utf8')
    for (const value of ['99999999999999999999999', '9007199254740993', '1e3', '0x10', '5.0', '0']) {
      const r = ssmdProcess(['feed', 'update', 'kalshi', '--rate-limit', value, '-C', root], { timeout: T })
      expect(r.code, `${value}: ${r.stderr}`).to.equal(2)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
    }
    expect(readFileSync(join(root, 'feeds', 'kalshi.yaml'), 'utf8')).to.equal(before)
    writeFileSync(
      join(root, 'feeds', 'kalshi.yaml'),
      before
        .replace('rate_limit_per_second: 10', 'rate_limit_per_second: 9007199254740993')
        .replace('max_symbols_per_connection: 100', 'max_symbols_per_connection: 99999999999999999999999'),
    )
    const v = ssmdProcess(['validate', '--json', '-C', root], { timeout: T })
    expect(v.code).to.equal(1)
    const found = (JSON.parse(v.stdout) as { findings: Array<{ rule: string; path: string; message: string }> }).findings.filter(f => f.rule === 'yaml/unsafe-integer')
    expect(found.map(f => f.path).sort()).to.deep.equal(['/versions/1/max_symbols_per_connection', '/versions/1/rate_limit_per_second'])
    expect(found.map(f => f.message).join('\n'))
      .to.contain('9007199254740993')
      .and.to.contain('99999999999999999999999')
  })

  it('control characters in file names and messages are escaped in text output; JSON keeps them exact', () => {
    const root = exampleRepo()
    const evil = 'evil\u001b]0;owned\u0007\u001b[2J'
    writeFileSync(join(root, 'feeds', `${evil}.yaml`), readFileSync(join(root, 'feeds', 'kraken.yaml'), 'utf8'))
    writeFileSync(join(root, 'feeds', 'kraken.yaml'), readFileSync(join(root, 'feeds', 'kraken.yaml'), 'utf8').replace('name: kraken', 'name: "bad\\nname\\e[31m"'))
    // A file named with an escape sequence is never read as a document: it is a finding, its name escaped.
    writeFileSync(join(root, 'feeds', 'broken\u001b[2K.yaml'), 'name: [unclosed\n')
    for (const args of [['validate'], ['feed', 'list']]) {
      const r = ssmdProcess([...args, '-C', root], { timeout: T })
      // eslint-disable-next-line no-control-regex
      expect(r.stdout + r.stderr, args.join(' ')).not.to.match(/[\u0000-\u0008\u000b-\u001f\u007f]/)
      // feed list lists documents only: the file is not one.
      if (args[0] === 'feed') expect(r.stdout + r.stderr, args.join(' ')).not.to.contain('owned')
    }
    const v = ssmdProcess(['validate', '-C', root], { timeout: T })
    // A message is one line for every rule, built-in or plugin: each run of control characters becomes one space (report.ts).
    expect(v.stdout).to.contain("name 'bad name [31m'")
    expect(v.stdout).to.contain('feeds/evil\\u001b]0;owned\\u0007\\u001b[2J.yaml:1:1')
    expect(v.stdout).to.contain('"feeds/evil\\033]0;owned\\a\\033[2J.yaml": the file name holds a control character')
    expect(v.stdout).to.contain('feeds/broken\\u001b[2K.yaml')
    const json = ssmdProcess(['validate', '--json', '-C', root], { timeout: T })
    const findings = (JSON.parse(json.stdout) as { findings: Array<{ file: string; rule: string }> }).findings
    expect(findings.filter(f => f.file === `feeds/${evil}.yaml`).map(f => f.rule)).to.deep.equal(['repo/unrecognised-file'])
    const list = ssmdProcess(['feed', 'list', '--json', '-C', root], { timeout: T })
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map(f => f.name)).not.to.include(evil)
  })
})
