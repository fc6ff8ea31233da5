/**
 * The Cap'n Proto corpora and what capnp 1.x said of them, recorded: the projects of
 * test/fixtures/capnp-corpus (corpus.json) plus ssmd's own fixtures (test/fixtures/capnp), and
 * capnp-verdicts.json / capnp-requests.json beside them. scripts/capnp-verdicts.ts writes the
 * recordings with a capnp binary and the tests read them through here, so that both see the same
 * files, compile them with the same arguments and read capnp's errors the same way. Nothing here
 * depends on the test runner: the script imports it as it is.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { STD_FILES } from '../../src/lib/capnp/std.js'
import { fixturesDir, projectRoot } from './helpers.js'

export const realWorldDir = path.join(projectRoot, 'test/fixtures/capnp-corpus')
export const VERDICTS_FILE = path.join(realWorldDir, 'capnp-verdicts.json')
export const REQUESTS_FILE = path.join(realWorldDir, 'capnp-requests.json')
/** The name of ssmd's own fixtures among the projects (keys `ssmd-fixtures/<path>`). */
export const OWN_FIXTURES = 'ssmd-fixtures'

export interface CorpusProject {
  name: string
  dir: string
  importDirs: string[]
  /** project-relative paths of its .capnp files */
  files: string[]
}

interface Manifest {
  projects: Record<string, { importDirs: string[] }>
  /** per older capnp version (`major.minor`): files it refuses for a documented reason, and the lines it reports */
  olderCompiler: Record<string, Record<string, { lines: number[]; reason: string }>>
}

export function readManifest(): Manifest {
  return JSON.parse(fs.readFileSync(path.join(realWorldDir, 'corpus.json'), 'utf8')) as Manifest
}

/** The .capnp files under `dir`, relative to it with forward slashes, sorted. */
export function capnpFilesUnder(dir: string): string[] {
  const files: string[] = []
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.capnp')) files.push(path.relative(dir, p).split(path.sep).join('/'))
    }
  }
  walk(dir)
  return files.sort()
}

/** The third-party projects of the corpus (corpus.json). */
export function corpusProjects(): CorpusProject[] {
  return Object.entries(readManifest().projects).map(([name, m]) => {
    const dir = path.join(realWorldDir, name)
    return { name, dir, importDirs: m.importDirs, files: capnpFilesUnder(dir) }
  })
}

/** Every project the recordings cover: the corpus and ssmd's own fixtures. */
export function recordedProjects(): CorpusProject[] {
  return [...corpusProjects(), { name: OWN_FIXTURES, dir: fixturesDir, importDirs: [], files: capnpFilesUnder(fixturesDir) }]
}

/** `capnp compile -o-` of a project's files, with ssmd's standard files (written by writeStdFiles) as the only standard import. */
export function capnpCompileArgs(p: CorpusProject, stdDir: string): string[] {
  const args = ['compile', '-o-', '--no-standard-import', '-I', stdDir]
  for (const d of p.importDirs) args.push('-I', d, `--src-prefix=${d}`)
  return args
}

/** Writes ssmd's bundled standard files into `dir`, where `capnp -I` finds them: the same text both compilers read. */
export function writeStdFiles(dir: string): string {
  for (const [p, text] of Object.entries(STD_FILES)) {
    const dest = path.join(dir, p)
    fs.mkdirSync(path.dirname(dest), { recursive: true })
    fs.writeFileSync(dest, text)
  }
  return dir
}

/** The errors capnp printed on stderr for a run in a project's folder, with project-relative paths. */
export function capnpErrors(stderr: string, p: CorpusProject): Array<{ file: string; line: number; column: number; message: string }> {
  const out: Array<{ file: string; line: number; column: number; message: string }> = []
  for (const line of stderr.split('\n')) {
    const m = /^(.+?):(\d+):(\d+)(?:-\d+)?: error:(?: (.*))?$/.exec(line)
    if (m) out.push({ file: path.relative(p.dir, path.resolve(p.dir, m[1])).split(path.sep).join('/'), line: Number(m[2]), column: Number(m[3]), message: m[4] ?? '' })
  }
  return out
}

interface Provenance {
  version: string
  source: string
  produced: string
}

/** capnp-verdicts.json: per `<project>/<file>`, whether capnp accepts the file compiled on its own, and its errors as `file:line:col: message`. */
export interface RecordedVerdicts {
  capnp: Provenance
  files: Record<string, { accepted: boolean; errors: string[] }>
}

/** capnp-requests.json: per accepted `<project>/<file>`, digests of its canonical CodeGeneratorRequest, and a few whole requests (base64). */
export interface RecordedRequests {
  capnp: Provenance
  digests: Record<string, { request: string; fileSourceInfo: string }>
  full: Record<string, string>
}

export function recordedVerdicts(): RecordedVerdicts {
  return JSON.parse(fs.readFileSync(VERDICTS_FILE, 'utf8')) as RecordedVerdicts
}

export function recordedRequests(): RecordedRequests {
  return JSON.parse(fs.readFileSync(REQUESTS_FILE, 'utf8')) as RecordedRequests
}
