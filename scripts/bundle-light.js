// Part of `npm run build` (scripts/build.js): the light start as CommonJS files
// that run with a V8 code cache.
//
// Each ES module ssmd loads costs a resolve, a read, a compile and a link
// (Node.js 20 has no compile cache for them), and a one-file command loads 20 to
// 40 of them. esbuild joins the compiled files a light-start command needs into
// dist/lib/light/<command words as folders>.cjs (lightBundle), run with the
// code cache the build makes by running that command once (as
// scripts/bundle-vendor.js does for oclif and js-yaml). One bundle per command:
// a run reads, deserialises and initialises only its own command's code (one
// bundle of all eight cost `feed show` about 4 ms more).
//
// What bin/run.js needs before that (the argument normaliser, the decision,
// the output gate, the loader of the bundles) is dist/lib/light/start.cjs, one
// CommonJS file bin/run.js requires (src/lib/cli/light-entry.ts). The command
// bundles share a few modules with it rather than hold copies, so that the
// process has one of each (LIGHT_SHARED): the oclif and js-yaml bundles, and
// the output gate with the modules it imports (the gate start.cjs installs is
// the one the commands write through, and the SsmdError it throws is theirs).
// The bundled code is dist/'s, unchanged but for `import.meta.url`, which each
// module keeps as the URL of its own file in dist/.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { asciiSource } from './ascii-source.js'
import { bundledPackages, licenceNotices } from './bundle-vendor.js'

/** The ids of the compiled commands in <dist>/commands whose class is marked `lightStart`. */
export async function lightStartIds(dist) {
  const ids = []
  const walk = async (dir, prefix) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) await walk(join(dir, e.name), [...prefix, e.name])
      else if (e.name.endsWith('.js') && e.name !== 'index.js') {
        const mod = await import(pathToFileURL(join(dir, e.name)).href)
        if (mod.default?.lightStart === true) ids.push([...prefix, e.name.slice(0, -3)].join(':'))
      }
    }
  }
  await walk(join(dist, 'commands'), [])
  return ids
}

/** The compiled command file of each light-start command id. */
function commandFiles(dist, ids) {
  return ids.map(id => ({ id, file: join(dist, 'commands', ...id.split(':')) + '.js' }))
}

/** esbuild's options for every light-start file: CommonJS for Node.js 20, packages left to Node.js's require(). */
const BUNDLE_OPTIONS = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' }

/**
 * Modules a light-start command imports (dynamically) only when a flag sends
 * it through oclif's full start (SsmdCommand.fullStartFlags): its bundle
 * holds a stub that throws instead, so the light start does not load code it
 * never runs. `commit --no-validate` is light; a validating commit is not.
 */
const FULL_START_ONLY = { commit: ['lib/cli/validation.js'] }

/** Where the build writes the light start's entry (src/lib/cli/light-entry.ts), relative to dist/. */
export const LIGHT_ENTRY = ['lib', 'light', 'start.cjs']

/**
 * Writes the light start's entry (LIGHT_ENTRY) and, for each command of
 * `ids`, its bundle (<lightBundle>.cjs).
 */
export async function bundleLight(dist, ids) {
  const { build } = await import('esbuild')
  const { lightBundle } = await import(pathToFileURL(join(dist, 'lib', 'cli', 'light-start.js')).href)
  const { LIGHT_SHARED } = await import(pathToFileURL(join(dist, 'lib', 'cli', 'light-entry.js')).href)
  checkShared(dist, LIGHT_SHARED)
  await bundleEntry(build, dist)
  for (const c of commandFiles(dist, ids)) {
    const base = join(dist, ...lightBundle(c.id))
    const out = dirname(base)
    mkdirSync(out, { recursive: true })
    const spec = f => {
      const s = relative(out, f).split(sep).join('/')
      return s.startsWith('.') ? s : `./${s}`
    }
    // The command's modules run only when it is asked for (esbuild initialises a dynamically imported module on first use).
    const entry = `export const COMMANDS = { ${JSON.stringify(c.id)}: async () => (await import(${JSON.stringify(spec(c.file))})).default }`
    const code = `${base}.cjs`
    const result = await build({
      ...BUNDLE_OPTIONS,
      stdin: { contents: entry, resolveDir: out, sourcefile: 'light-command.js', loader: 'js' },
      outfile: code,
      metafile: true,
      plugins: [fullStartOnly(dist, c.id, FULL_START_ONLY[c.id] ?? []), shared(dist, LIGHT_SHARED), packageFiles(code), ownUrls(dist)],
    })
    finishBundle(code, result, `ssmd's light-start command '${c.id}'`)
  }
  await bundleThread(build, dist)
}

/**
 * The bundle `code` esbuild wrote, made to run through the bundle loader
 * (src/lib/cli/bundle-loader.ts): its import() calls become the loader's, and
 * it is refused if it holds what the loader cannot answer. `what` heads the file.
 */
function finishBundle(code, result, what) {
  const text = readFileSync(code, 'utf8')
  const rewritten = text.replace(/(?<![\w$.'"`])import\(/g, '__ssmdImport(')
  if (/(?<![\w$.'"`])import\s*\(/.test(rewritten) || /\bimport\.meta\b/.test(rewritten)) {
    throw new Error(`${code}: an import() or import.meta the build cannot redirect; update scripts/bundle-light.js`)
  }
  // Packages load from node_modules as in dist/; a package imported statically becomes a require(), which an ES-module-only package refuses.
  const packages = Object.values(result.metafile.inputs)
    .flatMap(i => i.imports)
    .filter(i => i.external && i.kind === 'import-statement' && !i.path.startsWith('node:') && !i.path.startsWith('ssmd-shared:'))
  const require = createRequire(code)
  for (const p of new Set(packages.map(i => i.path))) {
    try {
      require(p)
    } catch (error) {
      throw new Error(`${code}: ${p} is imported statically and require() cannot load it (${error.message}); import it lazily or update scripts/bundle-light.js`)
    }
  }
  // Package files it holds (BUNDLED_PACKAGE_FILES) ship with their licences, as the vendor bundles' do (esbuild's paths are relative to the working folder).
  const held = bundledPackages(process.cwd(), Object.keys(result.metafile.inputs))
  const name = basename(code, '.cjs')
  if (held.length > 0) writeFileSync(join(dirname(code), `${name}.licenses.txt`), licenceNotices(`${name}.cjs`, held))
  const licences = held.length > 0 ? ` (licences of the package code it holds: ${name}.licenses.txt)` : ''
  writeFileSync(code, `// ${what}, bundled by scripts/bundle-light.js from the compiled files of dist/${licences}.\n${asciiSource(rewritten, code)}`)
}

/**
 * The second thread of a validation run: src/lib/cli/validate-thread.ts with the loader it imports (a plain
 * CommonJS file the thread starts from), and parallel-read-worker.ts with what it imports, which the
 * entry runs with a code cache (writeThreadCache) as the light start runs a command's bundle. Nothing
 * is shared: the thread has its own copy of every module.
 */
async function bundleThread(build, dist) {
  const { THREAD_BUNDLE, THREAD_ENTRY } = await import(pathToFileURL(join(dist, 'lib', 'validate', 'parallel-read.js')).href)
  const entry = THREAD_ENTRY
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(dist, 'lib', 'cli', 'validate-thread.js')], outfile: entry })
  const text = readFileSync(entry, 'utf8')
  if (/\bimport\.meta\b/.test(text) || /\brequire\(["'](?!node:)/.test(text)) {
    throw new Error(`${entry}: an import.meta or a package require() in the second thread's entry; it must hold the bundle loader and Node.js's modules only`)
  }
  writeFileSync(
    entry,
    `// The second thread of a validation run (src/lib/cli/validate-thread.ts), bundled by scripts/bundle-light.js from the compiled files of dist/.\n${asciiSource(text, entry)}`,
  )
  const code = THREAD_BUNDLE
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [join(dist, 'lib', 'validate', 'parallel-read-worker.js')],
    outfile: code,
    metafile: true,
    plugins: [packageFiles(code), ownUrls(dist)],
  })
  finishBundle(code, result, "The work of a validation run's second thread (src/lib/validate/parallel-read-worker.ts)")
}

/**
 * Writes the second thread's code cache (<bundle>.cache): the thread reads and checks every
 * feed and environment of the repository at `root` (the main thread takes none) and then writes what
 * it compiled.
 */
export async function writeThreadCache(dist, root) {
  const { ParallelRead, THREAD_BUNDLE } = await import(pathToFileURL(join(dist, 'lib', 'validate', 'parallel-read.js')).href)
  const { Workspace } = await import(pathToFileURL(join(dist, 'lib', 'workspace', 'workspace.js')).href)
  const to = `${THREAD_BUNDLE}.cache`
  const reader = new ParallelRead(root, new Workspace(root).unreadListed(), { forCache: false, codeCache: to })
  const code = await reader.exited()
  if (code !== 0 || !existsSync(to)) throw new Error(`the build's run of the second thread on ${root} did not write ${to} (exit code ${code})`)
}

/** dist/lib/light/start.cjs: src/lib/cli/light-entry.ts with the modules it imports, for bin/run.js's require(). */
async function bundleEntry(build, dist) {
  const code = join(dist, ...LIGHT_ENTRY)
  mkdirSync(dirname(code), { recursive: true })
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(dist, 'lib', 'cli', 'light-entry.js')], outfile: code })
  const text = readFileSync(code, 'utf8')
  // It runs as a plain CommonJS module: import() is Node.js's own, and nothing may ask for its ES module URL.
  if (/\bimport\.meta\b/.test(text) || /\brequire\(["'](?!node:)/.test(text)) {
    throw new Error(`${code}: an import.meta or a package require() in the light start's entry; it must hold ssmd's code and Node.js's modules only`)
  }
  writeFileSync(code, `// ssmd's light start (src/lib/cli/light-entry.ts), bundled by scripts/bundle-light.js from the compiled files of dist/.\n${asciiSource(text, code)}`)
}

/** The FULL_START_ONLY modules of command `id` become a module that throws if it is ever imported on the light start; a static import of one fails the build. */
function fullStartOnly(dist, id, files) {
  return {
    name: 'full-start-only',
    setup(b) {
      b.onResolve({ filter: /^\./ }, args => {
        const rel = relative(dist, join(args.resolveDir, args.path)).split(sep).join('/')
        if (!files.includes(rel)) return undefined
        if (args.kind !== 'dynamic-import')
          return { errors: [{ text: `${rel} is imported statically by ${args.importer}, so 'ssmd ${id}' cannot leave it out of its light-start bundle (FULL_START_ONLY)` }] }
        return { path: rel, namespace: 'ssmd-full-start-only' }
      })
      b.onLoad({ filter: /.*/, namespace: 'ssmd-full-start-only' }, args => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not in the light start of 'ssmd ${id}': only oclif's full start runs it (fullStartFlags); please report this`)})`,
        loader: 'js',
      }))
    },
  }
}

/** Imports of the `files` shared become require('ssmd-shared:<file>'), which the loader answers with the process's module (light-entry.ts). */
function shared(dist, files) {
  return {
    name: 'shared',
    setup(b) {
      b.onResolve({ filter: /^\./ }, args => {
        const rel = relative(dist, join(args.resolveDir, args.path)).split(sep).join('/')
        return files.includes(rel) ? { path: `ssmd-shared:${rel}`, external: true } : undefined
      })
    },
  }
}

/** The BUNDLED_PACKAGE_FILES, resolved as Node.js would from the bundle's folder (esbuild otherwise leaves every package external). */
function packageFiles(code) {
  const require = createRequire(code)
  return {
    name: 'package-files',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, args => (BUNDLED_PACKAGE_FILES.includes(args.path) ? { path: require.resolve(args.path) } : undefined))
    },
  }
}

/** The shared files import nothing but each other and Node.js's modules (otherwise a second copy of a module would load). */
function checkShared(dist, files) {
  for (const f of files.filter(f => f.startsWith('lib/'))) {
    const text = readFileSync(join(dist, f), 'utf8')
    for (const [, spec] of text.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)) {
      if (spec === undefined || spec.startsWith('node:')) continue
      const rel = relative(dist, join(dist, f, '..', spec))
        .split(sep)
        .join('/')
      if (!files.includes(rel)) throw new Error(`dist/${f} imports ${spec}, which the light bundle does not share; add it to LIGHT_SHARED in src/lib/cli/light-entry.ts`)
    }
  }
}

/**
 * Files of dist/ that a compiled module loads with a require() of its own making, which esbuild cannot
 * follow: the call is rewritten into a plain require() of the file, so that the bundle holds it and its
 * code cache covers it. The build's precompiled JSON Schema validators (111 KB) cost about 3.5 ms of CPU
 * to compile at each `env render` when loaded from their own file.
 */
const BUNDLED_REQUIRES = [{ file: 'lib/validate/contract.js', call: 'createRequire(import.meta.url)(fileURLToPath(compiled))', target: 'generated/validators.cjs' }]

/**
 * Package files the bundle holds instead of loading from node_modules: the validators' one runtime helper
 * (a pure function). Otherwise it would be the only CommonJS file `env render` loads, and the first
 * one a process loads costs about 2 ms of CPU in Node.js's loader. (When ssmd.yaml sets a rule's options,
 * ajv loads its own copy too; the function has no state to share.)
 */
const BUNDLED_PACKAGE_FILES = ['ajv/dist/runtime/ucs2length']

/** `import.meta.url` of each compiled file, as the URL of that file in dist/; the BUNDLED_REQUIRES rewritten. */
function ownUrls(dist) {
  return {
    name: 'own-urls',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, args => {
        let text = readFileSync(args.path, 'utf8')
        const rel = relative(dist, args.path).split(sep).join('/')
        for (const r of BUNDLED_REQUIRES.filter(r => r.file === rel)) {
          if (!text.includes(r.call)) throw new Error(`dist/${rel} no longer loads ${r.target} with \`${r.call}\`; update BUNDLED_REQUIRES in scripts/bundle-light.js`)
          const spec = relative(dirname(args.path), join(dist, r.target)).split(sep).join('/')
          text = text.replace(r.call, `require(${JSON.stringify(spec.startsWith('.') ? spec : `./${spec}`)})`)
        }
        if (!text.includes('import.meta') && !BUNDLED_REQUIRES.some(r => r.file === rel)) return undefined
        return { contents: text.replace(/\bimport\.meta\.url\b/g, `__ssmdUrl(${JSON.stringify(rel)})`), loader: 'js' }
      })
    },
  }
}

/**
 * Writes each light-start bundle's code cache (<lightBundle>.cjs.cache): V8's
 * code cache after `run` (given the command's class) has run its command, so
 * that it holds the functions the command compiles too. The bundle is loaded
 * through the light start's entry, as bin/run.js loads it. Written atomically.
 */
export async function writeLightCache(dist, ids, run) {
  const entry = createRequire(import.meta.url)(join(dist, ...LIGHT_ENTRY))
  const { lightBundle } = await import(pathToFileURL(join(dist, 'lib', 'cli', 'light-start.js')).href)
  const root = join(dist, '..')
  const oclif = entry.loadOclif(root)
  for (const id of ids) {
    const base = join(dist, ...lightBundle(id))
    const bundle = entry.loadLightCommand(root, id, oclif)
    await run(id, await bundle.exports.COMMANDS[id]())
    writeFileSync(`${base}.cjs.cache.${process.pid}`, bundle.codeCache())
    renameSync(`${base}.cjs.cache.${process.pid}`, `${base}.cjs.cache`)
  }
}
