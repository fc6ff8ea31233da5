/** Human-readable structure of a Cap'n Proto model (`ssmd schema show --structure`). */
import type { CapnpField, CapnpModel, CapnpNode } from './model.js'
import { typeToString } from './model.js'

export interface StructureEntry {
  kind: 'struct' | 'enum' | 'interface' | 'const' | 'annotation'
  name: string
  id: string
  genericParams?: string[]
  fields?: Array<{ name: string; ordinal: number | null; type: string; union?: string; default?: string; group?: StructureEntry }>
  enumerants?: Array<{ name: string; ordinal: number }>
  methods?: Array<{ name: string; ordinal: number; params: string; results: string }>
  type?: string
  value?: string
  nested?: StructureEntry[]
}

function fieldsOf(model: CapnpModel, byId: Map<string, CapnpNode>, n: CapnpNode): NonNullable<StructureEntry['fields']> {
  return (n.fields ?? []).map((f: CapnpField) => {
    const e: NonNullable<StructureEntry['fields']>[number] = {
      name: f.name,
      ordinal: f.ordinal,
      type: f.type ? typeToString(f.type) : (f.groupKind ?? 'group'),
    }
    if (f.discriminant !== null) e.union = n.isUnion ? (n.path.split('.').pop() ?? '') : '(unnamed)'
    if (f.defaultValue !== undefined) e.default = f.defaultValue
    if (f.groupId) {
      const g = byId.get(f.groupId)
      if (g) e.group = { kind: 'struct', name: f.name, id: g.id, fields: fieldsOf(model, byId, g) }
    }
    return e
  })
}

function paramText(byId: Map<string, CapnpNode>, id: string, inline: boolean, names: Record<string, string>): string {
  const n = byId.get(id)
  if (inline && n) return `(${(n.fields ?? []).map(f => `${f.name} :${f.type ? typeToString(f.type) : 'group'}`).join(', ')})`
  return n ? n.path : (names[id] ?? id)
}

/** JSON-able structure: top-level declarations with nested ones. */
export function structureModel(model: CapnpModel): StructureEntry[] {
  const byId = new Map(model.nodes.map(n => [n.id, n]))
  const build = (n: CapnpNode): StructureEntry | undefined => {
    if (n.kind === 'file' || n.isGroup || n.isParamStruct) return undefined
    const e: StructureEntry = { kind: n.kind, name: n.path.split('.').pop() ?? n.path, id: n.id }
    if (n.genericParams) e.genericParams = n.genericParams
    if (n.kind === 'struct') e.fields = fieldsOf(model, byId, n)
    if (n.kind === 'enum') e.enumerants = (n.enumerants ?? []).map(x => ({ name: x.name, ordinal: x.ordinal }))
    if (n.kind === 'interface') {
      e.methods = (n.methods ?? []).map(m => ({
        name: m.name,
        ordinal: m.ordinal,
        params: paramText(byId, m.paramStructType, m.inlineParams, model.externalNames),
        results: m.streaming ? 'stream' : paramText(byId, m.resultStructType, m.inlineResults, model.externalNames),
      }))
    }
    if (n.type) e.type = typeToString(n.type)
    if (n.value !== undefined) e.value = n.value
    const nested = n.nestedIds
      .map(id => byId.get(id))
      .filter((x): x is CapnpNode => !!x)
      .map(build)
      .filter((x): x is StructureEntry => !!x)
    if (nested.length) e.nested = nested
    return e
  }
  const file = model.nodes.find(n => n.kind === 'file')
  if (!file) return []
  return file.nestedIds
    .map(id => byId.get(id))
    .filter((x): x is CapnpNode => !!x)
    .map(build)
    .filter((x): x is StructureEntry => !!x)
}

/** Text rendering of the structure, one declaration per block. */
export function renderStructure(model: CapnpModel): string {
  const lines: string[] = []
  const fieldLines = (fields: NonNullable<StructureEntry['fields']>, indent: string): void => {
    const width = Math.max(0, ...fields.map(f => f.name.length))
    for (const f of fields) {
      const ord = f.ordinal === null ? '   ' : `@${f.ordinal}`.padEnd(3)
      const extra = [f.union !== undefined ? `union ${f.union}` : '', f.default !== undefined ? `= ${f.default}` : ''].filter(Boolean).join(', ')
      lines.push(`${indent}${ord} ${f.name.padEnd(width)}  ${f.type}${extra ? `  (${extra})` : ''}`)
      if (f.group?.fields) fieldLines(f.group.fields, indent + '    ')
    }
  }
  const entry = (e: StructureEntry, indent: string): void => {
    const gp = e.genericParams ? `(${e.genericParams.join(', ')})` : ''
    switch (e.kind) {
      case 'struct':
        lines.push(`${indent}struct ${e.name}${gp}  ${e.id}`)
        fieldLines(e.fields ?? [], indent + '  ')
        break
      case 'enum':
        lines.push(`${indent}enum ${e.name}  ${e.id}`)
        for (const x of e.enumerants ?? []) lines.push(`${indent}  @${x.ordinal} ${x.name}`)
        break
      case 'interface':
        lines.push(`${indent}interface ${e.name}${gp}  ${e.id}`)
        for (const m of e.methods ?? []) lines.push(`${indent}  @${m.ordinal} ${m.name} ${m.params} -> ${m.results}`)
        break
      case 'const':
        lines.push(`${indent}const ${e.name} :${e.type ?? '?'} = ${e.value ?? '?'}`)
        break
      case 'annotation':
        lines.push(`${indent}annotation ${e.name} :${e.type ?? '?'}`)
        break
    }
    for (const c of e.nested ?? []) entry(c, indent + '  ')
  }
  lines.push(`# ${model.file}  ${model.fileId}`)
  for (const e of structureModel(model)) entry(e, '')
  return lines.join('\n') + '\n'
}
