// Part of `npm run build` (scripts/build.js): @oclif/core as one ES module.
//
// @oclif/core is about 100 CommonJS files (with its dependencies); loading them
// one by one (resolve, read, wrap, compile) was the largest part of every
// command's start-up. esbuild joins them into dist/vendor/oclif-core.cjs, which
// dist/vendor/oclif-core.js runs with a V8 code cache made at build time, and
// ssmd's own compiled files import that module instead of the package, so a
// command of ssmd's loads one oclif, already compiled. Commands of other plugins (plugin-help,
// plugin-plugins, user-installed plugins) keep importing the installed
// @oclif/core, which therefore stays a dependency.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The file, relative to dist/, that ssmd's compiled code imports @oclif/core from. */
export const OCLIF_BUNDLE = 'vendor/oclif-core.js'

/**
 * Writes the bundle into <dist>/vendor: oclif-core.cjs (the code), oclif-core.js
 * (the ES module ssmd imports; it runs the code), the licence notices and a small
 * metadata file, and points every `@oclif/core` import of the compiled files in
 * <dist> at it. Returns the number of packages bundled.
 */
export async function bundleOclifCore(root, dist) {
  const { build } = await import('esbuild')
  const out = join(dist, OCLIF_BUNDLE)
  const code = out.replace(/\.js$/, '.cjs')
  const coreRequire = createRequire(join(root, 'package.json'))
  const corePjsonPath = coreRequire.resolve('@oclif/core/package.json')
  const corePjson = JSON.parse(readFileSync(corePjsonPath, 'utf8'))
  // The package's index is CommonJS: its export names are only known by loading it.
  const names = Object.keys(coreRequire('@oclif/core')).sort()

  const result = await build({
    entryPoints: [coreRequire.resolve('@oclif/core')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: code,
    // Loaded by oclif only for TypeScript sources in development (tsx, ts-node, Yarn PnP).
    external: ['typescript', 'ts-node', 'pnpapi'],
    plugins: [patchEngineCheck(dirname(corePjsonPath))],
    metafile: true,
    legalComments: 'eof',
    logLevel: 'warning',
  })

  // The code runs as a function (see LOADER); import() there is the loader's.
  const text = readFileSync(code, 'utf8')
  let imports = 0
  const rewritten = text.replace(/(?<![\w$.'"`])import\(/g, () => {
    imports++
    return '__ssmdImport('
  })
  if (imports === 0 || /(?<![\w$.'"`])import\s*\(/.test(rewritten)) throw new Error(`${code}: unexpected dynamic import() calls; update scripts/bundle-oclif.js`)
  writeFileSync(code, `// @oclif/core ${corePjson.version} and its dependencies, bundled by scripts/bundle-oclif.js (licences: oclif-core.licenses.txt).\n${rewritten}`)
  writeFileSync(out, LOADER(names))

  const packages = bundledPackages(root, Object.keys(result.metafile.inputs))
  writeFileSync(join(dirname(out), 'oclif-core.licenses.txt'), licenceNotices(packages))
  writeFileSync(
    join(dirname(out), 'oclif-core.meta.json'),
    JSON.stringify({ name: corePjson.name, version: corePjson.version, engines: corePjson.engines, packages: packages.map(p => `${p.name}@${p.version}`) }, null, 2) + '\n',
  )
  rewriteOclifImports(dist, out)
  return packages.length
}

/**
 * The ES module ssmd imports. It compiles the bundled CommonJS code with
 * node:vm so that V8 can use a code cache made by the build
 * (oclif-core.cjs.cache, see writeOclifCodeCache): no parsing, and no lazy
 * compiling of the functions every command runs. V8 rejects a cache made by
 * another Node.js version or with other V8 flags, and a missing or rejected
 * cache only means the code is compiled as usual. The wrapper is the one Node.js
 * gives a CommonJS module, plus the loader's own import() (a vm script has none).
 */
const LOADER = names => `// Runs oclif-core.cjs (@oclif/core, bundled by scripts/bundle-oclif.js) with the build's V8 code cache.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

const file = fileURLToPath(new URL('./oclif-core.cjs', import.meta.url))
let cachedData
try {
  cachedData = readFileSync(file + '.cache')
} catch {
  // No cache: compile as usual.
}
const script = new Script('(function (exports, require, module, __filename, __dirname, __ssmdImport) {' + readFileSync(file, 'utf8') + '\\n})', { filename: file, cachedData })
const mod = { exports: {} }
script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file), specifier => import(specifier))

/** The code cache of everything compiled so far (used by the build; see scripts/bundle-oclif.js). */
export const __codeCache = () => script.createCachedData()
/** Whether this process runs on the build's code cache (for tests). */
export const __codeCacheAccepted = cachedData !== undefined && !script.cachedDataRejected
export const { ${names.join(', ')} } = mod.exports
`

/**
 * Writes <dist>/vendor/oclif-core.cjs.cache: V8's code cache of the bundle after
 * running \`run\` (a typical command) through it, so that it holds the functions
 * a command start compiles too. Written atomically; never written at run time.
 */
export async function writeOclifCodeCache(dist, run) {
  const loader = await import(pathToFileURL(join(dist, OCLIF_BUNDLE)).href)
  await run(loader)
  const file = join(dist, 'vendor', 'oclif-core.cjs.cache')
  writeFileSync(`${file}.${process.pid}`, loader.__codeCache())
  renameSync(`${file}.${process.pid}`, file)
}

/**
 * oclif's index checks the Node.js version against the `engines` of the package.json
 * next to its own folder; in the bundle that folder is dist/, so the check would
 * silently find nothing. Read the bundled package.json instead.
 */
function patchEngineCheck(coreDir) {
  const index = join(coreDir, 'lib', 'index.js')
  return {
    name: 'oclif-engine-check',
    setup(b) {
      b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/ }, args => {
        if (args.path !== index) return undefined
        const text = readFileSync(args.path, 'utf8')
        const from = /const root = path\.join\(__dirname, '\.\.'\);\s*const pjson = require\(path\.join\(root, 'package\.json'\)\);/
        if (!from.test(text)) throw new Error(`${args.path}: the engine check changed shape; update scripts/bundle-oclif.js`)
        return { contents: text.replace(from, "const pjson = require('../package.json');"), loader: 'js' }
      })
    },
  }
}

/** The packages (name, version, licence, folder) whose files went into the bundle. */
function bundledPackages(root, inputs) {
  const dirs = new Set()
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.split(sep).join('/'))
    if (m) dirs.add(m[1])
  }
  return [...dirs]
    .map(d => {
      const dir = join(root, d)
      const pjson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      return { name: pjson.name, version: pjson.version, license: pjson.license ?? 'UNKNOWN', dir }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

function licenceNotices(packages) {
  const parts = ['Third-party code in oclif-core.js, with the licence each package ships.\n']
  for (const p of packages) {
    const file = readdirSync(p.dir).find(f => /^(licen[cs]e|copying)(\.|$)/i.test(f))
    parts.push(`${'='.repeat(78)}\n${p.name}@${p.version} (${p.license})\n${'='.repeat(78)}\n`)
    parts.push(file ? readFileSync(join(p.dir, file), 'utf8').trimEnd() + '\n' : `No licence file in the package; package.json declares ${p.license}.\n`)
  }
  return parts.join('\n')
}

/** Every `from '@oclif/core'` / `import('@oclif/core')` in <dist>'s compiled files, pointed at the bundle. */
function rewriteOclifImports(dist, bundle) {
  const pattern = /(\bfrom\s*|\bimport\s*\(\s*)(['"])@oclif\/core\2/g
  const walk = dir => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory()) walk(path)
      else if (e.name.endsWith('.js') && path !== bundle) {
        const text = readFileSync(path, 'utf8')
        if (!text.includes('@oclif/core')) continue
        let spec = relative(dirname(path), bundle).split(sep).join('/')
        if (!spec.startsWith('.')) spec = `./${spec}`
        const next = text.replace(pattern, (_, lead, q) => `${lead}${q}${spec}${q}`)
        // Anything else naming the package (a subpath, a require) would load a second oclif.
        if (/['"]@oclif\/core[/'"]/.test(next)) throw new Error(`${path}: an @oclif/core import the build cannot point at the bundle`)
        writeFileSync(path, next)
      }
    }
  }
  if (!existsSync(bundle)) throw new Error(`${bundle} was not written`)
  walk(dist)
}
