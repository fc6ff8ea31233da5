import { expect } from 'chai'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Attributes } from '../../src/lib/git/attributes.js'
import { GitConfig, parseGitConfig } from '../../src/lib/git/config.js'
import { IgnoreMatcher } from '../../src/lib/git/ignore.js'
import { GitIndex, type IndexEntry } from '../../src/lib/git/index-file.js'
import { defaultFuncLine } from '../../src/lib/git/funcname.js'
import { diffLines, unifiedHunks } from '../../src/lib/git/line-diff.js'
import { openRepository } from '../../src/lib/git/repo.js'
import { git, tempDir } from '../helpers/repo.js'

describe('lib/git', () => {
  describe('config', () => {
    it('parses sections, subsections, quotes, escapes, comments and continuations', () => {
      const text = [
        '# comment',
        '[user]',
        '\tname = "Ada  Lovelace" ; trailing',
        '\temail=ada@example.com # note',
        '[core]',
        '  autocrlf',
        '[remote "origin"]',
        '  url = a\\',
        'b',
        '[Section.Sub]',
        '  Key = "x\\ty"',
      ].join('\n')
      expect(parseGitConfig(text)).to.deep.equal([
        ['user.name', 'Ada  Lovelace'],
        ['user.email', 'ada@example.com'],
        ['core.autocrlf', 'true'],
        ['remote.origin.url', 'ab'],
        ['section.Sub.key', 'x\ty'],
      ])
    })

    it('follows include.path, later files win', () => {
      const dir = tempDir()
      writeFileSync(join(dir, 'extra'), '[user]\n  email = included@example.com\n')
      writeFileSync(join(dir, 'a'), '[user]\n  name = A\n  email = a@example.com\n[include]\n  path = extra\n')
      writeFileSync(join(dir, 'b'), '[USER]\n  NAME = B\n')
      const c = GitConfig.load([join(dir, 'a'), join(dir, 'b'), join(dir, 'missing')])
      expect(c.get('user.name')).to.equal('B')
      expect(c.get('User.Email')).to.equal('included@example.com')
    })
  })

  it('config: includeIf (gitdir, gitdir/i, onbranch, hasconfig) and GIT_CONFIG_COUNT resolve as git config --get does', () => {
    const home = tempDir('ssmd-cfg-')
    const dir = join(tempDir(), 'Work', 'repo')
    mkdirSync(dir, { recursive: true })
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: join(home, '.gitconfig') }
    const withEnv = <T>(cmd: () => T, extra: Record<string, string> = {}): T => {
      const saved = { ...process.env }
      Object.assign(process.env, env, extra)
      try {
        return cmd()
      } finally {
        for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
        Object.assign(process.env, saved)
      }
    }
    for (const [name, body] of Object.entries({
      'gitdir.inc': '[t]\n  gitdir = yes\n',
      'gitdiri.inc': '[t]\n  gitdiri = yes\n',
      'nocase.inc': '[t]\n  nocase = wrong\n',
      'branch.inc': '[t]\n  branch = yes\n',
      'otherbranch.inc': '[t]\n  branch = wrong\n',
      'remote.inc': '[t]\n  remote = yes\n',
      'rel.inc': '[t]\n  relative = yes\n',
    }))
      writeFileSync(join(home, name), body)
    writeFileSync(
      join(home, '.gitconfig'),
      [
        '[t]',
        '  gitdir = no',
        '  gitdiri = no',
        '  nocase = right',
        '  branch = no',
        '  remote = no',
        '  relative = no',
        '[includeIf "gitdir:**/Work/repo/"]',
        '  path = gitdir.inc',
        '[includeIf "gitdir/i:**/work/REPO/"]',
        '  path = gitdiri.inc',
        '[includeIf "gitdir:**/work/REPO/"]',
        '  path = nocase.inc',
        '[includeIf "onbranch:feature/**"]',
        '  path = branch.inc',
        '[includeIf "onbranch:main"]',
        '  path = otherbranch.inc',
        '[includeIf "hasconfig:remote.*.url:https://example.com/**"]',
        '  path = remote.inc',
        '[include]',
        '  path = rel.inc',
      ].join('\n') + '\n',
    )
    withEnv(() => git(dir, 'init', '-q', '-b', 'feature/x'))
    withEnv(() => git(dir, 'remote', 'add', 'origin', 'https://example.com/team/config.git'))
    const extra = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 't.fromenv', GIT_CONFIG_VALUE_0: 'env' }
    const keys = ['t.gitdir', 't.gitdiri', 't.nocase', 't.branch', 't.remote', 't.relative', 't.fromenv']
    const expected = keys.map(k => withEnv(() => git(dir, 'config', '--get', k).trim(), extra))
    const repo = withEnv(() => openRepository(dir), extra)
    expect(keys.map(k => repo.config.get(k))).to.deep.equal(expected)
    expect(expected).to.deep.equal(['yes', 'yes', 'right', 'yes', 'yes', 'yes', 'env'])
  })

  it('attributes: the line-ending attributes of each path agree with git check-attr', () => {
    const dir = tempDir()
    git(dir, 'init', '-q')
    writeFileSync(
      join(dir, '.gitattributes'),
      [
        '* text=auto',
        '*.bin binary',
        '*.yaml eol=lf',
        'docs/** -text',
        '/top.txt eol=crlf',
        '[attr]mine text eol=crlf',
        '*.mine mine',
        '"sp ace.txt" -text',
        'a/*/c.txt filter=crypt',
      ].join('\n') + '\n',
    )
    mkdirSync(join(dir, 'feeds', 'sub'), { recursive: true })
    writeFileSync(join(dir, 'feeds', '.gitattributes'), '*.yaml -eol crlf\nsub/*.txt !text\n')
    mkdirSync(join(dir, '.git', 'info'), { recursive: true })
    writeFileSync(join(dir, '.git', 'info', 'attributes'), 'override.yaml -text\n')
    const paths = [
      'x.yaml',
      'feeds/x.yaml',
      'feeds/sub/y.txt',
      'data.bin',
      'docs/a/b.md',
      'top.txt',
      'feeds/top.txt',
      'x.mine',
      'feeds/override.yaml',
      'sp ace.txt',
      'a/b/c.txt',
      'a/b/d/c.txt',
      'plain',
    ]
    const out = git(dir, 'check-attr', 'text', 'eol', 'crlf', 'filter', '--', ...paths)
    const expected: Record<string, Record<string, string>> = {}
    for (const line of out.split('\n').filter(Boolean)) {
      const m = /^(.*): (\w+): (.*)$/.exec(line)!
      const value = m[3]
      if (value !== 'unspecified') (expected[m[1]] ??= {})[m[2]] = value
    }
    const attrs = new Attributes(openRepository(dir))
    const actual: Record<string, Record<string, string>> = {}
    for (const p of paths) {
      for (const [k, v] of Object.entries(attrs.get(p))) {
        if (!['text', 'eol', 'crlf', 'filter'].includes(k) || v === undefined) continue
        ;(actual[p] ??= {})[k] = v === true ? 'set' : v === false ? 'unset' : v
      }
    }
    expect(actual).to.deep.equal(expected)
  })

  it('ignore rules agree with git check-ignore', () => {
    const dir = tempDir()
    git(dir, 'init', '-q')
    writeFileSync(join(dir, '.gitignore'), ['*.bak', '!keep.bak', '/top.txt', 'build/', 'docs/**/*.tmp', 'a/**', 'x?z', '[Tt]emp*', '\\#hash', 'trail\\ ', ''].join('\n'))
    mkdirSync(join(dir, 'feeds', 'sub'), { recursive: true })
    writeFileSync(join(dir, 'feeds', '.gitignore'), 'local.yaml\n/anchored.yaml\n!important.bak\n')
    mkdirSync(join(dir, '.git', 'info'), { recursive: true })
    writeFileSync(join(dir, '.git', 'info', 'exclude'), 'excluded.yaml\n')
    const paths = [
      'x.bak',
      'keep.bak',
      'feeds/keep.bak',
      'feeds/important.bak',
      'feeds/sub/important.bak',
      'top.txt',
      'feeds/top.txt',
      'build/out.js',
      'feeds/build/out.js',
      'build',
      'docs/a/b/c.tmp',
      'docs/c.tmp',
      'a/b',
      'a',
      'xyz',
      'x/z',
      'Temp1',
      'temporary',
      '#hash',
      'trail ',
      'feeds/local.yaml',
      'feeds/sub/local.yaml',
      'feeds/anchored.yaml',
      'feeds/sub/anchored.yaml',
      'excluded.yaml',
      'feeds/excluded.yaml',
      'feeds/kalshi.yaml',
    ]
    let checked = ''
    try {
      checked = git(dir, 'check-ignore', '--no-index', ...paths)
    } catch (err) {
      checked = String((err as { stdout?: string }).stdout ?? '')
    }
    const expected = checked.split('\n').filter(Boolean).sort()
    const matcher = new IgnoreMatcher(openRepository(dir))
    const actual = paths.filter(p => matcher.isIgnored(p)).sort()
    expect(actual).to.deep.equal(expected)
  })

  it('writes back an index git wrote, byte for byte (versions 2, 3 and 4)', () => {
    const dir = tempDir()
    git(dir, 'init', '-q')
    for (const name of ['a.txt', 'dir/b.txt', 'dir/sub/c d.txt', 'é.txt']) {
      mkdirSync(join(dir, name, '..'), { recursive: true })
      writeFileSync(join(dir, name), name)
    }
    git(dir, 'add', '-A')
    git(dir, 'commit', '-q', '-m', 'x')
    writeFileSync(join(dir, 'new.txt'), 'n')
    git(dir, 'add', '-N', 'new.txt')
    for (const version of ['2', '3', '4']) {
      if (version !== '2') git(dir, 'update-index', '--index-version', version)
      const raw = readFileSync(join(dir, '.git', 'index'))
      const index = GitIndex.parse(raw)
      expect(index.entries.map(e => e.path)).to.deep.equal(['a.txt', 'dir/b.txt', 'dir/sub/c d.txt', 'new.txt', 'é.txt'])
      expect(index.serialize().equals(raw), `version ${version}`).to.equal(true)
    }
  })

  it('reads only the entries at or under the given paths, as git ls-files -- <paths> lists them', () => {
    const dir = tempDir()
    git(dir, 'init', '-q')
    const names = [
      'f',
      'fe',
      'feeds',
      'feeds.txt',
      'feedsx/a',
      'feeds2/a',
      'fee/ds',
      's',
      'sc/x',
      'schemas/a.yaml',
      'schemas/sub/b.yaml',
      'src/m.ts',
      'ssmd.yaml',
      'ssmd.yaml.bak',
      'ssmd/x',
      'é/x',
      'z',
    ]
    for (const name of names) {
      mkdirSync(join(dir, name, '..'), { recursive: true })
      writeFileSync(join(dir, name), name)
    }
    git(dir, 'add', '-A')
    for (const version of ['2', '4']) {
      git(dir, 'update-index', '--index-version', version)
      const raw = readFileSync(join(dir, '.git', 'index'))
      for (const only of [['feeds', 'schemas', 'environments', 'ssmd.yaml'], ['f'], ['s', 'é'], ['fe', 'sc'], ['nothing']]) {
        const expected = git(dir, '-c', 'core.quotepath=false', 'ls-files', '-s', '--', ...only.map(p => `:(literal)${p}`))
        const listed = (entries: IndexEntry[]) => entries.map(e => `${e.stat.readUInt32BE(24).toString(8)} ${e.oid} 0\t${e.path}\n`).join('')
        expect(listed(GitIndex.parse(raw, 0n, only).entries), `v${version} ${only.join(' ')}`).to.equal(expected)
        // The same entries found in a whole index by binary search.
        expect(listed(GitIndex.parse(raw).under(only)), `v${version} ${only.join(' ')} (whole)`).to.equal(expected)
      }
    }
  })

  it('writes an index with some entries changed that git reads back as changed, the rest byte for byte', () => {
    const dir = tempDir()
    git(dir, 'init', '-q')
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}.txt`), `${i}\n`)
    git(dir, 'add', '-A')
    const raw = readFileSync(join(dir, '.git', 'index'))
    const before = git(dir, 'ls-files', '-s', '--debug')
    const index = GitIndex.parse(raw)
    const other = index.entries[0].oid
    // Added before the first entry and after the last, and removed again: the index is as it was.
    const first = { path: 'a.txt', stat: index.entries[0].stat, oid: other, flags: 0, extended: 0 }
    index.update(
      new Map([
        ['zz.txt', { ...first, path: 'zz.txt' }],
        ['a.txt', first],
      ]),
    )
    expect([index.entries[0].path, index.entries.at(-1)!.path, index.entries.length]).to.deep.equal(['a.txt', 'zz.txt', 42])
    index.update(
      new Map([
        ['zz.txt', null],
        ['a.txt', null],
        ['nothing.txt', null],
      ]),
    )
    expect(index.serialize().equals(raw)).to.equal(true)
    // A new entry in the middle (update), one removed, one's stat data replaced in place (as refreshStaleStat does).
    index.update(
      new Map([
        ['f10.txt', { path: 'f10.txt', stat: index.entries[10].stat, oid: other, flags: 0, extended: 0 }],
        ['f20.txt', null],
      ]),
    )
    const touched = index.entries.find(e => e.path === 'f30.txt')!
    const stat = Buffer.from(touched.stat)
    stat.writeUInt32BE(12345, 36)
    touched.stat = stat
    writeFileSync(join(dir, '.git', 'index'), index.serialize())
    const after = git(dir, 'ls-files', '-s', '--debug')
    const expected = before
      .replace(/(100644 )[0-9a-f]{40}( 0\tf10\.txt)/, `$1${other}$2`)
      .replace(/100644 [0-9a-f]{40} 0\tf20\.txt\n(?: {2}.*\n)*/, '')
      .replace(/(0\tf30\.txt\n(?: {2}.*\n)*? {2}size: )\d+/, '$112345')
    expect(after).to.equal(expected)
    expect(after).to.not.equal(before)
  })

  it('line diffs match git for a reordering edit', () => {
    const a = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n'
    const b = 'zero\none\ntwo\nfour\nthree\nfive\nsix\nseven\neight\nnine\nten\neleven'
    const dir = tempDir()
    writeFileSync(join(dir, 'a'), a)
    writeFileSync(join(dir, 'b'), b)
    let expected = ''
    try {
      git(dir, 'diff', '--no-index', '--diff-algorithm=myers', 'a', 'b')
    } catch (err) {
      expected = String((err as { stdout?: string }).stdout)
    }
    const body = expected.split('\n').slice(4).join('\n')
    expect(unifiedHunks(diffLines(a, b), 3, defaultFuncLine).join('\n') + '\n').to.equal(body)
  })
})
