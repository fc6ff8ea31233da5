// Records an official `capnp` compiler's verdict on every file of the Cap'n Proto corpora, so that
// the test suite checks ssmd against that compiler without building it:
//
//   npx tsx scripts/capnp-verdicts.ts /path/to/capnp [source description]
//
// writes test/fixtures/capnp-corpus/capnp-verdicts.json. Each file is compiled on its own (as
// `capnp compile -o-` with the project's import folders and ssmd's bundled standard files), so its
// verdict is its own; the errors are capnp's lines as it prints them, file paths made relative to
// the project folder and column ranges cut to their start.
//
// It also writes test/fixtures/capnp-corpus/capnp-requests.json: for every accepted file, digests
// of capnp's CodeGeneratorRequest (byte positions zeroed but fileSourceInfo's, see canonicalRequest in
// src/lib/capnp/request.ts), and the whole request, base64, of the few files in FULL_REQUESTS.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalRequest, requestDigests } from '../src/lib/capnp/request.js'
import { STD_FILES } from '../src/lib/capnp/std.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const corpusDir = join(root, 'test/fixtures/capnp-corpus')
const out = join(corpusDir, 'capnp-verdicts.json')
const requestsOut = join(corpusDir, 'capnp-requests.json')

/** Files whose whole request is kept (generics, interfaces, embeds, doc comments), to show differences in full. */
const FULL_REQUESTS = [
  'capnproto-java/compiler/src/test/schema/test.capnp',
  'ssmd-fixtures/embed-binary/binary.capnp',
  'ssmd-fixtures/doc-comments/docs.capnp',
  'ssmd-fixtures/generic-alias-defaults/aliases.capnp',
]

/** The corpora: each project of capnp-corpus with its import folders, and ssmd's own capnp fixtures. */
function verdictProjects(): Array<{ name: string; dir: string; importDirs: string[] }> {
  const manifest = JSON.parse(readFileSync(join(corpusDir, 'corpus.json'), 'utf8')) as { projects: Record<string, { importDirs: string[] }> }
  return [
    ...Object.entries(manifest.projects).map(([name, p]) => ({ name, dir: join(corpusDir, name), importDirs: p.importDirs })),
    { name: 'ssmd-fixtures', dir: join(root, 'test/fixtures/capnp'), importDirs: [] },
  ]
}

function capnpFiles(dir: string): string[] {
  const files: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.capnp')) files.push(relative(dir, p).split(sep).join('/'))
    }
  }
  walk(dir)
  return files.sort()
}

function main(): void {
  const [capnp, source] = process.argv.slice(2)
  if (!capnp) {
    console.error('usage: npx tsx scripts/capnp-verdicts.ts /path/to/capnp [source description]')
    process.exit(2)
  }
  const version = spawnSync(capnp, ['--version'], { encoding: 'utf8' })
  if (version.status !== 0) {
    console.error(`${capnp} --version failed: ${version.stderr || version.error?.message}`)
    process.exit(1)
  }
  const stdDir = mkdtempSync(join(tmpdir(), 'ssmd-capnp-std-'))
  try {
    for (const [p, text] of Object.entries(STD_FILES)) {
      mkdirSync(dirname(join(stdDir, p)), { recursive: true })
      writeFileSync(join(stdDir, p), text)
    }
    const files: Record<string, { accepted: boolean; errors: string[] }> = {}
    const digests: Record<string, { request: string; fileSourceInfo: string }> = {}
    const full: Record<string, string> = {}
    for (const p of verdictProjects()) {
      for (const f of capnpFiles(p.dir)) {
        const args = ['compile', '-o-', '--no-standard-import', '-I', stdDir]
        for (const d of p.importDirs) args.push('-I', d, `--src-prefix=${d}`)
        const r = spawnSync(capnp, [...args, f], { cwd: p.dir, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 })
        const errors: string[] = []
        for (const line of r.stderr.toString('utf8').split('\n')) {
          const m = /^(.+?):(\d+):(\d+)(?:-\d+)?: error: (.*)$/.exec(line)
          // the id capnp suggests for a file without one is random: keep the fixture reproducible
          const message = m?.[4].replace(/@0x[0-9a-f]{16};$/, '@0x…;')
          if (m) errors.push(`${relative(p.dir, resolve(p.dir, m[1])).split(sep).join('/')}:${m[2]}:${m[3]}: ${message}`)
        }
        files[`${p.name}/${f}`] = { accepted: r.status === 0, errors }
        if (r.status === 0) {
          digests[`${p.name}/${f}`] = requestDigests(canonicalRequest(r.stdout))
          if (FULL_REQUESTS.includes(`${p.name}/${f}`)) full[`${p.name}/${f}`] = r.stdout.toString('base64')
        }
      }
    }
    const fixture = {
      capnp: {
        version: version.stdout.trim(),
        source: source ?? 'unknown',
        produced: 'npx tsx scripts/capnp-verdicts.ts <capnp binary> "<source>": each file compiled on its own with `capnp compile -o-`',
      },
      files,
    }
    writeFileSync(out, JSON.stringify(fixture, null, 2) + '\n')
    const requests = {
      capnp: { ...fixture.capnp, produced: fixture.capnp.produced + '; requests: sha256 of canonicalRequest (src/lib/capnp/request.ts)' },
      digests,
      full,
    }
    writeFileSync(requestsOut, JSON.stringify(requests, null, 2) + '\n')
    const refused = Object.values(files).filter(v => !v.accepted).length
    console.log(`wrote ${relative(root, out)}: ${Object.keys(files).length} files, ${refused} refused (${fixture.capnp.version})`)
  } finally {
    rmSync(stdDir, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
