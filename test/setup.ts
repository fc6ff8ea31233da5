// Root hooks for the whole test run.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// oclif maps dist/ to src/ for in-process command tests only in test mode.
process.env.NODE_ENV = 'test'
process.env.NO_COLOR = '1'

const root = join(fileURLToPath(import.meta.url), '..', '..')

/** Runs once before any test file, also with --parallel (where root hooks would run once per file). */
export async function mochaGlobalSetup(): Promise<void> {
  // A manifest left by an earlier build would hide commands added since (and pin command
  // files to dist/): refresh it from the sources.
  const manifestPath = join(root, 'oclif.manifest.json')
  if (!existsSync(manifestPath)) return
  const { Plugin } = await import('@oclif/core')
  const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true })
  await plugin.load()
  // Without a cached file path oclif resolves each command through its commands folder:
  // src/ for in-process tests, dist/ for the built CLI. A path here would pin tests to dist/.
  for (const command of Object.values(plugin.manifest.commands) as Array<{ relativePath?: string[]; isESM?: boolean }>) {
    delete command.relativePath
    delete command.isESM
  }
  writeFileSync(manifestPath, JSON.stringify(plugin.manifest, null, 2) + '\n')
}
