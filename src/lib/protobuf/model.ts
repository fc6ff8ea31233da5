/**
 * A flat, comparable model of one .proto file, built from protobufjs's parse:
 * every message, enum, service and extension under its full name, with
 * positions in the source (see locate.ts).
 */
import protobuf from 'protobufjs'
import { locateDepthProblem, locateProto, type ProtoPosition, type ProtoPositions } from './locate.js'
import { keepFieldIndex } from './linear.js'

keepFieldIndex()

export const SCALARS = new Set([
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
])

/** A field's type: a scalar, a message or enum of this file (by full name), or a name this file does not declare (an import). */
export type ProtoType = { kind: 'scalar'; name: string } | { kind: 'message'; name: string; group: boolean } | { kind: 'enum'; name: string } | { kind: 'external'; name: string }

/** How many values a field holds and whether its presence is tracked. */
export type ProtoCardinality = 'optional' | 'implicit' | 'required' | 'repeated' | 'map'

export interface ProtoField extends ProtoPosition {
  name: string
  number: number
  type: ProtoType
  /** map key type (scalar name) */
  keyType?: string
  cardinality: ProtoCardinality
  /** the real (not proto3-optional synthetic) oneof holding the field */
  oneof?: string
  /** proto2 / editions explicit default, as written */
  defaultValue?: string
  jsonName?: string
  /** `.pkg.Extendee` for an extension */
  extendee?: string
}

export interface ProtoReserved {
  ranges: Array<[number, number]>
  names: string[]
}

export interface ProtoMessage extends ProtoPosition {
  name: string
  fields: ProtoField[]
  reserved: ProtoReserved
  /** extension ranges */
  extensions: Array<[number, number]>
  messageSetWireFormat: boolean
  group: boolean
  reservedAt?: ProtoPosition
  extensionsAt?: ProtoPosition
  oneofs: Map<string, ProtoPosition>
}

export interface ProtoEnumValue extends ProtoPosition {
  name: string
  number: number
}

export interface ProtoEnum extends ProtoPosition {
  name: string
  values: ProtoEnumValue[]
  reserved: ProtoReserved
  closed: boolean
  reservedAt?: ProtoPosition
}

export interface ProtoMethod extends ProtoPosition {
  name: string
  requestType: string
  responseType: string
  requestStream: boolean
  responseStream: boolean
}

export interface ProtoService extends ProtoPosition {
  name: string
  methods: ProtoMethod[]
}

export interface ProtoModel {
  /** path relative to the ssmd root, for findings */
  file: string
  /** `proto2`, `proto3` or `editions <year>` */
  syntax: string
  package: string
  syntaxAt: ProtoPosition
  packageAt: ProtoPosition
  messages: Map<string, ProtoMessage>
  enums: Map<string, ProtoEnum>
  services: Map<string, ProtoService>
  /** extensions by `<extendee>#<number>` */
  extensions: Map<string, ProtoField>
}

const START: ProtoPosition = { line: 1, column: 1 }

/** What protobufjs's reflection gives each object; only what the model reads. */
interface Reflected {
  name: string
  fullName: string
  parent: Reflected | null
  options?: Record<string, unknown>
  _edition?: string | null
  _features?: Record<string, string>
  _resolveFeaturesRecursive?: (edition?: string | null) => void
  lookup(path: string, filterTypes?: unknown[]): Reflected | null
}
interface ReflectedField extends Reflected {
  id: number
  type: string
  rule?: string
  keyType?: string
  extend?: string
  partOf: (Reflected & { oneof: string[] }) | null
  repeated: boolean
  map: boolean
}
interface ReflectedType extends Reflected {
  fieldsArray: ReflectedField[]
  reserved?: Array<[number, number] | string>
  extensions?: Array<[number, number]>
  group?: boolean
  nestedArray: Reflected[]
}

/** A .proto file that does not parse, at a known line and column. */
export class ProtoSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message)
  }
}

/** Parses .proto source into a ProtoModel; throws protobufjs's error when it does not parse. */
export function buildProtoModel(text: string, file: string): ProtoModel {
  let parsed: ReturnType<typeof protobuf.parse>
  try {
    parsed = protobuf.parse(text, { keepCase: true, alternateCommentMode: true })
  } catch (error) {
    // protobufjs stops at its nesting limits with no position: find where the file passes them
    const deep = /max depth exceeded/.test((error as Error).message) ? locateDepthProblem(text) : undefined
    if (deep) throw new ProtoSyntaxError(deep.message, deep.line, deep.column)
    throw error
  }
  const root = parsed.root as unknown as Reflected
  root._resolveFeaturesRecursive?.(root._edition)
  const at = locateProto(text)
  const pos = (key: string): ProtoPosition => at.get(key) ?? START
  const syntaxMatch = /^\s*(?:syntax\s*=\s*["'](proto[23])["']|edition\s*=\s*["']([^"']+)["'])/m.exec(stripComments(text))
  const model: ProtoModel = {
    file,
    syntax: syntaxMatch?.[1] ?? (syntaxMatch?.[2] ? `editions ${syntaxMatch[2]}` : 'proto2'),
    package: parsed.package ?? '',
    syntaxAt: pos('syntax'),
    packageAt: pos('package'),
    messages: new Map(),
    enums: new Map(),
    services: new Map(),
    extensions: new Map(),
  }
  walk(root as unknown as ReflectedType, model, at)
  return model
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '')
}

function reservedOf(list: Array<[number, number] | string> | undefined): ProtoReserved {
  const ranges: Array<[number, number]> = []
  const names: string[] = []
  for (const r of list ?? []) {
    if (typeof r === 'string') names.push(r)
    else ranges.push([r[0], r[1]])
  }
  return { ranges, names }
}

function walk(ns: ReflectedType, model: ProtoModel, at: ProtoPositions): void {
  for (const child of ns.nestedArray ?? []) {
    if (child instanceof protobuf.Type) {
      const t = child as unknown as ReflectedType
      const name = t.fullName
      const fields = t.fieldsArray.filter(f => !f.extend && !f.name.startsWith('.')).map(f => fieldOf(f, at, name))
      model.messages.set(name, {
        name,
        fields,
        reserved: reservedOf(t.reserved),
        extensions: (t.extensions ?? []).map(r => [r[0], r[1]] as [number, number]),
        messageSetWireFormat: t.options?.message_set_wire_format === true,
        group: t.group === true,
        ...(at.get(`type:${name}`) ?? START),
        reservedAt: at.get(`reserved:${name}`),
        extensionsAt: at.get(`extensions:${name}`),
        oneofs: new Map(fields.filter(f => f.oneof).map(f => [f.oneof!, at.get(`oneof:${name}.${f.oneof}`) ?? START])),
      })
      walk(t, model, at)
    } else if (child instanceof protobuf.Enum) {
      const e = child as unknown as Reflected & { values: Record<string, number>; reserved?: Array<[number, number] | string> }
      const name = e.fullName
      model.enums.set(name, {
        name,
        values: Object.entries(e.values).map(([v, number]) => ({ name: v, number, ...(at.get(`value:${name}.${v}`) ?? START) })),
        reserved: reservedOf(e.reserved),
        closed: e._features?.enum_type === 'CLOSED',
        ...(at.get(`type:${name}`) ?? START),
        reservedAt: at.get(`reserved:${name}`),
      })
    } else if (child instanceof protobuf.Service) {
      const s = child as unknown as Reflected & {
        methodsArray: Array<{ name: string; requestType: string; responseType: string; requestStream?: boolean; responseStream?: boolean }>
      }
      const name = s.fullName
      model.services.set(name, {
        name,
        methods: s.methodsArray.map(m => ({
          name: m.name,
          requestType: resolveName(s, m.requestType),
          responseType: resolveName(s, m.responseType),
          requestStream: m.requestStream === true,
          responseStream: m.responseStream === true,
          ...(at.get(`rpc:${name}.${m.name}`) ?? START),
        })),
        ...(at.get(`service:${name}`) ?? START),
      })
    } else if (child instanceof protobuf.Field) {
      const f = child as unknown as ReflectedField
      const scope = ns.fullName
      const field = fieldOf(f, at, scope)
      field.extendee = resolveName(ns, f.extend ?? '')
      model.extensions.set(`${field.extendee}#${field.number}`, field)
    } else if (child instanceof protobuf.Namespace) {
      walk(child as unknown as ReflectedType, model, at)
    }
  }
}

/** A type name as written, resolved by protobuf's scoping rules to a full name (`.pkg.Msg`); kept as written when this file does not declare it. */
function resolveName(scope: Reflected, name: string): string {
  const found = scope.lookup(name, [protobuf.Type, protobuf.Enum, protobuf.Service])
  return found ? found.fullName : name.startsWith('.') ? name : `?${name}`
}

function typeOf(scope: Reflected, name: string): ProtoType {
  if (SCALARS.has(name)) return { kind: 'scalar', name }
  const found = scope.lookup(name, [protobuf.Type, protobuf.Enum])
  if (found instanceof protobuf.Type) return { kind: 'message', name: found.fullName, group: (found as unknown as ReflectedType).group === true }
  if (found instanceof protobuf.Enum) return { kind: 'enum', name: found.fullName }
  return { kind: 'external', name: name.replace(/^\./, '') }
}

function fieldOf(f: ReflectedField, at: ProtoPositions, scope: string): ProtoField {
  const lookupScope = f.parent ?? f
  const type = typeOf(lookupScope, f.type)
  const synthetic = f.options?.proto3_optional === true
  const presence = f._features?.field_presence
  let cardinality: ProtoCardinality
  if (f.map) cardinality = 'map'
  else if (f.repeated) cardinality = 'repeated'
  else if (f.rule === 'required' || presence === 'LEGACY_REQUIRED') cardinality = 'required'
  else if (synthetic || f.partOf || f.extend || type.kind === 'message' || presence !== 'IMPLICIT') cardinality = 'optional'
  else cardinality = 'implicit'
  const field: ProtoField = {
    name: f.name,
    number: f.id,
    type,
    cardinality,
    ...(at.get(`field:${scope}.${f.name}`) ?? START),
  }
  if (f.map && f.keyType) field.keyType = f.keyType
  if (f.partOf && !synthetic) field.oneof = f.partOf.name
  const def = f.options?.default
  if (def !== undefined) field.defaultValue = String(def)
  const json = f.options?.json_name
  if (typeof json === 'string') field.jsonName = json
  return field
}
