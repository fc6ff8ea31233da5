import { readdirSync, type Dirent } from 'node:fs'
import { join, sep } from 'node:path'
import { hasTerminalControl } from '../core/text.js'
import { mayBeUndecodable, undecodableNames } from '../io/file-names.js'
import { SSMD_FOLDERS } from './root.js'

/**
 * Why a file under the ssmd folders is not one of its documents:
 * - `control`: its name holds a control character (never read, always a finding);
 * - `encoding`: its name is not UTF-8, or holds U+FFFD (never read, always a finding; io/file-names.ts);
 * - `hidden`: its name starts with a dot;
 * - `subfolder`: it lies in a folder below feeds/, schemas/ or environments/;
 * - `case`: a YAML extension in another case (`.YAML`, `.Yml`): ssmd reads `.yaml` and `.yml` only;
 * - `extension`: anything else (`notes.txt`, `x.yaml.bak`, `trade.capnp`).
 */
export type NotADocument = 'control' | 'encoding' | 'hidden' | 'subfolder' | 'case' | 'extension'

/** A file under feeds/, schemas/ or environments/ that is not one of ssmd's documents. */
export interface OtherFile {
  /** Relative to the ssmd root, `/`-separated, exactly as on disk (any character). */
  path: string
  abs: string
  /** A symbolic link: git stores the link's target, not what it points to. */
  symlink: boolean
  why: NotADocument
  /** git's own files (`.gitkeep`, `.gitignore`, `.gitattributes`): expected anywhere, never findings (still scanned for secrets). */
  git: boolean
  /** The path's bytes, for a name that is not UTF-8 (`encoding`): `path` holds U+FFFD in their place and leads to no file. */
  bytes?: Buffer
}

/** Files git itself reads or that keep an empty folder in git: expected in any folder. */
const GIT_FILES = new Set(['.gitkeep', '.gitignore', '.gitattributes'])

/**
 * The document name a file of feeds/, schemas/ or environments/ stands for
 * (`kalshi.yaml` → `kalshi`), or undefined when ssmd does not read it as a
 * document: hidden files, names with a control character, anything not ending
 * in `.yaml` or `.yml`.
 */
export function documentName(fileName: string): string | undefined {
  if (fileName.startsWith('.') || hasTerminalControl(fileName) || mayBeUndecodable(fileName)) return undefined
  return /^(.*)\.ya?ml$/s.exec(fileName)?.[1]
}

function reason(fileName: string, depth: number): NotADocument {
  if (hasTerminalControl(fileName)) return 'control'
  if (fileName.startsWith('.')) return 'hidden'
  if (depth > 0) return 'subfolder'
  return /\.ya?ml$/i.test(fileName) ? 'case' : 'extension'
}

/**
 * Says whether git leaves a path out of `git add` (ignored and not tracked):
 * `isDir` for a folder. Such files are neither committed nor reported.
 */
export type LeftOut = (rootPath: string, isDir: boolean) => boolean

/**
 * Every file under the ssmd folders that is not a document, as `git add`
 * would see it: regular files and symbolic links at any depth, without the
 * files git leaves out (`leftOut`) and without nested repositories (a folder
 * holding `.git`), which git records as a submodule or not at all. Sorted by
 * path. `listed`: a top folder's entries that are not documents, as its
 * listing found them (undefined: the folder is read here).
 */
export function listOtherFiles(root: string, leftOut: LeftOut = () => false, listed?: (folder: string) => Dirent[] | undefined): OtherFile[] {
  const out: OtherFile[] = []
  const walk = (rel: string, depth: number) => {
    // A top folder's entries that are not documents, when its listing for the documents kept them (one readdir, not two).
    let entries = depth === 0 ? listed?.(rel) : undefined
    if (entries === undefined) {
      try {
        entries = readdirSync(join(root, rel), { withFileTypes: true })
      } catch {
        return
      }
    }
    if (depth > 0 && entries.some(e => e.name === '.git')) return
    if (entries.some(e => mayBeUndecodable(e.name))) {
      // Listed as bytes, the names that lead to no file (each is one finding, as git would commit each).
      const raw = undecodableNames(join(root, rel))
      const names = raw.length > 0 ? raw : entries.filter(e => mayBeUndecodable(e.name)).map(e => ({ name: Buffer.from(e.name), isDir: e.isDirectory() }))
      for (const { name, isDir } of names) {
        const path = `${rel}/${name.toString('utf8')}`
        const bytes = Buffer.concat([Buffer.from(`${rel}/`), name])
        if (!leftOut(path, isDir)) out.push({ path, abs: join(root, ...path.split('/')), symlink: false, why: 'encoding', git: false, bytes })
      }
      entries = entries.filter(e => !mayBeUndecodable(e.name))
    }
    for (const e of entries) {
      const path = `${rel}/${e.name}`
      if (e.isDirectory()) {
        if (!leftOut(path, true)) walk(path, depth + 1)
        continue
      }
      // Sockets, pipes and devices: git records none of them.
      if (!e.isFile() && !e.isSymbolicLink()) continue
      if (depth === 0 && documentName(e.name) !== undefined) continue
      if (leftOut(path, false)) continue
      out.push({ path, abs: join(root, ...path.split('/')), symlink: e.isSymbolicLink(), why: reason(e.name, depth), git: GIT_FILES.has(e.name) && !hasTerminalControl(e.name) })
    }
  }
  for (const folder of SSMD_FOLDERS) walk(folder, 0)
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** A root-relative path for an absolute path under `root`, or undefined outside it. */
export function rootRelative(root: string, abs: string): string | undefined {
  const prefix = root.endsWith(sep) ? root : root + sep
  return abs.startsWith(prefix) ? abs.slice(prefix.length).split(sep).join('/') : undefined
}
