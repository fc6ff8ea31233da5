/**
 * Structural compare of two versions of a Cap'n Proto file, classifying each change per the
 * "Evolving Your Protocol" rules: compatible, breaking or info.
 */
import type { CapnpField, CapnpLit, CapnpLocation, CapnpModel, CapnpNode, CapnpType } from './model.js'
import { typeKey, typeToString } from './model.js'
import type { SchemaChange } from '../core/schema-change.js'

/** A change found by the Cap'n Proto compare (the format-neutral shape every comparator returns). */
export type CapnpChange = SchemaChange

const NOTE_MOVED = 'not fully forwards-compatible: old readers see the field outside the new group/union'
const NOTE_LIST = 'changes the canonical encoding of the list'
const noteBound = (param: string, was: string): string => `compatible as long as every user of the type binds ${param} to ${was}`

interface FlatField {
  field: CapnpField
  ordinal: number
  /** enclosing groups/unions from the struct down, e.g. `union:`, `group:g`, `union:u` */
  chain: Array<{ kind: 'group' | 'union'; name: string }>
}

type NodeIndex = Map<string, CapnpNode>

/** What the compare of two files knows: both files' nodes, and every binding of the newer file's generic parameters. */
interface Cmp {
  oldById: NodeIndex
  newById: NodeIndex
  /** `scopeId:index` → the types (bindKey) the newer file binds that parameter to; `AnyPointer` for a use leaving it unbound */
  bindings: Map<string, Set<string>>
}

function loc(l: CapnpLocation): { file: string; line: number; column: number } {
  return { file: l.file, line: l.line, column: l.column }
}

function isTopLevelDecl(n: CapnpNode): boolean {
  return n.kind !== 'file' && !n.isGroup && !n.isParamStruct
}

function flatten(n: CapnpNode, byId: NodeIndex, chain: FlatField['chain'] = []): FlatField[] {
  const out: FlatField[] = []
  for (const f of n.fields ?? []) {
    let c = chain
    if (f.discriminant !== null && !n.isUnion) c = [...chain, { kind: 'union', name: '' }]
    if (f.groupId) {
      const g = byId.get(f.groupId)
      if (g) out.push(...flatten(g, byId, [...c, { kind: f.groupKind ?? 'group', name: f.name }]))
    } else if (f.ordinal !== null) {
      out.push({ field: f, ordinal: f.ordinal, chain: c })
    }
  }
  return out
}

function chainKey(c: FlatField['chain']): string {
  return c.map(x => `${x.kind}:${x.name}`).join('/')
}

function chainText(c: FlatField['chain']): string {
  if (c.length === 0) return 'the struct body'
  return c.map(x => (x.name ? `${x.kind} '${x.name}'` : 'the unnamed union')).join(' > ')
}

/**
 * Members (fields, enumerants, methods) that kept their name but changed their number. A rename
 * keeps the number; a member whose name now sits at another number was renumbered, which moves it
 * on the wire. Returns old numbers whose renames are explained by a renumbering.
 */
function renumbered<T extends CapnpLocation & { name: string }>(
  olds: Array<{ item: T; ordinal: number }>,
  news: Array<{ item: T; ordinal: number }>,
  what: string,
  scope: string,
  add: Add,
): Set<number> {
  const newByName = new Map(news.map(x => [x.item.name, x]))
  const oldByName = new Map(olds.map(x => [x.item.name, x]))
  const explained = new Set<number>()
  for (const a of olds) {
    const b = newByName.get(a.item.name)
    if (!b || b.ordinal === a.ordinal) continue
    add('breaking', `${what}-renumbered`, `${what} ${scope}.${a.item.name} renumbered from @${a.ordinal} to @${b.ordinal}`, `${scope}.${a.item.name}`, b.item)
    explained.add(a.ordinal)
    explained.add(b.ordinal)
  }
  // a number whose new holder was renumbered into it is not a rename either
  for (const b of news) if (oldByName.get(b.item.name) && oldByName.get(b.item.name)?.ordinal !== b.ordinal) explained.add(b.ordinal)
  return explained
}

/** Compares `older` with `newer`; every change is reported once. */
export function compareCapnp(older: CapnpModel, newer: CapnpModel): CapnpChange[] {
  const changes: CapnpChange[] = []
  const oldById: NodeIndex = new Map(older.nodes.map(n => [n.id, n]))
  const newById: NodeIndex = new Map(newer.nodes.map(n => [n.id, n]))
  const cmp: Cmp = { oldById, newById, bindings: bindingsOf(newer, newById) }
  const newByPath = new Map(newer.nodes.filter(isTopLevelDecl).map(n => [n.path, n]))
  const add = (severity: CapnpChange['severity'], kind: string, message: string, p: string, at: CapnpLocation, note?: string): void => {
    const c: CapnpChange = { severity, kind, message, path: p, ...loc(at) }
    if (note) c.note = note
    changes.push(c)
  }

  const oldFile = older.nodes.find(n => n.kind === 'file')
  const newFile = newer.nodes.find(n => n.kind === 'file')
  if (older.fileId !== newer.fileId && newFile) {
    add('breaking', 'file-id-changed', `file id changed from @${older.fileId} to @${newer.fileId}`, '', newFile)
  }
  void oldFile

  const matched = new Set<string>()
  for (const o of older.nodes) {
    if (!isTopLevelDecl(o)) continue
    let n: CapnpNode | undefined
    if (o.explicitId) {
      const byId = newById.get(o.id)
      if (byId && isTopLevelDecl(byId)) n = byId
    }
    if (!n) n = newByPath.get(o.path)
    if (!n || matched.has(n.id + '|' + n.path)) {
      add('breaking', `${o.kind}-removed`, `${o.kind} ${o.path} removed${o.explicitId ? '' : ' (renaming or moving a type without an explicit id changes its id)'}`, o.path, o)
      continue
    }
    matched.add(n.id + '|' + n.path)
    if (n.path !== o.path) {
      add('info', 'renamed', `${o.kind} ${o.path} renamed or moved to ${n.path} (explicit id @${o.id} unchanged; JSON transcoding sees names)`, n.path, n)
    }
    if (n.kind !== o.kind) {
      add('breaking', 'kind-changed', `${o.path} changed from ${o.kind} to ${n.kind}`, n.path, n)
      continue
    }
    if (n.id !== o.id) {
      add('breaking', 'id-changed', `${o.kind} ${o.path} id changed from @${o.id} to @${n.id}`, n.path, n)
    }
    compareGenerics(o, n, add)
    switch (o.kind) {
      case 'struct':
        compareStruct(o, n, cmp, add)
        break
      case 'enum':
        compareEnum(o, n, add)
        break
      case 'interface':
        compareInterface(o, n, cmp, add)
        break
      case 'const':
        if (o.type && n.type && typeKey(o.type) !== typeKey(n.type)) {
          add('breaking', 'const-type-changed', `const ${n.path} type changed from ${typeToString(o.type)} to ${typeToString(n.type)}`, n.path, n)
        } else if (o.value !== n.value) {
          add('breaking', 'const-value-changed', `const ${n.path} value changed from ${o.value ?? '?'} to ${n.value ?? '?'}`, n.path, n)
        }
        break
      case 'annotation':
        if (o.type && n.type && typeKey(o.type) !== typeKey(n.type)) {
          add('breaking', 'annotation-type-changed', `annotation ${n.path} type changed from ${typeToString(o.type)} to ${typeToString(n.type)}`, n.path, n)
        }
        if ((o.targets ?? []).join(',') !== (n.targets ?? []).join(',')) {
          const removed = (o.targets ?? []).filter(t => !(n.targets ?? []).includes(t) && !(n.targets ?? []).includes('*'))
          add(
            removed.length ? 'breaking' : 'compatible',
            'annotation-targets-changed',
            `annotation ${n.path} targets changed from (${(o.targets ?? []).join(', ')}) to (${(n.targets ?? []).join(', ')})`,
            n.path,
            n,
          )
        }
        break
      default:
        break
    }
  }
  const matchedNew = new Set([...matched].map(k => k.split('|')[0]))
  for (const n of newer.nodes) {
    if (!isTopLevelDecl(n) || matchedNew.has(n.id)) continue
    add('compatible', `${n.kind}-added`, `${n.kind} ${n.path} added`, n.path, n)
  }
  return changes
}

type Add = (severity: CapnpChange['severity'], kind: string, message: string, p: string, at: CapnpLocation, note?: string) => void

function compareGenerics(o: CapnpNode, n: CapnpNode, add: Add): void {
  const a = o.genericParams ?? []
  const b = n.genericParams ?? []
  if (a.join(',') === b.join(',')) return
  if (a.length === 0) add('compatible', 'generic-params-added', `${n.path} became generic (${b.join(', ')})`, n.path, n)
  else if (b.length > a.length && a.every((x, i) => b[i] === x)) {
    add('compatible', 'generic-params-added', `${n.path} type parameters added: ${b.slice(a.length).join(', ')}`, n.path, n)
  } else if (a.length === b.length) {
    add('compatible', 'generic-params-renamed', `${n.path} type parameters renamed (${a.join(', ')}) -> (${b.join(', ')})`, n.path, n)
  } else {
    add('breaking', 'generic-params-changed', `${n.path} type parameters changed from (${a.join(', ')}) to (${b.join(', ')})`, n.path, n)
  }
}

/** A type with its generic bindings (typeKey leaves out the bindings of enclosing scopes). */
function bindKey(t: CapnpType): string {
  switch (t.kind) {
    case 'List':
      return `List(${bindKey(t.element)})`
    case 'struct':
    case 'enum':
    case 'interface': {
      const scopes = t.brand?.scopes ?? []
      if (!scopes.length) return t.args?.length ? `${t.kind}:${t.id}(${t.args.map(bindKey).join(',')})` : `${t.kind}:${t.id}`
      return `${t.kind}:${t.id}<${scopes.map(sc => `${sc.scopeId}${sc.inherit ? '*' : `(${(sc.bind ?? []).map(bindKey).join(',')})`}`).join(';')}>`
    }
    default:
      return typeKey(t)
  }
}

/** A node and the nodes enclosing it, innermost first. */
function scopesOf(id: string, byId: NodeIndex): CapnpNode[] {
  const out: CapnpNode[] = []
  for (let n = byId.get(id); n && out.length < 256; n = byId.get(n.scopeId)) out.push(n)
  return out
}

/** Every type a file binds each generic parameter to, wherever the file names a generic type. */
function bindingsOf(model: CapnpModel, byId: NodeIndex): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  const bind = (scopeId: string, index: number, t: string): void => {
    const k = `${scopeId}:${index}`
    const set = out.get(k)
    if (set) set.add(t)
    else out.set(k, new Set([t]))
  }
  const visit = (t: CapnpType | undefined, from: Set<string>): void => {
    if (!t) return
    if (t.kind === 'List') return visit(t.element, from)
    if (t.kind !== 'struct' && t.kind !== 'enum' && t.kind !== 'interface') return
    for (const sc of t.brand?.scopes ?? []) for (const b of sc.bind ?? []) visit(b, from)
    for (const a of t.args ?? []) visit(a, from)
    for (const scope of scopesOf(t.id, byId)) {
      const params = scope.genericParams ?? []
      if (!params.length) continue
      const sc = t.brand?.scopes.find(x => x.scopeId === scope.id)
      // inside the generic type itself, an unbound use means its own parameters
      if (sc?.inherit || (!sc && from.has(scope.id))) continue
      params.forEach((_, i) => bind(scope.id, i, sc?.bind?.[i] ? bindKey(sc.bind[i]) : 'AnyPointer'))
    }
  }
  for (const n of model.nodes) {
    const from = new Set(scopesOf(n.id, byId).map(x => x.id))
    for (const f of n.fields ?? []) visit(f.type, from)
    visit(n.type, from)
  }
  return out
}

type TypeVerdict = 'same' | 'list-upgrade' | 'generic' | 'changed'

/**
 * How a slot's type changed. Besides the list upgrade, the rules allow making a type generic:
 * a use gaining bindings for parameters the type did not have, and a type in the body replaced
 * by a new parameter that every use binds to the type it replaced.
 */
function typeCompat(o: CapnpType, n: CapnpType, cmp: Cmp): TypeVerdict {
  if (bindKey(o) === bindKey(n)) return 'same'
  if (n.kind === 'param') {
    const oldParams = cmp.oldById.get(n.scopeId)?.genericParams ?? []
    const bound = cmp.bindings.get(`${n.scopeId}:${n.index}`)
    const was = o.kind === 'param' ? undefined : bindKey(o)
    if (was && n.index >= oldParams.length && [...(bound ?? [])].every(b => b === was)) return 'generic'
    return 'changed'
  }
  if (o.kind === 'List' && n.kind === 'List') {
    const inner = typeCompat(o.element, n.element, cmp)
    if (inner === 'same' || inner === 'generic') return inner
  }
  if ((o.kind === 'struct' || o.kind === 'interface' || o.kind === 'enum') && o.kind === n.kind && o.id === n.id) {
    // a use inside a type that became generic now inherits its parameters: the same type
    if (!o.brand && (n.brand?.scopes ?? []).every(sc => sc.inherit)) return 'same'
    // each scope keeps the bindings it had; parameters it did not have may be bound to anything
    let same = true
    for (const scope of scopesOf(n.id, cmp.newById)) {
      const oldCount = cmp.oldById.get(scope.id)?.genericParams?.length ?? 0
      if (!oldCount) continue
      const bindsOf = (t: typeof o): string[] => {
        const sc = t.brand?.scopes.find(x => x.scopeId === scope.id)
        if (sc?.inherit) return ['*']
        return Array.from({ length: oldCount }, (_, i) => (sc?.bind?.[i] ? bindKey(sc.bind[i]) : t.id === scope.id && t.args?.[i] ? bindKey(t.args[i]) : 'AnyPointer'))
      }
      if (bindsOf(o).join(',') !== bindsOf(n as typeof o).join(',')) same = false
    }
    if (same) return 'generic'
  }
  if (o.kind === 'List' && n.kind === 'List' && o.element.kind !== 'Bool' && n.element.kind === 'struct') {
    const el = o.element
    const okElement = ['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64', 'Text', 'Data', 'List', 'enum', 'Void'].includes(el.kind)
    const s = cmp.newById.get(n.element.id)
    const f0 = s?.fields?.find(f => f.ordinal === 0)
    if (okElement && f0?.type && typeKey(f0.type) === typeKey(el)) return 'list-upgrade'
  }
  return 'changed'
}

/** Two compiled values the wire carries the same (a float's sign of zero counts; struct fields in any order). */
function sameLit(a: CapnpLit, b: CapnpLit): boolean {
  if (a.k !== b.k) return false
  switch (a.k) {
    case 'float':
      return Object.is(a.v, (b as typeof a).v)
    case 'list': {
      const y = (b as typeof a).items
      return a.items.length === y.length && a.items.every((x, i) => sameLit(x.value, y[i].value))
    }
    case 'struct': {
      const y = new Map((b as typeof a).fields.map(f => [f.name, f.value]))
      return a.id === (b as typeof a).id && a.fields.length === y.size && a.fields.every(f => y.has(f.name) && sameLit(f.value, y.get(f.name)!))
    }
    default:
      return JSON.stringify(a) === JSON.stringify(b)
  }
}

function defaultChanged(o: CapnpField, n: CapnpField): boolean {
  if (o.defaultValue === undefined && n.defaultValue === undefined) return false
  // compiled defaults of one type: `= 0` where there was none, or an enumerant renamed, is the same value
  if (o.defaultLit && n.defaultLit && o.type && n.type && typeKey(o.type) === typeKey(n.type)) return !sameLit(o.defaultLit, n.defaultLit)
  return (o.defaultValue ?? null) !== (n.defaultValue ?? null)
}

function compareFieldPair(o: FlatField, n: FlatField, structPath: string, cmp: Cmp, add: Add, what = 'field', renumbered = false): void {
  const p = `${structPath}.${n.field.name}`
  if (o.field.name !== n.field.name && !renumbered) {
    add('compatible', `${what}-renamed`, `${what} @${o.ordinal} renamed from ${o.field.name} to ${n.field.name}`, p, n.field)
  }
  if (o.field.type && n.field.type) {
    const c = typeCompat(o.field.type, n.field.type, cmp)
    const change = `${what} ${p} @${n.ordinal} type changed from ${typeToString(o.field.type)} to ${typeToString(n.field.type)}`
    if (c === 'changed') {
      add('breaking', `${what}-type-changed`, change, p, n.field)
    } else if (c === 'list-upgrade') {
      add('compatible', 'list-upgraded', `${what} ${p} upgraded from ${typeToString(o.field.type)} to ${typeToString(n.field.type)}`, p, n.field, NOTE_LIST)
    } else if (c === 'generic') {
      const param = n.field.type.kind === 'param' ? n.field.type.name : undefined
      add('compatible', `${what}-type-generic`, change, p, n.field, param ? noteBound(param, typeToString(o.field.type)) : undefined)
    }
  }
  if (defaultChanged(o.field, n.field)) {
    add('breaking', 'default-changed', `${what} ${p} default value changed from ${o.field.defaultValue ?? '(none)'} to ${n.field.defaultValue ?? '(none)'}`, p, n.field)
  }
}

function compareStruct(o: CapnpNode, n: CapnpNode, cmp: Cmp, add: Add): void {
  const { oldById, newById } = cmp
  const of = flatten(o, oldById)
  const nf = flatten(n, newById)
  const oldMax = Math.max(-1, ...of.map(f => f.ordinal))
  const newByOrd = new Map(nf.map(f => [f.ordinal, f]))
  const oldByOrd = new Map(of.map(f => [f.ordinal, f]))
  const oldChains = new Set<string>()
  for (const f of of) for (let i = 1; i <= f.chain.length; i++) oldChains.add(chainKey(f.chain.slice(0, i)))
  // how many existing fields each new container holds
  const existingIn = new Map<string, number>()
  for (const f of nf) {
    if (!oldByOrd.has(f.ordinal)) continue
    for (let i = 1; i <= f.chain.length; i++) {
      const k = chainKey(f.chain.slice(0, i))
      if (!oldChains.has(k)) existingIn.set(k, (existingIn.get(k) ?? 0) + 1)
    }
  }
  const reportedContainers = new Set<string>()
  const moved = renumbered(
    of.map(f => ({ item: f.field, ordinal: f.ordinal })),
    nf.map(f => ({ item: f.field, ordinal: f.ordinal })),
    'field',
    n.path,
    add,
  )
  for (const a of of) {
    const b = newByOrd.get(a.ordinal)
    if (!b) {
      add('breaking', 'field-removed', `field ${o.path}.${a.field.name} @${a.ordinal} removed`, `${o.path}.${a.field.name}`, a.field)
      continue
    }
    compareFieldPair(a, b, n.path, cmp, add, 'field', moved.has(a.ordinal))
    const ka = chainKey(a.chain)
    const kb = chainKey(b.chain)
    if (ka === kb) continue
    const p = `${n.path}.${b.field.name}`
    const sameShape = a.chain.length === b.chain.length && a.chain.every((x, i) => x.kind === b.chain[i].kind)
    if (sameShape && b.chain.every((x, i) => oldChains.has(chainKey(b.chain.slice(0, i + 1))) || x.name !== a.chain[i].name)) {
      // a containing group or union was renamed
      if (b.chain.every((_x, i) => !oldChains.has(chainKey(b.chain.slice(0, i + 1))) || chainKey(b.chain.slice(0, i + 1)) === chainKey(a.chain.slice(0, i + 1)))) {
        const k = `rename:${ka}->${kb}`
        if (!reportedContainers.has(k)) {
          reportedContainers.add(k)
          add('compatible', 'group-renamed', `${chainText(a.chain)} renamed to ${chainText(b.chain)} in ${n.path}`, p, b.field)
        }
        continue
      }
    }
    const isPrefix = kb.startsWith(ka) && b.chain.length > a.chain.length
    if (isPrefix) {
      const added = b.chain.slice(a.chain.length)
      const allNew = added.every((_x, i) => !oldChains.has(chainKey(b.chain.slice(0, a.chain.length + i + 1))))
      const alone = added.every((_x, i) => (existingIn.get(chainKey(b.chain.slice(0, a.chain.length + i + 1))) ?? 0) <= 1)
      if (allNew && alone) {
        add('compatible', 'field-moved-into-new-group', `field ${p} @${b.ordinal} moved into new ${chainText(added)}`, p, b.field, NOTE_MOVED)
        continue
      }
      if (allNew) {
        add('breaking', 'union-formed-from-existing', `field ${p} @${b.ordinal} moved into new ${chainText(added)} together with other existing fields`, p, b.field)
        continue
      }
      add('breaking', 'field-moved-into-existing-group', `field ${p} @${b.ordinal} moved into existing ${chainText(added)}`, p, b.field)
      continue
    }
    add('breaking', 'field-moved', `field ${p} @${b.ordinal} moved from ${chainText(a.chain)} to ${chainText(b.chain)}`, p, b.field)
  }
  checkWire(of, nf, n.path, moved, add)
  for (const b of nf) {
    if (oldByOrd.has(b.ordinal)) continue
    const p = `${n.path}.${b.field.name}`
    if (b.ordinal > oldMax) add('compatible', 'field-added', `field ${p} @${b.ordinal} added`, p, b.field)
    else add('breaking', 'field-number-reused', `field ${p} @${b.ordinal} uses a number below the previous maximum @${oldMax}`, p, b.field)
  }
}

const SIZE_BITS: Record<string, number> = {
  Void: 0,
  Bool: 1,
  Int8: 8,
  UInt8: 8,
  Int16: 16,
  UInt16: 16,
  enum: 16,
  Int32: 32,
  UInt32: 32,
  Float32: 32,
  Int64: 64,
  UInt64: 64,
  Float64: 64,
}

/** Where a field's value sits in a struct's encoding, e.g. `data bytes 8-15` or `pointer 2`. */
export function wireLocation(f: CapnpField): string | undefined {
  if (!f.type || f.offset === undefined) return undefined
  const bits = SIZE_BITS[f.type.kind]
  if (bits === undefined) return `pointer ${f.offset}`
  if (bits === 0) return 'no space (Void)'
  if (bits === 1) return `data bit ${f.offset}`
  const from = (f.offset * bits) / 8
  return `data bytes ${from}-${from + bits / 8 - 1}`
}

/**
 * Wire-level check of the fields both versions have (by name): each must keep its place in the
 * encoding and, in a union, its discriminant value. Renumbered fields are reported once, as such.
 */
function checkWire(of: FlatField[], nf: FlatField[], structPath: string, renumbered: Set<number>, add: Add): void {
  const count = (fs: FlatField[]): Map<string, number> => {
    const m = new Map<string, number>()
    for (const f of fs) m.set(f.field.name, (m.get(f.field.name) ?? 0) + 1)
    return m
  }
  const oldCount = count(of)
  const newCount = count(nf)
  const newByName = new Map(nf.map(f => [f.field.name, f]))
  for (const a of of) {
    const name = a.field.name
    // a name used in two groups of one struct does not identify a field
    if (oldCount.get(name) !== 1 || newCount.get(name) !== 1) continue
    const b = newByName.get(name)
    if (!b || renumbered.has(a.ordinal) || renumbered.has(b.ordinal)) continue
    if (!a.field.type || !b.field.type) continue
    const p = `${structPath}.${name}`
    const la = wireLocation(a.field)
    const lb = wireLocation(b.field)
    const sameSize = (SIZE_BITS[a.field.type.kind] ?? -1) === (SIZE_BITS[b.field.type.kind] ?? -1)
    if (la && lb && la !== lb && sameSize) {
      add('breaking', 'field-offset-changed', `field ${p} @${b.ordinal} moved on the wire from ${la} to ${lb}: old readers would read it elsewhere`, p, b.field)
    }
    if (a.field.discriminant !== null && b.field.discriminant !== null && a.field.discriminant !== b.field.discriminant) {
      add('breaking', 'discriminant-changed', `field ${p} @${b.ordinal} union discriminant changed from ${a.field.discriminant} to ${b.field.discriminant}`, p, b.field)
    }
  }
}

function compareEnum(o: CapnpNode, n: CapnpNode, add: Add): void {
  const newByOrd = new Map((n.enumerants ?? []).map(e => [e.ordinal, e]))
  const oldByOrd = new Map((o.enumerants ?? []).map(e => [e.ordinal, e]))
  const oldMax = Math.max(-1, ...(o.enumerants ?? []).map(e => e.ordinal))
  const moved = renumbered(
    (o.enumerants ?? []).map(e => ({ item: e, ordinal: e.ordinal })),
    (n.enumerants ?? []).map(e => ({ item: e, ordinal: e.ordinal })),
    'enumerant',
    n.path,
    add,
  )
  for (const a of o.enumerants ?? []) {
    const b = newByOrd.get(a.ordinal)
    if (!b) add('breaking', 'enumerant-removed', `enumerant ${o.path}.${a.name} @${a.ordinal} removed`, `${o.path}.${a.name}`, a)
    else if (b.name !== a.name && !moved.has(a.ordinal))
      add('compatible', 'enumerant-renamed', `enumerant @${a.ordinal} of ${n.path} renamed from ${a.name} to ${b.name}`, `${n.path}.${b.name}`, b)
  }
  for (const b of n.enumerants ?? []) {
    if (oldByOrd.has(b.ordinal)) continue
    const p = `${n.path}.${b.name}`
    if (b.ordinal > oldMax) add('compatible', 'enumerant-added', `enumerant ${p} @${b.ordinal} added`, p, b)
    else add('breaking', 'enumerant-number-reused', `enumerant ${p} @${b.ordinal} uses a number below the previous maximum`, p, b)
  }
}

function compareInterface(o: CapnpNode, n: CapnpNode, cmp: Cmp, add: Add): void {
  const { oldById, newById } = cmp
  const oldSupers = new Set((o.superclasses ?? []).map(typeKey))
  const newSupers = new Set((n.superclasses ?? []).map(typeKey))
  for (const s of o.superclasses ?? []) {
    if (!newSupers.has(typeKey(s))) add('breaking', 'superclass-removed', `${n.path} no longer extends ${typeToString(s)}`, n.path, n)
  }
  for (const s of n.superclasses ?? []) {
    if (!oldSupers.has(typeKey(s))) add('compatible', 'superclass-added', `${n.path} now extends ${typeToString(s)}`, n.path, n)
  }
  const newByOrd = new Map((n.methods ?? []).map(m => [m.ordinal, m]))
  const oldByOrd = new Map((o.methods ?? []).map(m => [m.ordinal, m]))
  const oldMax = Math.max(-1, ...(o.methods ?? []).map(m => m.ordinal))
  const moved = renumbered(
    (o.methods ?? []).map(m => ({ item: m, ordinal: m.ordinal })),
    (n.methods ?? []).map(m => ({ item: m, ordinal: m.ordinal })),
    'method',
    n.path,
    add,
  )
  for (const a of o.methods ?? []) {
    const b = newByOrd.get(a.ordinal)
    if (!b) {
      add('breaking', 'method-removed', `method ${o.path}.${a.name} @${a.ordinal} removed`, `${o.path}.${a.name}`, a)
      continue
    }
    const p = `${n.path}.${b.name}`
    if (b.name !== a.name && !moved.has(a.ordinal)) add('compatible', 'method-renamed', `method @${a.ordinal} of ${n.path} renamed from ${a.name} to ${b.name}`, p, b)
    if (a.streaming !== b.streaming) {
      add('breaking', 'method-streaming-changed', `method ${p} ${b.streaming ? 'became' : 'is no longer'} streaming`, p, b)
    }
    for (const side of ['params', 'results'] as const) {
      const ai = side === 'params' ? a.inlineParams : a.inlineResults
      const bi = side === 'params' ? b.inlineParams : b.inlineResults
      const aid = side === 'params' ? a.paramStructType : a.resultStructType
      const bid = side === 'params' ? b.paramStructType : b.resultStructType
      if (!ai || !bi) {
        if (ai !== bi || aid !== bid) {
          if (!(a.streaming && b.streaming && side === 'results')) {
            add('breaking', `method-${side}-type-changed`, `method ${p} ${side} type changed`, p, b)
          }
        }
        continue
      }
      const as = oldById.get(aid)
      const bs = newById.get(bid)
      if (!as || !bs) continue
      const af = flatten(as, oldById)
      const bf = flatten(bs, newById)
      const bByOrd = new Map(bf.map(f => [f.ordinal, f]))
      const aByOrd = new Map(af.map(f => [f.ordinal, f]))
      const what = side === 'params' ? 'parameter' : 'result'
      const pmoved = renumbered(
        af.map(f => ({ item: f.field, ordinal: f.ordinal })),
        bf.map(f => ({ item: f.field, ordinal: f.ordinal })),
        what,
        p,
        add,
      )
      for (const x of af) {
        const y = bByOrd.get(x.ordinal)
        if (!y) add('breaking', `${what}-removed`, `${what} ${x.field.name} of ${p} removed`, `${p}.${x.field.name}`, x.field)
        else compareFieldPair(x, y, p, cmp, add, what, pmoved.has(x.ordinal))
      }
      for (const y of bf) {
        if (aByOrd.has(y.ordinal)) continue
        const fp = `${p}.${y.field.name}`
        if (side === 'params' && y.field.defaultValue === undefined) {
          add('breaking', 'parameter-added-without-default', `parameter ${y.field.name} appended to ${p} without a default value`, fp, y.field)
        } else {
          add('compatible', `${what}-added`, `${what} ${y.field.name} appended to ${p}`, fp, y.field)
        }
      }
    }
  }
  for (const b of n.methods ?? []) {
    if (oldByOrd.has(b.ordinal)) continue
    const p = `${n.path}.${b.name}`
    if (b.ordinal > oldMax) add('compatible', 'method-added', `method ${p} @${b.ordinal} added`, p, b)
    else add('breaking', 'method-number-reused', `method ${p} @${b.ordinal} uses a number below the previous maximum`, p, b)
  }
}
