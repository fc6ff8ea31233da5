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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalRequest, requestDigests } from '../src/lib/capnp/request.js'
// The projects, compile arguments and error lines the tests read the recordings with.
import {
  capnpCompileArgs,
  capnpErrors,
  recordedProjects,
  REQUESTS_FILE,
  VERDICTS_FILE,
  writeStdFiles,
  type RecordedRequests,
  type RecordedVerdicts,
} from '../test/capnp/recorded.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Files whose whole request is kept (generics, interfaces, embeds, doc comments), to show differences in full. */
const FULL_REQUESTS = [
  'capnproto-java/compiler/src/test/schema/test.capnp',
  'ssmd-fixtures/embed-binary/binary.capnp',
  'ssmd-fixtures/doc-comments/docs.capnp',
  'ssmd-fixtures/generic-alias-defaults/aliases.capnp',
]

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
    writeStdFiles(stdDir)
    const files: Record<string, { accepted: boolean; errors: string[] }> = {}
    const digests: Record<string, { request: string; fileSourceInfo: string }> = {}
    const full: Record<string, string> = {}
    for (const p of recordedProjects()) {
      for (const f of p.files) {
        const r = spawnSync(capnp, [...capnpCompileArgs(p, stdDir), f], { cwd: p.dir, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 })
        // The id capnp suggests for a file without one is random: keep the fixture reproducible.
        const errors = capnpErrors(r.stderr.toString('utf8'), p).map(e => `${e.file}:${e.line}:${e.column}: ${e.message.replace(/@0x[0-9a-f]{16};$/, '@0x…;')}`)
        files[`${p.name}/${f}`] = { accepted: r.status === 0, errors }
        if (r.status === 0) {
          digests[`${p.name}/${f}`] = requestDigests(canonicalRequest(r.stdout))
          if (FULL_REQUESTS.includes(`${p.name}/${f}`)) full[`${p.name}/${f}`] = r.stdout.toString('base64')
        }
      }
    }
    const fixture: RecordedVerdicts = {
      capnp: {
        version: version.stdout.trim(),
        source: source ?? 'unknown',
        produced: 'npx tsx scripts/capnp-verdicts.ts <capnp binary> "<source>": each file compiled on its own with `capnp compile -o-`',
      },
      files,
    }
    writeFileSync(VERDICTS_FILE, JSON.stringify(fixture, null, 2) + '\n')
    const requests: RecordedRequests = {
      capnp: { ...fixture.capnp, produced: fixture.capnp.produced + '; requests: sha256 of canonicalRequest (src/lib/capnp/request.ts)' },
      digests,
      full,
    }
    writeFileSync(REQUESTS_FILE, JSON.stringify(requests, null, 2) + '\n')
    const refused = Object.values(files).filter(v => !v.accepted).length
    console.log(`wrote ${relative(root, VERDICTS_FILE)}: ${Object.keys(files).length} files, ${refused} refused (${fixture.capnp.version})`)
  } finally {
    rmSync(stdDir, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
