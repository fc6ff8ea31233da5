/**
 * Struct layout: where every field of a struct lives in its data and pointer sections, exactly as
 * the official compiler decides it. Fields are placed in ordinal order; each data field takes the
 * smallest free, aligned hole that fits it (the data section grows one word at a time). The members
 * of a union share space: each member (or group of members) is laid out in its own view of the
 * union's locations, which grow as needed, and the union's 16-bit discriminant is placed when its
 * second member gets space (or when a retroactive union ordinal `@N!` comes up).
 */
import type { Decl } from './ast.js'

/** log2 of a field's size in bits; 'pointer' for pointer fields, 'void' for Void. */
export type FieldSize = number | 'pointer' | 'void'

const HOLE_SIZES = 6

/** Free space inside a section: at most one hole per power-of-two size from 1 to 32 bits. */
class HoleSet {
  /** offset of the hole of each size, in multiples of that size; 0 = none */
  readonly holes: number[] = new Array(HOLE_SIZES).fill(0)

  tryAllocate(lgSize: number): number | undefined {
    if (lgSize >= HOLE_SIZES) return undefined
    if (this.holes[lgSize] !== 0) {
      const r = this.holes[lgSize]
      this.holes[lgSize] = 0
      return r
    }
    const next = this.tryAllocate(lgSize + 1)
    if (next === undefined) return undefined
    const r = next * 2
    this.holes[lgSize] = r + 1
    return r
  }

  /** New holes of sizes [lgSize, limit) after a field of lgSize allocated at `offset - 1`. */
  addHolesAtEnd(lgSize: number, offset: number, limit = HOLE_SIZES): void {
    while (lgSize < limit) {
      this.holes[lgSize] = offset
      lgSize++
      offset = (offset + 1) >> 1
    }
  }

  tryExpand(oldLgSize: number, oldOffset: number, factor: number): boolean {
    if (factor === 0) return true
    if (oldLgSize === HOLE_SIZES) return false
    if (this.holes[oldLgSize] !== oldOffset + 1) return false
    if (this.tryExpand(oldLgSize + 1, oldOffset >> 1, factor - 1)) {
      this.holes[oldLgSize] = 0
      return true
    }
    return false
  }

  smallestAtLeast(size: number): number | undefined {
    for (let i = size; i < HOLE_SIZES; i++) if (this.holes[i] !== 0) return i
    return undefined
  }
}

interface Scope {
  addVoid(): void
  addData(lgSize: number): number
  addPointer(): number
  tryExpandData(oldLgSize: number, oldOffset: number, factor: number): boolean
}

class Top implements Scope {
  dataWordCount = 0
  pointerCount = 0
  private readonly holes = new HoleSet()

  addVoid(): void {}

  addData(lgSize: number): number {
    const hole = this.holes.tryAllocate(lgSize)
    if (hole !== undefined) return hole
    const offset = this.dataWordCount++ << (6 - lgSize)
    this.holes.addHolesAtEnd(lgSize, offset + 1)
    return offset
  }

  addPointer(): number {
    return this.pointerCount++
  }

  tryExpandData(oldLgSize: number, oldOffset: number, factor: number): boolean {
    return this.holes.tryExpand(oldLgSize, oldOffset, factor)
  }
}

interface DataLocation {
  lgSize: number
  offset: number
}

class Union {
  groupCount = 0
  discriminantOffset: number | undefined
  readonly dataLocations: DataLocation[] = []
  readonly pointerLocations: number[] = []

  constructor(readonly parent: Scope) {}

  expandLocation(loc: DataLocation, newLgSize: number): boolean {
    if (newLgSize <= loc.lgSize) return true
    if (!this.parent.tryExpandData(loc.lgSize, loc.offset, newLgSize - loc.lgSize)) return false
    loc.offset >>= newLgSize - loc.lgSize
    loc.lgSize = newLgSize
    return true
  }

  addNewDataLocation(lgSize: number): number {
    const offset = this.parent.addData(lgSize)
    this.dataLocations.push({ lgSize, offset })
    return offset
  }

  addNewPointerLocation(): number {
    const p = this.parent.addPointer()
    this.pointerLocations.push(p)
    return p
  }

  newGroupAddingFirstMember(): void {
    if (++this.groupCount === 2) this.addDiscriminant()
  }

  addDiscriminant(): boolean {
    if (this.discriminantOffset !== undefined) return false
    this.discriminantOffset = this.parent.addData(4)
    return true
  }
}

/** How much of one of its union's data locations a group uses. */
class LocationUsage {
  used = false
  lgSizeUsed = 0
  readonly holes = new HoleSet()

  constructor(lgSize?: number) {
    if (lgSize !== undefined) {
      this.used = true
      this.lgSizeUsed = lgSize
    }
  }

  smallestHoleAtLeast(loc: DataLocation, lgSize: number): number | undefined {
    if (!this.used) return lgSize <= loc.lgSize ? loc.lgSize : undefined
    if (lgSize >= this.lgSizeUsed) return lgSize < loc.lgSize ? lgSize : undefined
    const h = this.holes.smallestAtLeast(lgSize)
    if (h !== undefined) return h
    return this.lgSizeUsed < loc.lgSize ? this.lgSizeUsed : undefined
  }

  allocateFromHole(loc: DataLocation, lgSize: number): number {
    let result: number
    if (!this.used) {
      result = 0
      this.used = true
      this.lgSizeUsed = lgSize
    } else if (lgSize >= this.lgSizeUsed) {
      this.holes.addHolesAtEnd(this.lgSizeUsed, 1, lgSize)
      this.lgSizeUsed = lgSize + 1
      result = 1
    } else {
      const hole = this.holes.tryAllocate(lgSize)
      if (hole !== undefined) {
        result = hole
      } else {
        result = 1 << (this.lgSizeUsed - lgSize)
        this.holes.addHolesAtEnd(lgSize, result + 1, this.lgSizeUsed)
        this.lgSizeUsed += 1
      }
    }
    return (loc.offset << (loc.lgSize - lgSize)) + result
  }

  tryAllocateByExpanding(union: Union, loc: DataLocation, lgSize: number): number | undefined {
    if (!this.used) {
      if (!union.expandLocation(loc, lgSize)) return undefined
      this.used = true
      this.lgSizeUsed = lgSize
      return loc.offset << (loc.lgSize - lgSize)
    }
    const newSize = Math.max(this.lgSizeUsed, lgSize) + 1
    if (!this.tryExpandUsage(union, loc, newSize, true)) return undefined
    const r = this.holes.tryAllocate(lgSize) as number
    return (loc.offset << (loc.lgSize - lgSize)) + r
  }

  tryExpand(union: Union, loc: DataLocation, oldLgSize: number, oldOffset: number, factor: number): boolean {
    if (oldOffset === 0 && this.lgSizeUsed === oldLgSize) return this.tryExpandUsage(union, loc, oldLgSize + factor, false)
    return this.holes.tryExpand(oldLgSize, oldOffset, factor)
  }

  private tryExpandUsage(union: Union, loc: DataLocation, desired: number, newHoles: boolean): boolean {
    if (desired > loc.lgSize && !union.expandLocation(loc, desired)) return false
    if (newHoles) this.holes.addHolesAtEnd(this.lgSizeUsed, 1, desired)
    this.lgSizeUsed = desired
    return true
  }
}

/** One member (or group of members) of a union, with its own view of the union's space. */
class Group implements Scope {
  private readonly usage: LocationUsage[] = []
  private pointerUsage = 0
  private hasMembers = false

  constructor(readonly parent: Union) {}

  private addMember(): void {
    if (!this.hasMembers) {
      this.hasMembers = true
      this.parent.newGroupAddingFirstMember()
    }
  }

  addVoid(): void {
    this.addMember()
    // a union nested in a union tells the outer one that a member arrived
    this.parent.parent.addVoid()
  }

  addData(lgSize: number): number {
    this.addMember()
    const locs = this.parent.dataLocations
    let bestSize = Infinity
    let best: number | undefined
    for (let i = 0; i < locs.length; i++) {
      if (this.usage.length === i) this.usage.push(new LocationUsage())
      const hole = this.usage[i].smallestHoleAtLeast(locs[i], lgSize)
      if (hole !== undefined && hole < bestSize) {
        bestSize = hole
        best = i
      }
    }
    if (best !== undefined) return this.usage[best].allocateFromHole(locs[best], lgSize)
    for (let i = 0; i < locs.length; i++) {
      const r = this.usage[i].tryAllocateByExpanding(this.parent, locs[i], lgSize)
      if (r !== undefined) return r
    }
    const r = this.parent.addNewDataLocation(lgSize)
    this.usage.push(new LocationUsage(lgSize))
    return r
  }

  addPointer(): number {
    this.addMember()
    if (this.pointerUsage < this.parent.pointerLocations.length) return this.parent.pointerLocations[this.pointerUsage++]
    this.pointerUsage++
    return this.parent.addNewPointerLocation()
  }

  tryExpandData(oldLgSize: number, oldOffset: number, factor: number): boolean {
    if (oldLgSize + factor > 6 || (oldOffset & ((1 << factor) - 1)) !== 0) return false
    const locs = this.parent.dataLocations
    for (let i = 0; i < this.usage.length; i++) {
      const loc = locs[i]
      if (loc.lgSize >= oldLgSize && oldOffset >> (loc.lgSize - oldLgSize) === loc.offset) {
        const local = oldOffset - (loc.offset << (loc.lgSize - oldLgSize))
        return this.usage[i].tryExpand(this.parent, loc, oldLgSize, local, factor)
      }
    }
    return false
  }
}

export interface StructLayout {
  dataWordCount: number
  pointerCount: number
  /** slot offset of each field declaration, in multiples of its size (pointers: index) */
  offsets: Map<Decl, number>
  /**
   * discriminant offset (in 16-bit units) of each union: keyed by the named union's declaration,
   * or by the group declaration / `root` holding an unnamed union
   */
  discriminants: Map<Decl | 'root', number>
}

interface Member {
  ordinal: number
  seq: number
  decl: Decl
  /** field: where its slot goes; union with an ordinal: the union whose discriminant it places */
  scope?: Scope
  union?: Union
}

const MEMBER_KINDS = new Set(['field', 'union', 'group'])

/**
 * Lays out a struct from its member declarations. `sizeOf` gives each field's size (from its
 * resolved type). With `params`, `decls` are method parameters numbered by position.
 */
export function layoutStruct(decls: Decl[], sizeOf: (field: Decl) => FieldSize): StructLayout {
  const top = new Top()
  const members: Member[] = []
  const unions: Array<{ key: Decl | 'root'; union: Union }> = []
  let seq = 0
  const add = (ordinal: number | undefined, m: Omit<Member, 'ordinal' | 'seq'>): void => {
    if (ordinal !== undefined) members.push({ ordinal, seq: seq++, ...m })
  }

  const traverseUnion = (ds: Decl[], union: Union): void => {
    for (const d of ds) {
      if (!MEMBER_KINDS.has(d.kind)) continue
      if (d.kind === 'field') {
        add(d.ordinal?.value, { decl: d, scope: new Group(union) })
      } else if (d.kind === 'union') {
        if (!d.name.name) continue
        const inner = new Union(new Group(union))
        unions.push({ key: d, union: inner })
        traverseUnion(d.nested, inner)
        add(d.ordinal?.value, { decl: d, union: inner })
      } else {
        traverseTopOrGroup(d.nested, new Group(union), d)
      }
    }
  }

  const traverseTopOrGroup = (ds: Decl[], scope: Scope, owner: Decl | 'root'): void => {
    for (const d of ds) {
      if (!MEMBER_KINDS.has(d.kind)) continue
      if (d.kind === 'field') {
        add(d.ordinal?.value, { decl: d, scope })
      } else if (d.kind === 'union') {
        const union = new Union(scope)
        unions.push({ key: d.name.name ? d : owner, union })
        traverseUnion(d.nested, union)
        add(d.ordinal?.value, { decl: d, union })
      } else {
        traverseTopOrGroup(d.nested, scope, d)
      }
    }
  }

  traverseTopOrGroup(decls, top, 'root')
  return place(top, members, unions, sizeOf)
}

/** Lays out a method's parameter (or result) struct: parameters are numbered by position. */
export function layoutParams<T>(params: T[], sizeOf: (param: T) => FieldSize): { dataWordCount: number; pointerCount: number; offsets: Map<T, number> } {
  const top = new Top()
  const offsets = new Map<T, number>()
  for (const p of params) {
    const size = sizeOf(p)
    if (size === 'pointer') offsets.set(p, top.addPointer())
    else if (size === 'void') offsets.set(p, 0)
    else offsets.set(p, top.addData(size))
  }
  return { dataWordCount: top.dataWordCount, pointerCount: top.pointerCount, offsets }
}

function place(top: Top, members: Member[], unions: Array<{ key: Decl | 'root'; union: Union }>, sizeOf: (field: Decl) => FieldSize): StructLayout {
  members.sort((a, b) => a.ordinal - b.ordinal || a.seq - b.seq)
  const offsets = new Map<Decl, number>()
  for (const m of members) {
    if (m.decl.kind === 'union') {
      m.union?.addDiscriminant()
      continue
    }
    const scope = m.scope as Scope
    const size = sizeOf(m.decl)
    if (size === 'pointer') offsets.set(m.decl, scope.addPointer())
    else if (size === 'void') {
      scope.addVoid()
      offsets.set(m.decl, 0)
    } else offsets.set(m.decl, scope.addData(size))
  }
  const discriminants = new Map<Decl | 'root', number>()
  for (const u of unions) {
    u.union.addDiscriminant()
    discriminants.set(u.key, u.union.discriminantOffset as number)
  }
  return { dataWordCount: top.dataWordCount, pointerCount: top.pointerCount, offsets, discriminants }
}
