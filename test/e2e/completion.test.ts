/*
 * Shell completion, driven through real shells with the built CLI on PATH:
 * bash (the registered completion function called the way bash calls it, and
 * an interactive bash in tmux), zsh (interactive, in tmux) and fish (its own
 * completion engine, `complete -C`). One test asks each shell about every
 * command and every flag that takes a value, enumerated from the manifests.
 */
import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { completions } from '../../src/lib/cli/completion/complete.js'
import { loadManifest } from '../../src/lib/cli/manifest.js'
import { BUILT_BIN, ssmdProcess } from '../helpers/cli.js'
import { PROJECT_ROOT, exampleRepo, sandboxEnv, tempDir } from '../helpers/repo.js'

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** A PATH holding `ssmd` (the built CLI) and node. */
function shellEnv(): Record<string, string> {
  const bin = join(tempDir(), 'bin')
  mkdirSync(bin)
  symlinkSync(BUILT_BIN, join(bin, 'ssmd'))
  const home = tempDir()
  return { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, NO_COLOR: '1', TERM: 'xterm', LANG: 'C.UTF-8', ...sandboxEnv() }
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

  it('PowerShell (no PowerShell to run it): the script hands the words to the entry point, which answers whole words', () => {
    const script = ssmdProcess(['completion', 'powershell']).stdout
    expect(script).to.contain('Register-ArgumentCompleter -Native -CommandName ssmd')
    expect(script).to.contain('$out = @(& ssmd __complete powershell -- @words 2>$null)')
    // PowerShell replaces the whole word being completed: answers after --flag= keep it, paths get it back.
    expect(script).to.contain('[System.Management.Automation.CompletionResult]::new($head + $parent + $_.Name')
    const values = ssmdProcess(['__complete', 'powershell', '--', 'validate', '--format=s'], { cwd: repo })
    expect(values.stdout).to.equal('--format=sarif\n')
    const refs = ssmdProcess(['__complete', 'powershell', '--', 'env', 'create', 'x', '--schema', 'trade:'], { cwd: repo })
    expect(refs.stdout).to.equal('trade:v1\ntrade:v2\n')
    const deploy = ssmdProcess(['__complete', 'powershell', '--', 'deploy', 's'], { cwd: repo })
    expect(deploy.stdout).to.match(/^status\t/)
    const files = ssmdProcess(['__complete', 'powershell', '--', 'schema', 'register', 'x', '--file=sch'], { cwd: repo })
    expect(files.stdout).to.equal('__files__\n')
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
      expect(complete('ssmd feed update kalshi --no-eff')).to.deep.equal(['--no-effective-to'])
      expect(complete('ssmd schema update-version trade:v2 --remove-c')).to.deep.equal(['--remove-compatible-with'])
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
      // bash breaks words at ':': readline replaces only the part after it (even when that part is empty).
      expect(complete('ssmd schema set-status trade:')).to.deep.equal(['v1', 'v2'])
      expect(complete('ssmd schema set-status trade:v')).to.deep.equal(['v1', 'v2'])
      expect(complete('ssmd schema set-status tr')).to.deep.equal(['trade:v1', 'trade:v2'])
      expect(complete('ssmd env remove-key kalshi-prod ')).to.deep.equal(['kalshi', 'archive'])
      expect(complete('ssmd feed remove-version kalshi ')).to.deep.equal(['v1', 'v2'])
      expect(complete('ssmd schema update-version tr')).to.deep.equal(['trade:v1', 'trade:v2'])
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

/**
 * Every command word and every value-taking flag, asked of bash, zsh and fish,
 * each one process answering all the lines in a batch. Each shell reports the
 * words the line's last word would become (bash and zsh through their line
 * editors in tmux, fish through `complete -C`), so a separator doubled or lost
 * at `=` or `:` shows.
 */
describe('shell completion of every command and value-taking flag (built CLI, real shells)', function () {
  this.timeout(180000)

  interface Query {
    line: string
    /** Returns what is wrong with the words the shell offered, or undefined. */
    check: (words: string[]) => string | undefined
  }

  const sorted = (a: string[]) => [...new Set(a)].sort()
  const same = (want: string[]) => (words: string[]) => (JSON.stringify(sorted(words)) === JSON.stringify(sorted(want)) ? undefined : `expected ${JSON.stringify(sorted(want))}`)
  const includes = (want: string, not?: string) => (words: string[]) => {
    const bare = words.map(w => w.replace(/\/$/, ''))
    if (!bare.includes(want)) return `expected ${want} among them`
    if (not !== undefined && bare.includes(not)) return `expected no ${not}`
    return undefined
  }

  /** The queries, from the manifests: nothing to update when a command or flag is added. */
  function queries(repo: string): Query[] {
    const manifest = loadManifest(PROJECT_ROOT)
    const visible = [...manifest.commands.entries()].filter(([id, c]) => id === c.id && !c.hidden).map(([, c]) => c)
    const out: Query[] = []
    // `ssmd deploy s` → status: the last word of each id from its first letter.
    const words = new Map<string, string[]>()
    for (const c of visible) {
      const ws = c.id.split(':')
      const line = ['ssmd', ...ws.slice(0, -1), ws.at(-1)!.slice(0, 1)].join(' ')
      words.set(line, [...(words.get(line) ?? []), ws.at(-1)!])
    }
    for (const [line, want] of words) out.push({ line, check: ws => want.map(w => includes(w)(ws)).find(Boolean) })
    // `--flag=` and, for flags with a fixed set of values, `--flag `: the same values, the first after `--flag=`.
    const seen = new Set<string>()
    for (const c of visible) {
      const ws = c.id.split(':')
      for (const f of Object.values(c.flags)) {
        if (f.type !== 'option' || f.hidden) continue
        const key = `${ws[0]} ${f.name} ${JSON.stringify(f.options ?? null)}`
        if (seen.has(key)) continue
        seen.add(key)
        const base = ['ssmd', ...ws, `--${f.name}`].join(' ')
        const values = completions(PROJECT_ROOT, [...ws, `--${f.name}`, ''], repo)
        if (f.options) {
          expect(values, base).to.deep.equal(f.options.map(value => ({ value })))
          out.push({ line: `${base} `, check: same(f.options) })
        }
        if (values === 'dirs') out.push({ line: `${base}=`, check: includes(`--${f.name}=feeds`) })
        else if (values === 'files') out.push({ line: `${base}=`, check: includes(`--${f.name}=ssmd.yaml`) })
        else out.push({ line: `${base}=`, check: same(values.map(v => `--${f.name}=${v.value}`)) })
      }
    }
    // Values with ':' inside and partial words after the separators.
    out.push(
      { line: 'ssmd schema set-status trade:', check: same(['trade:v1', 'trade:v2']) },
      { line: 'ssmd env create x --schema trade:v', check: same(['trade:v1', 'trade:v2']) },
      { line: 'ssmd env create x --schema=trade:', check: same(['--schema=trade:v1', '--schema=trade:v2']) },
      { line: 'ssmd validate --format=s', check: same(['--format=sarif']) },
      { line: 'ssmd schema register x --file=schemas/orderbook.c', check: same(['--file=schemas/orderbook.capnp']) },
      { line: 'ssmd validate --path-base=fe', check: includes('--path-base=feeds') },
      { line: 'ssmd deploy ', check: ws => includes('status')(ws) ?? includes('kalshi-dev')(ws) },
    )
    return out
  }

  /** Readline's word start for completion: after the last character of COMP_WORDBREAKS (bash's default). */
  const wordStart = (line: string) => {
    let i = line.length
    while (i > 0 && !' \t\n"\'><=;|&(:'.includes(line[i - 1])) i--
    return i
  }

  /** Types each line into an interactive shell in tmux followed by `keys`; the shell appends its answer and `<<E>>` to `out`. */
  async function tmuxBatch(env: Record<string, string>, cwd: string, shell: string[], setup: string, lines: string[], keys: string[], out: string): Promise<string[]> {
    const socket = `ssmd-all-${process.pid}-${Math.random().toString(36).slice(2)}`
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { env, encoding: 'utf8' })
    const started = tmux('new-session', '-d', '-x', '200', '-y', '50', '-c', cwd, ...shell)
    expect(started.status, started.stderr).to.equal(0)
    try {
      // The keys go in once the shell has run the setup: typed earlier, the terminal would echo them
      // in its cooked mode while the setup runs.
      tmux('send-keys', '-l', `${setup}; echo __SETUP""_DONE__`)
      tmux('send-keys', 'Enter')
      for (let waited = 0; !/^__SETUP_DONE__$/m.test(tmux('capture-pane', '-p').stdout); waited += 100) {
        expect(waited, tmux('capture-pane', '-p').stdout).to.be.below(60000)
        await sleep(100)
      }
      tmux('send-keys', 'C-l')
      for (let i = 0; i < lines.length; i += 20) tmux(...lines.slice(i, i + 20).flatMap(l => ['send-keys', '-l', l, ';', 'send-keys', ...keys, ';']))
      // A wait, not a timing assertion: the shell answers when the machine lets it, so the run
      // fails only when no new answer came for a whole minute.
      let answers: string[] = []
      let lastProgress = Date.now()
      while (Date.now() - lastProgress < 60000) {
        const now = existsSync(out) ? readFileSync(out, 'utf8').split('<<E>>\n').slice(0, -1) : []
        if (now.length > answers.length) lastProgress = Date.now()
        answers = now
        if (answers.length >= lines.length) break
        await sleep(200)
      }
      expect(answers.length, tmux('capture-pane', '-p').stdout).to.equal(lines.length)
      return answers
    } finally {
      tmux('kill-server')
    }
  }

  async function bash(env: Record<string, string>, cwd: string, lines: string[]): Promise<string[][]> {
    const out = join(tempDir(), 'answers')
    // M-* (insert-completions) puts every completion in the line; F12 then records the line and clears it.
    const setup = `eval "$(ssmd completion bash)"; __dump() { printf '%s\\n<<E>>\\n' "$READLINE_LINE" >> ${out}; READLINE_LINE=; }; bind -x '"\\e[24~": __dump'`
    const answers = await tmuxBatch(env, cwd, ['bash', '--norc', '--noprofile'], setup, lines, ['M-*', 'F12'], out)
    return answers.map((answer, i) => {
      const line = lines[i]
      const after = answer.replace(/\n$/, '')
      if (after === line) return []
      // The word's text before readline's own word start stays; each inserted completion follows it.
      const head = line.slice(line.lastIndexOf(' ') + 1, wordStart(line))
      return after
        .slice(wordStart(line))
        .split(' ')
        .filter(Boolean)
        .map(w => head + w)
    })
  }

  async function zsh(env: Record<string, string>, cwd: string, lines: string[]): Promise<string[][]> {
    const dir = tempDir()
    const out = join(dir, 'answers')
    // compadd records each match as the whole word it would become (IPREFIX, -P and -p prefixes, match).
    writeFileSync(
      join(dir, 'capture.zsh'),
      [
        'autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"',
        'eval "$(ssmd completion zsh)"',
        'compadd() {',
        '  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi',
        '  local -a __hits; builtin compadd -A __hits "$@"',
        '  local -A apre hpre; zparseopts -E P:=apre p:=hpre',
        `  local h; for h in $__hits; do print -r -- "$IPREFIX$apre[-P]$hpre[-p]$h" >> ${out}; done`,
        '}',
        "__quiet() { compstate[list]=''; compstate[insert]='' }",
        `__cap() { comppostfuncs=(__quiet); zle complete-word; print -r -- '<<E>>' >> ${out}; BUFFER='' }`,
        'zle -N __cap',
        "bindkey '\\e[24~' __cap",
      ].join('\n') + '\n',
    )
    const answers = await tmuxBatch(env, cwd, ['zsh', '-f'], `source ${join(dir, 'capture.zsh')}`, lines, ['F12'], out)
    return answers.map(a => a.split('\n').filter(Boolean))
  }

  async function fish(env: Record<string, string>, cwd: string, lines: string[]): Promise<string[][]> {
    const input = join(tempDir(), 'lines')
    writeFileSync(input, lines.join('\n') + '\n')
    const child = spawn('fish', ['--no-config', '-c', `ssmd completion fish | source; while read -l line; complete -C"$line"; echo '<<E>>'; end < ${input}`], { cwd, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    const code = await new Promise<number | null>(resolve => child.on('close', resolve))
    expect(code, stderr).to.equal(0)
    const answers = stdout.split('<<E>>\n').slice(0, -1)
    expect(answers).to.have.length(lines.length)
    return answers.map(a =>
      a
        .split('\n')
        .filter(Boolean)
        .map(l => l.split('\t')[0]),
    )
  }

  it('bash, zsh and fish complete every command, and every flag value after a space and after =', async function () {
    const shells = { bash, zsh, fish }
    const available = (Object.keys(shells) as (keyof typeof shells)[]).filter(s => has(s) && (s === 'fish' || has('tmux')))
    if (available.length === 0) this.skip()
    const env = shellEnv()
    const repo = exampleRepo()
    const qs = queries(repo)
    const lines = qs.map(q => q.line)
    const results = await Promise.all(available.map(async s => [s, await shells[s](env, repo, lines)] as const))
    const failures: string[] = []
    for (const [shell, answers] of results)
      qs.forEach((q, i) => {
        const wrong = q.check(answers[i])
        if (wrong) failures.push(`${shell}: '${q.line}' offered ${JSON.stringify(answers[i])}, ${wrong}`)
      })
    expect(failures, failures.join('\n')).to.deep.equal([])
  })
})
