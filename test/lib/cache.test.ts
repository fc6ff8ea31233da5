import { expect } from 'chai'
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { builtinPack } from '../../src/hooks/validate/builtin.js'
import { runRules } from '../../src/lib/validate/engine.js'
import { policySeverities } from '../../src/lib/validate/policy.js'
import { definitionCache } from '../../src/lib/domain/schema/definitions.js'
import { cacheDir, cacheLocation, clearCache, DocumentCache, readStable, type CacheStrategy } from '../../src/lib/workspace/cache.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { IndexBlobIds } from '../../src/lib/git/blob-ids.js'
import { exampleRepo, FIXTURES, git, tempDir } from '../helpers/repo.js'
import { ssmdProcess } from '../helpers/cli.js'
import { fsCalls } from '../helpers/fs-calls.js'
import { generateRepo } from '../../scripts/gen-repo.js'
import { rng } from '../helpers/random.js'

const sources = [{ plugin: 'ssmd', result: builtinPack }]

let lastWorkspace: Workspace | undefined

/** With a cache, as `ssmd validate` runs: each feed's and environment's data released once its per-file rules ran. */
async function findings(root: string, cache?: DocumentCache): Promise<string[]> {
  const ws = new Workspace(root, { cache })
  lastWorkspace = ws
  const { findings } = await runRules(ws, sources, { policy: policySeverities(ws), releaseData: cache !== undefined })
  cache?.save()
  return findings.map(f => JSON.stringify(f))
}

const cold = (root: string) => findings(root)
async function warm(root: string, options: { strategy?: CacheStrategy; location?: string; indexAfter?: number } = {}): Promise<{ list: string[]; cache: DocumentCache }> {
  // As `ssmd validate` opens it.
  const cache = new DocumentCache(root, { ...options, blobIds: () => IndexBlobIds.open(root) })
  return { list: await findings(root, cache), cache }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** Every YAML document of the repository, root-relative. */
function documents(root: string): string[] {
  const out: string[] = []
  for (const folder of ['feeds', 'schemas', 'environments']) {
    for (const f of readdirSync(join(root, folder))) if (/\.ya?ml$/.test(f)) out.push(`${folder}/${f}`)
  }
  return out.sort()
}

/** Replaces one character with another of the same byte length: same size, different content. */
function sameSizeEdit(text: string, pick: () => number): string {
  const candidates = [...text.matchAll(/[a-z0-9]/g)].map(m => m.index!)
  const at = candidates[Math.floor(pick() * candidates.length)]
  const c = text[at]
  const replacement = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1)
  return text.slice(0, at) + replacement + text.slice(at + 1)
}

type Edit = (root: string, pick: () => number) => string

const EDITS: Record<string, Edit> = {
  'content (same size, mtime put back)': (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    const before = statSync(file)
    writeFileSync(file, sameSizeEdit(readFileSync(file, 'utf8'), pick))
    utimesSync(file, before.atime, before.mtime)
    return file
  },
  'content (new value)': (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n')
    const i = Math.floor(pick() * lines.length)
    lines[i] = pick() < 0.5 ? `${lines[i]}x` : lines[i].replace(/: .*/, ': 42')
    writeFileSync(file, lines.join('\n'))
    return file
  },
  'replaced by rename, same size and mtime': (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    const before = statSync(file)
    const tmp = `${file}.new`
    writeFileSync(tmp, sameSizeEdit(readFileSync(file, 'utf8'), pick))
    utimesSync(tmp, before.atime, before.mtime)
    renameSync(tmp, file)
    return file
  },
  mode: (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    chmodSync(file, (statSync(file).mode & 0o777) === 0o644 ? 0o600 : 0o644)
    return file
  },
  rename: (root, pick) => {
    const files = documents(root)
    const file = files[Math.floor(pick() * files.length)]
    const to = file.replace(/([^/]+)\.(ya?ml)$/, `renamed-${Math.floor(pick() * 1e6)}-$1.$2`)
    renameSync(join(root, file), join(root, to))
    return to
  },
  delete: (root, pick) => {
    const files = documents(root)
    if (files.length < 4) return '(skipped)'
    const file = files[Math.floor(pick() * files.length)]
    rmSync(join(root, file))
    return file
  },
  add: (root, pick) => {
    const files = documents(root)
    const file = files[Math.floor(pick() * files.length)]
    const to = file.replace(/([^/]+)\.(ya?ml)$/, `copy-${Math.floor(pick() * 1e6)}.$2`)
    copyFileSync(join(root, file), join(root, to))
    return to
  },
  'touch without change': (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    const now = new Date()
    utimesSync(file, now, now)
    return file
  },
  'two edits within the same second': (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    const first = sameSizeEdit(readFileSync(file, 'utf8'), pick)
    writeFileSync(file, first)
    const mtime = statSync(file).mtime
    writeFileSync(file, sameSizeEdit(first, pick))
    utimesSync(file, mtime, mtime)
    return file
  },
}

/** Definition files, and one imported by another, so that the cache's dependency tracking is exercised. */
const DEFINITION_EDITS: Record<string, Edit> = {
  'definition file content': (root, pick) => {
    const file = join(root, 'schemas', ['trade-v2.capnp', 'trade.capnp', 'orderbook.capnp'][Math.floor(pick() * 3)])
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, pick() < 0.5 ? `${text}# edited ${pick()}\n` : text.replace(/:UInt64;/, ':UInt32;'))
    return file
  },
  'imported file content': (root, pick) => {
    const file = join(root, 'schemas', 'common.capnp')
    if (!existsSync(file)) renameSync(`${file}.away`, file)
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.includes('Int64') && pick() < 0.7 ? text.replace('Int64', 'Int32') : text.replace('Int32', 'Int64').replace('nanos @1', 'nanos @2'))
    return file
  },
  'imported type renamed or renamed back': root => {
    const file = join(root, 'schemas', 'common.capnp')
    if (!existsSync(file)) renameSync(`${file}.away`, file)
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.includes('struct Money') ? text.replace('struct Money', 'struct Cash') : text.replace('struct Cash', 'struct Money'))
    return file
  },
  'imported file removed or restored': root => {
    const file = join(root, 'schemas', 'common.capnp')
    if (existsSync(file)) renameSync(file, `${file}.away`)
    else renameSync(`${file}.away`, file)
    return file
  },
}

/** What git does to the index and the work tree: the index's stat data and blob ids key the content (IndexBlobIds). */
const GIT_EDITS: Record<string, Edit> = {
  'stage everything': root => {
    git(root, 'add', '-A')
    return '(all)'
  },
  'commit everything': root => {
    git(root, 'add', '-A')
    git(root, 'commit', '-q', '--allow-empty', '-m', 'edit')
    return '(all)'
  },
  'touch and stage (same blob, new stat data in the index)': (root, pick) => {
    const files = documents(root)
    const file = files[Math.floor(pick() * files.length)]
    // In the past: not racily clean against the index written next.
    const earlier = new Date(Date.now() - 60_000 - Math.floor(pick() * 60_000))
    utimesSync(join(root, file), earlier, earlier)
    git(root, 'add', '--', file)
    return file
  },
  'everything touched, the index refreshed (as a fresh checkout)': root => {
    const earlier = new Date(Date.now() - 60_000)
    for (const file of documents(root)) utimesSync(join(root, file), earlier, earlier)
    // `git add` keeps an entry whose content is unchanged as it is; a refresh (as `git status` makes) takes the new stat data.
    git(root, 'add', '-A')
    git(root, 'update-index', '-q', '--refresh')
    return '(all)'
  },
  'staged, then changed (same size, mtime put back)': (root, pick) => {
    const files = documents(root)
    const file = join(root, files[Math.floor(pick() * files.length)])
    git(root, 'add', '--', file)
    const before = statSync(file)
    writeFileSync(file, sameSizeEdit(readFileSync(file, 'utf8'), pick))
    utimesSync(file, before.atime, before.mtime)
    return file
  },
  'work tree restored from the index (git checkout -- .)': root => {
    git(root, 'checkout', '--', '.')
    return '(all)'
  },
  'changed, then staged under a clean filter that gives back the old blob': (root, pick) => {
    // The work tree holds an invalid feed type; git stores the valid one.
    const feeds = documents(root).filter(f => f.startsWith('feeds/') && /type: (websocket|nope)/.test(readFileSync(join(root, f), 'utf8')))
    if (feeds.length === 0) return '(no feed)'
    const file = feeds[Math.floor(pick() * feeds.length)]
    const abs = join(root, file)
    git(root, 'config', 'filter.back.clean', "sed 's/type: nope/type: websocket/'")
    writeFileSync(join(root, '.git/info/attributes'), 'feeds/*.yaml filter=back\n')
    const text = readFileSync(abs, 'utf8')
    writeFileSync(abs, text.includes('type: nope') ? text.replace('type: nope', 'type: websocket') : text.replace('type: websocket', 'type: nope'))
    git(root, 'add', '--', file)
    return file
  },
  'assume-unchanged, then changed': (root, pick) => {
    const files = documents(root)
    const file = files[Math.floor(pick() * files.length)]
    if (git(root, 'ls-files', '--', file).trim() === '') return '(untracked)'
    git(root, 'update-index', '--assume-unchanged', '--', file)
    const abs = join(root, file)
    writeFileSync(abs, `${readFileSync(abs, 'utf8')}x: 1\n`)
    return file
  },
}

/** A synthetic AWS access key id (never real), for files that must be scanned for secrets. */
const FAKE_KEY = 'AKIAQ7RZ4XW2KD9PLM3T'

/** Files that are not documents: unrecognised, kept by ssmd.yaml, holding a secret or not (repo/unrecognised-file, security/secret-literal). */
const OTHER_FILE_EDITS: Record<string, Edit> = {
  'other file added, changed or removed': (root, pick) => {
    const rel = ['feeds/notes.txt', 'feeds/README.md', 'schemas/drafts/next.capnp', 'environments/.hidden.yaml'][Math.floor(pick() * 4)]
    const file = join(root, rel)
    const r = pick()
    if (r < 0.1) rmSync(file, { force: true })
    else {
      mkdirSync(join(file, '..'), { recursive: true })
      writeFileSync(file, r < 0.6 ? `plain ${Math.floor(pick() * 10)}\n` : `line\nkey ${FAKE_KEY}\n`)
    }
    return rel
  },
  'other file: secret removed within the same second, same size': (root, pick) => {
    const file = join(root, ['feeds/notes.txt', 'feeds/README.md'][Math.floor(pick() * 2)])
    writeFileSync(file, `key ${FAKE_KEY}\n`)
    const mtime = statSync(file).mtime
    writeFileSync(file, `key ${'X'.repeat(FAKE_KEY.length)}\n`)
    utimesSync(file, mtime, mtime)
    return file
  },
  'other file: secret added or removed': root => {
    const file = join(root, 'feeds', 'notes.txt')
    const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
    writeFileSync(file, text.includes(FAKE_KEY) ? 'nothing to see\n' : `the key: ${FAKE_KEY}\n`)
    return file
  },
  'keep: pattern added or removed': root => {
    const file = join(root, 'ssmd.yaml')
    const text = readFileSync(file, 'utf8')
    writeFileSync(file, text.includes('keep:') ? text.replace(/keep:.*\n/, '') : `${text}keep: ["*.md", "schemas/drafts/"]\n`)
    return file
  },
}

/** Adds schemas/common.capnp and makes orderbook.capnp import it (hashes are refreshed with the CLI). */
function withImport(root: string): void {
  copyFileSync(join(FIXTURES, 'schema', 'common.capnp'), join(root, 'schemas', 'common.capnp'))
  const ob = join(root, 'schemas', 'orderbook.capnp')
  writeFileSync(ob, readFileSync(ob, 'utf8').replace('struct Level {', 'using Common = import "common.capnp";\n\nstruct Level {\n  value @2 :Common.Money;'))
}

describe('validation cache (.ssmd/cache)', function () {
  this.timeout(300_000)

  it("never hides or invents a finding where git's index keys the content: warm runs equal cold runs after random edits, stagings, commits and checkouts (slow)", async () => {
    const seed = Number(process.env.SSMD_CACHE_SEED ?? 20261207)
    const pick = rng(seed)
    const root = exampleRepo({ git: true })
    withImport(root)
    expect(readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8')).to.include('type: websocket')
    git(root, 'add', '-A')
    git(root, 'commit', '-q', '-m', 'import')
    await sleep(2600)
    // The index is read from the first file on (a real run waits for a few dozen).
    const options = { indexAfter: 0 }
    await warm(root, options)
    const edits = { ...EDITS, ...GIT_EDITS }
    const names = Object.keys(edits)
    const counts: Record<string, number> = {}
    let indexed = 0
    const rounds = 80
    for (let round = 0; round < rounds; round++) {
      const kind = names[Math.floor(pick() * names.length)]
      const target = edits[kind](root, pick)
      if (round % 10 === 9) await sleep(2600)
      counts[kind] = (counts[kind] ?? 0) + 1
      const { list, cache } = await warm(root, options)
      indexed += cache.stats.indexed
      if (process.env.DEBUG_CACHE_TEST) console.error(round, kind, cache.stats)
      const expected = await cold(root)
      expect(list, `seed ${seed}, round ${round}: ${kind} on ${target}`).to.deep.equal(expected)
    }
    expect(Object.keys(counts).sort()).to.deep.equal(names.sort())
    // The index really keyed entries.
    expect(indexed).to.be.greaterThan(rounds / 4)
  })

  for (const strategy of ['metadata', 'content'] as const) {
    it(`never hides or invents a finding: warm runs equal cold runs after random single edits, strategy ${strategy} (slow)`, async () => {
      const seed = Number(process.env.SSMD_CACHE_SEED ?? 20261126)
      const pick = rng(seed)
      const root = exampleRepo()
      withImport(root)
      writeFileSync(join(root, 'feeds', 'notes.txt'), 'nothing to see\n')
      // Let the copied files leave the racy window, so most lookups take the stat-only path.
      await sleep(2600)
      await warm(root, { strategy })
      const edits = { ...EDITS, ...DEFINITION_EDITS, ...OTHER_FILE_EDITS }
      const names = Object.keys(edits)
      const counts: Record<string, number> = {}
      let hits = 0
      const rounds = 120
      for (let round = 0; round < rounds; round++) {
        const kind = names[Math.floor(pick() * names.length)]
        if (process.env.DEBUG_CACHE_TEST) console.error(round, kind, existsSync(join(root, 'schemas/common.capnp')), existsSync(join(root, 'schemas/common.capnp.away')))
        const target = edits[kind](root, pick)
        // Now and then let everything settle, so definition entries are stored and reused.
        if (round % 10 === 9) await sleep(2600)
        counts[kind] = (counts[kind] ?? 0) + 1
        const { list, cache } = await warm(root, { strategy })
        hits += cache.stats.hits + cache.stats.verified + cache.stats.content
        if (strategy === 'content') expect(cache.stats.hits).to.equal(0)
        const expected = await cold(root)
        expect(list, `${strategy}, seed ${seed}, round ${round}: ${kind} on ${target}`).to.deep.equal(expected)
      }
      // Every kind of edit was exercised, and the cache was really used.
      expect(Object.keys(counts).sort()).to.deep.equal(names.sort())
      expect(hits).to.be.greaterThan(rounds * 5)
    })
  }

  it('uses unchanged entries without reading the file again, and re-reads a changed one (slow)', async () => {
    const root = exampleRepo()
    await sleep(2600)
    const first = await warm(root)
    expect(first.cache.stats.misses).to.equal(documents(root).length + 1) // + ssmd.yaml
    const second = await warm(root)
    expect(second.cache.stats).to.deep.equal({ hits: documents(root).length + 1, misses: 0, verified: 0, content: 0, indexed: 0 })
    writeFileSync(join(root, 'feeds/kalshi.yaml'), readFileSync(join(root, 'feeds/kalshi.yaml'), 'utf8') + '\n# edited\n')
    const third = await warm(root)
    expect(third.cache.stats.misses).to.equal(1)
    expect(third.list).to.deep.equal(second.list)
  })

  it('keeps paths and facts of any UTF-8 and missing facts exactly: a warm run hits every entry and reports what a cold run does (slow)', async () => {
    const root = exampleRepo()
    const env = readFileSync(join(root, 'environments', readdirSync(join(root, 'environments'))[0]), 'utf8')
    // Multi-byte names (their UTF-8 length is not their length in characters) and an environment without a feed.
    writeFileSync(join(root, 'environments/prod-zürich-東京.yaml'), env)
    writeFileSync(join(root, 'environments/no-feed.yaml'), env.replace(/^feed:.*$/m, ''))
    await sleep(2600)
    await warm(root)
    const again = await warm(root)
    expect(again.cache.stats).to.deep.equal({ hits: documents(root).length + 1, misses: 0, verified: 0, content: 0, indexed: 0 })
    expect(again.list).to.deep.equal(await cold(root))
    expect(again.list.join('\n')).to.include('no-feed.yaml')
  })

  it('keeps more schemas and definitions than one part of the cache file holds: a warm run hits every entry, reuses every definition and reports what a cold run does (slow)', async () => {
    // 300 schemas (kept whole) and 360 definition files: more than one batch each of the file's parts.
    const root = join(tempDir(), 'repo')
    generateRepo(root, 600, { git: false })
    const definitionFiles = readdirSync(join(root, 'schemas')).filter(f => f.endsWith('.capnp')).length
    expect(definitionFiles).to.be.greaterThan(256)
    await sleep(2600)
    await warm(root)
    const again = await warm(root)
    expect(again.cache.stats).to.deep.include({ misses: 0, verified: 0, content: 0, indexed: 0 })
    expect(again.cache.stats.hits).to.equal(documents(root).length)
    expect(definitionCache(lastWorkspace!).reused).to.equal(definitionFiles)
    expect(again.list).to.deep.equal(await cold(root))
  })

  it("keeps only the other files' git index blob ids once every listed document is read; a later read of a document reads it", async () => {
    const root = exampleRepo({ git: true })
    let opened = 0
    const cache = new DocumentCache(root, {
      indexAfter: 0,
      blobIds: () => {
        opened++
        return IndexBlobIds.open(root)
      },
    })
    const ws = new Workspace(root, { cache })
    const idOf = (file: string) => cache.heldBlobIds?.idFor(file, lstatSync(join(root, file)))
    expect(ws.feeds[0].data).to.not.equal(undefined)
    expect(opened).to.equal(1)
    const all = [...ws.feeds, ...ws.schemas, ...ws.environments]
    for (const d of all.slice(0, -1)) expect(d.data, d.file).to.not.equal(undefined)
    // The last listed document is still unread.
    expect(idOf('feeds/kalshi.yaml')).to.not.equal(undefined)
    expect(all[all.length - 1].data).to.not.equal(undefined)
    expect(idOf('feeds/kalshi.yaml')).to.equal(undefined)
    expect(idOf('schemas/trade.capnp')).to.not.equal(undefined)
    // A read after that (a file named directly) is read and hashed; the index is not opened again.
    const again = new Workspace(root, { cache })
    expect(again.feeds[0].data).to.not.equal(undefined)
    expect(opened).to.equal(1)
    expect(cache.stats.indexed).to.equal(0)
  })

  it('re-parses a definition when a file it imports changes or disappears (slow)', async () => {
    const root = exampleRepo()
    withImport(root)
    await sleep(2600)
    await warm(root) // stores the settled definitions
    const again = await warm(root)
    expect(definitionCache(lastWorkspace!).reused).to.equal(3)
    expect(again.list).to.deep.equal(await cold(root))
    renameSync(join(root, 'schemas/common.capnp'), join(root, 'schemas/common.capnp.away'))
    const missing = await warm(root)
    expect(missing.list).to.deep.equal(await cold(root))
    expect(missing.list.join('\n')).to.include('common.capnp')
    renameSync(join(root, 'schemas/common.capnp.away'), join(root, 'schemas/common.capnp'))
    writeFileSync(join(root, 'schemas/common.capnp'), readFileSync(join(root, 'schemas/common.capnp'), 'utf8').replace('struct Money', 'struct Cash'))
    const broken = await warm(root)
    expect(broken.list).to.deep.equal(await cold(root))
    expect(broken.list.join('\n')).to.include('Money')
  })

  it('reuses a compare only while both definitions are the parses it was computed from (slow)', async () => {
    const root = exampleRepo()
    await sleep(2600)
    await warm(root) // stores both trade definitions and their compare
    const clean = await warm(root)
    expect(clean.list.join('\n')).not.to.include('not compatible')
    // v1 changes in a way v2 is no longer compatible with; once settled, it is stored anew.
    const v1 = join(root, 'schemas/trade.capnp')
    writeFileSync(v1, readFileSync(v1, 'utf8').replace('price @2 :Float64;', 'price @2 :Int64;'))
    await sleep(2600)
    const changed = await warm(root)
    expect(changed.list).to.deep.equal(await cold(root))
    expect(changed.list.join('\n')).to.include('not compatible')
    const again = await warm(root)
    expect(definitionCache(lastWorkspace!).reused).to.equal(3)
    expect(again.list).to.deep.equal(changed.list)
  })

  it('keeps per-file findings before the policy: a changed ssmd.yaml applies to them without reading the files again (slow)', async () => {
    const root = exampleRepo()
    const env = join(root, 'environments/kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('type: memory', 'type: memory\n  url: redis://localhost'))
    await sleep(2600)
    const first = await warm(root)
    expect(first.list.join('\n')).to.include('"rule":"env/cache","severity":"error"')
    const policy = join(root, 'ssmd.yaml')
    for (const rules of ['  env/cache: warning', '  env/cache: off']) {
      writeFileSync(policy, readFileSync(policy, 'utf8').replace(/^rules:\n(.|\n)*$/m, `rules:\n  ref/unused: off\n${rules}\n`))
      const again = await warm(root)
      expect(again.cache.stats.hits).to.equal(documents(root).length)
      expect(again.cache.rereads).to.equal(0)
      expect(again.list).to.deep.equal(await cold(root))
      const mine = again.list.filter(f => f.includes('"rule":"env/cache"'))
      expect(mine).to.have.length(rules.endsWith('off') ? 0 : 1)
      if (mine.length) expect(mine[0]).to.include('"severity":"warning"')
    }
  })

  it("keeps every document's data for runs with plugins in a file of its own, read only when a run asks for the data, never stale (slow)", async () => {
    const root = exampleRepo()
    await sleep(2600)
    const dataFile = join(cacheDir(root), 'documents-data.bin')
    const mainFile = join(cacheDir(root), 'documents.bin')
    // As `ssmd validate` with plugins: every document's data first when the plugins must run, then the rules.
    const run = async (keepData: boolean, askData = keepData) => {
      const cache = new DocumentCache(root, { keepData })
      const ws = new Workspace(root, { cache })
      const data = askData ? ws.documents.map(d => d.data) : []
      const { findings: found } = await runRules(ws, sources, { policy: policySeverities(ws), releaseData: true })
      cache.save()
      return { cache, list: found.map(f => JSON.stringify(f)), data, ws }
    }
    await run(true)
    expect(existsSync(dataFile)).to.equal(true)
    const kept = await run(true)
    expect(kept.cache.stats.hits).to.equal(documents(root).length + 1)
    expect(kept.cache.rereads).to.equal(0)
    expect(kept.data.every(d => typeof d === 'object' && d !== null)).to.equal(true)
    expect(kept.data).to.have.length(documents(root).length + 1)
    expect(kept.list).to.deep.equal(await cold(root))
    // The cache proper is the one a run without plugins keeps: such a run uses it as it is, and rewrites nothing.
    const before = [statSync(mainFile).mtimeMs, statSync(dataFile).mtimeMs]
    const plain = await run(false)
    expect(plain.cache.stats.hits).to.equal(documents(root).length + 1)
    expect([statSync(mainFile).mtimeMs, statSync(dataFile).mtimeMs]).to.deep.equal(before)
    // A run with plugins that does not ask for the data (their results reused) reads no document and rewrites nothing.
    const reused = await run(true, false)
    expect(reused.cache.rereads).to.equal(0)
    expect([statSync(mainFile).mtimeMs, statSync(dataFile).mtimeMs]).to.deep.equal(before)
    // A changed document: its new data, never the kept one.
    const feed = join(root, 'feeds/kalshi.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace(/^display_name: .*$/m, 'display_name: Renamed for the test'))
    const changed = await run(true)
    const doc = (r: { data: unknown[]; ws: Workspace }) => r.data[r.ws.documents.findIndex(d => d.file === 'feeds/kalshi.yaml')] as { display_name?: string }
    expect(doc(changed).display_name).to.equal('Renamed for the test')
    // Without the data file (deleted, or a cache written by a run without plugins) the files are read again, once.
    rmSync(dataFile)
    const lost = await run(true)
    expect(lost.cache.rereads).to.equal(documents(root).filter(f => !f.startsWith('schemas/')).length)
    expect(doc(lost).display_name).to.equal('Renamed for the test')
    const refilled = await run(true)
    expect(refilled.cache.rereads).to.equal(0)
    expect(doc(refilled).display_name).to.equal('Renamed for the test')
  })

  it("removes the documents' data file too when clearing a cache kept in a folder of the user's, and nothing else there", async () => {
    const root = exampleRepo()
    const location = join(tempDir(), 'ci-cache')
    mkdirSync(location)
    writeFileSync(join(location, 'other-tool.bin'), 'theirs')
    const cache = new DocumentCache(root, { keepData: true, location })
    const ws = new Workspace(root, { cache })
    await runRules(ws, sources, { policy: policySeverities(ws), releaseData: true })
    cache.save()
    expect(readdirSync(location).sort()).to.deep.equal(['documents-data.bin', 'documents.bin', 'other-tool.bin'])
    expect(clearCache(root, location)).to.equal(true)
    expect(readdirSync(location)).to.deep.equal(['other-tool.bin'])
  })

  it('runs a built-in rule declared to read one file at a time file by file, and fails it if it reaches for the workspace', async () => {
    const root = exampleRepo()
    const seen: string[] = []
    const pack = {
      plugin: 'ssmd',
      rules: {
        'x/polite': { meta: { severity: 'warning', description: 'reads its file', scope: 'file' }, feed: (doc: { name: string }) => void seen.push(doc.name) },
        'x/nosy': {
          meta: { severity: 'warning', description: 'looks around', scope: 'file' },
          feed: (_doc: unknown, ctx: { workspace: Workspace }) => void ctx.workspace.feeds,
        },
      },
    }
    const { findings: found } = await runRules(new Workspace(root), [{ plugin: 'ssmd', result: pack }])
    expect(seen).to.deep.equal(['kalshi', 'kraken', 'polymarket'])
    expect(found.map(f => `${f.rule} ${f.message}`)).to.deep.equal([
      "plugin/failed built-in rule 'x/nosy' failed: it is declared to read one file at a time but reached for the workspace; please report this",
    ])
  })

  it('a built-in per-file rule that throws on one file: warm runs report what cold runs report, and a rule switched off is not reported (slow)', async () => {
    const root = exampleRepo()
    const pack = () => ({
      plugin: 'ssmd',
      result: {
        plugin: 'ssmd',
        rules: {
          'x/crashy': {
            meta: { severity: 'warning', description: 'throws on crash: true', scope: 'file' },
            feed(doc: { data?: { crash?: unknown } }, ctx: { report(r: { message: string; path: string }): void }) {
              ctx.report({ message: 'seen', path: '/name' })
              if (doc.data?.crash === true) throw new Error('boom')
            },
          },
        },
      },
    })
    const run = async (cache: DocumentCache | undefined, off = false) => {
      const ws = new Workspace(root, { cache })
      const { findings: found } = await runRules(ws, [pack()], { releaseData: cache !== undefined, policy: off ? { 'x/crashy': 'off' } : {} })
      cache?.save()
      return found.map(f => `${f.file} ${f.rule} ${f.message}`)
    }
    await sleep(2600)
    await run(new DocumentCache(root))
    writeFileSync(join(root, 'feeds/aaa.yaml'), 'name: aaa\ncrash: true\n')
    const warm = await run(new DocumentCache(root))
    const again = await run(new DocumentCache(root))
    const coldList = await run(undefined)
    expect(coldList).to.deep.equal([
      " plugin/failed built-in rule 'x/crashy' failed: boom; please report this",
      'feeds/aaa.yaml x/crashy seen',
      'feeds/kalshi.yaml x/crashy seen',
      'feeds/kraken.yaml x/crashy seen',
      'feeds/polymarket.yaml x/crashy seen',
    ])
    expect(warm).to.deep.equal(coldList)
    expect(again).to.deep.equal(coldList)
    expect(await run(new DocumentCache(root), true)).to.deep.equal([])
  })

  it('declarations only (as `rules list` passes them) read no file', async () => {
    const root = exampleRepo()
    const cache = new DocumentCache(root)
    const declared = Object.fromEntries(Object.entries(builtinPack.rules).map(([id, rule]) => [id, { meta: rule.meta }]))
    const { rules } = await runRules(new Workspace(root, { cache }), [{ plugin: 'ssmd', result: { plugin: 'ssmd', rules: declared } }])
    expect(rules.length).to.equal(Object.keys(builtinPack.rules).length)
    expect(cache.stats.hits + cache.stats.misses + cache.stats.verified).to.equal(0)
  })

  it('reads a file whole and stable, and leaves one that grew or shrank after its stat to the bounded read', () => {
    const file = join(tempDir(), 'feed.yaml')
    writeFileSync(file, 'name: a\n')
    const before = statSync(file)
    const got = readStable(file)!
    expect(got.bytes.toString()).to.equal('name: a\n')
    expect(got.stable).to.equal(true)
    expect(readStable(file, before)!.stable).to.equal(true)
    // Grown after the stat: the read stops at the size the stat gave, and the stat after it sees more.
    writeFileSync(file, 'name: a\ntype: websocket\n')
    expect(readStable(file, before)).to.equal(undefined)
    // Shrunk: what was read is not what the stat promised.
    const longer = statSync(file)
    writeFileSync(file, 'x: 1\n')
    const shrunk = readStable(file, longer)!
    expect(shrunk.stable).to.equal(false)
    expect(shrunk.bytes.toString()).to.equal('x: 1\n')
    // Empty.
    writeFileSync(file, '')
    const empty = readStable(file)!
    expect(empty.bytes.length).to.equal(0)
    expect(empty.stable).to.equal(true)
  })

  it('verifies the content of entries written within the racy window before trusting them', async () => {
    const root = exampleRepo()
    await warm(root) // files were just copied: every entry is racy
    const again = await warm(root)
    expect(again.cache.stats.hits).to.equal(0)
    expect(again.cache.stats.verified).to.equal(documents(root).length + 1)
  })

  for (const [what, damage] of Object.entries({
    truncated: (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2)),
    'one byte flipped': (bytes: Buffer) => {
      const copy = Buffer.from(bytes)
      copy[copy.length - 10] ^= 0xff
      return copy
    },
    foreign: () => Buffer.from('{"entries": {"feeds/kalshi.yaml": {"data": {}}}}'),
    empty: () => Buffer.alloc(0),
  })) {
    it(`ignores and rebuilds a ${what} cache`, async () => {
      const root = exampleRepo()
      writeFileSync(join(root, 'feeds/kalshi.yaml'), 'name: kalshi\ntype: nope\n')
      const expected = await cold(root)
      await warm(root)
      const file = join(cacheDir(root), 'documents.bin')
      writeFileSync(file, damage(readFileSync(file)))
      const { list, cache } = await warm(root)
      expect(list).to.deep.equal(expected)
      expect(cache.stats.hits + cache.stats.verified).to.equal(0)
      // Rebuilt: the next run uses it again.
      const next = await warm(root)
      expect(next.cache.stats.hits + next.cache.stats.verified).to.be.greaterThan(0)
      expect(next.list).to.deep.equal(expected)
    })
  }

  it('a cache copied to another copy of the repository is used there only where the content is the same', async () => {
    const root = exampleRepo()
    await warm(root)
    const other = exampleRepo()
    rmSync(join(other, 'feeds/kraken.yaml'))
    const env = join(other, 'environments/kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('feed: kalshi', 'feed: kalsh'))
    copyFileSync(join(cacheDir(root), 'documents.bin'), join(other, '.ssmd-cache-copy'))
    // Same relative paths, different inodes and times: no stat data match, the content decides.
    mkdirSync(cacheDir(other), { recursive: true })
    renameSync(join(other, '.ssmd-cache-copy'), join(cacheDir(other), 'documents.bin'))
    const { list, cache } = await warm(other)
    expect(cache.stats.hits).to.equal(0)
    expect(cache.stats.misses).to.equal(1)
    expect(cache.stats.content).to.equal(documents(other).length) // + ssmd.yaml, − the edited environment
    expect(list).to.deep.equal(await cold(other))
    expect(list.join('\n')).to.include('kalsh')
  })

  it('a cache restored into a fresh clone (--cache-location) is used by content, definitions included, and gives the findings of a cold run (slow)', async () => {
    const first = exampleRepo({ git: true })
    withImport(first)
    const env = join(first, 'environments/kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('type: memory', 'type: memory\n  url: redis://localhost'))
    git(first, 'add', '-A')
    git(first, 'commit', '-q', '-m', 'findings to keep')
    const location = join(tempDir(), 'ci-cache')
    await sleep(2600)
    await warm(first, { location })
    expect(existsSync(join(first, '.ssmd', 'cache'))).to.equal(false)
    const clone = join(tempDir(), 'clone')
    git(first, 'clone', '-q', first, clone)
    const expected = await cold(clone)
    expect(expected.join('\n')).to.include('"rule":"env/cache"')
    const restored = await warm(clone, { location })
    expect(definitionCache(lastWorkspace!).reused).to.equal(3)
    expect(restored.list).to.deep.equal(expected)
    expect(restored.cache.stats).to.deep.equal({ hits: 0, verified: 0, content: documents(clone).length + 1, misses: 0, indexed: 0 })
    // An imported file that differs in the clone: the definitions that import it are parsed again.
    const common = join(clone, 'schemas/common.capnp')
    writeFileSync(common, readFileSync(common, 'utf8').replace('struct Money', 'struct Cash'))
    const changed = await warm(clone, { location, strategy: 'content' })
    expect(definitionCache(lastWorkspace!).reused).to.equal(2)
    expect(changed.list).to.deep.equal(await cold(clone))
    expect(changed.list.join('\n')).to.include('Money')
  })

  /**
   * A committed example repository whose cache (at `location`, written once its
   * files settled) a fresh clone restores; the clone's index is refreshed as
   * `git status` would, `settle` ms after the checkout.
   */
  async function cloneWithCache(settle: number): Promise<{ clone: string; location: string }> {
    const first = exampleRepo({ git: true })
    const location = join(tempDir(), 'ci-cache')
    await sleep(2600)
    await warm(first, { location, indexAfter: 0 })
    const clone = join(tempDir(), 'clone')
    git(first, 'clone', '-q', first, clone)
    await sleep(settle)
    git(clone, 'update-index', '-q', '--refresh')
    return { clone, location }
  }

  it("a fresh clone with a restored cache reads no document whose blob id git's index proves, and reads every other one", async () => {
    // Files written in the same clock tick as the index are racily clean and get read; refreshed as `git status` would, none is.
    const { clone, location } = await cloneWithCache(50)
    const { result: restored, paths: opened } = await fsCalls('openSync', () => warm(clone, { location, indexAfter: 0 }))
    expect(restored.cache.stats).to.deep.equal({ hits: 0, verified: 0, content: 0, indexed: documents(clone).length + 1, misses: 0 })
    // Definition files and the secret scan's files are known by the index too: no file of the clone is opened.
    expect(definitionCache(lastWorkspace!).reused).to.equal(3)
    expect(opened.filter(p => p.startsWith(clone) && !p.startsWith(join(clone, '.git')))).to.deep.equal([])
    expect(restored.list).to.deep.equal(await cold(clone))
    // Changed in the work tree, staged and not: the index does not prove them, so they are read.
    const env = join(clone, 'environments/kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('type: memory', 'type: memory\n  url: redis://localhost'))
    const feed = join(clone, 'feeds/kalshi.yaml')
    writeFileSync(feed, readFileSync(feed, 'utf8').replace('type: websocket', 'type: nope'))
    git(clone, 'add', 'feeds/kalshi.yaml')
    writeFileSync(join(clone, 'feeds/extra.yaml'), readFileSync(feed, 'utf8').replace('name: kalshi', 'name: extra'))
    const changed = await warm(clone, { location, indexAfter: 0 })
    expect(changed.cache.stats.misses).to.equal(3)
    expect(changed.cache.stats.indexed).to.equal(documents(clone).length + 1 - 3)
    expect(changed.list).to.deep.equal(await cold(clone))
    expect(changed.list.join('\n')).to.include('"rule":"env/cache"').and.to.include('feeds/extra.yaml')
  })

  it("is not rewritten for new stat data alone where git's index proves the entries; a write for another reason takes them", async () => {
    // A settled checkout (as in most CI jobs): its new stat data could be kept.
    const { clone, location } = await cloneWithCache(2600)
    const written = readFileSync(join(location, 'documents.bin'))
    const all = documents(clone).length + 1
    for (let run = 0; run < 2; run++) {
      const restored = await warm(clone, { location, indexAfter: 0 })
      expect(restored.cache.stats).to.deep.equal({ hits: 0, verified: 0, content: 0, indexed: all, misses: 0 })
      expect(definitionCache(lastWorkspace!).reused).to.equal(3)
      expect(readFileSync(join(location, 'documents.bin')).equals(written)).to.equal(true)
    }
    // One file changed: the cache is written, with every entry's new stat data.
    const feed = join(clone, 'feeds/kalshi.yaml')
    writeFileSync(feed, `${readFileSync(feed, 'utf8')}# edited\n`)
    await sleep(2600)
    expect((await warm(clone, { location, indexAfter: 0 })).cache.stats).to.deep.include({ misses: 1, indexed: all - 1 })
    const after = await warm(clone, { location, indexAfter: 0 })
    expect(after.cache.stats).to.deep.equal({ hits: all, verified: 0, content: 0, indexed: 0, misses: 0 })
    expect(after.list).to.deep.equal(await cold(clone))
  })

  it('is not rewritten for the new stat data of no more files read and hashed than a run reads before it opens the index', async () => {
    const root = exampleRepo()
    await sleep(2600)
    await warm(root, { indexAfter: 2 })
    const cacheFile = join(cacheDir(root), 'documents.bin')
    const written = readFileSync(cacheFile)
    const earlier = new Date(Date.now() - 60_000)
    const touched = documents(root).slice(0, 3)
    for (const file of touched.slice(0, 2)) utimesSync(join(root, file), earlier, earlier)
    // Settled (ctime too), so that their new stat data could be kept.
    await sleep(2600)
    for (let run = 0; run < 2; run++) {
      expect((await warm(root, { indexAfter: 2 })).cache.stats).to.deep.include({ content: 2, misses: 0 })
      expect(readFileSync(cacheFile).equals(written)).to.equal(true)
    }
    // One more: the next run would read more than that, so the cache is written with the new stat data.
    utimesSync(join(root, touched[2]), earlier, earlier)
    await sleep(2600)
    expect((await warm(root, { indexAfter: 2 })).cache.stats).to.deep.include({ content: 3, misses: 0 })
    expect(readFileSync(cacheFile).equals(written)).to.equal(false)
    const after = await warm(root, { indexAfter: 2 })
    expect(after.cache.stats).to.deep.include({ hits: documents(root).length + 1, content: 0, misses: 0 })
    expect(after.list).to.deep.equal(await cold(root))
  })

  it("--cache-location and SSMD_CACHE_LOCATION: a folder of the user's, created when missing; anything else is refused", () => {
    const root = exampleRepo()
    const base = tempDir()
    expect(cacheLocation(root)).to.equal(cacheDir(root))
    expect(cacheLocation(root, undefined, { SSMD_CACHE_LOCATION: '' })).to.equal(cacheDir(root))
    expect(cacheLocation(root, 'c', {}, base)).to.equal(join(base, 'c'))
    expect(cacheLocation(root, undefined, { SSMD_CACHE_LOCATION: join(base, 'env') })).to.equal(join(base, 'env'))
    // The flag wins over the variable.
    expect(cacheLocation(root, join(base, 'flag'), { SSMD_CACHE_LOCATION: join(base, 'env') })).to.equal(join(base, 'flag'))
    writeFileSync(join(base, 'file'), 'x')
    expect(() => cacheLocation(root, join(base, 'file'), {})).to.throw(/^--cache-location .*file: not a folder; name a folder/)
    expect(() => cacheLocation(root, undefined, { SSMD_CACHE_LOCATION: join(base, 'file') })).to.throw(/^SSMD_CACHE_LOCATION .*file: not a folder/)
    const shared = join(base, 'shared')
    mkdirSync(shared)
    chmodSync(shared, 0o777)
    expect(() => cacheLocation(root, shared, {})).to.throw(/writable by every user; use a folder of your own/)
  })

  it('keeps .ssmd/ out of git, and `ssmd cache clear` / --no-cache behave (built CLI)', () => {
    const root = exampleRepo({ git: true })
    rmSync(join(root, '.ssmd'), { recursive: true, force: true })
    git(root, 'add', '-A')
    git(root, 'commit', '-q', '-m', 'no local folder', '--allow-empty')
    const noCache = ssmdProcess(['validate', '--no-cache'], { cwd: root })
    expect(noCache.code).to.equal(0)
    expect(existsSync(cacheDir(root))).to.equal(false)
    const first = ssmdProcess(['validate', '--json'], { cwd: root })
    expect(first.code).to.equal(0)
    expect(existsSync(join(cacheDir(root), 'documents.bin'))).to.equal(true)
    expect(git(root, 'status', '--porcelain', '--untracked-files=all')).to.equal('')
    const second = ssmdProcess(['validate', '--json'], { cwd: root })
    expect(JSON.parse(second.stdout)).to.deep.equal(JSON.parse(first.stdout))
    const cleared = ssmdProcess(['cache', 'clear', '--json'], { cwd: root })
    expect(cleared.code).to.equal(0)
    expect(JSON.parse(cleared.stdout)).to.deep.equal({ cleared: true, path: '.ssmd/cache' })
    expect(existsSync(cacheDir(root))).to.equal(false)
    expect(clearCache(root)).to.equal(false)
  })

  it('CI: a fresh `git clone` with the cache restored through --cache-location reports exactly what --no-cache reports, from the cache (built CLI)', () => {
    const first = exampleRepo({ git: true })
    const env = join(first, 'environments/kalshi-dev.yaml')
    writeFileSync(env, readFileSync(env, 'utf8').replace('type: memory', 'type: memory\n  url: redis://localhost'))
    writeFileSync(join(first, 'feeds/kraken.yaml'), readFileSync(join(first, 'feeds/kraken.yaml'), 'utf8').replace(/status: active/, 'status: nope'))
    git(first, 'add', '-A')
    git(first, 'commit', '-q', '-m', 'findings to keep')
    const ciCache = join(tempDir(), 'ci-cache')
    const filled = ssmdProcess(['validate', '--format', 'json', '--cache-location', ciCache], { cwd: first })
    expect(filled.code).to.equal(1)
    expect(existsSync(join(ciCache, 'documents.bin'))).to.equal(true)
    expect(existsSync(join(first, '.ssmd', 'cache'))).to.equal(false)
    // A new checkout: new inodes, new times; the CI restores its cache folder.
    const clone = join(tempDir(), 'clone')
    git(first, 'clone', '-q', first, clone)
    const expected = ssmdProcess(['validate', '--format', 'json', '--no-cache'], { cwd: clone })
    expect(expected.code).to.equal(1)
    expect(JSON.parse(expected.stdout).findings.map((f: { rule: string }) => f.rule)).to.include.members(['env/cache'])
    const restored = ssmdProcess(['validate', '--format', 'json', '-v'], { cwd: clone, env: { SSMD_CACHE_LOCATION: ciCache } })
    expect(restored.code).to.equal(1)
    expect(JSON.parse(restored.stdout)).to.deep.equal(JSON.parse(expected.stdout))
    const files = documents(clone).length + 1
    expect(restored.stderr).to.include(`cache (metadata, ${ciCache}): 0 files unchanged by stat data, 0 by git's index, ${files} by content, 0 read anew;`)
    // The content strategy agrees, and a file changed in the clone is read anew.
    writeFileSync(join(clone, 'feeds/polymarket.yaml'), readFileSync(join(clone, 'feeds/polymarket.yaml'), 'utf8') + '# edited\n')
    const edited = ssmdProcess(['validate', '--format', 'json', '-v', '--cache-strategy', 'content', '--cache-location', ciCache], { cwd: clone })
    expect(JSON.parse(edited.stdout)).to.deep.equal(JSON.parse(ssmdProcess(['validate', '--format', 'json', '--no-cache'], { cwd: clone }).stdout))
    expect(edited.stderr).to.include(`cache (content, ${ciCache}): 0 files unchanged by stat data, 0 by git's index, ${files - 1} by content, 1 read anew;`)
    // Nothing was written into the clone, and `cache clear` removes the cache file where it is kept.
    expect(git(clone, 'status', '--porcelain', '--untracked-files=all', '--ignored')).to.equal(' M feeds/polymarket.yaml\n')
    const cleared = ssmdProcess(['cache', 'clear', '--json', '--cache-location', ciCache], { cwd: clone })
    expect(JSON.parse(cleared.stdout)).to.deep.equal({ cleared: true, path: ciCache })
    expect(existsSync(join(ciCache, 'documents.bin'))).to.equal(false)
    expect(existsSync(ciCache)).to.equal(true)
  })

  it('refuses a --cache-location that is not a folder, in one line with exit code 2 (built CLI)', () => {
    const root = exampleRepo()
    const notFolder = join(root, 'feeds/kalshi.yaml')
    const bad = ssmdProcess(['validate', '--cache-location', notFolder], { cwd: root })
    expect(bad.code).to.equal(2)
    expect(bad.stderr.trim().split('\n')).to.deep.equal([
      `Error: --cache-location ${notFolder}: not a folder; name a folder (created when missing) to keep the validation cache in`,
    ])
    const fromEnv = ssmdProcess(['validate'], { cwd: root, env: { SSMD_CACHE_LOCATION: notFolder } })
    expect(fromEnv.code).to.equal(2)
    expect(fromEnv.stderr).to.include('SSMD_CACHE_LOCATION')
    expect(readFileSync(notFolder, 'utf8')).to.equal(readFileSync(join(FIXTURES, '..', '..', 'examples/market-data/feeds/kalshi.yaml'), 'utf8'))
  })

  it('two validations writing the cache at once leave a usable cache (built CLI)', async () => {
    const root = exampleRepo()
    writeFileSync(join(root, 'environments/kalshi-dev.yaml'), readFileSync(join(root, 'environments/kalshi-dev.yaml'), 'utf8').replace('feed: kalshi', 'feed: kalsh'))
    const expected = await cold(root)
    const { spawn } = await import('node:child_process')
    const { BUILT_BIN } = await import('../helpers/cli.js')
    const run = () =>
      new Promise<number>(resolve => {
        const p = spawn(process.execPath, [BUILT_BIN, 'validate', '-q'], { cwd: root, stdio: 'ignore' })
        p.on('exit', code => resolve(code ?? -1))
      })
    const codes = await Promise.all([run(), run(), run()])
    expect(codes).to.deep.equal([1, 1, 1])
    await sleep(10)
    const { list } = await warm(root)
    expect(list).to.deep.equal(expected)
  })
})
