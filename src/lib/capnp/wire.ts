/**
 * Minimal Cap'n Proto wire encoding: a single-segment message builder driven by compiled schema
 * nodes (their layout), used to write CodeGeneratorRequests and compiled values; and a schema-less
 * reader that turns any message into a canonical tree (for comparing two encodings of one content).
 */
import type { CapnpField, CapnpLit, CapnpNode, CapnpType } from './model.js'

const utf8 = new TextEncoder()

/** A value to write: plain JS for the request's own fields, or a compiled literal with its type. */
export type WireValue = null | boolean | number | bigint | string | Uint8Array | WireValue[] | { [field: string]: WireValue } | TypedLit

export class TypedLit {
  constructor(
    readonly type: CapnpType,
    readonly lit: CapnpLit,
  ) {}
}

export type NodeLookup = (id: string) => CapnpNode | undefined

const ELEMENT_SIZE: Record<string, number> = {
  Void: 0,
  Bool: 1,
  Int8: 2,
  UInt8: 2,
  Int16: 3,
  UInt16: 3,
  enum: 3,
  Int32: 4,
  UInt32: 4,
  Float32: 4,
  Int64: 5,
  UInt64: 5,
  Float64: 5,
}

function isPointerType(t: CapnpType): boolean {
  return !(t.kind in ELEMENT_SIZE)
}

export class MessageBuilder {
  private buf = new Uint8Array(1024)
  private view = new DataView(this.buf.buffer)
  private words = 0

  constructor(private readonly nodes: NodeLookup) {}

  private alloc(words: number): number {
    const at = this.words
    this.words += words
    if (this.words * 8 > this.buf.length) {
      let size = this.buf.length
      while (size < this.words * 8) size *= 2
      const next = new Uint8Array(size)
      next.set(this.buf)
      this.buf = next
      this.view = new DataView(next.buffer)
    }
    return at
  }

  /** The framed message (segment table + one segment). */
  finish(): Uint8Array {
    const out = new Uint8Array(8 + this.words * 8)
    const v = new DataView(out.buffer)
    v.setUint32(0, 0, true)
    v.setUint32(4, this.words, true)
    out.set(this.buf.subarray(0, this.words * 8), 8)
    return out
  }

  /** Writes the root struct of type `node` from a JS object keyed by field name. */
  writeRoot(node: CapnpNode, value: Record<string, WireValue>): void {
    const ptr = this.alloc(1)
    this.writeStructAt(ptr, node, base => this.fillObject(node, base, value))
  }

  private setStructPointer(ptr: number, target: number, data: number, ptrs: number): void {
    // an empty struct points just before itself, so that it is not a null pointer
    const off = data + ptrs === 0 ? -1 : target - ptr - 1
    this.view.setUint32(ptr * 8, (off << 2) >>> 0, true)
    this.view.setUint16(ptr * 8 + 4, data, true)
    this.view.setUint16(ptr * 8 + 6, ptrs, true)
  }

  private setListPointer(ptr: number, target: number, size: number, count: number): void {
    const off = target - ptr - 1
    this.view.setUint32(ptr * 8, ((off << 2) | 1) >>> 0, true)
    this.view.setUint32(ptr * 8 + 4, ((count << 3) | size) >>> 0, true)
  }

  private structNode(id: string): CapnpNode {
    const n = this.nodes(id)
    if (!n || n.kind !== 'struct') throw new Error(`no struct node ${id}`)
    return n
  }

  private writeStructAt(ptr: number, node: CapnpNode, fill: (base: number) => void): void {
    const data = node.dataWordCount ?? 0
    const ptrs = node.pointerCount ?? 0
    const base = this.alloc(data + ptrs)
    this.setStructPointer(ptr, base, data, ptrs)
    fill(base)
  }

  private readonly fieldIndex = new WeakMap<CapnpNode, Map<string, CapnpField>>()

  /** Finds a field of `node` by name. */
  private field(node: CapnpNode, name: string): { field: CapnpField } {
    let index = this.fieldIndex.get(node)
    if (!index) {
      index = new Map((node.fields ?? []).map(f => [f.name, f]))
      this.fieldIndex.set(node, index)
    }
    const f = index.get(name)
    if (!f) throw new Error(`${node.displayName} has no field ${name}`)
    return { field: f }
  }

  private fillObject(node: CapnpNode, base: number, value: Record<string, WireValue>): void {
    for (const [name, v] of Object.entries(value)) {
      if (v === undefined) continue
      const { field } = this.field(node, name)
      this.setDiscriminant(node, base, field.discriminant)
      if (field.groupId) {
        this.fillObject(this.structNode(field.groupId), base, v as Record<string, WireValue>)
        continue
      }
      const t = field.type as CapnpType
      this.writeSlot(node, base, field.offset ?? 0, t, v, field.defaultLit)
    }
  }

  private setDiscriminant(node: CapnpNode, base: number, discriminant: number | null): void {
    if (discriminant === null) return
    this.view.setUint16(base * 8 + (node.discriminantOffset ?? 0) * 2, discriminant, true)
  }

  private writeSlot(node: CapnpNode, base: number, offset: number, t: CapnpType, v: WireValue, def: CapnpLit | undefined): void {
    if (v instanceof TypedLit) {
      this.writeLitSlot(node, base, offset, v.type, v.lit, def)
      return
    }
    if (t.kind === 'Void' || v === null) return
    if (!isPointerType(t)) {
      this.writeData(base, offset, t, v, def)
      return
    }
    const ptr = base + (node.dataWordCount ?? 0) + offset
    this.writePointer(ptr, t, v)
  }

  private writePointer(ptr: number, t: CapnpType, v: WireValue): void {
    if (v === null) return
    if (v instanceof TypedLit) {
      this.writeLitPointer(ptr, v.type, v.lit)
      return
    }
    switch (t.kind) {
      case 'Text':
        this.writeBytes(ptr, utf8.encode(v as string), true)
        return
      case 'Data':
        this.writeBytes(ptr, v as Uint8Array, false)
        return
      case 'struct': {
        const n = this.structNode(t.id)
        this.writeStructAt(ptr, n, b => this.fillObject(n, b, v as Record<string, WireValue>))
        return
      }
      case 'List':
        this.writeList(
          ptr,
          t.element,
          (v as WireValue[]).map(x => x),
        )
        return
      default:
        throw new Error(`cannot write a plain value of type ${t.kind}`)
    }
  }

  private writeBytes(ptr: number, bytes: Uint8Array, nul: boolean): void {
    const n = bytes.length + (nul ? 1 : 0)
    const at = this.alloc(Math.ceil(n / 8))
    this.buf.set(bytes, at * 8)
    this.setListPointer(ptr, at, 2, n)
  }

  private writeList(ptr: number, el: CapnpType, items: WireValue[]): void {
    if (el.kind === 'struct') {
      const n = this.structNode(el.id)
      const data = n.dataWordCount ?? 0
      const ptrs = n.pointerCount ?? 0
      const per = data + ptrs
      const tag = this.alloc(1 + per * items.length)
      this.view.setUint32(tag * 8, (items.length << 2) >>> 0, true)
      this.view.setUint16(tag * 8 + 4, data, true)
      this.view.setUint16(tag * 8 + 6, ptrs, true)
      this.setListPointer(ptr, tag, 7, per * items.length)
      items.forEach((item, i) => {
        const base = tag + 1 + i * per
        if (item instanceof TypedLit) {
          if (item.lit.k === 'struct') this.fillLit(n, base, item.lit)
        } else if (item !== null) this.fillObject(n, base, item as Record<string, WireValue>)
      })
      return
    }
    if (isPointerType(el)) {
      const at = this.alloc(items.length)
      this.setListPointer(ptr, at, 6, items.length)
      items.forEach((item, i) => this.writePointer(at + i, el, item))
      return
    }
    const size = ELEMENT_SIZE[el.kind]
    const bits = [0, 1, 8, 16, 32, 64][size]
    const at = this.alloc(Math.ceil((bits * items.length) / 64))
    this.setListPointer(ptr, at, size, items.length)
    items.forEach((item, i) => {
      if (item instanceof TypedLit) this.writeLitData(at, i, el, item.lit, undefined)
      else if (item !== null) this.writeData(at, i, el, item, undefined)
    })
  }

  /** A data field: `offset` in multiples of the type's size from the section start `base`. */
  private writeData(base: number, offset: number, t: CapnpType, v: WireValue, def: CapnpLit | undefined): void {
    const lit: CapnpLit =
      typeof v === 'boolean'
        ? { k: 'bool', v }
        : t.kind === 'Float32' || t.kind === 'Float64'
          ? { k: 'float', v: v as number }
          : t.kind === 'enum'
            ? { k: 'enum', v: v as number }
            : { k: 'int', v: String(v) }
    this.writeLitData(base, offset, t, lit, def)
  }

  private writeLitData(base: number, offset: number, t: CapnpType, lit: CapnpLit, def: CapnpLit | undefined): void {
    const at = base * 8
    if (t.kind === 'Void') return
    if (t.kind === 'Bool') {
      const on = (lit.k === 'bool' && lit.v) !== (def?.k === 'bool' && def.v)
      if (on) this.buf[at + (offset >> 3)] |= 1 << (offset & 7)
      return
    }
    const bits = bitsOf(t, lit) ^ (def ? bitsOf(t, def) : 0n)
    switch (ELEMENT_SIZE[t.kind]) {
      case 2:
        this.view.setUint8(at + offset, Number(bits & 0xffn))
        break
      case 3:
        this.view.setUint16(at + offset * 2, Number(bits & 0xffffn), true)
        break
      case 4:
        this.view.setUint32(at + offset * 4, Number(bits & 0xffffffffn), true)
        break
      case 5:
        this.view.setBigUint64(at + offset * 8, BigInt.asUintN(64, bits), true)
        break
      default:
        break
    }
  }

  // ---------------------------------------------------------------- compiled literals
  private writeLitSlot(node: CapnpNode, base: number, offset: number, t: CapnpType, lit: CapnpLit, def: CapnpLit | undefined): void {
    if (!isPointerType(t)) {
      this.writeLitData(base, offset, t, lit, def)
      return
    }
    this.writeLitPointer(base + (node.dataWordCount ?? 0) + offset, t, lit)
  }

  /** Writes a literal into a pointer of type `t` (text, data, list, struct; null stays null). */
  writeLitPointer(ptr: number, t: CapnpType, lit: CapnpLit): void {
    switch (lit.k) {
      case 'null':
        return
      case 'text':
        this.writeBytes(ptr, lit.hex !== undefined ? Uint8Array.from(Buffer.from(lit.hex, 'hex')) : utf8.encode(lit.v), true)
        return
      case 'data':
        this.writeBytes(ptr, Uint8Array.from(Buffer.from(lit.v, 'hex')), false)
        return
      case 'list': {
        const el = t.kind === 'List' ? t.element : lit.items[0]?.type
        if (!el) {
          // an empty list of unknown element type
          const at = this.alloc(0)
          this.setListPointer(ptr, at, 0, 0)
          return
        }
        this.writeList(
          ptr,
          el,
          lit.items.map(x => new TypedLit(x.type, x.value)),
        )
        return
      }
      case 'struct': {
        const n = this.structNode(lit.id)
        this.writeStructAt(ptr, n, b => this.fillLit(n, b, lit))
        return
      }
      default:
        return
    }
  }

  private fillLit(node: CapnpNode, base: number, lit: CapnpLit & { k: 'struct' }): void {
    for (const a of lit.fields) {
      const { field } = this.field(node, a.name)
      this.setDiscriminant(node, base, field.discriminant)
      if (field.groupId) {
        if (a.value.k === 'struct') this.fillLit(this.structNode(field.groupId), base, a.value)
        continue
      }
      const t = a.type ?? (field.type as CapnpType)
      this.writeLitSlot(node, base, field.offset ?? 0, t, a.value, isPointerType(t) ? undefined : field.defaultLit)
    }
  }
}

function bitsOf(t: CapnpType, lit: CapnpLit): bigint {
  switch (lit.k) {
    case 'bool':
      return lit.v ? 1n : 0n
    case 'enum':
      return BigInt(lit.v)
    case 'int':
      return BigInt.asUintN(64, BigInt(lit.v))
    case 'float': {
      const n = lit.v === 'inf' ? Infinity : lit.v === '-inf' ? -Infinity : lit.v === 'nan' ? NaN : lit.v
      const dv = new DataView(new ArrayBuffer(8))
      if (t.kind === 'Float32') {
        if (Number.isNaN(n)) return 0x7fc00000n
        dv.setFloat32(0, n, true)
        return BigInt(dv.getUint32(0, true))
      }
      if (Number.isNaN(n)) return 0x7ff8000000000000n
      dv.setFloat64(0, n, true)
      return dv.getBigUint64(0, true)
    }
    default:
      return 0n
  }
}

// ------------------------------------------------------------------ canonical reading

/** A message's content as a tree, independent of where things sit in the segments. */
export type WireTree = null | { s: string; p: WireTree[] } | { l: number; b: string } | { l: 7; e: Array<{ s: string; p: WireTree[] }> } | { l: 6; e: WireTree[] } | { cap: number }

function trimHex(bytes: Uint8Array): string {
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  return Buffer.from(bytes.subarray(0, end)).toString('hex')
}

/** Reads a framed message and returns the canonical tree of its root pointer. */
export function readMessageTree(msg: Uint8Array): WireTree {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength)
  const count = v.getUint32(0, true) + 1
  let pos = 4 + count * 4
  if (pos % 8) pos += 4
  const segs: Array<{ start: number; words: number }> = []
  for (let i = 0; i < count; i++) {
    const words = v.getUint32(4 + i * 4, true)
    segs.push({ start: pos, words })
    pos += words * 8
  }
  const u8 = msg
  const word = (seg: number, w: number): number => segs[seg].start + w * 8

  const readPtr = (seg: number, w: number, depth: number): WireTree => {
    if (depth > 200) throw new Error('message too deep')
    const at = word(seg, w)
    const lo = v.getUint32(at, true)
    const hi = v.getUint32(at + 4, true)
    if (lo === 0 && hi === 0) return null
    const kind = lo & 3
    if (kind === 2) {
      const landing = lo >>> 3
      const double = (lo & 4) !== 0
      const s2 = hi
      if (!double) return readPtr(s2, landing, depth + 1)
      // double-far: landing pad holds a far pointer to the content plus a tag word
      const padAt = word(s2, landing)
      const flo = v.getUint32(padAt, true)
      const fseg = v.getUint32(padAt + 4, true)
      const tagAt = padAt + 8
      return readAt(fseg, flo >>> 3, v.getUint32(tagAt, true), v.getUint32(tagAt + 4, true), depth, true)
    }
    if (kind === 3) return { cap: hi }
    const off = lo >> 2
    return readAt(seg, w + 1 + off, lo, hi, depth, false)
  }

  const readStruct = (seg: number, start: number, data: number, ptrs: number, depth: number): { s: string; p: WireTree[] } => {
    const d = u8.subarray(word(seg, start), word(seg, start) + data * 8)
    const p: WireTree[] = []
    for (let i = 0; i < ptrs; i++) p.push(readPtr(seg, start + data + i, depth + 1))
    while (p.length && p[p.length - 1] === null) p.pop()
    return { s: trimHex(d), p }
  }

  const readAt = (seg: number, start: number, lo: number, hi: number, depth: number, absolute: boolean): WireTree => {
    void absolute
    const kind = lo & 3
    if (kind === 0) return readStruct(seg, start, hi & 0xffff, hi >>> 16, depth)
    const size = hi & 7
    const count = hi >>> 3
    if (size === 7) {
      const tagAt = word(seg, start)
      const n = v.getUint32(tagAt, true) >>> 2
      const data = v.getUint16(tagAt + 4, true)
      const ptrs = v.getUint16(tagAt + 6, true)
      const e: Array<{ s: string; p: WireTree[] }> = []
      for (let i = 0; i < n; i++) e.push(readStruct(seg, start + 1 + i * (data + ptrs), data, ptrs, depth))
      return { l: 7, e }
    }
    if (size === 6) {
      const e: WireTree[] = []
      for (let i = 0; i < count; i++) e.push(readPtr(seg, start + i, depth + 1))
      return { l: 6, e }
    }
    const bits = [0, 1, 8, 16, 32, 64][size]
    const bytes = Math.ceil((bits * count) / 8)
    const b = u8.subarray(word(seg, start), word(seg, start) + bytes)
    return { l: size, b: `${count}:${Buffer.from(b).toString('hex')}` }
  }

  return readPtr(0, 0, 0)
}
