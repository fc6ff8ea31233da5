import type { SsmdDocument } from '../../workspace/document.js'
import type { CheckContext } from '../types.js'
import { checkContractNow, type ContractFinding } from '../contract.js'

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

const pending = new WeakMap<SsmdDocument, Promise<ContractFinding[]>>()

/** Contract violations of a document, computed once and shared by the rules that own them. */
export function contractOf(doc: SsmdDocument): Promise<ContractFinding[]> {
  return Promise.resolve(contractNow(doc))
}

/**
 * contractOf, without a promise when the result is at hand (the common case).
 * The result depends on the document's content alone, so it is memoised on the
 * document, where the validation cache keeps it between runs.
 */
function contractNow(doc: SsmdDocument): ContractFinding[] | Promise<ContractFinding[]> {
  const known = doc.memo.contract as ContractFinding[] | undefined
  if (known !== undefined) return known
  const waiting = pending.get(doc)
  if (waiting) return waiting
  const c = doc.problem ? [] : checkContractNow(doc)
  if (Array.isArray(c)) {
    doc.memo.contract = c
    return c
  }
  pending.set(doc, c)
  void c.then(list => { doc.memo.contract = list }, () => undefined)
  return c
}

/** Runs `fn` with the document's contract violations: synchronously when they are at hand. */
export function withContract(doc: SsmdDocument, fn: (contract: ContractFinding[]) => void): void | Promise<void> {
  const c = contractNow(doc)
  return Array.isArray(c) ? fn(c) : c.then(fn)
}

/** Reports the contract violations that belong to `rule`. */
export function shareContract(contract: ContractFinding[], ctx: CheckContext, rule: string): void {
  for (const f of contract) if (f.rule === rule) ctx.report({ message: f.message, path: f.path, at: f.at })
}

/** Reports the contract violations of a document that belong to `rule`. */
export function reportContractShare(doc: SsmdDocument, ctx: CheckContext, rule: string): void | Promise<void> {
  return withContract(doc, contract => shareContract(contract, ctx, rule))
}

const escapeSegment = (s: string) => (s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s)

/**
 * Calls `fn` for every string value of a document, depth first in key order,
 * with the key it sits under; `path()` builds its JSON Pointer, which only a
 * finding needs (building it for every string of every document is most of the cost).
 */
export function eachString(data: unknown, fn: (value: string, key: string, path: () => string) => void): void {
  const segments: string[] = []
  const path = () => {
    let out = ''
    for (const s of segments) out += `/${escapeSegment(s)}`
    return out
  }
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') fn(node, key, path)
    else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        segments.push(String(i))
        walk(node[i], key)
        segments.pop()
      }
    } else if (isObj(node)) {
      for (const k of Object.keys(node)) {
        segments.push(k)
        walk(node[k], k)
        segments.pop()
      }
    }
  }
  walk(data, '')
}
