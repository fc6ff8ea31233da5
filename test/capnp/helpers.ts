import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkCapnpSource, type CapnpLoadResult } from '../../src/lib/capnp/index.js'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const corpusDir = path.resolve(projectRoot, 'test/fixtures/corpus/capnproto')
export const validDir = path.join(corpusDir, 'valid')
export const invalidDir = path.join(corpusDir, 'invalid')
export const tradeFile = path.resolve(projectRoot, 'test/fixtures/corpus/ssmd-original/capnp/trade.capnp')
export const fixturesDir = path.join(projectRoot, 'test/fixtures/capnp')

/** Loads a corpus file; embeds under testdata/ (not shipped in the corpus) come from fixtures. */
export function loadCorpus(dir: string, name: string): CapnpLoadResult {
  const abs = path.join(dir, name)
  const readImport = (p: string): string | undefined => {
    const rel = path.relative(dir, p)
    const candidates = [p]
    if (rel.startsWith('testdata')) candidates.push(path.join(fixturesDir, rel))
    for (const c of candidates) if (fs.existsSync(c)) return fs.readFileSync(c, 'latin1')
    return undefined
  }
  return checkCapnpSource(fs.readFileSync(abs, 'utf8'), name, { readImport, rootDir: dir, absPath: abs })
}

export function src(body: string, id = '@0xd1c2b3a495867768;'): string {
  return `${id}\n${body}\n`
}

export function check(body: string): CapnpLoadResult {
  return checkCapnpSource(src(body), 'test.capnp')
}
