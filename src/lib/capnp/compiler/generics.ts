/**
 * Generics: brand chains (which generic scopes a reference binds or inherits) and the rewriting of
 * types through those bindings, as capnp's generics.c++ does. Pure functions over symbols.ts's types.
 */
import { hexId } from '../ids.js'
import type { CapnpBrand, CapnpType } from '../model.js'
import { NODE_SCOPES, type Level, type Sym } from './symbols.js'

/** The brand chain of the scope being compiled: every enclosing node, parameters inherited. */
export function ctxChain(scope: Sym): Level[] {
  const out: Level[] = []
  for (let s: Sym | undefined = scope; s; s = s.parent) {
    if (!NODE_SCOPES.has(s.kind)) continue
    out.push({ id: s.id, pc: s.genericParams?.length ?? 0, inherited: true })
  }
  return out
}

/** The part of `chain` from `scope` outwards; a fresh root when `scope` is not on it. */
export function popTo(chain: Level[], scope: Sym): Level[] {
  let s: Sym | undefined = scope
  while (s && !NODE_SCOPES.has(s.kind)) s = s.parent
  if (!s) return []
  const id = s.id
  const i = chain.findIndex(l => l.id === id)
  return i >= 0 ? chain.slice(i) : [{ id, pc: 0, inherited: false }]
}

/** Levels of an alias's brand that inherit from a scope take that scope's state in `access`. */
export function rebaseChain(chain: Level[], access: Level[]): Level[] {
  return chain.map(l => {
    if (!l.inherited || (l.params && l.params.length)) return l
    const a = access.find(x => x.id === l.id)
    return a ? { ...l, inherited: a.inherited, params: a.params } : l
  })
}

export function pushLevel(chain: Level[], m: Sym): Level[] {
  return [{ id: m.id, pc: m.genericParams?.length ?? 0, inherited: false }, ...chain]
}

/** Brand of a type reference: its scopes that bind parameters or inherit them, leaf first. */
export function compileBrand(chain: Level[]): CapnpBrand | undefined {
  const scopes: CapnpBrand['scopes'] = []
  for (const l of chain) {
    if (l.params && l.params.length) scopes.push({ scopeId: hexId(l.id), bind: l.params })
    else if (l.inherited && l.pc > 0) scopes.push({ scopeId: hexId(l.id), inherit: true })
  }
  return scopes.length ? { scopes } : undefined
}

/**
 * Rewrites the parameters of a type, keeping shared parts shared (one rewrite per distinct
 * object), so the work stays linear in the distinct parts however large the written-out type is.
 */
function rewriteType(t: CapnpType, leaf: (t: CapnpType) => CapnpType | undefined): CapnpType {
  const done = new Map<CapnpType, CapnpType>()
  const go = (x: CapnpType): CapnpType => {
    const seen = done.get(x)
    if (seen) return seen
    let out = leaf(x)
    if (out === undefined) {
      if (x.kind === 'List') out = { kind: 'List', element: go(x.element) }
      else if (x.kind === 'struct' || x.kind === 'interface' || x.kind === 'enum') {
        const o = { ...x }
        if (x.args) o.args = x.args.map(go)
        if (x.brand) o.brand = { scopes: x.brand.scopes.map(s => (s.bind ? { ...s, bind: s.bind.map(go) } : s)) }
        out = o
      } else out = x
    }
    done.set(x, out)
    return out
  }
  return go(t)
}

export function substChain(t: CapnpType, chain: Level[]): CapnpType {
  if (t.kind === 'param') {
    const l = chain.find(x => hexId(x.id) === t.scopeId)
    return l?.params?.[t.index] ?? t
  }
  if (t.kind === 'List') return { kind: 'List', element: substChain(t.element, chain) }
  return t
}

export function substParams(t: CapnpType, owner: string, args: CapnpType[]): CapnpType {
  return rewriteType(t, x => (x.kind === 'param' && x.scopeId === owner ? (args[x.index] ?? x) : undefined))
}

/** `inherit` brand scopes of `owner` in `t` bound to `args` (inherit means each parameter bound to itself). */
export function bindInherited(t: CapnpType, owner: string, args: CapnpType[]): CapnpType {
  return rewriteType(t, x => {
    if ((x.kind !== 'struct' && x.kind !== 'interface' && x.kind !== 'enum') || !x.brand?.scopes.some(s => s.inherit && s.scopeId === owner)) return undefined
    return { ...x, brand: { scopes: x.brand.scopes.map(s => (s.inherit && s.scopeId === owner ? { scopeId: s.scopeId, bind: args } : s)) } }
  })
}

export function bindImplicit(t: CapnpType, scopeId: string): CapnpType {
  return rewriteType(t, x => (x.kind === 'implicit' ? { kind: 'param', scopeId, index: x.index, name: x.name } : undefined))
}
