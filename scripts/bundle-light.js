// Part of `npm run build` (scripts/build.js): each command marked `lightStart`
// (src/lib/cli/light-start.ts) as one file that runs with a V8 code cache.
//
// Each ES module ssmd loads costs a resolve, a read and a compile (Node.js 20
// has no compile cache for them), and a one-file command loads 20 to 40 of
// them. esbuild joins the compiled files a light-start command needs into
// dist/lib/light/<command words as folders>.cjs (lightBundle); the .js next to
// it is the ES module that runs it with the code cache the build makes by
// running that command once (as scripts/bundle-vendor.js does for oclif and
// js-yaml). One bundle per command: a run reads, deserialises and initialises
// only its own command's code (one bundle of all eight cost `feed show` about
// 4 ms more).
//
// A few modules stay outside, so that the process has one copy of each: the
// oclif and js-yaml bundles, and the output gate with the modules it imports
// (bin/run.js installs the gate before anything else; the bundled commands
// then write through it, and the SsmdError it throws is theirs). The bundled
// code is dist/'s, unchanged but for `import.meta.url`, which each module
// keeps as the URL of its own file in dist/.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { asciiSource } from './ascii-source.js'
import { bundledPackages, licenceNotices } from './bundle-vendor.js'

/** Files of dist/ the bundle shares with the rest of the process instead of holding a copy. */
const SHARED = ['vendor/oclif-core.js', 'vendor/js-yaml.js', 'lib/cli/output-gate.js', 'lib/core/errors.js', 'lib/domain/secrets.js']

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

/**
 * Writes, for each command of `ids`, its bundle (<lightBundle>.cjs, the code)
 * and the ES module that runs it (<lightBundle>.js).
 */
export async function bundleLight(dist, ids) {
  const { build } = await import('esbuild')
  const { lightBundle } = await import(pathToFileURL(join(dist, 'lib', 'cli', 'light-start.js')).href)
  checkShared(dist)
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
      stdin: { contents: entry, resolveDir: out, sourcefile: 'light-entry.js', loader: 'js' },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outfile: code,
      metafile: true,
      logLevel: 'warning',
      plugins: [shared(dist), packageFiles(code), ownUrls(dist)],
    })
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
    const name = lightBundle(c.id).at(-1)
    if (held.length > 0) writeFileSync(`${base}.licenses.txt`, licenceNotices(`${name}.cjs`, held))
    const licences = held.length > 0 ? ` (licences of the package code it holds: ${name}.licenses.txt)` : ''
    writeFileSync(code, `// ssmd's light-start command '${c.id}', bundled by scripts/bundle-light.js from the compiled files of dist/${licences}.\n${asciiSource(rewritten, code)}`)
    writeFileSync(`${base}.js`, LOADER(spec(join(dist, 'x')).slice(0, -1), `./${name}.cjs`))
  }
}

/** Imports of the SHARED files become require('ssmd-shared:<file>'), which the loader answers with the module it imported. */
function shared(dist) {
  return {
    name: 'shared',
    setup(b) {
      b.onResolve({ filter: /^\./ }, args => {
        const rel = relative(dist, join(args.resolveDir, args.path)).split(sep).join('/')
        return SHARED.includes(rel) ? { path: `ssmd-shared:${rel}`, external: true } : undefined
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
function checkShared(dist) {
  for (const f of SHARED.filter(f => f.startsWith('lib/'))) {
    const text = readFileSync(join(dist, f), 'utf8')
    for (const [, spec] of text.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)) {
      if (spec === undefined || spec.startsWith('node:')) continue
      const rel = relative(dist, join(dist, f, '..', spec))
        .split(sep)
        .join('/')
      if (!SHARED.includes(rel)) throw new Error(`dist/${f} imports ${spec}, which the light bundle does not share; add it to SHARED in scripts/bundle-light.js`)
    }
  }
}

/**
 * Files of dist/ that a compiled module loads with a require() of its own making, which esbuild cannot
 * follow: the call is rewritten into a plain require() of the file, so that the bundle holds it and its
 * code cache covers it. The build's precompiled JSON Schema validators (111 KB) cost about 3.5 ms of CPU
 * to compile at each `env render` when loaded from their own file.
 */
const BUNDLED_REQUIRES = [{ file: 'lib/validate/contract.js', call: 'createRequire(import.meta.url)(compiled.pathname)', target: 'generated/validators.cjs' }]

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
 * The ES module bin/run.js imports for a command (`dist`: the relative URL of
 * dist/, `code`: of its bundle): it compiles the bundle with node:vm and
 * the build's code cache (a cache V8 rejects, or none, only means the code is
 * compiled as usual; the code is ASCII, read as latin1), and gives the code oclif's and js-yaml's bundles for
 * their imports, Node.js's require for the rest, its own import(), and each
 * module's own URL.
 */
const LOADER = (dist, code) => `// Runs ${code.slice(2)} (an ssmd light-start command, bundled by scripts/bundle-light.js) with the build's V8 code cache.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'
${SHARED.map((f, i) => `import * as shared${i} from '${dist}${f}'`).join('\n')}

const file = fileURLToPath(new URL('${code}', import.meta.url))
const dist = new URL('${dist}', import.meta.url)
let cachedData
try {
  cachedData = readFileSync(file + '.cache')
} catch {
  // No cache: compile as usual.
}
const script = new Script('(function (exports, require, module, __filename, __dirname, __ssmdImport, __ssmdUrl) {' + readFileSync(file, 'latin1') + '\\n})', { filename: file, cachedData })
// An ES module's namespace as esbuild's CommonJS code expects it (default export included).
const shared = { ${SHARED.map((f, i) => `'ssmd-shared:${f}': { __esModule: true, ...shared${i} }`).join(', ')} }
const nodeRequire = createRequire(file)
const require = id => shared[id] ?? nodeRequire(id)
const mod = { exports: {} }
script.runInThisContext()(mod.exports, require, mod, file, dirname(file), specifier => import(specifier), rel => new URL(rel, dist).href)

/** The code cache of everything compiled so far (used by the build). */
export const __codeCache = () => script.createCachedData()
/** Whether this process runs on the build's code cache (for tests). */
export const __codeCacheAccepted = cachedData !== undefined && !script.cachedDataRejected
export const { COMMANDS } = mod.exports
`

/**
 * Writes each light-start bundle's code cache (<lightBundle>.cjs.cache): V8's
 * code cache after `run` (given the bundle's loader) has run its command, so
 * that it holds the functions the command compiles too. Written atomically.
 */
export async function writeLightCache(dist, ids, run) {
  const { lightBundle } = await import(pathToFileURL(join(dist, 'lib', 'cli', 'light-start.js')).href)
  for (const id of ids) {
    const base = join(dist, ...lightBundle(id))
    const loader = await import(pathToFileURL(`${base}.js`).href)
    await run(loader)
    writeFileSync(`${base}.cjs.cache.${process.pid}`, loader.__codeCache())
    renameSync(`${base}.cjs.cache.${process.pid}`, `${base}.cjs.cache`)
  }
}
