/**
 * Repairs of the TypeScript capnp-es's code generator writes wrong, for the two faults known to
 * break real schemas. Each repair is exact (the code then means what the schema says) or the
 * generation is refused with the reason; nothing else in the generated code is touched.
 *
 * 1. A list of lists of an enum (`List(List(MyEnum))`): capnp-es declares the list's constructor as
 *    `$.ListCtor<$.List<MyEnum>>` and assigns it `$.PointerList($.Uint16List)`, a list of numbers,
 *    which strict TypeScript refuses. An enum is a 16-bit number on the wire, so the constructor is
 *    the right one: the assignment gets the declared type, as capnp-es already does for
 *    `List(MyEnum)` fields.
 * 2. A type of an imported file with the same generated name as one of the file's own types
 *    (`otherscopes.capnp`'s `Foo` and a local `Foo`): capnp-es imports the name and declares it,
 *    which does not compile. When the generated code never refers to the imported type, the import
 *    of that name is dropped (every use of the name means the local type); when it does, capnp-es
 *    would write the local type where the imported one is meant, so generation is refused.
 */
import { SsmdError } from '../../core/errors.js'

/** What capnp-es's request reader gives (the parts used here). */
interface EsType {
  which(): number
  list: { elementType: EsType }
  struct: { typeId: bigint; brand: EsBrand }
  enum: { typeId: bigint; brand: EsBrand }
  interface: { typeId: bigint; brand: EsBrand }
}
interface EsBrand {
  scopes: Iterable<{ _isBind: boolean; bind: Iterable<{ _isType: boolean; type: EsType }> }>
}
interface EsNode {
  id: bigint
  displayName: string
  scopeId: bigint
  nestedNodes: Iterable<{ id: bigint }>
  _isStruct: boolean
  _isEnum: boolean
  _isInterface: boolean
  struct: { fields: Iterable<{ _isSlot: boolean; slot: { type: EsType } }> }
  interface: {
    methods: Iterable<{ paramStructType: bigint; resultStructType: bigint; paramBrand: EsBrand; resultBrand: EsBrand }>
    superclasses: Iterable<{ id: bigint; brand: EsBrand }>
  }
}
export interface EsRequest {
  nodes: Iterable<EsNode>
  requestedFiles: Iterable<{ id: bigint; filename: string; imports: Iterable<{ id: bigint; name: string }> }>
}
/** capnp-es's Type_Which numbers for the pointer types that name a node */
export interface EsTypeWhich {
  LIST: number
  ENUM: number
  STRUCT: number
  INTERFACE: number
}

/** capnp-es's name for a node's class: the path after the file, each part capitalised, joined by `_`. */
function className(n: EsNode): string {
  return (n.displayName.split(':')[1] ?? '')
    .split('.')
    .map(s => s.charAt(0).toUpperCase() + s.slice(1))
    .join('_')
}

function typeIds(t: EsType, which: EsTypeWhich, out: Set<bigint>): void {
  const w = t.which()
  if (w === which.LIST) typeIds(t.list.elementType, which, out)
  else if (w === which.STRUCT || w === which.ENUM || w === which.INTERFACE) {
    const ref = w === which.STRUCT ? t.struct : w === which.ENUM ? t.enum : t.interface
    out.add(ref.typeId)
    brandIds(ref.brand, which, out)
  }
}

function brandIds(b: EsBrand, which: EsTypeWhich, out: Set<bigint>): void {
  for (const s of b.scopes) if (s._isBind) for (const x of s.bind) if (x._isType) typeIds(x.type, which, out)
}

/** The ids of the nodes the generated code of `file` refers to: field, method and superclass types. */
function referencedIds(nodes: Map<bigint, EsNode>, fileId: bigint, which: EsTypeWhich): Set<bigint> {
  const out = new Set<bigint>()
  const visit = (n: EsNode): void => {
    if (n._isStruct) for (const f of n.struct.fields) if (f._isSlot) typeIds(f.slot.type, which, out)
    if (n._isInterface) {
      for (const m of n.interface.methods) {
        out.add(m.paramStructType)
        out.add(m.resultStructType)
        brandIds(m.paramBrand, which, out)
        brandIds(m.resultBrand, which, out)
      }
      for (const s of n.interface.superclasses) {
        out.add(s.id)
        brandIds(s.brand, which, out)
      }
    }
  }
  // every node declared in the file (groups and parameter structs included: their scope is in it)
  const inFile = (n: EsNode): boolean => {
    for (let s: EsNode | undefined = n; s; s = nodes.get(s.scopeId)) if (s.id === fileId) return true
    return false
  }
  for (const n of nodes.values()) if (n.id !== fileId && inFile(n)) visit(n)
  return out
}

const IMPORT_LINE = /^import \{ ([^}]*) \} from "([^"]+)";$/gm
const DECLARED = /^export (?:declare )?(?:abstract )?(?:class|const|type|enum|interface|function) ([A-Za-z_$][\w$]*)/gm

/**
 * Repairs the TypeScript capnp-es generated from `req` (file name to text, as compileAll returns
 * it), in place. Throws an SsmdError naming the types when an import clash cannot be repaired.
 */
export function repairGeneratedTypeScript(files: Map<string, string>, req: EsRequest, which: EsTypeWhich, display: string): void {
  const nodes = new Map<bigint, EsNode>()
  for (const n of req.nodes) nodes.set(n.id, n)
  for (const rf of req.requestedFiles) {
    const fileNode = nodes.get(rf.id)
    if (!fileNode) continue
    const tsPath = `${fileNode.displayName.replace(/\.capnp$/, '')}.ts`
    let text = files.get(tsPath)
    if (text === undefined) continue
    text = repairEnumListLists(text)
    text = repairImportClashes(text, rf, nodes, which, display)
    files.set(tsPath, text)
  }
}

function repairEnumListLists(text: string): string {
  return text.replace(/^(\w+)\._(\w+) = (.*\$\.Uint16List.*);$/gm, (line, cls: string, name: string, expr: string) => {
    const classAt = text.indexOf(`class ${cls} `)
    const decl = classAt < 0 ? null : new RegExp(`^\\s*static _${name}: (.+);$`, 'm').exec(text.slice(classAt))
    // only where an element is an enum (a name of the file, not one of capnp-es's `$.` types or a primitive)
    if (!decl || !/List<(?!\$\.|number\b|bigint\b|boolean\b|string\b)[A-Za-z_]/.test(decl[1])) return line
    return `${cls}._${name} = ${expr} as unknown as ${decl[1]};`
  })
}

function repairImportClashes(
  text: string,
  rf: { id: bigint; filename: string; imports: Iterable<{ id: bigint; name: string }> },
  nodes: Map<bigint, EsNode>,
  which: EsTypeWhich,
  display: string,
): string {
  const declared = new Set([...text.matchAll(DECLARED)].map(m => m[1]))
  let referenced: Set<bigint> | undefined
  return text.replace(IMPORT_LINE, (line, names: string, from: string) => {
    const imported = names.split(',').map(s => s.trim())
    const clashes = imported.filter(n => declared.has(n))
    if (clashes.length === 0) return line
    referenced ??= referencedIds(nodes, rf.id, which)
    for (const name of clashes) {
      const used = [...referenced]
        .map(x => nodes.get(x))
        .find(n => n && !n.displayName.startsWith(`${nodes.get(rf.id)?.displayName}:`) && className(n) === name.replace(/\$Client$/, ''))
      if (used) {
        const file = used.displayName.split(':')[0]
        throw new SsmdError(
          `cannot generate bindings for ${display}: ${rf.filename} uses ${file}'s ${name} and declares a type of its own that capnp-es names ${name} too, so the generated code could not tell them apart; rename one of them`,
        )
      }
    }
    const kept = imported.filter(n => !clashes.includes(n))
    return kept.length ? `import { ${kept.join(', ')} } from "${from}";` : ''
  })
}
