import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect } from 'chai'
import * as capnp from 'capnp-es'
import ts from 'typescript'
import type { CapnpModel } from '../../src/lib/capnp/index.js'
import { buildCodeGeneratorRequest } from '../../src/lib/capnp/request.js'
import { generateBindings } from '../../src/lib/domain/schema/compile.js'
import { tempDir } from '../helpers/repo.js'
import { capnpAvailable } from './compiler-helper.js'
import { corpusFiles, corpusProjects, olderCompilerDifferences, realWorldDir, ssmdCheck, writeStdDir, type CorpusFile } from './corpus-helper.js'
import { projectRoot } from './helpers.js'

/**
 * Corpus files whose TypeScript capnp-es generates wrong, so `schema generate --lang ts` refuses
 * them with the first type error. This list may only shrink.
 */
const KNOWN_TS_FAILURES: Record<string, string> = {
  'go-capnp/capnpc-go/testdata/scopes.capnp': "capnp-es imports otherscopes.capnp's Foo under the name of the local Foo",
  'capnproto-java/compiler/src/test/schema/test.capnp': 'capnp-es types the default of a List(enum) field as Uint16List',
  'capnproto-java/compiler/src/test/schema/test-import.capnp': 'imports test.capnp (above)',
  // not capnp-es's fault: the import cannot be requested, so the generated import has no target
  'capnp-es/test/fixtures/test-import.capnp': 'imports test.capnp, which does not compile in the corpus (its embedded data files are not part of it)',
  'capnp-es/test/fixtures/test-import2.capnp': 'imports test-import.capnp, which imports test.capnp (above)',
}

const REFUSED_IMPORT = /^cannot generate bindings for \S+: \S+ imports "(\/[^"]+)" and (capnp-es provides no module for it|capnp-es cannot generate an absolute import)/

interface Generated {
  file: CorpusFile
  model: CapnpModel
  files: Map<string, string>
}

/**
 * `schema generate --lang ts` on every corpus file capnp accepts (requested with the files it
 * imports, as the command does): what it writes compiles under strict, and messages written with
 * it read back through `capnp decode` with the values set.
 */
describe('capnp: TypeScript bindings for the corpus', function () {
  this.timeout(600_000)
  const verdicts = (JSON.parse(fs.readFileSync(path.join(realWorldDir, 'capnp-verdicts.json'), 'utf8')) as { files: Record<string, { accepted: boolean }> }).files
  const generated = new Map<string, Generated[]>()
  const failures = new Map<string, string>()

  before(async () => {
    for (const p of corpusProjects()) {
      const all = corpusFiles(p)
      const list: Generated[] = []
      for (const f of all) {
        if (!verdicts[`${p.name}/${f.rel}`]?.accepted) continue
        const r = ssmdCheck(f)
        expect(r.diagnostics, f.rel).to.deep.equal([])
        const models = [r.model!]
        for (const d of r.model!.imports) {
          const imported = all.find(x => x.display === d)
          const m = imported && verdicts[`${p.name}/${imported.rel}`]?.accepted ? ssmdCheck(imported) : undefined
          if (m?.ok) models.push(m.model!)
        }
        try {
          const request = buildCodeGeneratorRequest(models)
          const files = await generateBindings({ name: 'x', version: 'v1', display: `${p.name}/${f.rel}`, requestName: f.display, model: r.model!, request }, 'ts')
          list.push({ file: f, model: r.model!, files })
        } catch (error) {
          failures.set(`${p.name}/${f.rel}`, (error as Error).message)
        }
      }
      generated.set(p.name, list)
    }
  })

  it('generates for most files; every refusal is an unresolvable import or a known capnp-es fault', () => {
    const total = [...generated.values()].reduce((n, l) => n + l.length, 0)
    expect(total).to.be.greaterThan(100)
    const unexplained = [...failures].filter(([k, m]) => !REFUSED_IMPORT.test(m) && !(k in KNOWN_TS_FAILURES)).map(([k, m]) => `${k}: ${m}`)
    expect(unexplained).to.deep.equal([])
    for (const k of Object.keys(KNOWN_TS_FAILURES)) {
      expect(failures.get(k), `${k} now generates: remove it from KNOWN_TS_FAILURES`).to.match(/^the TypeScript generated for \S+ does not compile: \S+:\d+:\d+: /)
    }
    // the imports refused are the standard files capnp-es lacks, or absolute paths
    for (const m of failures.values()) {
      const imp = REFUSED_IMPORT.exec(m)?.[1]
      if (imp?.startsWith('/capnp/')) expect(fs.existsSync(path.join(projectRoot, 'node_modules/capnp-es/dist', `${imp.slice(1, -'.capnp'.length)}.d.mts`)), m).to.equal(false)
    }
  })

  it('every file written compiles under tsc --strict, each project checked as one program', () => {
    const problems: string[] = []
    for (const [project, list] of generated) {
      if (list.length === 0) continue
      const dir = tempDir('ssmd-gen-')
      fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
      const written = new Map<string, string>()
      for (const g of list)
        for (const [name, text] of g.files) {
          // a file generated by several requests is the same each time
          if (written.has(name) && written.get(name) !== text) problems.push(`${project}/${name}: differs between requests`)
          written.set(name, text)
        }
      for (const [name, text] of written) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
        fs.writeFileSync(path.join(dir, name), text)
      }
      const program = ts.createProgram(
        [...written.keys()].map(n => path.join(dir, n)),
        {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          types: [],
        },
      )
      for (const d of ts.getPreEmitDiagnostics(program).slice(0, 3)) problems.push(`${project}: ${d.file?.fileName ?? ''} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
    }
    expect(problems).to.deep.equal([])
  })

  it('round-trips messages written with the bindings through capnp decode (slow)', async function () {
    const version = capnpAvailable()
    if (!version) {
      console.warn("      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to decode messages")
      this.skip()
    }
    const std = writeStdDir()
    const older = olderCompilerDifferences(version!)
    const problems: string[] = []
    let checked = 0
    for (const [project, list] of generated) {
      const dir = tempDir('ssmd-gen-')
      fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
      for (const g of list)
        for (const [name, text] of g.files) {
          fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
          fs.writeFileSync(path.join(dir, name), text)
        }
      for (const g of list) {
        if (`${project}/${g.file.rel}` in older) continue
        const mod = (await import(pathToFileURL(path.join(dir, g.file.display.replace(/\.capnp$/, '.ts'))).href)) as Record<string, typeof capnp.Struct>
        for (const node of g.model.nodes) {
          if (node.kind !== 'struct' || node.path.includes('.') || node.isGeneric || !mod[node.path]) continue
          const msg = new capnp.Message()
          const root = msg.initRoot(mod[node.path] as never) as unknown as Record<string, unknown>
          const expected: string[] = []
          for (const f of node.fields ?? []) {
            if (f.discriminant != null || f.groupId || !f.type || !(f.name in root)) continue
            const k = f.type.kind
            const v = k === 'Bool' ? true : k === 'Text' ? 'ssmd' : /^U?Int64$/.test(k) ? 7n : /^U?Int/.test(k) ? 7 : /^Float/.test(k) ? 1.5 : undefined
            if (v === undefined) continue
            root[f.name] = v
            expected.push(`${f.name} = ${k === 'Text' ? '"ssmd"' : String(v)}`)
          }
          if (expected.length === 0) continue
          const args = ['decode', '--short', '--no-standard-import', '-I', std, ...g.file.project.importDirs.flatMap(d => ['-I', d]), g.file.rel, node.path]
          const r = spawnSync('capnp', args, { cwd: g.file.project.dir, input: new Uint8Array(msg.toArrayBuffer()), encoding: 'utf8' })
          const out = r.stdout.trim()
          const missing = expected.filter(e => !out.includes(e))
          if (r.status !== 0 || missing.length)
            problems.push(`${project}/${g.file.rel} ${node.path}: ${r.stderr.trim() || `capnp decode gave ${out.slice(0, 300)}; missing ${missing.join(', ')}`}`)
          checked++
        }
      }
    }
    expect(problems.slice(0, 10)).to.deep.equal([])
    expect(checked).to.be.greaterThan(100)
  })
})
