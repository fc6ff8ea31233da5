/**
 * Parsers that cannot stall or overflow: the built CLI as a process on repositories holding
 * escape-heavy and deeply nested Cap'n Proto definitions.
 */
import { expect } from 'chai'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILT_BIN, ssmdProcess, type CliResult } from '../helpers/cli.js'
import { exampleRepo, tempDir } from '../helpers/repo.js'

const ID = '@0xd4c9a3f2b1e08a67;\n'

/** A repository with schema `big` (one active version) whose definition is `text`, its hash recorded. */
function repoWith(text: string, v2?: string): string {
  const root = exampleRepo({ git: true })
  writeFileSync(join(root, 'schemas', 'big.capnp'), text)
  const versions = ['  - version: v1', '    effective_from: 2025-01-01', ...(v2 ? ['    effective_to: 2025-05-31'] : []), '    status: active']
  if (v2) {
    writeFileSync(join(root, 'schemas', 'big2.capnp'), v2)
    versions.push('  - version: v2', '    effective_from: 2025-06-01', '    status: draft', '    schema_file: big2.capnp', '    compatible_with: [v1]')
  }
  writeFileSync(join(root, 'schemas', 'big.yaml'), ['name: big', 'format: capnp', 'schema_file: big.capnp', 'versions:', ...versions, ''].join('\n'))
  const h = ssmdProcess(['schema', 'hash', 'big', '-C', root])
  expect(h.code, h.stderr).to.equal(0)
  return root
}

/** A repository with schema `deep` in `format`, its one definition file `deep.<ext>` holding `text`. */
function repoWithDefinition(ext: string, format: string, text: string): string {
  const root = exampleRepo({ git: true })
  writeFileSync(join(root, 'schemas', `deep.${ext}`), text)
  const versions = ['  - version: v1', '    effective_from: 2025-01-01', '    status: active']
  writeFileSync(join(root, 'schemas', 'deep.yaml'), ['name: deep', `format: ${format}`, `schema_file: deep.${ext}`, 'versions:', ...versions, ''].join('\n'))
  return root
}

/**
 * Runs `ssmd validate --no-cache --json` and measures the CPU time the process used (bash's
 * `times`): the work done, which a busy machine does not inflate as it does the wall clock.
 * The wall clock is still bounded, generously, so that a hang fails too.
 */
function timedValidate(root: string): { result: CliResult; cpuMs: number; wallMs: number } {
  const dir = tempDir()
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', NODE_ENV: undefined })) if (v !== undefined) env[k] = v
  const script = '"$@" >"$OUT" 2>"$ERR"; rc=$?; times; exit $rc'
  const t0 = performance.now()
  const r = spawnSync('bash', ['-c', script, 'bash', process.execPath, BUILT_BIN, 'validate', '--no-cache', '--json', '-C', root], {
    env: { ...env, OUT: join(dir, 'out'), ERR: join(dir, 'err') },
    encoding: 'utf8',
    timeout: 120000,
  })
  const wallMs = performance.now() - t0
  // `times` prints the shell's own user/system times, then its children's: "0m0.281s 0m0.052s"
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout)
  expect(m, r.stdout).to.not.equal(null)
  const cpuMs = (Number(m![1]) * 60 + Number(m![2]) + Number(m![3]) * 60 + Number(m![4])) * 1000
  const result = { stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8'), code: r.status ?? 1 }
  return { result, cpuMs, wallMs }
}

interface Finding {
  file: string
  line: number
  column: number
  rule: string
  message: string
}
const findings = (r: CliResult): Finding[] => (JSON.parse(r.stdout) as { findings: Finding[] }).findings

describe('bounded parsers (built CLI)', function () {
  this.timeout(600000)

  it('escape-heavy strings validate in linear time: 800 KB in under 2 s, 6 MB in under 10 s of CPU (slow)', () => {
    for (const [bytes, limit] of [
      [800_000, 2000],
      [6_000_000, 10000],
    ] as const) {
      const root = repoWith(`${ID}struct Big { x @0 :Text; }\nconst big :Text = "${'\\n'.repeat(bytes / 2)}";\n`)
      const { result, cpuMs, wallMs } = timedValidate(root)
      expect(result.code, result.stderr).to.equal(0)
      expect(findings(result)).to.deep.equal([])
      expect(cpuMs, `${bytes} bytes took ${cpuMs.toFixed(0)} ms of CPU`).to.be.lessThan(limit)
      expect(wallMs).to.be.lessThan(limit * 10)
    }
  })

  it('10,000 nesting levels are one located error in under 1 s of CPU, with no rule failing (slow)', () => {
    const n = 10_000
    const root = repoWith(`${ID}struct Big { x @0 :Text; }\n${'struct A {'.repeat(n)}${'}'.repeat(n)}\n`)
    const { result, cpuMs, wallMs } = timedValidate(root)
    expect(result.code, result.stderr).to.equal(1)
    const onFile = findings(result).filter(f => f.file === 'schemas/big.capnp')
    expect(onFile).to.have.length(1)
    expect(onFile[0]).to.include({ line: 3, column: 650, rule: 'schema/parse' })
    expect(onFile[0].message).to.match(/^Nesting deeper than 64 levels .*; declare the inner parts separately/)
    expect(findings(result).filter(f => f.rule === 'plugin/failed')).to.deep.equal([])
    expect(result.stdout + result.stderr).not.to.contain('Maximum call stack')
    expect(cpuMs, `took ${cpuMs.toFixed(0)} ms of CPU`).to.be.lessThan(1000)
    expect(wallMs).to.be.lessThan(10000)
    // the text output names the file, line and column too
    const text = ssmdProcess(['validate', '--no-cache', '-C', root])
    expect(text.stdout).to.match(/schemas\/big\.capnp:3:650 +error +Nesting deeper than 64 levels/)
  })

  it('definitions at the limits go through every stage: validate and its comparison, show --structure, diff, compile (slow)', () => {
    // 40 nested structs holding a 20-deep list type, a 63-link alias chain, 60 nested groups
    const body = (y: string): string =>
      `${ID}struct Big { x @0 :Text; }\n` +
      `${'struct A {'.repeat(40)} x @0 :${'List('.repeat(20)}Text${')'.repeat(20)}; ${'}'.repeat(40)}\n` +
      Array.from({ length: 63 }, (_, i) => `using T${i} = T${i + 1};\n`).join('') +
      'using T63 = Text;\n' +
      `struct U { t @0 :T0; g :group { ${Array.from({ length: 60 }, (_, i) => `g${i} :group { `).join('')}y @1 :${y}; ${'} '.repeat(60)}} }\n`
    const root = repoWith(body('UInt32'), body('UInt64'))
    const v = ssmdProcess(['validate', '--no-cache', '--json', '-C', root])
    expect(v.stderr).to.equal('')
    const rules = findings(v).map(f => `${f.file} ${f.rule}`)
    // the comparison ran to its verdict: the one breaking change, nothing else
    expect(rules).to.deep.equal(['schemas/big.yaml schema/undocumented-break', 'schemas/big.yaml schema/compat-claim'])
    expect(findings(v)[1].message).to.contain('field U.y @1 type changed from UInt32 to UInt64')
    const show = ssmdProcess(['schema', 'show', 'big:v1', '--structure', '-C', root])
    expect(show.code, show.stderr).to.equal(0)
    expect(show.stdout).to.contain(`@0  x  ${'List('.repeat(20)}Text${')'.repeat(20)}`)
    const diff = ssmdProcess(['schema', 'diff', 'big', 'v1', 'v2', '-C', root])
    expect(diff.stdout).to.contain('breaking    field U.y @1 type changed from UInt32 to UInt64')
    const compile = ssmdProcess(['schema', 'compile', 'big@v1', '-o', join(root, 'req.bin'), '-C', root])
    expect(compile.code, compile.stderr).to.equal(0)
    expect(compile.stdout).to.match(/104 nodes/)
  })

  it('protobuf nested past its limits is one finding at the line and column where the limit is passed (slow)', () => {
    const cases = [
      // 10,000 nested messages: the 33rd `message` keyword, on line 34
      { text: `syntax = "proto3";\n${'message M {\n'.repeat(10_000)}${'}\n'.repeat(10_000)}`, line: 34, column: 1, message: /messages and groups nested deeper than 32 levels/ },
      // an option value 10,000 braces deep: the 102nd `{` (the first is level 0 for protobufjs)
      {
        text: `syntax = "proto3";\nmessage A { int32 x = 1 [(foo) = ${'{ a: '.repeat(10_000)}1${' }'.repeat(10_000)}]; }\n`,
        line: 2,
        column: 34 + 101 * 5,
        message: /option value nested deeper than 100 levels/,
      },
    ]
    for (const c of cases) {
      const root = repoWithDefinition('proto', 'protobuf', c.text)
      const { result, cpuMs } = timedValidate(root)
      expect(result.code, result.stderr).to.equal(1)
      const onFile = findings(result).filter(f => f.file === 'schemas/deep.proto')
      expect(onFile).to.have.length(1)
      expect(onFile[0]).to.include({ line: c.line, column: c.column, rule: 'schema/parse' })
      expect(onFile[0].message).to.match(c.message)
      expect(cpuMs).to.be.lessThan(5000)
    }
  })

  it('a JSON Schema nested past 100 levels is one located finding, not a stack overflow (slow)', () => {
    const n = 10_000
    const level = '{"a": {"type": "object", "properties": '
    const root = repoWithDefinition('json', 'json_schema', `{\n  "type": "object",\n  "properties": ${level.repeat(n)}{}${'}}'.repeat(n)}\n}\n`)
    const { result, cpuMs } = timedValidate(root)
    expect(result.code, result.stderr).to.equal(1)
    expect(result.stdout + result.stderr).not.to.contain('Maximum call stack')
    expect(findings(result).filter(f => f.rule === 'plugin/failed')).to.deep.equal([])
    const onFile = findings(result).filter(f => f.file === 'schemas/deep.json')
    expect(onFile).to.have.length(1)
    // the 101st `{`: the file's own, then two per level, so the 50th level's inner object
    expect(onFile[0]).to.include({ line: 3, column: 17 + 49 * level.length + '{"a": '.length, rule: 'schema/parse' })
    expect(onFile[0].message).to.match(/^invalid JSON: nesting deeper than 100 levels of objects and arrays; declare the inner schema in \$defs/)
    expect(cpuMs).to.be.lessThan(5000)
  })
  it('a 7 MB file of structs validates within a 256 MB heap: 33 bytes of heap per byte of input over the baseline (slow)', () => {
    const types = ['UInt32', 'Text', 'Float64', 'List(Int64)', 'Bool', 'Data', 'Int16', 'List(Text)']
    const parts = [ID]
    let length = ID.length
    for (let i = 0; length < 7_000_000; i++) {
      const s = `# struct ${i}\nstruct S${i} {\n${Array.from({ length: 20 }, (_, f) => `  field${f} @${f} :${types[f % types.length]};${f % 5 === 0 ? ' # note' : ''}\n`).join('')}}\n`
      parts.push(s)
      length += s.length
    }
    const root = repoWith(parts.join(''))
    const r = spawnSync(process.execPath, ['--max-old-space-size=256', BUILT_BIN, 'validate', '--no-cache', '--json', '-C', root], {
      encoding: 'utf8',
      timeout: 300000,
      env: { ...process.env, NO_COLOR: '1', TSX_DISABLE_CACHE: '1' },
      maxBuffer: 64 * 1024 * 1024,
    })
    expect(r.stderr).to.not.match(/heap out of memory/)
    expect(r.status, r.stderr).to.equal(0)
    expect(findings({ stdout: r.stdout, stderr: r.stderr, code: r.status ?? 1 })).to.deep.equal([])
  })
})
