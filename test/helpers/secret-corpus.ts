// The synthetic secrets of test/fixtures/secrets/corpus.json, and what of each must never be printed.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIXTURES } from './repo.js'

export interface CorpusEntry {
  id: string
  provider: string
  value: string
  where?: string
  secret?: string
}

export const CORPUS = (JSON.parse(readFileSync(join(FIXTURES, 'secrets', 'corpus.json'), 'utf8')) as { entries: CorpusEntry[] }).entries

/** The value of one corpus entry. */
export const entry = (id: string): string => CORPUS.find(e => e.id === id)!.value

/** The strings that must never appear in output for one corpus entry. */
export function needles(e: CorpusEntry): string[] {
  if (e.secret !== undefined) return [e.secret]
  const v = e.value
  const out = [v]
  // Private keys (also inside a key file): every body line; a key file: its key id too.
  const body = v.split(/\n|\\n/).filter(line => /^[A-Za-z0-9+/=]{24,}$/.test(line))
  for (const line of body) out.push(line.slice(0, 24))
  const id = /"private_key_id": "([0-9a-f]+)"/.exec(v)?.[1]
  if (id) out.push(id)
  // Tokens: the random middle, whatever prefix a mask keeps.
  if (body.length === 0 && !id && v.length >= 20) out.push(v.slice(Math.floor(v.length / 2) - 6, Math.floor(v.length / 2) + 6))
  return out
}
