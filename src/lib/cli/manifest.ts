/*
 * The command table from oclif manifests, read without loading oclif: ssmd's
 * own oclif.manifest.json (written by `npm run build`) and those of the core
 * plugins named in package.json. Used by the argument normalisation in
 * bin/run.js and by the completion entry point, both of which must start fast.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  summary?: string
  description?: string
  options?: string[]
  allowNo?: boolean
  multiple?: boolean
  hidden?: boolean
}

export interface ManifestArg {
  name: string
  description?: string
  options?: string[]
}

export interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  aliases?: string[]
  hiddenAliases?: string[]
  strict?: boolean
  flags: Record<string, ManifestFlag>
  args: Record<string, ManifestArg>
}

export interface CommandManifest {
  /** Every command by id, aliases included (pointing at the same entry). */
  commands: Map<string, ManifestCommand>
  topics: Map<string, string>
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** Reads the manifests of the package at `root` and its core plugins. */
export function loadManifest(root: string): CommandManifest {
  const commands = new Map<string, ManifestCommand>()
  const topics = new Map<string, string>()
  const pjson = readJson(join(root, 'package.json')) ?? {}
  const oclif = (pjson.oclif ?? {}) as { plugins?: string[]; topics?: Record<string, { description?: string }> }
  const add = (manifestPath: string) => {
    const m = readJson(manifestPath)
    for (const c of Object.values((m?.commands ?? {}) as Record<string, ManifestCommand>)) {
      if (!commands.has(c.id)) commands.set(c.id, c)
      for (const alias of [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]) if (!commands.has(alias)) commands.set(alias, c)
    }
  }
  add(join(root, 'oclif.manifest.json'))
  const require = createRequire(join(root, 'package.json'))
  for (const name of oclif.plugins ?? []) {
    try {
      // Not every package exports its package.json: look along the resolution paths.
      const base = (require.resolve.paths(name) ?? []).find(d => existsSync(join(d, name, 'package.json')))
      if (base === undefined) continue
      const dir = join(base, name)
      add(join(dir, 'oclif.manifest.json'))
      const pluginTopics = ((readJson(join(dir, 'package.json'))?.oclif ?? {}) as typeof oclif).topics ?? {}
      for (const [t, v] of Object.entries(pluginTopics)) if (!topics.has(t)) topics.set(t, v.description ?? '')
    } catch {
      // A core plugin that is not installed contributes nothing.
    }
  }
  for (const [t, v] of Object.entries(oclif.topics ?? {})) topics.set(t, v.description ?? '')
  return { commands, topics }
}
