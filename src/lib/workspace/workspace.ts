import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError } from '../core/errors.js'
import { didYouMean } from '../core/text.js'
import { SsmdDocument, type DocumentKind, type EnvironmentDocument, type FeedDocument, type PolicyDocument, type SchemaDocument } from './document.js'

export const FOLDER_OF: Record<'feed' | 'schema' | 'environment', string> = {
  feed: 'feeds',
  schema: 'schemas',
  environment: 'environments',
}

const LIST_COMMAND: Record<string, string> = { feed: 'ssmd feed list', schema: 'ssmd schema list', environment: 'ssmd env list' }

/** YAML files of one folder, sorted by name: [name, file name]. */
export function listYamlFiles(root: string, folder: string): Array<[string, string]> {
  let entries: string[]
  try {
    entries = readdirSync(join(root, folder))
  } catch {
    return []
  }
  const out: Array<[string, string]> = []
  for (const f of entries) {
    const m = /^(.*)\.ya?ml$/.exec(f)
    if (m && !f.startsWith('.')) out.push([m[1], f])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/**
 * Every document of an ssmd repository, each read and parsed exactly once.
 * Load only the kinds a command needs: `feed list` never reads environments.
 */
export class Workspace {
  readonly root: string
  readonly feeds: FeedDocument[] = []
  readonly schemas: SchemaDocument[] = []
  readonly environments: EnvironmentDocument[] = []
  readonly policy?: PolicyDocument

  constructor(root: string, kinds: ReadonlyArray<'feed' | 'schema' | 'environment' | 'policy'> = ['feed', 'schema', 'environment', 'policy']) {
    this.root = root
    for (const kind of kinds) {
      if (kind === 'policy') {
        const abs = join(root, 'ssmd.yaml')
        if (existsSync(abs)) (this as { policy?: PolicyDocument }).policy = SsmdDocument.read('policy', 'ssmd', 'ssmd.yaml', abs)
        continue
      }
      const folder = FOLDER_OF[kind]
      const list = this.listOf(kind) as SsmdDocument[]
      for (const [name, f] of listYamlFiles(root, folder)) {
        list.push(SsmdDocument.read(kind, name, `${folder}/${f}`, join(root, folder, f)))
      }
    }
  }

  private listOf(kind: 'feed' | 'schema' | 'environment'): SsmdDocument[] {
    return kind === 'feed' ? this.feeds : kind === 'schema' ? this.schemas : this.environments
  }

  /** Every loaded document, feeds first. */
  get documents(): SsmdDocument[] {
    const all: SsmdDocument[] = [...this.feeds, ...this.schemas, ...this.environments]
    if (this.policy) all.push(this.policy)
    return all
  }

  private index?: Partial<Record<'feed' | 'schema' | 'environment', { size: number; byName: Map<string, SsmdDocument> }>>

  /** The first document of that kind with that name (an index: environments look up feeds and schemas by the thousand). */
  find<K extends 'feed' | 'schema' | 'environment'>(kind: K, name: string): SsmdDocument | undefined {
    const list = this.listOf(kind)
    this.index ??= {}
    let entry = this.index[kind]
    if (entry === undefined || entry.size !== list.length) {
      const byName = new Map<string, SsmdDocument>()
      for (const d of list) if (!byName.has(d.name)) byName.set(d.name, d)
      entry = { size: list.length, byName }
      this.index[kind] = entry
    }
    return entry.byName.get(name)
  }

  /** The document, or a not-found error with a suggestion. */
  get(kind: 'feed', name: string): FeedDocument
  get(kind: 'schema', name: string): SchemaDocument
  get(kind: 'environment', name: string): EnvironmentDocument
  get(kind: 'feed' | 'schema' | 'environment', name: string): SsmdDocument {
    const doc = this.find(kind, name)
    if (!doc) {
      const label = kind === 'environment' ? 'environment' : kind
      throw new NotFoundError(`${label} '${name}' not found${didYouMean(name, this.listOf(kind).map(d => d.name))} (${LIST_COMMAND[kind]})`)
    }
    return doc
  }
}

export type { DocumentKind }
