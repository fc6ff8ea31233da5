import { expect } from 'chai'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GitConfig, parseGitConfig } from '../../src/lib/git/config.js'
import { IgnoreMatcher } from '../../src/lib/git/ignore.js'
import { GitIndex } from '../../src/lib/git/index-file.js'
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
    const body = expected
      .split('\n')
      .slice(4)
      .join('\n')
      .replace(/^(@@ .*? @@).*$/gm, '$1')
    expect(unifiedHunks(diffLines(a, b)).join('\n') + '\n').to.equal(body)
  })
})
