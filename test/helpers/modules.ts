/**
 * Which files a Node.js process loads as modules: ES modules through a loader
 * hook, CommonJS from require.cache at exit, and the build's bundles, which
 * ssmd compiles with node:vm (src/lib/cli/bundle-loader.ts), by the file name
 * each script is given. Pass `nodeArgs` before the script; `loaded()` lists the
 * files, relative to the project (a file of a symlinked node_modules counts as
 * under node_modules/).
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { PROJECT_ROOT, tempDir } from './repo.js'

export function moduleRecorder(): { nodeArgs: string[]; loaded: () => string[] } {
  const dir = tempDir()
  const modules = realpathSync(join(PROJECT_ROOT, 'node_modules'))
  const log = join(dir, 'loaded.txt')
  writeFileSync(log, '')
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs'\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(log)}, url + '\\n')\n  return next(url, context)\n}\n`,
  )
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`)
  writeFileSync(
    join(dir, 'cjs.cjs'),
    [
      "const vm = require('node:vm')",
      'const compiled = []',
      'const Script = vm.Script',
      'vm.Script = class extends Script { constructor(code, options) { super(code, options); if (options?.filename) compiled.push(options.filename) } }',
      `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, [...Object.keys(require.cache), ...compiled].map(f => require('node:url').pathToFileURL(f).href).join('\\n') + '\\n'))`,
      '',
    ].join('\n'),
  )
  return {
    nodeArgs: ['--require', join(dir, 'cjs.cjs'), '--import', pathToFileURL(join(dir, 'register.mjs')).href],
    loaded: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(u => u.startsWith('file:'))
        .map(u => {
          const file = fileURLToPath(u)
          const inModules = relative(modules, file)
          return inModules.startsWith('..') ? relative(PROJECT_ROOT, file) : join('node_modules', inModules)
        })
        .map(p => p.split(sep).join('/'))
        .filter(p => !p.startsWith('..'))
        // A CommonJS entry run through the ES module loader (which --import starts) is seen twice.
        .filter((p, i, all) => all.indexOf(p) === i),
  }
}

/** The npm package name a project-relative path belongs to, if it is under node_modules. */
export const packageOf = (p: string) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1]
