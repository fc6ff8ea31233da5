import { existsSync, readdirSync, type Dirent } from 'node:fs'
import { join, sep } from 'node:path'
import { NotFoundError, SsmdError } from '../core/errors.js'
import { RealPaths } from '../io/real-paths.js'
import { didYouMean } from '../core/text.js'
import type { DocumentCache } from './cache.js'
import { documentName, listOtherFiles, type LeftOut, type OtherFile } from './inventory.js'
import {
  SsmdDocument,
  type DocumentKind,
  type DocumentPrefetch,
  type DocumentSource,
  type RereadFrom,
  type EnvironmentDocument,
  type FeedDocument,
  type PolicyDocument,
  type SchemaDocument,
} from './document.js'

export const FOLDER_OF: Record<'feed' | 'schema' | 'environment', string> = {
  feed: 'feeds',
  schema: 'schemas',
  environment: 'environments',
}

const LIST_COMMAND: Record<string, string> = { feed: 'ssmd feed list', schema: 'ssmd schema list', environment: 'ssmd env list' }

/**
 * YAML files of one folder, sorted by name: [name, file name, whether the
 * listing says it is a regular file]. `others`, when given, receives the
 * folder's entries that are not documents (see listOtherFiles).
 */
export function listYamlFiles(root: string, folder: string, others?: Dirent[]): Array<[string, string, boolean]> {
  let entries: Dirent[]
  try {
    entries = readdirSync(join(root, folder), { withFileTypes: true })
  } catch {
    return []
  }
  const out: Array<[string, string, boolean]> = []
  for (const e of entries) {
    const name = documentName(e.name)
    if (name !== undefined) out.push([name, e.name, e.isFile()])
    else others?.push(e)
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

type FolderKind = 'feed' | 'schema' | 'environment'

export interface WorkspaceOptions {
  /** Reuses parse results of unchanged files from `.ssmd/cache` (see cache.ts). */
  cache?: DocumentCache
  /** Which files under the ssmd folders git leaves out of a commit (see otherFiles); by default none. */
  leftOut?: LeftOut
}

/**
 * The documents of an ssmd repository, each read and parsed at most once.
 * Folders are read lazily: `feed show x` reads feeds/x.yaml and nothing else,
 * `feed list` reads feeds/ only; a folder is listed only when a command walks
 * it, or when a name is missing and a did-you-mean needs the other names.
 */
export class Workspace {
  readonly root: string
  private readonly loaded: Partial<Record<FolderKind, SsmdDocument[]>> = {}
  private readonly single: Partial<Record<FolderKind, Map<string, SsmdDocument | null>>> = {}
  private policyDoc?: PolicyDocument | null
  /** The validation cache this workspace reads through, when the command uses one. */
  readonly cache?: DocumentCache

  /** Nothing is read here: each folder is read when a command first walks it (see find, all, get). */
  constructor(root: string, options: WorkspaceOptions = {}) {
    this.root = root
    this.cache = options.cache
    this.leftOut = options.leftOut
  }

  private readonly leftOut?: LeftOut
  private others?: OtherFile[]
  private prefetch?: DocumentPrefetch
  /** Where documents read elsewhere are read again from (one for all of them). */
  private rereadFrom?: RereadFrom

  /** Documents are taken from `prefetch` first (see DocumentPrefetch): a validation run reads some in another thread. */
  readWith(prefetch: DocumentPrefetch | undefined): void {
    this.prefetch = prefetch
  }

  /**
   * The feeds and environments listed as regular files and not read yet, as
   * [kind, name, file], in the workspace's order: what another thread may read
   * (see DocumentPrefetch). Lists their folders.
   */
  unreadListed(): Array<[DocumentKind, string, string]> {
    const out: Array<[DocumentKind, string, string]> = []
    for (const kind of ['feed', 'environment'] as const) {
      const list = this.listOf(kind)
      const regular = this.regular[kind]
      list.forEach((doc, i) => {
        if (doc.pending && regular?.[i] === 1) out.push([kind, doc.name, doc.file])
      })
    }
    return out
  }

  /** Per listed folder, which of its documents the listing says are regular files (1). */
  private readonly regular: Partial<Record<FolderKind, Uint8Array>> = {}

  /**
   * The files under feeds/, schemas/ and environments/ that are not documents
   * (definitions, git's own files, anything else) and that a commit would
   * take: what the gate must account for beyond the documents.
   */
  get otherFiles(): OtherFile[] {
    return (this.others ??= listOtherFiles(this.root, this.leftOut, folder => this.notDocuments.get(folder)))
  }

  /** The entries of each folder listed so far that are not documents: listOtherFiles need not list the folder again. */
  private readonly notDocuments = new Map<string, Dirent[]>()

  /** Real paths of the root and its folders, resolved once: every read checks it stays inside the root. */
  private readonly realPaths = new RealPaths()

  /** Reads one document (through the cache when there is one); `listed`: its folder's listing says it is a regular file. */
  read(kind: DocumentKind, name: string, file: string, listed = false): SsmdDocument {
    const abs = `${this.root}${sep}${file}`
    const checked = listed ? this.prefetch?.take(kind, name, file) : undefined
    if (checked !== undefined) {
      if (this.cache) return this.cache.adopt(kind, name, file, abs, checked, this.realPaths)
      this.rereadFrom ??= { root: this.root, realPaths: this.realPaths }
      return SsmdDocument.checked(kind, name, file, abs, checked, this.rereadFrom)
    }
    return this.cache ? this.cache.read(kind, name, file, abs, this.realPaths, listed) : SsmdDocument.read(kind, name, file, abs, this.root, this.realPaths, listed)
  }

  /** Documents listed and not read yet (see readListed). */
  private unread = 0

  /**
   * What reads a listed document: once every folder is listed and every
   * listed document read, the cache is told, and lets go of what only reading
   * needs (DocumentCache.readingDone). One source for the files the listing
   * says are regular files (read without an lstat of their own) and one for
   * the others: what the listing said travels with the source, not in each
   * deferred document.
   */
  private readonly listedRegular: DocumentSource = { read: (kind, name, file) => this.readListed(kind, name, file, true) }
  private readonly listedOther: DocumentSource = { read: (kind, name, file) => this.readListed(kind, name, file, false) }

  private readListed(kind: DocumentKind, name: string, file: string, regular: boolean): SsmdDocument {
    const doc = this.read(kind, name, file, regular)
    this.unread--
    this.readingDone()
    return doc
  }

  private readingDone(): void {
    if (this.unread === 0 && this.loaded.feed !== undefined && this.loaded.schema !== undefined && this.loaded.environment !== undefined) this.cache?.readingDone()
  }

  private listOf(kind: FolderKind): SsmdDocument[] {
    let list = this.loaded[kind]
    if (list === undefined) {
      const folder = FOLDER_OF[kind]
      const known = this.single[kind]
      const others: Dirent[] = []
      const files = listYamlFiles(this.root, folder, others)
      if (files.length > 0 || others.length > 0) this.notDocuments.set(folder, others)
      this.regular[kind] = Uint8Array.from(files, ([, , regular]) => (regular ? 1 : 0))
      list = files.map(([name, f, regular]) => {
        // One flat string, the cache's own when it has the file: a template literal makes a two-part
        // string that is flattened into a second copy when first used as a key (about 80 bytes per document).
        const joined = [folder, f].join('/')
        const file = this.cache ? this.cache.path(joined) : joined
        const seen = known?.get(name)
        // Deferred: listing a folder reads nothing; each file is read when first used.
        if (seen && seen.file === file) return seen
        this.unread++
        return SsmdDocument.deferred(kind, name, file, this.root, regular ? this.listedRegular : this.listedOther)
      })
      this.loaded[kind] = list
      this.readingDone()
    }
    return list
  }

  get feeds(): FeedDocument[] {
    return this.listOf('feed') as FeedDocument[]
  }

  get schemas(): SchemaDocument[] {
    return this.listOf('schema') as SchemaDocument[]
  }

  get environments(): EnvironmentDocument[] {
    return this.listOf('environment') as EnvironmentDocument[]
  }

  get policy(): PolicyDocument | undefined {
    if (this.policyDoc === undefined) {
      this.policyDoc = existsSync(join(this.root, 'ssmd.yaml')) ? (this.read('policy', 'ssmd', 'ssmd.yaml') as PolicyDocument) : null
    }
    return this.policyDoc ?? undefined
  }

  /** Every document, feeds first, then schemas, environments and the policy. */
  get documents(): SsmdDocument[] {
    const all: SsmdDocument[] = [...this.feeds, ...this.schemas, ...this.environments]
    if (this.policy) all.push(this.policy)
    return all
  }

  private index?: Partial<Record<FolderKind, { size: number; byName: Map<string, SsmdDocument> }>>

  /** The first document of that kind with that name (an index: environments look up feeds and schemas by the thousand). */
  find<K extends FolderKind>(kind: K, name: string): SsmdDocument | undefined {
    const list = this.loaded[kind]
    if (list === undefined) return this.findOne(kind, name)
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

  /** One document read by its file name, without listing the folder (`<name>.yaml`, else `<name>.yml`). */
  private findOne(kind: FolderKind, name: string): SsmdDocument | undefined {
    const known = (this.single[kind] ??= new Map())
    if (known.has(name)) return known.get(name) ?? undefined
    let doc: SsmdDocument | null = null
    if (!name.startsWith('.') && !name.includes('/') && !name.includes('\\') && name !== '' && name !== '..') {
      const folder = FOLDER_OF[kind]
      for (const ext of ['yaml', 'yml']) {
        if (existsSync(join(this.root, folder, `${name}.${ext}`))) {
          doc = this.read(kind, name, `${folder}/${name}.${ext}`)
          break
        }
      }
    }
    known.set(name, doc)
    return doc ?? undefined
  }

  /** The document, or a not-found error with a suggestion. */
  get(kind: 'feed', name: string): FeedDocument
  get(kind: 'schema', name: string): SchemaDocument
  get(kind: 'environment', name: string): EnvironmentDocument
  get(kind: FolderKind, name: string): SsmdDocument {
    const doc = this.find(kind, name)
    if (!doc) {
      const names = listYamlFiles(this.root, FOLDER_OF[kind]).map(([n]) => n)
      throw new NotFoundError(`${kind} '${name}' not found${didYouMean(name, names)} (${LIST_COMMAND[kind]})`)
    }
    if (doc.refused && doc.problem) {
      // Not read at all (not a regular file, a symlink leading outside, too large, not UTF-8): say why.
      const message = doc.problem.message.startsWith(doc.file) ? doc.problem.message : `${doc.file}: ${doc.problem.message}`
      throw new SsmdError(`${message}; fix it first (ssmd validate ${doc.file})`)
    }
    return doc
  }
}

export type { DocumentKind }
