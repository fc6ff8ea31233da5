/*
 * Terminal output of the built CLI: multi-line reports, tables that fit the
 * terminal, `ssmd version`, and the environment variables top-level help lists.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { EXAMPLE_REPO, PROJECT_ROOT, exampleRepo, sandboxEnv, tempDir } from '../helpers/repo.js'

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' }

describe('terminal output (built CLI)', () => {
  it("commit prints validation warnings as lines, escaping control characters from the repository's files", () => {
    const repo = exampleRepo({ git: true })
    expect(ssmdProcess(['schema', 'set-status', 'trade:v1', 'deprecated'], { cwd: repo }).code).to.equal(0)
    // A file whose name carries a terminal escape, reported in a warning (its rule is a warning here).
    const hostile = 'kalshi\u001b]0;x\u0007dev'
    writeFileSync(join(repo, 'environments', `${hostile}.yaml`), readFileSync(join(repo, 'environments', 'kalshi-dev.yaml')))
    writeFileSync(join(repo, 'ssmd.yaml'), 'rules:\n  ref/unused: off\n  repo/unrecognised-file: warning\n')
    const r = ssmdProcess(['commit', '-m', 'deprecate trade v1'], { cwd: repo, env: GIT_ENV })
    expect(r.code, r.stderr).to.equal(0)
    const lines = r.stderr.split('\n')
    expect(lines).to.include('! environments/kalshi-dev.yaml')
    expect(
      lines.some(l => /^ {2}environments\/kalshi-prod\.yaml:4:9 +warning +schema trade:v1 is deprecated/.test(l)),
      r.stderr,
    ).to.equal(true)
    expect(
      lines.some(l => /^0 errors, 3 warnings in 10 files/.test(l)),
      r.stderr,
    ).to.equal(true)
    expect(r.stderr).not.to.contain('\\u000a')
    expect(r.stderr).to.contain('environments/kalshi\\u001b]0;x\\u0007dev.yaml')
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.to.match(/[\u0007\u001b]/)
    expect(r.stdout).to.match(/^\[main [0-9a-f]+\] deprecate trade v1$/m)
  })

  describe('tables', () => {
    const widest = (text: string) => Math.max(...text.split('\n').map(l => [...l].length))
    const tables = [
      ['rules', 'list'],
      ['feed', 'list', '-v'],
      ['schema', 'list'],
      ['schema', 'show', 'trade'],
      ['env', 'list'],
      ['key', 'list', 'kalshi-prod'],
    ]

    it('fit COLUMNS, cutting free text with …; identifiers stay whole', () => {
      for (const args of tables) {
        const r = ssmdProcess(args, { cwd: EXAMPLE_REPO, env: { COLUMNS: '80' } })
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
        expect(widest(r.stdout), `${args.join(' ')}:\n${r.stdout}`).to.be.at.most(80)
      }
      const rules = ssmdProcess(['rules', 'list'], { cwd: EXAMPLE_REPO, env: { COLUMNS: '80' } }).stdout.split('\n')
      expect(rules[0]).to.match(/^RULE +DEFAULT +EFFECTIVE +PLUGIN +DESCRIPTION$/)
      expect(rules).to.include('date/valid                   error    error      ssmd    Dates are real calenda…')
      const feeds = ssmdProcess(['feed', 'list', '-v'], { cwd: EXAMPLE_REPO, env: { COLUMNS: '72' } }).stdout
      expect(feeds).to.contain('polymarket  websocket  active      1         wss://ws-subscriptions-clo…\n')
    })

    it('keep their full width when piped without COLUMNS, and --json is never cut', () => {
      const full = ssmdProcess(['rules', 'list'], { cwd: EXAMPLE_REPO })
      expect(full.stdout).to.match(/^date\/valid +error +error +ssmd +Dates are real calendar dates in YYYY-MM-DD form\. +ssmd rules show date\/valid$/m)
      expect(full.stdout).not.to.contain('…')
      const wide = JSON.parse(ssmdProcess(['rules', 'list', '--json'], { cwd: EXAMPLE_REPO }).stdout)
      const narrow = JSON.parse(ssmdProcess(['rules', 'list', '--json'], { cwd: EXAMPLE_REPO, env: { COLUMNS: '40' } }).stdout)
      expect(narrow).to.deep.equal(wide)
      expect(JSON.stringify(narrow)).not.to.contain('…')
    })

    it('fit the terminal they are shown on', function () {
      if (spawnSync('sh', ['-c', 'command -v tmux']).status !== 0) this.skip()
      const bin = join(tempDir(), 'bin')
      mkdirSync(bin)
      symlinkSync(BUILT_BIN, join(bin, 'ssmd'))
      const socket = `ssmd-width-${process.pid}`
      const env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: tempDir(), TERM: 'xterm', NO_COLOR: '1', LANG: 'C.UTF-8', ...sandboxEnv() }
      const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { env, encoding: 'utf8' })
      // No COLUMNS in the environment: the width comes from the terminal (110 columns).
      expect(tmux('new-session', '-d', '-x', '110', '-y', '60', '-c', EXAMPLE_REPO, 'sh', '-c', 'ssmd rules list; echo END-OF-TABLE; sleep 60').status).to.equal(0)
      try {
        let screen = ''
        const deadline = Date.now() + 30000
        while (Date.now() < deadline && !/^END-OF-TABLE$/m.test(screen)) {
          spawnSync('sleep', ['0.2'])
          // -J joins lines the terminal wrapped: a line wider than the terminal shows as one.
          screen = tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-').stdout
        }
        expect(screen).to.match(/^END-OF-TABLE$/m)
        expect(screen).to.match(/^date\/valid +error +error +ssmd +Dates are real calendar dates in YYYY-MM-DD form\.$/m)
        expect(screen).to.contain('…')
        expect(widest(screen.trimEnd()), screen).to.be.at.most(110)
      } finally {
        tmux('kill-server')
      }
    })
  })

  it('ssmd version prints what --version prints (fast path and oclif alike), and a JSON object with --json', () => {
    const line = ssmdProcess(['--version'])
    expect(line.code).to.equal(0)
    const pjson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'))
    expect(line.stdout).to.equal(`ssmd/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
    for (const args of [['version'], ['version', '--verbose']]) {
      const r = ssmdProcess(args)
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout, args.join(' ')).to.equal(line.stdout)
    }
    const json = ssmdProcess(['version', '--json'])
    expect(json.code, json.stderr).to.equal(0)
    expect(JSON.parse(json.stdout)).to.deep.equal({ name: 'ssmd', version: pjson.version, node: process.versions.node, platform: process.platform, arch: process.arch })
    expect(ssmdProcess(['version', '-q']).stdout).to.equal('')
  })
})
