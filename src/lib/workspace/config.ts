import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseYamlBytes } from '../yaml/read.js'

export interface LocalConfig {
  color?: 'auto' | 'always' | 'never'
  output?: 'text' | 'json'
}

/** .ssmd/config.yaml, if present and readable; unknown or malformed values are ignored. */
export function readLocalConfig(root: string): LocalConfig {
  let bytes: Buffer
  try {
    bytes = readFileSync(join(root, '.ssmd', 'config.yaml'))
  } catch {
    return {}
  }
  const { data } = parseYamlBytes(bytes)
  if (typeof data !== 'object' || data === null) return {}
  const { color, output } = data as Record<string, unknown>
  return {
    color: color === 'auto' || color === 'always' || color === 'never' ? color : undefined,
    output: output === 'text' || output === 'json' ? output : undefined,
  }
}
