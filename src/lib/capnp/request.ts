/**
 * CodeGeneratorRequest: what `capnp compile -o-` hands to code generator plugins, built from ssmd's
 * own compile. The request lists every node of the requested files plus, transitively, every node
 * they depend on (types, annotations, superclasses) and the enclosing scopes of those, exactly the
 * set the official compiler includes. It is encoded with schema.capnp's own layout, which ssmd
 * computes from the bundled schema.capnp.
 */
import { createHash } from 'node:crypto'
import { Compiler } from './compiler.js'
import type { CapnpAnnotationUse, CapnpBrand, CapnpField, CapnpModel, CapnpNode, CapnpType, CapnpValue } from './model.js'
import { STD_FILES } from './std.js'
import { MessageBuilder, TypedLit, readMessageTree, type WireTree, type WireValue } from './wire.js'

/** The compiler version a request claims to come from (code generators may check it). */
export const REQUEST_CAPNP_VERSION = { major: 1, minor: 0, micro: 2 }

let schemaCapnp: Map<string, CapnpNode> | undefined

/** schema.capnp compiled by ssmd: its nodes by path (`Node`, `Node.struct`, ...) and by id. */
function schemaNodes(): Map<string, CapnpNode> {
  if (schemaCapnp) return schemaCapnp
  const c = new Compiler({ absPath: '/capnp/schema.capnp', displayPath: 'capnp/schema.capnp' })
  const model = c.compile(STD_FILES['/capnp/schema.capnp'])
  if (!model || c.diagnostics.length) throw new Error('bundled schema.capnp does not compile')
  const m = new Map<string, CapnpNode>()
  for (const n of [...model.nodes, ...(model.importedNodes ?? [])]) {
    m.set(n.id, n)
    if (n.displayName.startsWith('capnp/schema.capnp:')) m.set(n.path, n)
  }
  schemaCapnp = m
  return m
}

const PRIM_KEYS: Record<string, string> = {
  Void: 'void',
  Bool: 'bool',
  Int8: 'int8',
  Int16: 'int16',
  Int32: 'int32',
  Int64: 'int64',
  UInt8: 'uint8',
  UInt16: 'uint16',
  UInt32: 'uint32',
  UInt64: 'uint64',
  Float32: 'float32',
  Float64: 'float64',
  Text: 'text',
  Data: 'data',
}
const UNCONSTRAINED: Record<string, string> = { AnyPointer: 'anyKind', AnyStruct: 'struct', AnyList: 'list', Capability: 'capability' }
const TARGETS = ['file', 'const', 'enum', 'enumerant', 'struct', 'field', 'union', 'group', 'interface', 'method', 'param', 'annotation']

const id = (hex: string): bigint => BigInt(hex)

function typeObj(t: CapnpType): WireValue {
  if (t.kind in PRIM_KEYS) return { [PRIM_KEYS[t.kind]]: null }
  switch (t.kind) {
    case 'List':
      return { list: { elementType: typeObj(t.element) } }
    case 'struct':
    case 'enum':
    case 'interface': {
      const body: Record<string, WireValue> = { typeId: id(t.id) }
      if (t.brand) body.brand = brandObj(t.brand)
      return { [t.kind]: body }
    }
    case 'param':
      return { anyPointer: { parameter: { scopeId: id(t.scopeId), parameterIndex: t.index } } }
    case 'implicit':
      return { anyPointer: { implicitMethodParameter: { parameterIndex: t.index } } }
    default:
      return { anyPointer: { unconstrained: { [UNCONSTRAINED[t.kind]]: null } } }
  }
}

function brandObj(b: CapnpBrand): WireValue {
  return {
    scopes: b.scopes.map((s): WireValue =>
      s.inherit ? { scopeId: id(s.scopeId), inherit: null } : { scopeId: id(s.scopeId), bind: (s.bind ?? []).map(t => ({ type: typeObj(t) })) },
    ),
  }
}

function valueObj(v: CapnpValue): WireValue {
  const t = v.type
  const lit = v.lit
  if (t.kind in PRIM_KEYS) {
    const key = PRIM_KEYS[t.kind]
    switch (lit.k) {
      case 'void':
        return { void: null }
      case 'bool':
        return { bool: lit.v }
      case 'int':
        return { [key]: /64/.test(t.kind) ? BigInt(lit.v) : Number(lit.v) }
      case 'float':
        return { [key]: lit.v === 'inf' ? Infinity : lit.v === '-inf' ? -Infinity : lit.v === 'nan' ? NaN : lit.v }
      case 'text':
        return { text: lit.hex !== undefined ? new TypedLit(t, lit) : lit.v }
      case 'data':
        return { data: Uint8Array.from(Buffer.from(lit.v, 'hex')) }
      case 'null':
        return { [key]: null }
      default:
        return { [key]: null }
    }
  }
  switch (t.kind) {
    case 'enum':
      return { enum: lit.k === 'enum' ? lit.v : 0 }
    case 'interface':
      return { interface: null }
    case 'List':
      return { list: new TypedLit(t, lit) }
    case 'struct':
      return { struct: new TypedLit(t, lit) }
    default:
      return { anyPointer: new TypedLit(t, lit) }
  }
}

function annotationsObj(uses: CapnpAnnotationUse[] | undefined): WireValue | undefined {
  if (!uses || uses.length === 0) return undefined
  return uses.map(u => {
    // capnp always leaves an (empty) brand on an annotation use
    return { id: id(u.id), value: valueObj(u.value), brand: u.brand ? brandObj(u.brand) : {} }
  })
}

function prefixLength(n: CapnpNode): number {
  if (n.isGroup || n.isParamStruct) {
    const name = n.isParamStruct ? n.path.slice(n.path.lastIndexOf('.') + 1) : n.path.slice(n.path.lastIndexOf('.') + 1)
    return n.displayName.length - name.length
  }
  const dot = n.displayName.lastIndexOf('.')
  let p = dot >= 0 ? dot + 1 : 0
  const colon = n.displayName.lastIndexOf(':')
  if (colon >= 0 && colon > p) p = colon + 1
  return p
}

function fieldObj(f: CapnpField): WireValue {
  const o: Record<string, WireValue> = {
    name: f.name,
    codeOrder: f.codeOrder,
    discriminantValue: f.discriminant ?? 0xffff,
    ordinal: f.ordinal === null ? { implicit: null } : { explicit: f.ordinal },
  }
  const anns = annotationsObj(f.annotations)
  if (anns) o.annotations = anns
  if (f.groupId) o.group = { typeId: id(f.groupId) }
  else if (f.type) {
    o.slot = {
      offset: f.offset ?? 0,
      type: typeObj(f.type),
      defaultValue: valueObj({ type: f.type, lit: f.defaultLit ?? { k: 'null' } }),
      hadExplicitDefault: f.defaultValue !== undefined,
    }
  }
  return o
}

function nodeObj(n: CapnpNode): WireValue {
  const o: Record<string, WireValue> = {
    id: id(n.id),
    displayName: n.displayName,
    displayNamePrefixLength: prefixLength(n),
    scopeId: id(n.scopeId),
    isGeneric: !!n.isGeneric,
  }
  if (!n.isGroup && !n.isParamStruct) {
    o.nestedNodes = n.nestedIds.map((x, i) => ({ name: n.nestedNames?.[i] ?? '', id: id(x) }))
  }
  if (n.genericParams?.length) o.parameters = n.genericParams.map(name => ({ name }))
  const anns = annotationsObj(n.annotations)
  if (anns) o.annotations = anns
  switch (n.kind) {
    case 'file':
      o.file = null
      break
    case 'struct':
      o.struct = {
        dataWordCount: n.dataWordCount ?? 0,
        pointerCount: n.pointerCount ?? 0,
        preferredListEncoding: 7,
        isGroup: !!n.isGroup,
        discriminantCount: n.discriminantCount ?? 0,
        discriminantOffset: n.discriminantCount ? (n.discriminantOffset ?? 0) : 0,
        // a struct without fields has no field list at all
        fields: n.fields?.length ? n.fields.map(fieldObj) : null,
      }
      break
    case 'enum':
      o.enum = {
        enumerants: (n.enumerants ?? []).map(e => {
          const x: Record<string, WireValue> = { name: e.name, codeOrder: e.codeOrder ?? 0 }
          const a = annotationsObj(e.annotations)
          if (a) x.annotations = a
          return x
        }),
      }
      break
    case 'interface':
      o.interface = {
        methods: (n.methods ?? []).map(m => {
          const x: Record<string, WireValue> = {
            name: m.name,
            codeOrder: m.codeOrder,
            implicitParameters: (m.implicitParams ?? []).map(name => ({ name })),
            paramStructType: id(m.paramStructType),
            resultStructType: id(m.resultStructType),
          }
          if (m.paramBrand) x.paramBrand = brandObj(m.paramBrand)
          if (m.resultBrand) x.resultBrand = brandObj(m.resultBrand)
          const a = annotationsObj(m.annotations)
          if (a) x.annotations = a
          return x
        }),
        superclasses: (n.superclasses ?? []).map(s => {
          const x: Record<string, WireValue> = { id: id((s as { id: string }).id) }
          if ('brand' in s && s.brand) x.brand = brandObj(s.brand)
          return x
        }),
      }
      break
    case 'const':
      o.const = n.type ? { type: typeObj(n.type), value: valueObj({ type: n.type, lit: n.valueLit ?? { k: 'null' } }) } : {}
      break
    case 'annotation': {
      const body: Record<string, WireValue> = n.type ? { type: typeObj(n.type) } : {}
      const all = (n.targets ?? []).includes('*')
      for (const tg of TARGETS) body[`targets${tg[0].toUpperCase()}${tg.slice(1)}`] = all || (n.targets ?? []).includes(tg)
      o.annotation = body
      break
    }
    default:
      break
  }
  return o
}

function docText(doc: string | undefined): string | undefined {
  return doc === undefined ? undefined : `${doc}\n`
}

function sourceInfoObj(n: CapnpNode): Record<string, WireValue> {
  // capnp files a method's parameter or result struct under id 0 (it keys them before their ids exist)
  const o: Record<string, WireValue> = { id: n.isParamStruct ? 0n : id(n.id) }
  const d = docText(n.capnpDoc)
  if (d !== undefined) o.docComment = d
  const members = n.kind === 'struct' ? n.fields : n.kind === 'enum' ? n.enumerants : n.kind === 'interface' ? n.methods : undefined
  // capnp lists an interface's or enum's members always, a struct's only when it has fields
  if (members && (members.length || n.kind !== 'struct')) {
    o.members = members.map((m): WireValue => {
      const md = docText(m.capnpDoc)
      return md === undefined ? {} : { docComment: md }
    })
  }
  return o
}

/**
 * One source info per id, the first met in traversal order: capnp keeps its source infos in a map by
 * id, so of all parameter and result structs (all under id 0) only the first one's survives.
 */
function sourceInfoList(nodes: CapnpNode[]): WireValue[] {
  const seen = new Set<bigint>()
  const out: WireValue[] = []
  for (const n of nodes) {
    const o = sourceInfoObj(n)
    const key = o.id as bigint
    if (seen.has(key)) continue
    seen.add(key)
    out.push(o)
  }
  return out
}

// ---------------------------------------------------------------- which nodes a request carries

const NODE = 1
const PARENTS = 2
const CHILDREN = 4
const DEPENDENCIES = 1 << 15
const DEPENDENCY_PARENTS = PARENTS * DEPENDENCIES

class NodeSet {
  private readonly seen = new Map<string, number>()
  readonly included = new Set<string>()
  /** nodes in the order capnp collects their source info: each after its dependencies, with its groups and parameter structs */
  readonly infoOrder: CapnpNode[] = []

  constructor(private readonly byId: Map<string, CapnpNode>) {}

  /** Nodes compiled together with `n`: its groups, or an interface's parameter structs. */
  private aux(n: CapnpNode): CapnpNode[] {
    const out: CapnpNode[] = []
    const groups = (g: CapnpNode): void => {
      for (const f of g.fields ?? []) {
        const gn = f.groupId ? this.byId.get(f.groupId) : undefined
        if (gn) {
          out.push(gn)
          groups(gn)
        }
      }
    }
    if (n.kind === 'struct') groups(n)
    for (const m of n.methods ?? []) {
      for (const [inline, sid] of [
        [m.inlineParams, m.paramStructType],
        [m.inlineResults, m.resultStructType],
      ] as const) {
        const ps = inline ? this.byId.get(sid) : undefined
        if (ps && ps.isParamStruct) {
          out.push(ps)
          groups(ps)
        }
      }
    }
    return out
  }

  visit(nid: string, eagerness: number): void {
    const n = this.byId.get(nid)
    if (!n) return
    const slot = this.seen.get(nid) ?? 0
    if ((slot & eagerness) === eagerness) return
    this.seen.set(nid, slot | eagerness)
    this.included.add(nid)
    const aux = this.aux(n)
    for (const a of aux) this.included.add(a.id)
    if (Math.floor(eagerness / DEPENDENCIES) !== 0) {
      const next = (eagerness & ~(DEPENDENCIES - 1)) | Math.floor(eagerness / DEPENDENCIES)
      for (const x of [n, ...aux]) for (const d of dependencies(x)) this.visit(d, next)
    }
    this.infoOrder.push(n, ...aux)
    if (eagerness & PARENTS && n.scopeId !== '0x0000000000000000') this.visit(n.scopeId, eagerness)
    if (eagerness & CHILDREN) for (const c of n.nestedIds) this.visit(c, eagerness)
  }
}

function typeDeps(t: CapnpType | undefined, out: string[]): void {
  if (!t) return
  if (t.kind === 'List') typeDeps(t.element, out)
  else if (t.kind === 'struct' || t.kind === 'enum' || t.kind === 'interface') {
    out.push(t.id)
    brandDeps(t.brand, out)
  }
}

function brandDeps(b: CapnpBrand | undefined, out: string[]): void {
  for (const s of b?.scopes ?? []) for (const t of s.bind ?? []) typeDeps(t, out)
}

function dependencies(n: CapnpNode): string[] {
  const out: string[] = []
  const anns = (a: CapnpAnnotationUse[] | undefined): void => {
    for (const u of a ?? []) out.push(u.id)
  }
  for (const f of n.fields ?? []) {
    if (!f.groupId) typeDeps(f.type, out)
    anns(f.annotations)
  }
  for (const e of n.enumerants ?? []) anns(e.annotations)
  for (const s of n.superclasses ?? []) typeDeps(s, out)
  for (const m of n.methods ?? []) {
    // an inline parameter list's struct is not a dependency (capnp cannot look it up by id): it is
    // compiled with its interface and traversed as one of the interface's own nodes
    if (!m.inlineParams) out.push(m.paramStructType)
    brandDeps(m.paramBrand, out)
    if (!m.inlineResults) out.push(m.resultStructType)
    brandDeps(m.resultBrand, out)
    anns(m.annotations)
  }
  if (n.kind === 'const' || n.kind === 'annotation') typeDeps(n.type, out)
  anns(n.annotations)
  return out
}

export interface RequestOptions {
  /** the compiler the request claims to come from: before 1.0, capnp wrote no fileSourceInfo */
  capnpVersion?: { major: number; minor: number; micro: number }
}

/**
 * Builds the CodeGeneratorRequest for `models` (each a requested file, compiled with its imports),
 * as `capnp compile -o-` of those files would.
 */
export function buildCodeGeneratorRequest(models: CapnpModel[], options: RequestOptions = {}): Uint8Array {
  const byId = new Map<string, CapnpNode>()
  for (const m of models) for (const n of [...m.nodes, ...(m.importedNodes ?? [])]) if (!byId.has(n.id)) byId.set(n.id, n)
  const set = new NodeSet(byId)
  for (const m of models) set.visit(m.fileId, NODE | CHILDREN | DEPENDENCIES | DEPENDENCY_PARENTS)
  const nodes = [...set.included].map(x => byId.get(x) as CapnpNode)

  const schema = schemaNodes()
  const lookup = (x: string): CapnpNode | undefined => byId.get(x) ?? schema.get(x)
  const b = new MessageBuilder(lookup)
  const version = options.capnpVersion ?? REQUEST_CAPNP_VERSION
  const request: Record<string, WireValue> = {
    nodes: nodes.map(nodeObj),
    requestedFiles: models.map(m => {
      const file: Record<string, WireValue> = {
        id: id(m.fileId),
        filename: m.file,
        imports: (m.requestImports ?? []).map(x => ({ id: id(x.id), name: x.name })),
      }
      // capnp writes fileSourceInfo since 1.0
      if (version.major >= 1)
        file.fileSourceInfo = {
          identifiers: (m.identifiers?.typeId ?? []).map((t, i) => ({ startByte: m.identifiers!.startByte[i], endByte: m.identifiers!.endByte[i], typeId: BigInt(t) })),
        }
      return file
    }),
    capnpVersion: version,
    sourceInfo: sourceInfoList(set.infoOrder),
  }
  const root = schema.get('CodeGeneratorRequest')
  if (!root) throw new Error('schema.capnp has no CodeGeneratorRequest')
  b.writeRoot(root, request)
  return b.finish()
}

// ---------------------------------------------------------------- comparing requests

/** A CodeGeneratorRequest reduced to what it means: one canonical JSON text per part. */
export interface CanonicalRequest {
  /** each node, by id (hex), byte positions zeroed */
  nodes: Record<string, string>
  /** each source info, by id (hex), byte positions zeroed */
  sourceInfo: Record<string, string>
  /** the requested files without their fileSourceInfo, and the compiler version */
  files: string
  /** each requested file's fileSourceInfo (capnp 1.x), its identifiers sorted by position */
  fileSourceInfo: string
}

type TreeStruct = { s: string; p: WireTree[] }

/** Zeroes the data bytes [from, to) of a canonical struct (its data hex is trimmed of trailing zeros). */
function zeroBytes(t: TreeStruct, from: number, to: number): TreeStruct {
  const bytes = Buffer.from(t.s, 'hex')
  for (let i = from; i < to && i < bytes.length; i++) bytes[i] = 0
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  return { s: bytes.subarray(0, end).toString('hex'), p: t.p }
}

function idHex(t: TreeStruct): string {
  const b = Buffer.alloc(8)
  Buffer.from(t.s.slice(0, 16), 'hex').copy(b)
  return b.readBigUInt64LE().toString(16)
}

function structs(t: WireTree | undefined): TreeStruct[] {
  return t && 'e' in t && t.l === 7 ? t.e : []
}

/**
 * The parts of a request that code generators read, for comparing two requests (startByte/endByte
 * aside but for fileSourceInfo's identifiers, and the order of the node, source info and identifier
 * lists, which capnp does not define).
 */
export function canonicalRequest(msg: Uint8Array): CanonicalRequest {
  const root = readMessageTree(msg) as TreeStruct
  const nodes: Record<string, string> = {}
  // Node.startByte/endByte: data bytes 40-47
  for (const n of structs(root.p[0])) nodes[idHex(n)] = JSON.stringify(zeroBytes(n, 40, 48))
  const sourceInfo: Record<string, string> = {}
  for (const x of structs(root.p[3])) {
    // SourceInfo.startByte/endByte: data bytes 8-15; Member.startByte/endByte: bytes 0-7
    const z = zeroBytes(x, 8, 16)
    const members = z.p[1]
    const p = [...z.p]
    if (members && 'e' in members && members.l === 7) p[1] = { l: 7, e: members.e.map(m => zeroBytes(m, 0, 8)) }
    sourceInfo[idHex(x)] = JSON.stringify({ s: z.s, p })
  }
  const files = structs(root.p[1])
  const fileSourceInfo = files.map(f => {
    const fsi = f.p[2] as TreeStruct | null | undefined
    if (!fsi) return null
    // capnp lists identifiers in the order its lazy compile meets them, which the schema does not
    // define: compare them in source order (startByte, endByte: data bytes 0-7, little-endian)
    const pos = (i: TreeStruct): string => Buffer.from(i.s.padEnd(16, '0').slice(0, 16), 'hex').swap32().toString('hex')
    const ids = structs(fsi.p[0])
      .map(i => ({ key: pos(i), text: JSON.stringify(i) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    return { s: fsi.s, p: [{ l: 7, e: ids.map(i => JSON.parse(i.text) as TreeStruct) }] }
  })
  return {
    nodes,
    sourceInfo,
    files: JSON.stringify({ files: files.map(f => ({ s: f.s, p: f.p.slice(0, 2) })), version: root.p[2] ?? null }),
    fileSourceInfo: JSON.stringify(fileSourceInfo),
  }
}

/** Digests of a canonical request: everything but fileSourceInfo, and fileSourceInfo on its own. */
export function requestDigests(c: CanonicalRequest): { request: string; fileSourceInfo: string } {
  const sorted = (r: Record<string, string>): string[] =>
    Object.keys(r)
      .sort()
      .map(k => `${k}=${r[k]}`)
  const hash = (s: string): string => createHash('sha256').update(s).digest('hex')
  return {
    request: hash(JSON.stringify({ nodes: sorted(c.nodes), sourceInfo: sorted(c.sourceInfo), files: c.files })),
    fileSourceInfo: hash(c.fileSourceInfo),
  }
}
