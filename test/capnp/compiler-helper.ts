import { execFileSync, spawnSync } from 'node:child_process'
import { Message } from 'capnp-es'
import * as s from 'capnp-es/capnp/schema'
import type { CapnpModel, CapnpType } from '../../src/lib/capnp/index.js'

export interface NormField {
  name: string
  codeOrder: number
  ordinal: number | null
  discriminant: number | null
  type: string
}

export interface NormNode {
  id: string
  displayName: string
  kind: string
  scopeId: string
  isGroup?: boolean
  params?: string[]
  fields?: NormField[]
  enumerants?: string[]
  methods?: Array<{ name: string; codeOrder: number; paramStructType: string; resultStructType: string }>
}

const PRIMS = ['Void', 'Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float32', 'Float64', 'Text', 'Data']
const KINDS = ['file', 'struct', 'enum', 'interface', 'const', 'annotation']

export function hexId(id: bigint): string {
  return '0x' + BigInt.asUintN(64, id).toString(16).padStart(16, '0')
}

function typeString(t: s.Type): string {
  const w = t.which() as number
  if (w < 14) return PRIMS[w]
  switch (w) {
    case 14:
      return `List(${typeString(t.list.elementType)})`
    case 15:
      return `enum:${hexId(t.enum.typeId)}`
    case 16:
      return `struct:${hexId(t.struct.typeId)}`
    case 17:
      return `interface:${hexId(t.interface.typeId)}`
    case 18: {
      const ap = t.anyPointer
      const aw = ap.which() as number
      if (aw === 0) {
        const u = ap.unconstrained.which() as number
        return ['AnyPointer', 'AnyStruct', 'AnyList', 'Capability'][u]
      }
      if (aw === 1) return `param:${hexId(ap.parameter.scopeId)}:${ap.parameter.parameterIndex}`
      return `implicit:${ap.implicitMethodParameter.parameterIndex}`
    }
    default:
      return `?${w}`
  }
}

export function capnpAvailable(): string | undefined {
  const r = spawnSync('capnp', ['--version'], { encoding: 'utf8' })
  if (r.error || r.status !== 0) return undefined
  return r.stdout.trim()
}

function normType(t: CapnpType | undefined): string {
  if (!t) return '?'
  switch (t.kind) {
    case 'List':
      return `List(${normType(t.element)})`
    case 'struct':
    case 'enum':
    case 'interface':
      return `${t.kind}:${t.id}`
    case 'param':
      return `param:${t.scopeId}:${t.index}`
    case 'implicit':
      return `implicit:${t.index}`
    default:
      return t.kind
  }
}

export function ssmdNodes(model: CapnpModel): Map<string, NormNode> {
  const out = new Map<string, NormNode>()
  for (const n of model.nodes) {
    const node: NormNode = { id: n.id, displayName: n.displayName, kind: n.kind, scopeId: n.scopeId }
    if (n.kind === 'struct') {
      node.isGroup = !!n.isGroup
      node.fields = (n.fields ?? []).map(f => ({
        name: f.name,
        codeOrder: f.codeOrder,
        ordinal: f.ordinal,
        discriminant: f.discriminant,
        type: f.groupId ? `group:${f.groupId}` : normType(f.type),
      }))
    } else if (n.kind === 'enum') {
      node.enumerants = (n.enumerants ?? []).map(e => e.name)
    } else if (n.kind === 'interface') {
      node.methods = (n.methods ?? []).map(m => ({
        name: m.name,
        codeOrder: m.codeOrder,
        paramStructType: m.paramStructType,
        resultStructType: m.resultStructType,
      }))
    }
    if (n.genericParams) node.params = n.genericParams
    out.set(n.id, node)
  }
  return out
}

/** Compiles `file` (relative to srcDir) and returns every node of the request, normalized. */
export function compileWithCapnp(srcDir: string, file: string, includeDirs: string[]): Map<string, NormNode> {
  const args = ['compile', '-o-', '--no-standard-import', `--src-prefix=${srcDir}`]
  for (const d of includeDirs) args.push('-I', d)
  args.push(file)
  const buf = execFileSync('capnp', args, { cwd: srcDir, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] })
  return decodeNodes(new Uint8Array(buf))
}

/** Every node of a CodeGeneratorRequest, normalized like ssmdNodes. */
export function decodeNodes(buf: Uint8Array): Map<string, NormNode> {
  const msg = new Message(buf, false)
  const req = msg.getRoot(s.CodeGeneratorRequest)
  const out = new Map<string, NormNode>()
  for (const n of req.nodes) {
    const kind = KINDS[n.which() as number]
    const node: NormNode = { id: hexId(n.id), displayName: n.displayName, kind, scopeId: hexId(n.scopeId) }
    if (n.parameters.length > 0) node.params = [...n.parameters].map(p => p.name)
    if (kind === 'struct') {
      const st = n.struct
      node.isGroup = st.isGroup
      node.fields = [...st.fields].map(f => ({
        name: f.name,
        codeOrder: f.codeOrder,
        ordinal: (f.ordinal.which() as number) === 1 ? f.ordinal.explicit : null,
        discriminant: f.discriminantValue === 0xffff ? null : f.discriminantValue,
        type: (f.which() as number) === 1 ? `group:${hexId(f.group.typeId)}` : typeString(f.slot.type),
      }))
    } else if (kind === 'enum') {
      node.enumerants = [...n.enum.enumerants].map(e => e.name)
    } else if (kind === 'interface') {
      node.methods = [...n.interface.methods].map(m => ({
        name: m.name,
        codeOrder: m.codeOrder,
        paramStructType: hexId(m.paramStructType),
        resultStructType: hexId(m.resultStructType),
      }))
    }
    out.set(node.id, node)
  }
  return out
}
