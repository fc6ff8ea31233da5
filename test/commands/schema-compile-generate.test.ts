import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as capnp from 'capnp-es'
import * as schema from 'capnp-es/capnp/schema'
import ts from 'typescript'
import { ssmd, ssmdProcess } from '../helpers/cli.js'
import { exampleRepo, FIXTURES, PROJECT_ROOT, tempDir } from '../helpers/repo.js'
import { capnpAvailable } from '../capnp/compiler-helper.js'
import { requestDifferences, writeStdDir } from '../capnp/corpus-helper.js'

const version = capnpAvailable()

/** The example repository plus an `order` schema whose definition imports schemas/common.capnp. */
function repoWithImports(): string {
  const repo = exampleRepo()
  copyFileSync(join(FIXTURES, 'schema', 'order.capnp'), join(repo, 'schemas', 'order.capnp'))
  copyFileSync(join(FIXTURES, 'schema', 'common.capnp'), join(repo, 'schemas', 'common.capnp'))
  writeFileSync(
    join(repo, 'schemas', 'order.yaml'),
    [
      'name: order',
      'format: capnp',
      'schema_file: order.capnp',
      'versions:',
      '  - version: v1',
      '    effective_from: 2025-01-01',
      '    status: active',
      '    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000',
      '',
    ].join('\n'),
  )
  return repo
}

function capnpCompile(repo: string, file: string): Uint8Array {
  const std = writeStdDir()
  const r = spawnSync('capnp', ['compile', '-o-', '--no-standard-import', '-I', std, '--src-prefix=schemas', join('schemas', file)], { cwd: repo })
  expect(r.status, r.stderr.toString()).to.equal(0)
  return new Uint8Array(r.stdout)
}

describe('ssmd schema compile', () => {
  it('writes a CodeGeneratorRequest that capnp-es reads: the requested file, its nodes and layout', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'compile', 'trade', '-o', 'out/trade.bin'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^trade v2 \(schemas\/trade-v2\.capnp\) → out\/trade\.bin: \d+ bytes, 3 nodes\n$/)
    const req = new capnp.Message(readFileSync(join(repo, 'out', 'trade.bin')), false).getRoot(schema.CodeGeneratorRequest)
    expect(req.requestedFiles.length).to.equal(1)
    expect(req.requestedFiles[0].filename).to.equal('trade-v2.capnp')
    const trade = [...req.nodes].find(n => n.displayName === 'trade-v2.capnp:Trade')!
    expect(trade.struct.dataWordCount).to.equal(4)
    expect(trade.struct.pointerCount).to.equal(3)
    const offsets = Object.fromEntries([...trade.struct.fields].map(f => [f.name, f.slot.offset]))
    expect(offsets).to.deep.equal({ timestampNs: 0, ticker: 0, price: 1, quantity: 4, side: 10, tradeId: 1, receivedNs: 3, datacenter: 2 })
  })

  it('names the version with @ or :, and --json reports what was written', async () => {
    const repo = exampleRepo()
    const r = await ssmd(['schema', 'compile', 'trade@v1', '-o', 'v1.bin', '--json'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    const j = JSON.parse(r.stdout)
    expect(j).to.deep.include({ name: 'trade', version: 'v1', schema_file: 'schemas/trade.capnp', output: 'v1.bin', requested_file: 'trade.capnp' })
    expect(j.bytes).to.equal(readFileSync(join(repo, 'v1.bin')).length)
    const colon = await ssmd(['schema', 'compile', 'trade:v1', '-o', 'v1b.bin'], { cwd: repo })
    expect(colon.code, colon.stderr).to.equal(0)
    expect(readFileSync(join(repo, 'v1b.bin'))).to.deep.equal(readFileSync(join(repo, 'v1.bin')))
  })

  it('pipes the request to stdout for a code generator (built CLI)', () => {
    const repo = exampleRepo()
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'run.js'), 'schema', 'compile', 'trade'], { cwd: repo, env: { ...process.env, NODE_ENV: '' } })
    expect(r.status, r.stderr.toString()).to.equal(0)
    const req = new capnp.Message(new Uint8Array(r.stdout), false).getRoot(schema.CodeGeneratorRequest)
    expect([...req.nodes].map(n => n.displayName)).to.include('trade-v2.capnp:Trade.Side')
  })

  it('equals capnp compile -o- of the same file, imports included', async function () {
    if (!version) {
      console.warn("      SKIPPED: the official 'capnp' compiler is not on PATH; install it (apt-get install capnproto) to compare requests")
      this.skip()
    }
    const repo = repoWithImports()
    for (const [ref, file] of [
      ['trade@v1', 'trade.capnp'],
      ['trade@v2', 'trade-v2.capnp'],
      ['orderbook', 'orderbook.capnp'],
      ['order', 'order.capnp'],
    ]) {
      const r = await ssmd(['schema', 'compile', ref, '-o', `${ref}.bin`], { cwd: repo })
      expect(r.code, r.stderr).to.equal(0)
      const mine = new Uint8Array(readFileSync(join(repo, `${ref}.bin`)))
      expect(requestDifferences(capnpCompile(repo, file), mine), ref).to.deep.equal([])
    }
  })

  it('embeds a binary file as Data byte for byte, non-UTF-8 bytes included', async () => {
    const repo = exampleRepo()
    const payload = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0xc3, 0x28, 0xe2, 0x82, 0x61, 0x0d, 0x0a, 0x00])
    writeFileSync(join(repo, 'schemas', 'payload.bin'), payload)
    writeFileSync(
      join(repo, 'schemas', 'trade-v2.capnp'),
      '@0xd4c9a3f2b1e08a67;\nconst payload :Data = embed "payload.bin";\nstruct Trade {\n  price @0 :Float64;\n  raw @1 :Data = embed "payload.bin";\n}\n',
    )
    const r = await ssmd(['schema', 'compile', 'trade', '-o', 'out.bin'], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    const req = new capnp.Message(readFileSync(join(repo, 'out.bin')), false).getRoot(schema.CodeGeneratorRequest)
    const konst = [...req.nodes].find(n => n.displayName === 'trade-v2.capnp:payload')!
    expect(Buffer.from(konst.const.value.data.toUint8Array())).to.deep.equal(payload)
    const trade = [...req.nodes].find(n => n.displayName === 'trade-v2.capnp:Trade')!
    expect(Buffer.from(trade.struct.fields[1].slot.defaultValue.data.toUint8Array())).to.deep.equal(payload)
  })

  it('refuses a definition that does not compile with one located line, writing nothing', async () => {
    const repo = exampleRepo()
    writeFileSync(join(repo, 'schemas', 'trade-v2.capnp'), '@0xd4c9a3f2b1e08a67;\nstruct Trade {\n  price @0 :Float65;\n}\n')
    const r = await ssmd(['schema', 'compile', 'trade', '-o', 'out.bin'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stderr).to.equal('Error: schemas/trade-v2.capnp:3:13: Not defined: Float65\n')
    expect(existsSync(join(repo, 'out.bin'))).to.equal(false)
  })

  it('refuses what it cannot do: another format, an unknown version, --json without -o', async () => {
    const repo = exampleRepo()
    mkdirSync(join(repo, 'schemas', 'q'))
    writeFileSync(
      join(repo, 'schemas', 'quote.yaml'),
      'name: quote\nformat: protobuf\nschema_file: q/quote.proto\nversions:\n  - version: v1\n    effective_from: 2025-01-01\n    status: active\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n',
    )
    copyFileSync(join(FIXTURES, 'schema', 'quote.proto'), join(repo, 'schemas', 'q', 'quote.proto'))
    const proto = await ssmd(['schema', 'compile', 'quote', '-o', 'q.bin'], { cwd: repo })
    expect(proto.code).to.equal(1)
    expect(proto.stderr).to.contain("only capnp schemas compile to a CodeGeneratorRequest; 'quote' is protobuf")
    expect((await ssmd(['schema', 'compile', 'trade@v9', '-o', 'x.bin'], { cwd: repo })).code).to.equal(1)
    const json = await ssmd(['schema', 'compile', 'trade', '--json'], { cwd: repo })
    expect(json.code).to.equal(2)
    expect(json.stderr).to.contain('--json needs -o FILE')
  })
})

describe('ssmd schema generate', () => {
  it("writes TypeScript that compiles under strict and round-trips a message with bindings from capnp's own request (slow)", async function () {
    const repo = repoWithImports()
    // generated code imports 'capnp-es': let it resolve to this project's copy
    const work = tempDir()
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(work, 'node_modules'), 'dir')
    const ours = join(work, 'ours')
    const r = await ssmd(['schema', 'generate', 'order', '--lang', 'ts', '--out', ours], { cwd: repo })
    expect(r.code, r.stderr).to.equal(0)
    expect(readdirSync(ours).sort()).to.deep.equal(['common.ts', 'order.ts'])
    expect(r.stdout).to.contain(`wrote ${join(ours, 'order.ts')}`)

    // strict type check of the generated sources
    const program = ts.createProgram(
      readdirSync(ours).map(f => join(ours, f)),
      {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        skipLibCheck: true,
        allowImportingTsExtensions: true,
      },
    )
    const diagnostics = ts.getPreEmitDiagnostics(program).map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(diagnostics).to.deep.equal([])

    const gen = (await import(pathToFileURL(join(ours, 'order.ts')).href)) as Record<string, typeof capnp.Struct>
    const msg = new capnp.Message()
    const order = msg.initRoot(gen.Order as never) as unknown as { id: string; _initPrice(): { units: bigint; nanos: number } }
    order.id = 'ORD-1'
    const price = order._initPrice()
    price.units = 101n
    price.nanos = 250_000_000
    const bytes = new Uint8Array(msg.toArrayBuffer())

    if (!version) {
      console.warn("      SKIPPED (reading back with bindings from capnp's request): the official 'capnp' compiler is not on PATH")
      return
    }
    const { compileAll } = await import('capnp-es/compiler')
    const theirs = join(work, 'theirs')
    mkdirSync(theirs)
    const official = await compileAll(Buffer.from(capnpCompile(repo, 'order.capnp')), { ts: true })
    for (const [file, text] of official.files) writeFileSync(join(theirs, file), text)
    // capnp's request names only the requested file; its import gets bindings from its own request
    const common = await compileAll(Buffer.from(capnpCompile(repo, 'common.capnp')), { ts: true })
    for (const [file, text] of common.files) writeFileSync(join(theirs, file), text)
    // the same request gives the same code
    for (const f of ['order.ts', 'common.ts']) expect(readFileSync(join(ours, f), 'utf8'), f).to.equal(readFileSync(join(theirs, f), 'utf8'))
    const ref = (await import(pathToFileURL(join(theirs, 'order.ts')).href)) as Record<string, typeof capnp.Struct>
    const back = new capnp.Message(bytes, false).getRoot(ref.Order as never) as unknown as { id: string; price: { units: bigint; nanos: number } }
    expect(back.id).to.equal('ORD-1')
    expect(back.price.units).to.equal(101n)
    expect(back.price.nanos).to.equal(250_000_000)
  })

  it('refuses a type named like an imported type it uses, which capnp-es cannot tell apart, writing nothing', async () => {
    const repo = repoWithImports()
    // capnp-es would import the other file's Money under its own name and write Money for both
    writeFileSync(
      join(repo, 'schemas', 'order.capnp'),
      '@0xe1f2a3b4c5d6e7f8;\nusing C = import "common.capnp";\nstruct Money { cents @0 :Int64; }\nstruct Order {\n  price @0 :C.Money;\n  fee @1 :Money;\n}\n',
    )
    for (const lang of ['ts', 'js']) {
      const out = join(tempDir(), 'gen')
      const r = await ssmd(['schema', 'generate', 'order', '--lang', lang, '--out', out], { cwd: repo })
      expect(r.code, r.stderr).to.equal(1)
      expect(r.stderr).to.equal(
        "Error: cannot generate bindings for schemas/order.capnp: order.capnp uses common.capnp's Money and declares a type of its own that capnp-es names Money too, so the generated code could not tell them apart; rename one of them\n",
      )
      expect(existsSync(out)).to.equal(false)
    }
  })

  it('repairs what capnp-es gets wrong: an unused import named like a local type, a list of lists of an enum', async () => {
    const repo = repoWithImports()
    // capnp-es imports common.capnp's Money (a constant's type uses the file) but generates no
    // constants, so the code never names it: the local Money is the only one it means
    writeFileSync(
      join(repo, 'schemas', 'order.capnp'),
      '@0xe1f2a3b4c5d6e7f8;\nusing C = import "common.capnp";\nstruct Money { cents @0 :Int64; }\nenum Side { buy @0; sell @1; }\nstruct Order {\n  fee @0 :Money;\n  sides @1 :List(List(Side));\n  const zero :C.Money = (units = 0);\n}\n',
    )
    for (const lang of ['ts', 'js', 'dts']) {
      const out = join(tempDir(), 'gen')
      const r = await ssmd(['schema', 'generate', 'order', '--lang', lang, '--out', out], { cwd: repo })
      expect(r.code, `${lang}: ${r.stderr}`).to.equal(0)
      const name = lang === 'ts' ? 'order.ts' : lang === 'js' ? 'order.js' : 'order.d.ts'
      const text = readFileSync(join(out, name), 'utf8')
      expect(text, lang).not.to.match(/import \{[^}]*\bMoney\b[^}]*\} from/)
      if (lang !== 'dts') expect(text, lang).to.match(/Order\._Sides = \$\.PointerList\(\$\.Uint16List\)( as unknown as \$\.ListCtor<\$\.List<Side>>)?;/)
      if (lang === 'ts') expect(text).to.contain('Order._Sides = $.PointerList($.Uint16List) as unknown as $.ListCtor<$.List<Side>>;')
    }
  })

  it('refuses up front imports capnp-es cannot resolve: a standard file it lacks, an absolute path', async () => {
    const repo = repoWithImports()
    const cases: Array<[string, RegExp]> = [
      [
        'using import "/capnp/stream.capnp".StreamResult;\nstruct Order { r @0 :StreamResult; }\n',
        /^Error: cannot generate bindings for schemas\/order\.capnp: order\.capnp imports "\/capnp\/stream\.capnp" and capnp-es provides no module for it \(it has [^)]*\/capnp\/schema\.capnp[^)]*\)\n$/,
      ],
      [
        'using C = import "/common.capnp";\nstruct Order { price @0 :C.Money; }\n',
        /^Error: cannot generate bindings for schemas\/order\.capnp: order\.capnp imports "\/common\.capnp" and capnp-es cannot generate an absolute import; import it by a path relative to the importing file\n$/,
      ],
    ]
    for (const [body, message] of cases) {
      writeFileSync(join(repo, 'schemas', 'order.capnp'), `@0xe1f2a3b4c5d6e7f8;\n${body}`)
      const out = join(tempDir(), 'gen')
      const r = await ssmd(['schema', 'generate', 'order', '--lang', 'ts', '--out', out], { cwd: repo })
      expect(r.code, r.stderr).to.equal(1)
      expect(r.stderr).to.match(message)
      expect(existsSync(out)).to.equal(false)
    }
    // an import only used for annotations generates no import at all, and stays allowed
    writeFileSync(join(repo, 'schemas', 'order.capnp'), '@0xe1f2a3b4c5d6e7f8;\nusing Cxx = import "/capnp/c++.capnp";\n$Cxx.namespace("o");\nstruct Order { id @0 :Text; }\n')
    const ok = await ssmd(['schema', 'generate', 'order', '--lang', 'ts', '--out', join(tempDir(), 'gen')], { cwd: repo })
    expect(ok.code, ok.stderr).to.equal(0)
  })

  it('writes JavaScript (built CLI) and declarations', async () => {
    const repo = exampleRepo()
    const out = join(tempDir(), 'gen')
    const js = ssmdProcess(['schema', 'generate', 'trade@v2', '--lang', 'js', '--out', join(out, 'js')], { cwd: repo })
    expect(js.code, js.stderr).to.equal(0)
    const dts = await ssmd(['schema', 'generate', 'trade@v2', '--lang', 'dts', '--out', join(out, 'dts'), '--json'], { cwd: repo })
    expect(dts.code, dts.stderr).to.equal(0)
    expect(JSON.parse(dts.stdout)).to.deep.include({ name: 'trade', version: 'v2', lang: 'dts', files: ['trade-v2.d.ts'] })
    expect(readdirSync(join(out, 'js'))).to.deep.equal(['trade-v2.js'])
    expect(readdirSync(join(out, 'dts'))).to.deep.equal(['trade-v2.d.ts'])
    expect(readFileSync(join(out, 'js', 'trade-v2.js'), 'utf8')).to.contain('class Trade extends')
    expect(readFileSync(join(out, 'dts', 'trade-v2.d.ts'), 'utf8')).to.contain('get ticker(): string;')
  })

  it('needs --lang and --out (exit 2)', async () => {
    const repo = exampleRepo()
    expect((await ssmd(['schema', 'generate', 'trade', '--out', 'x'], { cwd: repo })).code).to.equal(2)
    expect((await ssmd(['schema', 'generate', 'trade', '--lang', 'go', '--out', 'x'], { cwd: repo })).code).to.equal(2)
  })
})

describe('ssmd validate with an imported definition', () => {
  it("reports an error inside the imported file at that file's line, once", async () => {
    const repo = repoWithImports()
    writeFileSync(join(repo, 'schemas', 'common.capnp'), '@0xd1e2f3a4b5c6d7e8;\nstruct Money {\n  units @0 :Int64;\n  nanos @0 :Int32;\n}\n')
    const r = await ssmd(['validate'], { cwd: repo })
    expect(r.code).to.equal(1)
    expect(r.stdout).to.contain('schemas/common.capnp:4:10  error    Duplicate ordinal number.')
    expect(r.stdout.match(/Duplicate ordinal number/g)).to.have.length(1)
    const compile = await ssmd(['schema', 'compile', 'order', '-o', 'order.bin'], { cwd: repo })
    expect(compile.code).to.equal(1)
    expect(compile.stderr).to.equal('Error: schemas/common.capnp:4:10: Duplicate ordinal number. (and 1 more problem; see ssmd validate)\n')
  })
})
