import type { SsmdDocument } from '../../lib/workspace/document.js'
import type { CheckContext } from '../../lib/validate/types.js'
import { checkContract, type ContractFinding } from '../../lib/validate/contract.js'

export type Obj = Record<string, unknown>
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** The list at `key` with each item's index, skipping items that are not mappings. */
export function items(data: unknown, key: string): Array<[Obj, number]> {
  const list = isObj(data) ? data[key] : undefined
  if (!Array.isArray(list)) return []
  const out: Array<[Obj, number]> = []
  list.forEach((v, i) => {
    if (isObj(v)) out.push([v, i])
  })
  return out
}

const contractCache = new WeakMap<SsmdDocument, Promise<ContractFinding[]>>()

/** Contract violations of a document, computed once and shared by the rules that own them. */
export function contractOf(doc: SsmdDocument): Promise<ContractFinding[]> {
  let p = contractCache.get(doc)
  if (!p) {
    p = doc.problem ? Promise.resolve([]) : checkContract(doc)
    contractCache.set(doc, p)
  }
  return p
}

/** Reports the contract violations that belong to `rule`. */
export async function reportContractShare(doc: SsmdDocument, ctx: CheckContext, rule: string): Promise<void> {
  for (const f of await contractOf(doc)) if (f.rule === rule) ctx.report({ message: f.message, path: f.path, at: f.at })
}

/** Every string value of a document with its JSON Pointer and the key it sits under. */
export function* strings(data: unknown, path = '', key = ''): Generator<[string, string, string]> {
  if (typeof data === 'string') yield [data, path, key]
  else if (Array.isArray(data)) for (let i = 0; i < data.length; i++) yield* strings(data[i], `${path}/${i}`, key)
  else if (isObj(data)) for (const [k, v] of Object.entries(data)) yield* strings(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, k)
}
