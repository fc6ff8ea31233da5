// Part of `npm run build` (scripts/build.js): the libraries every command starts
// with, each as one file that runs with a V8 code cache made by the build.
//
// @oclif/core is about 100 CommonJS files (with its dependencies); loading them
// one by one (resolve, read, wrap, compile) was the largest part of every
// command's start-up, and compiling js-yaml's parser (lazily, function by
// function, on first use) was a large part of reading the first YAML files.
// For each package below, esbuild joins it into dist/vendor/<file>.cjs;
// dist/vendor/<file>.js is the ES module that runs that code (see LOADER), and
// the build points every import of the package in dist/ at it. So ssmd's own
// commands load one oclif, already compiled. Commands of other plugins
// (plugin-help, user-installed plugins) keep importing the
// installed @oclif/core, which therefore stays a dependency.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { asciiSource } from './ascii-source.js'

/** The packages bundled, and the file name (in dist/vendor/) of each. */
export const VENDORED = [
  {
    name: '@oclif/core',
    file: 'oclif-core',
    // Loaded by oclif only for TypeScript sources in development (tsx, ts-node, Yarn PnP).
    external: ['typescript', 'ts-node', 'pnpapi'],
    plugins: dir => [patchIndex(dir), fdirPicomatch()],
    // oclif's platform name for its user agent ('wsl' under WSL), for ssmd's light start (src/lib/cli/light-start.ts).
    extraExports: ['__oclifPlatform'],
  },
  { name: 'js-yaml', file: 'js-yaml', external: [], plugins: () => [], extraExports: [] },
]

/**
 * Writes the bundles into <dist>/vendor: <file>.cjs (the code), <file>.js (the
 * ES module ssmd imports; it runs the code), licence notices and a small
 * metadata file each, and points every import of those packages in the
 * compiled files of <dist> at them.
 */
export async function bundleVendored(root, dist) {
  const { build } = await import('esbuild')
  const projectRequire = createRequire(join(root, 'package.json'))
  for (const v of VENDORED) {
    const code = join(dist, 'vendor', `${v.file}.cjs`)
    const pjsonPath = projectRequire.resolve(`${v.name}/package.json`)
    const pjson = JSON.parse(readFileSync(pjsonPath, 'utf8'))
    // The CommonJS entry's export names are only known by loading it.
    const names = [...Object.keys(projectRequire(v.name)), ...(v.extraExports ?? [])].filter(n => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default').sort()
    const result = await build({
      entryPoints: [projectRequire.resolve(v.name)],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      outfile: code,
      external: v.external,
      plugins: v.plugins(dirname(pjsonPath)),
      metafile: true,
      legalComments: 'eof',
      logLevel: 'warning',
    })

    // The code runs as a function (see LOADER); import() there is the loader's.
    const text = readFileSync(code, 'utf8')
    const rewritten = text.replace(/(?<![\w$.'"`])import\(/g, '__ssmdImport(')
    if (/(?<![\w$.'"`])import\s*\(/.test(rewritten)) throw new Error(`${code}: a dynamic import() the build cannot redirect; update scripts/bundle-vendor.js`)
    writeFileSync(
      code,
      `// ${v.name} ${pjson.version} and its dependencies, bundled by scripts/bundle-vendor.js (licences: ${v.file}.licenses.txt).\n${asciiSource(rewritten, code)}`,
    )
    writeFileSync(join(dist, 'vendor', `${v.file}.js`), LOADER(v, names))

    const packages = bundledPackages(root, Object.keys(result.metafile.inputs))
    writeFileSync(join(dist, 'vendor', `${v.file}.licenses.txt`), licenceNotices(`${v.file}.cjs`, packages))
    writeFileSync(
      join(dist, 'vendor', `${v.file}.meta.json`),
      JSON.stringify({ name: pjson.name, version: pjson.version, engines: pjson.engines, packages: packages.map(p => `${p.name}@${p.version}`) }, null, 2) + '\n',
    )
  }
  rewriteImports(dist)
}

/**
 * The ES module ssmd imports for a bundled package: it runs the bundled
 * CommonJS code with the build's code cache (src/lib/cli/bundle-loader.ts; see
 * writeCodeCaches). The default export is module.exports, as when Node.js
 * imports CommonJS.
 */
const LOADER = (v, names) => `// Runs ${v.file}.cjs (${v.name}, bundled by scripts/bundle-vendor.js) with the build's V8 code cache.
import { fileURLToPath } from 'node:url'
import { runBundle } from '../lib/cli/bundle-loader.js'

const bundle = runBundle(fileURLToPath(new URL('./${v.file}.cjs', import.meta.url)))

/** The code cache of everything compiled so far (used by the build; see scripts/bundle-vendor.js). */
export const __codeCache = bundle.codeCache
/** Whether this process runs on the build's code cache (for tests). */
export const __codeCacheAccepted = bundle.codeCacheAccepted
export default bundle.exports
export const { ${names.join(', ')} } = bundle.exports
`

/**
 * Writes <dist>/vendor/<file>.cjs.cache for every bundle: V8's code cache after
 * `run` (given the oclif bundle's exports) has run a typical command through
 * them, so that it holds the functions a command compiles at start too. Written
 * atomically; never written at run time.
 */
export async function writeCodeCaches(dist, run) {
  const loaders = {}
  for (const v of VENDORED) loaders[v.name] = await import(pathToFileURL(join(dist, 'vendor', `${v.file}.js`)).href)
  await run(loaders['@oclif/core'])
  for (const v of VENDORED) {
    const file = join(dist, 'vendor', `${v.file}.cjs.cache`)
    writeFileSync(`${file}.${process.pid}`, loaders[v.name].__codeCache())
    renameSync(`${file}.${process.pid}`, file)
  }
}

/**
 * oclif's index checks the Node.js version against the `engines` of the package.json
 * next to its own folder; in the bundle that folder is dist/, so the check would
 * silently find nothing. Read the bundled package.json instead. The index also
 * exports oclif's platform name for ssmd's light start (src/lib/cli/light-start.ts).
 */
function patchIndex(coreDir) {
  const index = join(coreDir, 'lib', 'index.js')
  return {
    name: 'oclif-index',
    setup(b) {
      b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/ }, args => {
        if (args.path !== index) return undefined
        const text = readFileSync(args.path, 'utf8')
        const from = /const root = path\.join\(__dirname, '\.\.'\);\s*const pjson = require\(path\.join\(root, 'package\.json'\)\);/
        if (!from.test(text)) throw new Error(`${args.path}: the engine check changed shape; update scripts/bundle-vendor.js`)
        // Also exported: oclif's getPlatform, which names the platform in its user agent ('wsl' under WSL).
        const platform = "\nexports.__oclifPlatform = require('./util/os').getPlatform;\n"
        return { contents: text.replace(from, "const pjson = require('../package.json');") + platform, loader: 'js' }
      })
    },
  }
}

/**
 * fdir (oclif's file walker, through tinyglobby) takes picomatch, its optional
 * peer, only when `require.resolve('picomatch')` finds it; esbuild bundles
 * picomatch with it, so in the bundle that lookup can only search node_modules
 * for a copy the bundle does not use: about 1 ms of file system calls in every
 * start, at load. The bundle drops the lookup (picomatch is always there).
 */
function fdirPicomatch() {
  return {
    name: 'fdir-picomatch',
    setup(b) {
      b.onLoad({ filter: /[\\/]fdir[\\/]dist[\\/]index\.cjs$/ }, args => {
        const text = readFileSync(args.path, 'utf8')
        const from = /^\s*require\.resolve\("picomatch"\);\n(\s*pm = require\("picomatch"\);)$/m
        if (!from.test(text)) throw new Error(`${args.path}: the optional picomatch changed shape; update scripts/bundle-vendor.js`)
        return { contents: text.replace(from, '$1'), loader: 'js' }
      })
    },
  }
}

/** The packages (name, version, licence, folder) whose files went into a bundle (`inputs`: esbuild's, relative to `root`). */
export function bundledPackages(root, inputs) {
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

/** The text of a bundle's <bundle>.licenses.txt: each bundled package's licence file. */
export function licenceNotices(bundle, packages) {
  const parts = [`Third-party code in ${bundle}, with the licence each package ships.\n`]
  for (const p of packages) {
    const file = readdirSync(p.dir).find(f => /^(licen[cs]e|copying)(\.|$)/i.test(f))
    parts.push(`${'='.repeat(78)}\n${p.name}@${p.version} (${p.license})\n${'='.repeat(78)}\n`)
    parts.push(file ? readFileSync(join(p.dir, file), 'utf8').trimEnd() + '\n' : `No licence file in the package; package.json declares ${p.license}.\n`)
  }
  return parts.join('\n')
}

/** Every import of a bundled package by the compiled files in <dist>, pointed at its loader. */
function rewriteImports(dist) {
  const vendor = join(dist, 'vendor')
  const walk = dir => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory()) {
        if (path !== vendor) walk(path)
        continue
      }
      if (!e.name.endsWith('.js')) continue
      let text = readFileSync(path, 'utf8')
      let changed = false
      for (const v of VENDORED) {
        if (!text.includes(v.name)) continue
        const quoted = v.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
        let spec = relative(dirname(path), join(vendor, `${v.file}.js`))
          .split(sep)
          .join('/')
        if (!spec.startsWith('.')) spec = `./${spec}`
        text = text.replace(new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(\\s*)(['"])${quoted}\\2`, 'g'), (_, lead, q) => {
          changed = true
          return `${lead}${q}${spec}${q}`
        })
        // Anything else naming the package (a subpath, a require) would load a second copy.
        if (new RegExp(`['"]${quoted}[/'"]`).test(text)) throw new Error(`${path}: an import of ${v.name} the build cannot point at the bundle`)
      }
      if (changed) writeFileSync(path, text)
    }
  }
  walk(dist)
}
