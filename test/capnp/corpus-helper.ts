/**
 * The real-world corpus (test/fixtures/capnp-corpus) and the official compiler's verdict on it.
 * capnp runs once per project when the whole project compiles; when it does not (files with
 * errors, or two copies of one file that clash in one run), it runs once per file so that each
 * file's verdict is its own.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { checkCapnpSource, type CapnpLoadResult } from '../../src/lib/capnp/index.js'
import { readMessageTree, type WireTree } from '../../src/lib/capnp/wire.js'
import { tempDir } from '../helpers/repo.js'
import { capnpCompileArgs, capnpErrors, readManifest, writeStdFiles, type CorpusProject } from './recorded.js'

export interface CorpusFile {
  project: CorpusProject
  /** path relative to the project folder */
  rel: string
  abs: string
  /** the name capnp gives the file (relative to an import folder when under one) */
  display: string
}

export interface CapnpVerdict {
  accepted: boolean
  /** `project-relative-path:line` of every error capnp reports */
  errors: string[]
  stderr: string
  /** the CodeGeneratorRequest (of the project run or of this file's run) when accepted */
  request?: Uint8Array
}

/** Files the installed capnp (by its version text) refuses where newer versions and ssmd accept. */
export function olderCompilerDifferences(version: string): Record<string, { lines: number[]; reason: string }> {
  const m = /(\d+)\.(\d+)/.exec(version)
  return (m && readManifest().olderCompiler[`${m[1]}.${m[2]}`]) || {}
}

export function corpusFiles(p: CorpusProject): CorpusFile[] {
  return p.files.map(rel => {
    const under = p.importDirs.find(d => rel.startsWith(d + '/'))
    return { project: p, rel, abs: path.join(p.dir, rel), display: under ? rel.slice(under.length + 1) : rel }
  })
}

/**
 * Writes ssmd's bundled standard files where `capnp -I` finds them (the same text both compilers read),
 * in a temporary folder removed after the test run.
 */
export function writeStdDir(): string {
  return writeStdFiles(tempDir('ssmd-capnp-std-'))
}

function run(p: CorpusProject, stdDir: string, files: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('capnp', [...capnpCompileArgs(p, stdDir), ...files], { cwd: p.dir, maxBuffer: 256 * 1024 * 1024 })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') }
}

/** capnp's verdict on every file of a project: one run for the project, one per file if that fails. */
export function capnpVerdicts(p: CorpusProject, stdDir: string): Map<string, CapnpVerdict> {
  const out = new Map<string, CapnpVerdict>()
  const all = run(p, stdDir, p.files)
  if (all.status === 0) {
    for (const f of p.files) out.set(f, { accepted: true, errors: [], stderr: '', request: all.stdout })
    return out
  }
  for (const f of p.files) {
    const r = run(p, stdDir, [f])
    out.set(f, {
      accepted: r.status === 0,
      errors: capnpErrors(r.stderr, p).map(e => `${e.file}:${e.line}`),
      stderr: r.stderr,
      ...(r.status === 0 ? { request: r.stdout } : {}),
    })
  }
  return out
}

export function ssmdCheck(f: CorpusFile): CapnpLoadResult {
  const readImport = (abs: string): string | undefined => {
    try {
      return fs.readFileSync(abs, 'utf8')
    } catch {
      return undefined
    }
  }
  const readImportBytes = (abs: string): Uint8Array | undefined => {
    try {
      return fs.readFileSync(abs)
    } catch {
      return undefined
    }
  }
  return checkCapnpSource(fs.readFileSync(f.abs, 'utf8'), f.display, {
    readImport,
    readImportBytes,
    rootDir: f.project.dir,
    absPath: f.abs,
    importDirs: f.project.importDirs.map(d => path.join(f.project.dir, d)),
  })
}

/** `project-relative-path:line` of a diagnostic of ssmd (whose file names follow capnp's display names). */
export function ssmdErrorKey(p: CorpusProject, file: string, line: number): string {
  if (fs.existsSync(path.join(p.dir, file))) return `${file}:${line}`
  for (const d of p.importDirs) if (fs.existsSync(path.join(p.dir, d, file))) return `${d}/${file}:${line}`
  return `${file}:${line}`
}

/** A node of a request's canonical tree with its id and display name. */
interface TreeNode {
  id: string
  name: string
  tree: WireTree
}

function textOf(t: WireTree | undefined): string {
  if (!t || !('b' in t)) return ''
  const hex = t.b.slice(t.b.indexOf(':') + 1)
  return Buffer.from(hex, 'hex').toString('utf8').replace(/\0$/, '')
}

function idOf(t: { s: string }): string {
  return BigInt.asUintN(64, BigInt('0x' + (Buffer.from(t.s.padEnd(16, '0').slice(0, 16), 'hex').reverse().toString('hex') || '0'))).toString(16)
}

function requestNodes(buf: Uint8Array): { nodes: Map<string, TreeNode>; files: WireTree; docs: Map<string, WireTree> } {
  const root = readMessageTree(buf) as { s: string; p: WireTree[] }
  const list = root.p[0] as { e: Array<{ s: string; p: WireTree[] }> } | null
  const nodes = new Map<string, TreeNode>()
  for (const n of list?.e ?? []) nodes.set(idOf(n), { id: idOf(n), name: textOf(n.p[0]), tree: n })
  const docs = new Map<string, WireTree>()
  const si = root.p[3] as { e: Array<{ s: string; p: WireTree[] }> } | null
  for (const x of si?.e ?? []) {
    const key = idOf(x)
    // docComment (pointer 0) and the members' doc comments (pointer 1), not byte positions
    const members = x.p[1] as { e: Array<{ s: string; p: WireTree[] }> } | null
    if (key !== '0') docs.set(key, { s: '', p: [x.p[0] ?? null, members ? { l: 6, e: members.e.map(m => m.p[0] ?? null) } : null] })
  }
  return { nodes, files: root.p[1] ?? null, docs }
}

/**
 * Differences between two CodeGeneratorRequests: nodes (every field, compared on the canonical
 * encoding), the set of nodes, the requested files, and doc comments. Empty when they agree.
 */
export function requestDifferences(expected: Uint8Array, actual: Uint8Array): string[] {
  const e = requestNodes(expected)
  const a = requestNodes(actual)
  const out: string[] = []
  for (const [k, n] of e.nodes) {
    const m = a.nodes.get(k)
    if (!m) out.push(`missing node ${n.name} (0x${k})`)
    else if (JSON.stringify(m.tree) !== JSON.stringify(n.tree)) out.push(`node ${n.name} differs:\n  capnp ${JSON.stringify(n.tree)}\n  ssmd  ${JSON.stringify(m.tree)}`)
  }
  for (const [k, n] of a.nodes) if (!e.nodes.has(k)) out.push(`extra node ${n.name} (0x${k})`)
  // a request of capnp before 1.0 has no fileSourceInfo (RequestedFile's third pointer): compare
  // the fields that compiler writes (fileSourceInfo is compared with capnp 1.4.0's in requests.test.ts)
  const pointers = (t: WireTree): number[] => (t && 'e' in t && t.l === 7 ? t.e.map(f => f.p.length) : [])
  if (pointers(e.files).every(n => n <= 2) && a.files && 'e' in a.files && a.files.l === 7) a.files = { l: 7, e: a.files.e.map(f => ({ s: f.s, p: f.p.slice(0, 2) })) }
  if (JSON.stringify(e.files) !== JSON.stringify(a.files)) out.push(`requestedFiles differ:\n  capnp ${JSON.stringify(e.files)}\n  ssmd  ${JSON.stringify(a.files)}`)
  for (const [k, d] of e.docs) {
    const name = e.nodes.get(k)?.name ?? k
    if (JSON.stringify(a.docs.get(k) ?? null) !== JSON.stringify(d))
      out.push(`doc comments of ${name} differ:\n  capnp ${JSON.stringify(d)}\n  ssmd  ${JSON.stringify(a.docs.get(k) ?? null)}`)
  }
  return out
}
