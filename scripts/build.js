// Build: compile TypeScript, precompile the JSON Schema validators (so start-up
// never compiles schemas), and generate oclif.manifest.json (so oclif never
// scans command files). Run with `npm run build`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

rmSync(join(root, 'dist'), { recursive: true, force: true })
rmSync(join(root, 'oclif.manifest.json'), { force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root })

const { compileContractValidators } = await import(join(root, 'dist/lib/validate/contract-compile.js'))
const code = compileContractValidators(readdirSync(join(root, 'schemas-json')).filter(f => f.endsWith('.schema.json')).map(f => JSON.parse(readFileSync(join(root, 'schemas-json', f), 'utf8'))))
mkdirSync(join(root, 'dist/generated'), { recursive: true })
writeFileSync(join(root, 'dist/generated/validators.cjs'), code)

const { Plugin } = await import('@oclif/core')
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true })
await plugin.load()
const manifest = plugin.manifest
if (Object.keys(manifest.commands).length === 0) throw new Error('no commands found for the manifest')
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
console.log(`built dist/, dist/generated/validators.cjs and oclif.manifest.json (${Object.keys(manifest.commands).length} commands)`)
