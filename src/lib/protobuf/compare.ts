/**
 * Structural compare of two versions of a .proto file, classifying each change as
 * breaking, compatible or info by the wire-compatibility rules of Buf's `breaking`
 * checker (category WIRE), plus the declaration-level rules a reader of stored data
 * needs (no message, enum, service or method deleted; same syntax).
 * docs/compatibility.md lists every rule and the Buf rule it follows.
 */
import type { SchemaChange } from '../core/schema-change.js'
import type { ProtoPosition } from './locate.js'
import type { ProtoEnum, ProtoField, ProtoMessage, ProtoModel, ProtoReserved, ProtoService, ProtoType } from './model.js'

type Severity = SchemaChange['severity']

/** Scalars that share an encoding on the wire: a value written as one is read as another. */
const WIRE_GROUP: Record<string, string> = {
  int32: 'varint',
  int64: 'varint',
  uint32: 'varint',
  uint64: 'varint',
  bool: 'varint',
  sint32: 'zigzag',
  sint64: 'zigzag',
  fixed32: 'fixed32',
  sfixed32: 'fixed32',
  fixed64: 'fixed64',
  sfixed64: 'fixed64',
  string: 'bytes',
  bytes: 'bytes',
  float: 'float',
  double: 'double',
}
const ENUM_COMPATIBLE = new Set(['int32', 'int64', 'uint32', 'uint64'])

const NOTE_TRUNCATE = 'wire-compatible: values that do not fit the new type are truncated'
const NOTE_BYTES = 'wire-compatible while the bytes are valid UTF-8; the JSON encoding differs (base64)'
const NOTE_ENUM = 'wire-compatible: enums are varints; numbers unknown to a closed enum are kept as unknown fields'
const NOTE_PRESENCE = 'same encoding; only whether presence of a zero value is tracked changes'
const NOTE_JSON = 'the JSON and text encodings use names; the binary encoding does not'
const NOTE_ONEOF = 'safe for a single field; old readers do not see the oneof'

/** Compares `older` with `newer`; every change is reported once, at its place in the newer file (removals in the older). */
export function compareProtobuf(older: ProtoModel, newer: ProtoModel): SchemaChange[] {
  const changes: SchemaChange[] = []
  const relOld = relative(older.package)
  const relNew = relative(newer.package)
  const add = (severity: Severity, kind: string, message: string, path: string, model: ProtoModel, at: ProtoPosition, note?: string): void => {
    const c: SchemaChange = { severity, kind, message, path, file: model.file, line: at.line, column: at.column }
    if (note) c.note = note
    changes.push(c)
  }
  const ctx: Context = { older, newer, relOld, relNew, add }

  if (older.package !== newer.package) {
    add('breaking', 'package-changed', `package changed from ${older.package || '(none)'} to ${newer.package || '(none)'}`, '', newer, newer.packageAt)
  }
  const syntaxChanged = older.syntax !== newer.syntax
  if (syntaxChanged) {
    add(
      'breaking',
      'syntax-changed',
      `syntax changed from ${older.syntax} to ${newer.syntax}`,
      '',
      newer,
      newer.syntaxAt,
      'field presence, default values and enum openness follow the syntax',
    )
  }

  const byRel = <T extends { name: string }>(m: Map<string, T>, rel: (n: string) => string) => new Map([...m.values()].map(x => [rel(x.name), x]))
  const newMessages = byRel(newer.messages, relNew)
  const oldMessages = byRel(older.messages, relOld)
  for (const [name, o] of oldMessages) {
    const n = newMessages.get(name)
    if (!n) add('breaking', 'message-removed', `message ${name} removed`, name, older, o)
    else compareMessage(ctx, name, o, n)
  }
  for (const [name, n] of newMessages) if (!oldMessages.has(name)) add('compatible', 'message-added', `message ${name} added`, name, newer, n)

  const newEnums = byRel(newer.enums, relNew)
  const oldEnums = byRel(older.enums, relOld)
  for (const [name, o] of oldEnums) {
    const n = newEnums.get(name)
    if (!n) add('breaking', 'enum-removed', `enum ${name} removed`, name, older, o)
    else compareEnum(ctx, name, o, n, syntaxChanged)
  }
  for (const [name, n] of newEnums) if (!oldEnums.has(name)) add('compatible', 'enum-added', `enum ${name} added`, name, newer, n)

  const newServices = byRel(newer.services, relNew)
  const oldServices = byRel(older.services, relOld)
  for (const [name, o] of oldServices) {
    const n = newServices.get(name)
    if (!n) add('breaking', 'service-removed', `service ${name} removed`, name, older, o)
    else compareService(ctx, name, o, n)
  }
  for (const [name, n] of newServices) if (!oldServices.has(name)) add('compatible', 'service-added', `service ${name} added`, name, newer, n)

  const extKey = (rel: (n: string) => string, f: ProtoField) => `${rel(f.extendee ?? '')}#${f.number}`
  const newExt = new Map([...newer.extensions.values()].map(f => [extKey(relNew, f), f]))
  const oldExt = new Map([...older.extensions.values()].map(f => [extKey(relOld, f), f]))
  for (const [key, o] of oldExt) {
    const n = newExt.get(key)
    const path = `${relOld(o.extendee ?? '')}.(${o.name})`
    if (!n) add('breaking', 'extension-removed', `extension ${o.name} = ${o.number} of ${relOld(o.extendee ?? '')} removed`, path, older, o)
    else compareField(ctx, `${relNew(n.extendee ?? '')}.(${n.name})`, o, n, 'extension')
  }
  for (const [key, n] of newExt) {
    if (!oldExt.has(key))
      add('compatible', 'extension-added', `extension ${n.name} = ${n.number} of ${relNew(n.extendee ?? '')} added`, `${relNew(n.extendee ?? '')}.(${n.name})`, newer, n)
  }
  return changes
}

interface Context {
  older: ProtoModel
  newer: ProtoModel
  relOld: (name: string) => string
  relNew: (name: string) => string
  add: (severity: Severity, kind: string, message: string, path: string, model: ProtoModel, at: ProtoPosition, note?: string) => void
}

/** Full name (`.pkg.Msg.Inner`) → name within the package (`Msg.Inner`), so a package change is reported once. */
function relative(pkg: string): (name: string) => string {
  const prefix = pkg ? `.${pkg}.` : '.'
  return name => (name.startsWith(prefix) ? name.slice(prefix.length) : name.replace(/^\./, ''))
}

const isReserved = (r: ProtoReserved, n: number) => r.ranges.some(([a, b]) => n >= a && n <= b)

/** Parts of the old ranges that the new ranges do not cover, as `a to b` text. */
function uncovered(olds: Array<[number, number]>, news: Array<[number, number]>): string[] {
  const sorted = [...news].sort((x, y) => x[0] - y[0])
  const out: string[] = []
  for (const [a, b] of olds) {
    let from = a
    for (const [x, y] of sorted) {
      if (y < from) continue
      if (x > b) break
      if (x > from) out.push(rangeText(from, x - 1))
      from = Math.max(from, y + 1)
      if (from > b) break
    }
    if (from <= b) out.push(rangeText(from, b))
  }
  return out
}
const rangeText = (a: number, b: number) => (a === b ? String(a) : b >= 536870911 ? `${a} to max` : `${a} to ${b}`)

function compareReserved(ctx: Context, what: 'message' | 'enum', name: string, o: ProtoReserved, n: ProtoReserved, at: ProtoPosition): void {
  const gone = uncovered(o.ranges, n.ranges)
  const goneNames = o.names.filter(x => !n.names.includes(x))
  if (gone.length > 0) {
    ctx.add(
      'breaking',
      'reserved-range-removed',
      `reserved ${gone.length === 1 && !gone[0].includes(' ') ? 'number' : 'numbers'} ${gone.join(', ')} of ${what} ${name} no longer reserved`,
      name,
      ctx.newer,
      at,
    )
  }
  if (goneNames.length > 0) {
    ctx.add(
      'breaking',
      'reserved-name-removed',
      `reserved ${noun(goneNames.length, 'name')} ${goneNames.map(x => `"${x}"`).join(', ')} of ${what} ${name} no longer reserved`,
      name,
      ctx.newer,
      at,
    )
  }
}
const noun = (n: number, word: string) => (n === 1 ? word : `${word}s`)

function compareMessage(ctx: Context, name: string, o: ProtoMessage, n: ProtoMessage): void {
  const { add, older, newer } = ctx
  if (o.messageSetWireFormat !== n.messageSetWireFormat) {
    add('breaking', 'message-set-wire-format-changed', `message ${name} ${n.messageSetWireFormat ? 'now uses' : 'no longer uses'} the message set wire format`, name, newer, n)
  }
  compareReserved(ctx, 'message', name, o.reserved, n.reserved, n.reservedAt ?? n)
  const goneExt = uncovered(o.extensions, n.extensions)
  if (goneExt.length > 0) {
    add(
      'breaking',
      'extension-range-removed',
      `extension ${goneExt.length === 1 && !goneExt[0].includes(' ') ? 'number' : 'numbers'} ${goneExt.join(', ')} of message ${name} removed`,
      name,
      newer,
      n.extensionsAt ?? n,
    )
  }

  const newByNumber = new Map(n.fields.map(f => [f.number, f]))
  const oldByNumber = new Map(o.fields.map(f => [f.number, f]))
  const newByName = new Map(n.fields.map(f => [f.name, f]))
  const renumbered = new Set<number>()
  for (const a of o.fields) {
    const b = newByName.get(a.name)
    if (b && b.number !== a.number) {
      add('breaking', 'field-renumbered', `field ${name}.${a.name} renumbered from ${a.number} to ${b.number}`, `${name}.${a.name}`, newer, b)
      renumbered.add(a.number)
      renumbered.add(b.number)
    }
  }
  const oneofMoves = new Map<string, { into: string; fields: ProtoField[] }>()
  for (const a of o.fields) {
    const b = newByNumber.get(a.number)
    const path = `${name}.${a.name}`
    if (!b) {
      if (renumbered.has(a.number)) continue
      if (isReserved(n.reserved, a.number)) {
        const nameNote = n.reserved.names.includes(a.name) ? undefined : `reserve the name "${a.name}" too if JSON or text data may hold it`
        add('compatible', 'field-removed-reserved', `field ${path} = ${a.number} removed; its number is reserved`, path, older, a, nameNote)
      } else {
        add('breaking', 'field-removed', `field ${path} = ${a.number} removed; reserve ${a.number} to delete a field safely`, path, older, a)
      }
      continue
    }
    compareField(ctx, `${name}.${b.name}`, a, b, 'field', renumbered.has(a.number))
    // Oneof membership (Buf FIELD_SAME_ONEOF), gathered to tell a field moved alone into a new oneof.
    if (a.oneof !== b.oneof) {
      const key = `${a.oneof ?? ''}\u0000${b.oneof ?? ''}`
      const move = oneofMoves.get(key) ?? { into: b.oneof ?? '', fields: [] }
      move.fields.push(b)
      oneofMoves.set(key, move)
    }
  }
  for (const [key, move] of oneofMoves) {
    const from = key.split('\u0000')[0]
    const into = move.into
    const intoIsNew = into !== '' && !o.oneofs.has(into)
    const existingInto = n.fields.filter(f => f.oneof === into && oldByNumber.has(f.number)).length
    if (from === '' && intoIsNew && existingInto === 1) {
      const f = move.fields[0]
      add('compatible', 'field-moved-into-new-oneof', `field ${name}.${f.name} = ${f.number} moved into new oneof ${into}`, `${name}.${f.name}`, newer, f, NOTE_ONEOF)
      continue
    }
    // A oneof renamed with exactly the same existing members.
    const oldMembers = o.fields.filter(f => f.oneof === from).map(f => f.number)
    const newMembers = n.fields.filter(f => f.oneof === into && oldByNumber.has(f.number)).map(f => f.number)
    if (from !== '' && intoIsNew && !n.oneofs.has(from) && sameSet(oldMembers, newMembers) && oldMembers.length === move.fields.length) {
      add('info', 'oneof-renamed', `oneof ${name}.${from} renamed to ${into}`, `${name}.${into}`, newer, n.oneofs.get(into) ?? n, NOTE_JSON)
      continue
    }
    for (const f of move.fields) {
      const was = from === '' ? 'outside any oneof' : `in oneof ${from}`
      const now = into === '' ? 'outside any oneof' : `in oneof ${into}`
      add('breaking', 'field-oneof-changed', `field ${name}.${f.name} = ${f.number} moved from ${was} to ${now}`, `${name}.${f.name}`, newer, f)
    }
  }
  for (const b of n.fields) {
    if (oldByNumber.has(b.number) || renumbered.has(b.number)) continue
    const path = `${name}.${b.name}`
    if (b.cardinality === 'required') add('breaking', 'required-field-added', `required field ${path} = ${b.number} added: data written without it does not parse`, path, newer, b)
    else add('compatible', 'field-added', `field ${path} = ${b.number} added`, path, newer, b)
  }
}

const sameSet = (a: number[], b: number[]) => a.length === b.length && a.every(x => b.includes(x))

function typeText(ctx: Context, t: ProtoType, side: 'old' | 'new'): string {
  if (t.kind === 'scalar' || t.kind === 'external') return t.name
  const rel = side === 'old' ? ctx.relOld : ctx.relNew
  return t.kind === 'message' && t.group ? `group ${rel(t.name)}` : rel(t.name)
}

function fieldTypeText(ctx: Context, f: ProtoField, side: 'old' | 'new'): string {
  const t = typeText(ctx, f.type, side)
  if (f.cardinality === 'map') return `map<${f.keyType}, ${t}>`
  return t
}

/** How a value written with type `o` reads as type `n`: same, wire-compatible (with a note) or breaking. */
function typeChange(ctx: Context, o: ProtoType, n: ProtoType): { ok: boolean; note?: string } | undefined {
  const oName = typeText(ctx, o, 'old')
  const nName = typeText(ctx, n, 'new')
  if (o.kind === n.kind && oName === nName) return undefined
  if (o.kind === 'scalar' && n.kind === 'scalar') {
    if (WIRE_GROUP[o.name] !== WIRE_GROUP[n.name]) return { ok: false }
    return { ok: true, note: WIRE_GROUP[o.name] === 'bytes' ? NOTE_BYTES : NOTE_TRUNCATE }
  }
  const isEnumInt = (a: ProtoType, b: ProtoType) => a.kind === 'enum' && b.kind === 'scalar' && ENUM_COMPATIBLE.has(b.name)
  if (isEnumInt(o, n) || isEnumInt(n, o)) return { ok: true, note: NOTE_ENUM }
  return { ok: false }
}

function compareField(ctx: Context, path: string, o: ProtoField, n: ProtoField, what: 'field' | 'extension', renumbered = false): void {
  const { add, newer } = ctx
  const ref = `${what} ${path} = ${n.number}`
  if (o.name !== n.name && !renumbered) add('info', `${what}-renamed`, `${what} ${o.number} renamed from ${o.name} to ${n.name}`, path, newer, n, NOTE_JSON)
  if ((o.jsonName ?? null) !== (n.jsonName ?? null)) {
    add('info', 'field-json-name-changed', `${ref} json_name changed from ${o.jsonName ?? '(default)'} to ${n.jsonName ?? '(default)'}`, path, newer, n, NOTE_JSON)
  }
  const isMap = (f: ProtoField) => f.cardinality === 'map'
  if (isMap(o) !== isMap(n)) {
    add('breaking', `${what}-type-changed`, `${ref} type changed from ${fieldTypeText(ctx, o, 'old')} to ${fieldTypeText(ctx, n, 'new')}`, path, newer, n)
  } else {
    const key = isMap(o) ? typeChange(ctx, { kind: 'scalar', name: o.keyType ?? '' }, { kind: 'scalar', name: n.keyType ?? '' }) : undefined
    const value = typeChange(ctx, o.type, n.type)
    const groupChanged = o.type.kind === 'message' && n.type.kind === 'message' && o.type.group !== n.type.group
    if ((key && !key.ok) || (value && !value.ok) || groupChanged) {
      add('breaking', `${what}-type-changed`, `${ref} type changed from ${fieldTypeText(ctx, o, 'old')} to ${fieldTypeText(ctx, n, 'new')}`, path, newer, n)
    } else if (key || value) {
      add(
        'compatible',
        `${what}-type-wire-compatible`,
        `${ref} type changed from ${fieldTypeText(ctx, o, 'old')} to ${fieldTypeText(ctx, n, 'new')}`,
        path,
        newer,
        n,
        (value ?? key)!.note,
      )
    }
    if (!isMap(o) && o.cardinality !== n.cardinality) {
      const presenceOnly = new Set([o.cardinality, n.cardinality])
      if (presenceOnly.has('optional') && presenceOnly.has('implicit') && presenceOnly.size === 2) {
        add('compatible', `${what}-presence-changed`, `${ref} changed from ${o.cardinality} to ${n.cardinality} presence`, path, newer, n, NOTE_PRESENCE)
      } else {
        add('breaking', `${what}-cardinality-changed`, `${ref} changed from ${o.cardinality} to ${n.cardinality}`, path, newer, n)
      }
    }
  }
  if ((o.defaultValue ?? null) !== (n.defaultValue ?? null)) {
    add('breaking', `${what}-default-changed`, `${ref} default value changed from ${o.defaultValue ?? '(none)'} to ${n.defaultValue ?? '(none)'}`, path, newer, n)
  }
}

function compareEnum(ctx: Context, name: string, o: ProtoEnum, n: ProtoEnum, syntaxChanged: boolean): void {
  const { add, older, newer } = ctx
  if (o.closed !== n.closed && !syntaxChanged) {
    add('breaking', 'enum-type-changed', `enum ${name} changed from ${o.closed ? 'closed' : 'open'} to ${n.closed ? 'closed' : 'open'}`, name, newer, n)
  }
  compareReserved(ctx, 'enum', name, o.reserved, n.reserved, n.reservedAt ?? n)
  const newByName = new Map(n.values.map(v => [v.name, v]))
  const newNumbers = new Set(n.values.map(v => v.number))
  const oldNumbers = new Set(o.values.map(v => v.number))
  const explained = new Set<number>()
  for (const a of o.values) {
    const b = newByName.get(a.name)
    if (b && b.number !== a.number) {
      add('breaking', 'enum-value-renumbered', `enum value ${name}.${a.name} renumbered from ${a.number} to ${b.number}`, `${name}.${a.name}`, newer, b)
      explained.add(a.number)
    }
  }
  const reported = new Set<number>()
  for (const a of o.values) {
    if (reported.has(a.number)) continue
    reported.add(a.number)
    const path = `${name}.${a.name}`
    if (!newNumbers.has(a.number)) {
      if (explained.has(a.number)) continue
      if (isReserved(n.reserved, a.number)) add('compatible', 'enum-value-removed-reserved', `enum value ${path} = ${a.number} removed; its number is reserved`, path, older, a)
      else add('breaking', 'enum-value-removed', `enum value ${path} = ${a.number} removed; reserve ${a.number} to delete a value safely`, path, older, a)
      continue
    }
    const oldNames = o.values.filter(v => v.number === a.number).map(v => v.name)
    const newHolders = n.values.filter(v => v.number === a.number)
    if (!newHolders.some(v => oldNames.includes(v.name))) {
      const b = newHolders[0]
      add(
        'info',
        'enum-value-renamed',
        `enum value ${a.number} of ${name} renamed from ${oldNames.join('/')} to ${newHolders.map(v => v.name).join('/')}`,
        `${name}.${b.name}`,
        newer,
        b,
        NOTE_JSON,
      )
    }
  }
  const added = new Set<number>()
  for (const b of n.values) {
    if (oldNumbers.has(b.number) || added.has(b.number) || o.values.some(v => v.name === b.name)) continue
    added.add(b.number)
    add('compatible', 'enum-value-added', `enum value ${name}.${b.name} = ${b.number} added`, `${name}.${b.name}`, newer, b)
  }
}

function compareService(ctx: Context, name: string, o: ProtoService, n: ProtoService): void {
  const { add, older, newer } = ctx
  const newByName = new Map(n.methods.map(m => [m.name, m]))
  for (const a of o.methods) {
    const b = newByName.get(a.name)
    const path = `${name}.${a.name}`
    if (!b) {
      add('breaking', 'rpc-removed', `rpc ${path} removed`, path, older, a)
      continue
    }
    for (const side of ['request', 'response'] as const) {
      const ta = ctx.relOld(side === 'request' ? a.requestType : a.responseType).replace(/^\?/, '')
      const tb = ctx.relNew(side === 'request' ? b.requestType : b.responseType).replace(/^\?/, '')
      if (ta !== tb) add('breaking', `rpc-${side}-type-changed`, `rpc ${path} ${side} type changed from ${ta} to ${tb}`, path, newer, b)
      const sa = side === 'request' ? a.requestStream : a.responseStream
      const sb = side === 'request' ? b.requestStream : b.responseStream
      if (sa !== sb) add('breaking', `rpc-${side}-streaming-changed`, `rpc ${path} ${side} ${sb ? 'became' : 'is no longer'} streaming`, path, newer, b)
    }
  }
  const oldNames = new Set(o.methods.map(m => m.name))
  for (const b of n.methods) if (!oldNames.has(b.name)) add('compatible', 'rpc-added', `rpc ${name}.${b.name} added`, `${name}.${b.name}`, newer, b)
}
