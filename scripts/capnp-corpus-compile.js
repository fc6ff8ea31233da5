#!/usr/bin/env node
// Compiles the real-world Cap'n Proto corpus with the built ssmd front end, in one process (for
// `npm run bench`).
//   node scripts/capnp-corpus-compile.js <corpus-dir> --list      prints {project: [files ssmd accepts]}
//   node scripts/capnp-corpus-compile.js <corpus-dir> <groups.json> compiles [{project, files}], one request per group
//   node scripts/capnp-corpus-compile.js <corpus-dir> --cpu <groups.json> <reps>  prints {"project/file": {cpuMs, imports}}
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..')
const { loadCapnpFile } = await import(join(PROJECT, 'dist', 'lib', 'capnp', 'index.js'))
const { buildCodeGeneratorRequest } = await import(join(PROJECT, 'dist', 'lib', 'capnp', 'request.js'))

const [corpus, what] = process.argv.slice(2)
const manifest = JSON.parse(readFileSync(join(corpus, 'corpus.json'), 'utf8')).projects

function compile(name, rel) {
  const dir = join(corpus, name)
  const importDirs = manifest[name].importDirs.map(d => join(dir, d))
  const under = manifest[name].importDirs.find(d => rel.startsWith(d + '/'))
  const display = under ? rel.slice(under.length + 1) : rel
  return loadCapnpFile(join(dir, rel), { rootDir: dir, displayPath: display, importDirs })
}

function walk(dir, base, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p, base, out)
    else if (e.name.endsWith('.capnp')) out.push(relative(base, p).split(sep).join('/'))
  }
  return out
}

if (what === '--list') {
  const plan = {}
  for (const name of Object.keys(manifest)) {
    plan[name] = walk(join(corpus, name), join(corpus, name), [])
      .sort()
      .filter(f => {
        const r = compile(name, f)
        if (!r.ok && process.env.DEBUG) console.error(name, f, r.diagnostics[0])
        return r.ok
      })
  }
  process.stdout.write(JSON.stringify(plan))
} else if (what === '--cpu') {
  // CPU time (user+system, ms) of each file compiled on its own, with its imports, to a request:
  // the least of `reps` runs, after one pass over every file (as a validation of a corpus warms up)
  const [, , groupsFile, reps] = process.argv.slice(2)
  const files = JSON.parse(readFileSync(groupsFile, 'utf8')).flatMap(g => g.files.map(f => [g.project, f]))
  const once = (name, f) => {
    const r = compile(name, f)
    if (!r.ok) throw new Error(`${name}/${f}: ${r.diagnostics[0]?.message}`)
    buildCodeGeneratorRequest([r.model])
    return r.model.imports.length
  }
  for (const [name, f] of files) once(name, f)
  const out = {}
  for (const [name, f] of files) {
    let best = Infinity
    let imports = 0
    for (let i = 0; i < Number(reps); i++) {
      const t = process.cpuUsage()
      imports = once(name, f)
      const d = process.cpuUsage(t)
      best = Math.min(best, (d.user + d.system) / 1000)
    }
    out[`${name}/${f}`] = { cpuMs: best, imports }
  }
  process.stdout.write(JSON.stringify(out))
} else {
  const groups = JSON.parse(readFileSync(what, 'utf8'))
  let bytes = 0
  for (const { project: name, files } of groups) {
    const models = files
      .map(f => compile(name, f))
      .map(r => {
        if (!r.ok) throw new Error(`${name}: ${r.diagnostics[0]?.message}`)
        return r.model
      })
    bytes += buildCodeGeneratorRequest(models).length
  }
  process.stdout.write(`${bytes}\n`)
}
