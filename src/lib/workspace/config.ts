import { readBounded } from '../io/read.js'
import { join } from 'node:path'
import { MAX_FILE_BYTES, parseYamlBytes } from '../yaml/read.js'

export interface LocalConfig {
  color?: 'auto' | 'always' | 'never'
  output?: 'text' | 'json'
}

/** .ssmd/config.yaml, if present and readable; unknown or malformed values are ignored. */
export function readLocalConfig(root: string): LocalConfig {
  // Bounded and typed like every read: a FIFO or device here must not hang every command.
  const read = readBounded(join(root, '.ssmd', 'config.yaml'), { maxBytes: MAX_FILE_BYTES, display: '.ssmd/config.yaml', root })
  if (read.refusal) return {}
  const { data } = parseYamlBytes(read.bytes)
  if (typeof data !== 'object' || data === null) return {}
  const { color, output } = data as Record<string, unknown>
  return {
    color: color === 'auto' || color === 'always' || color === 'never' ? color : undefined,
    output: output === 'text' || output === 'json' ? output : undefined,
  }
}
