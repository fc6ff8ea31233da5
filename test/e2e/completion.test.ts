/*
 * Shell completion, driven through real shells with the built CLI on PATH:
 * bash (the registered completion function called the way bash calls it, and
 * an interactive bash in tmux), zsh (interactive, in tmux) and fish (its own
 * completion engine, `complete -C`).
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** A PATH holding `ssmd` (the built CLI) and node. */
function shellEnv(): Record<string, string> {
  const bin = join(tempDir(), 'bin')
  mkdirSync(bin)
  symlinkSync(BUILT_BIN, join(bin, 'ssmd'))
  const home = tempDir()
  return { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, NO_COLOR: '1', TERM: 'xterm', LANG: 'C.UTF-8' }
}

/** bash's word splitting for completion: whitespace, with ':' and '=' as words of their own. */
function compWords(line: string): string[] {
  const words: string[] = []
  for (const token of line.split(/\s+/).filter(Boolean)) words.push(...token.split(/([:=])/).filter(Boolean))
  if (line === '' || /\s$/.test(line)) words.push('')
  return words
}

/** Calls bash's registered completion function for `line` (cursor at the end) and returns COMPREPLY. */
function bashComplete(env: Record<string, string>, cwd: string, line: string): string[] {
  const words = compWords(line)
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  const script = [
    'eval "$(ssmd completion bash)"',
    'fn=$(complete -p ssmd | sed -E "s/.*-F ([^ ]+).*/\\1/")',
    `COMP_LINE=${q(line)}`,
    'COMP_POINT=${#COMP_LINE}',
    `COMP_WORDS=(${words.map(q).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '"$fn" ssmd',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd, env, encoding: 'utf8' })
  expect(r.status, r.stderr).to.equal(0)
  return r.stdout.split('\n').filter(Boolean)
}

describe('shell completion (built CLI, real shells)', function () {
  this.timeout(120000)
  let env: Record<string, string>
  let repo: string

  before(function () {
    if (!has('bash')) this.skip()
    env = shellEnv()
    repo = exampleRepo()
    mkdirSync(join(repo, 'definitions'))
    writeFileSync(join(repo, 'definitions', 'quote.capnp'), '@0xbf5147cbbecf40c1;\n')
  })

  it('prints a script for every shell and rejects an unknown one', () => {
    for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
      const r = ssmdProcess(['completion', shell])
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout).to.contain('__complete')
    }
    const bad = ssmdProcess(['completion', 'tcsh'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/expected one of bash, zsh, fish, powershell, got 'tcsh'/)
  })

  it('the entry point answers without oclif, and never echoes hostile names or reads oversized files', () => {
    const dir = exampleRepo()
    writeFileSync(join(dir, 'feeds', 'evil\u001b]0;pwned\u0007.yaml'), 'name: x\n')
    writeFileSync(join(dir, 'feeds', '-rf.yaml'), 'name: x\n')
    writeFileSync(join(dir, 'schemas', 'huge.yaml'), 'versions:\n' + '  - version: v1\n'.repeat(80000))
    const names = ssmdProcess(['__complete', 'bash', '--', 'feed', 'show', ''], { cwd: dir })
    expect(names.code, names.stderr).to.equal(0)
    expect(names.stdout).to.equal('kalshi\nkraken\npolymarket\n')
    const refs = ssmdProcess(['__complete', 'bash', '--', 'schema', 'set-status', 'hu'], { cwd: dir })
    expect(refs.stdout).to.equal('')
    const dirs = ssmdProcess(['__complete', 'bash', '--', '-C', ''], { cwd: dir })
    expect(dirs.stdout).to.equal('__dirs__\n')
    // oclif is never loaded: Node's module trace (hundreds of @oclif/core lines for any command) shows none.
    const trace = ssmdProcess(['__complete', 'bash', '--', 'fe'], { cwd: dir, env: { NODE_DEBUG: 'module' } })
    expect(trace.stdout).to.equal('feed\tManage data-source feeds (feeds/*.yaml)\n')
    expect(trace.stderr).not.to.match(/@oclif[\\/]core/)
  })

  describe('bash', () => {
    const complete = (line: string, cwd = repo) => bashComplete(env, cwd, line)

    it('command words and topics', () => {
      expect(complete('ssmd fe')).to.deep.equal(['feed'])
      expect(complete('ssmd feed sh')).to.deep.equal(['show'])
      expect(complete('ssmd schema ')).to.include.members(['add-version', 'register', 'set-status', 'show', 'remove', 'remove-version'])
      expect(complete('ssmd help fe')).to.deep.equal(['feed'])
      expect(complete('ssmd plugins li')).to.deep.equal(['link'])
      expect(complete('ssmd nosuch ')).to.deep.equal([])
    })

    it('flags at any position, --no-* forms, and flags already given are not offered again', () => {
      expect(complete('ssmd feed update kalshi --rate-limit 5 --rate')).to.deep.equal([])
      expect(complete('ssmd feed update kalshi --no-supports-t')).to.deep.equal(['--no-supports-trades'])
      expect(complete('ssmd feed create x --end')).to.deep.equal(['--endpoint'])
      expect(complete('ssmd -C . feed list --st')).to.deep.equal(['--status'])
    })

    it('flag option values, after a space and after =', () => {
      expect(complete('ssmd feed create x --type ')).to.deep.equal(['websocket', 'rest', 'multicast'])
      expect(complete('ssmd feed create x --type=w')).to.deep.equal(['websocket'])
      expect(complete('ssmd validate --format s')).to.deep.equal(['sarif'])
    })

    it('feed, environment and schema names and version ids from the repository', () => {
      expect(complete('ssmd feed show ')).to.deep.equal(['kalshi', 'kraken', 'polymarket'])
      expect(complete('ssmd feed show kalshi --version ')).to.deep.equal(['v1', 'v2'])
      expect(complete('ssmd env show kalshi-')).to.deep.equal(['kalshi-dev', 'kalshi-prod'])
      expect(complete('ssmd env create x --feed k')).to.deep.equal(['kalshi', 'kraken'])
      // bash breaks words at ':': only the part after it is replaced.
      expect(complete('ssmd schema set-status trade:')).to.deep.equal([':v1', ':v2'])
      expect(complete('ssmd schema set-status trade:v')).to.deep.equal(['v1', 'v2'])
      expect(complete('ssmd schema set-status tr')).to.deep.equal(['trade:v1', 'trade:v2'])
      expect(complete('ssmd env remove-key kalshi-prod ')).to.deep.equal(['kalshi', 'archive'])
      expect(complete('ssmd deploy kalshi-dev --etcd localhost:2379 kal')).to.deep.equal(['kalshi-prod'])
      expect(complete('ssmd env render p')).to.deep.equal(['polymarket-dev'])
    })

    it('reads the repository named by -C, from anywhere', () => {
      expect(complete(`ssmd -C ${repo} feed show k`, tempDir())).to.deep.equal(['kalshi', 'kraken'])
      expect(complete(`ssmd feed show --dir ${repo} p`, tempDir())).to.deep.equal(['polymarket'])
      expect(complete('ssmd feed show k', tempDir())).to.deep.equal([])
    })

    it('file paths where a path is expected', () => {
      expect(complete('ssmd validate feeds/k')).to.deep.equal(['feeds/kalshi.yaml', 'feeds/kraken.yaml'])
      expect(complete('ssmd schema register quote --file definitions/')).to.deep.equal(['definitions/quote.capnp'])
      expect(complete('ssmd -C exam', join(repo, '..'))).to.deep.equal([])
      expect(complete('ssmd -C re', join(repo, '..'))).to.deep.equal(['repo'])
    })
  })

  /** Types `keys` into an interactive shell in tmux, then waits for the screen to show `expected`. */
  function tmuxSession(shell: string[], setup: string[]) {
    const socket = `ssmd-test-${process.pid}-${Math.random().toString(36).slice(2)}`
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { env, encoding: 'utf8' })
    const started = tmux('new-session', '-d', '-x', '200', '-y', '50', '-c', repo, ...shell)
    expect(started.status, started.stderr).to.equal(0)
    const screen = () => tmux('capture-pane', '-p').stdout
    const waitFor = (pattern: RegExp) => {
      // Trailing spaces are not captured: a completed word is checked by what follows it.
      // A wait, not a timing assertion: the shell answers when the machine lets it.
      const deadline = Date.now() + 30000
      while (Date.now() < deadline) {
        if (pattern.test(screen())) return
        spawnSync('sleep', ['0.1'])
      }
      expect(screen(), screen()).to.match(pattern)
    }
    for (const line of [...setup, 'echo READY']) {
      tmux('send-keys', '-l', line)
      tmux('send-keys', 'Enter')
    }
    waitFor(/^READY$/m)
    return {
      type: (text: string) => tmux('send-keys', '-l', '--', text),
      tab: () => tmux('send-keys', 'Tab'),
      clearLine: () => {
        tmux('send-keys', 'C-u')
        tmux('send-keys', 'C-l')
      },
      waitFor,
      kill: () => tmux('kill-server'),
    }
  }

  it('bash, interactively in tmux: commands, names and flag values complete on Tab', function () {
    if (!has('tmux')) this.skip()
    const t = tmuxSession(['bash', '--norc', '--noprofile'], ['eval "$(ssmd completion bash)"'])
    try {
      t.type('ssmd feed sh')
      t.tab()
      t.waitFor(/ ssmd feed show$/m)
      t.type('kals')
      t.tab()
      t.waitFor(/ ssmd feed show kalshi$/m)
      t.type('--version v')
      t.tab()
      t.tab()
      t.waitFor(/v1\s+v2/)
      t.clearLine()
      t.waitFor(/^\S*\s*$/)
      t.type('ssmd env create x --schema trade:v')
      t.tab()
      t.tab()
      t.waitFor(/^trade:v1\s+trade:v2\s*$|^v1\s+v2\s*$/m)
      t.type('2 --feed kal')
      t.tab()
      t.waitFor(/ ssmd env create x --schema trade:v2 --feed kalshi$/m)
    } finally {
      t.kill()
    }
  })

  it('zsh, interactively in tmux: commands, names, values after = and schema refs', function () {
    if (!has('tmux') || !has('zsh')) this.skip()
    const t = tmuxSession(['zsh', '-f'], ['autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"', 'eval "$(ssmd completion zsh)"'])
    try {
      t.type('ssmd feed sh')
      t.tab()
      t.waitFor(/ ssmd feed show$/m)
      t.type('kals')
      t.tab()
      t.waitFor(/ ssmd feed show kalshi$/m)
      t.clearLine()
      t.type('ssmd feed create x --type=mu')
      t.tab()
      t.waitFor(/ ssmd feed create x --type=multicast$/m)
      t.clearLine()
      t.type('ssmd schema set-status trade:v2 dep')
      t.tab()
      t.waitFor(/ ssmd schema set-status trade:v2 deprecated$/m)
      t.clearLine()
      t.type('ssmd validate feeds/kra')
      t.tab()
      t.waitFor(/ ssmd validate feeds\/kraken\.yaml$/m)
    } finally {
      t.kill()
    }
  })

  it('fish, through its own completion engine', function () {
    if (!has('fish')) this.skip()
    const fish = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', `ssmd completion fish | source; complete -C '${line}'`], { cwd: repo, env, encoding: 'utf8' })
      expect(r.status, r.stderr).to.equal(0)
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map(l => l.split('\t')[0])
    }
    expect(fish('ssmd feed sh')).to.deep.equal(['show'])
    expect(fish('ssmd feed show k')).to.deep.equal(['kalshi', 'kraken'])
    expect(fish('ssmd feed create x --type ')).to.have.members(['websocket', 'rest', 'multicast'])
    expect(fish('ssmd feed update kalshi --no-supports-o')).to.deep.equal(['--no-supports-orderbook'])
    expect(fish('ssmd validate feeds/kra')).to.deep.equal(['feeds/kraken.yaml'])
  })
})
