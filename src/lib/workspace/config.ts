import { SSMD_DIR, ssmdDirUsable } from '../io/atomic.js'
import { readBounded } from '../io/read.js'
import { join } from 'node:path'
import { MAX_FILE_BYTES, parseYamlBytes } from '../yaml/read.js'
import { SourceLocator } from '../yaml/locate.js'
import { didYouMean } from '../core/text.js'
import { COLOR_SETTINGS, OUTPUT_SETTINGS } from '../spec/enums.js'

export interface LocalConfig {
  color?: (typeof COLOR_SETTINGS)[number]
  output?: (typeof OUTPUT_SETTINGS)[number]
  /** Unknown keys and values, as `file:line:col: …` lines; the setting is ignored. */
  warnings?: string[]
}

const SETTINGS: Record<string, readonly string[]> = { color: COLOR_SETTINGS, output: OUTPUT_SETTINGS }

/** .ssmd/config.yaml, if present and readable; unknown or malformed values are ignored. */
export function readLocalConfig(root: string): LocalConfig {
  // Bounded and typed like every read: a FIFO or device here must not hang every command.
  const file = '.ssmd/config.yaml'
  // Never through a symlinked .ssmd, wherever it leads.
  if (!ssmdDirUsable(root, SSMD_DIR)) return {}
  const read = readBounded(join(root, '.ssmd', 'config.yaml'), { maxBytes: MAX_FILE_BYTES, display: file, root })
  if (read.refusal) return {}
  const { data, text, problem } = parseYamlBytes(read.bytes)
  if (problem) return { warnings: [`${file}:${problem.line}:${problem.column}: ${problem.message}; the file is ignored`] }
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data))
    return { warnings: [`${file}:1:1: expected 'key: value' settings (${Object.keys(SETTINGS).join(', ')}); the file is ignored`] }
  // Built only for a warning: locating loads the yaml package, which no command should pay for otherwise.
  let locator: SourceLocator | undefined
  const at = (key: string, where: 'key' | 'value') => {
    if (text !== undefined) locator ??= new SourceLocator(text)
    const pos = locator?.locate(`/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, where) ?? { line: 1, column: 1 }
    return `${file}:${pos.line}:${pos.column}`
  }
  const warnings: string[] = []
  const out: LocalConfig = {}
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    // Deploy targets are read, and checked, by the deploy commands that use them (src/lib/deploy/targets.ts).
    if (key === 'targets') continue
    const allowed = SETTINGS[key]
    if (!allowed) {
      const hint = didYouMean(key, Object.keys(SETTINGS)) || `; the settings are ${Object.keys(SETTINGS).join(' and ')}`
      warnings.push(`${at(key, 'key')}: unknown setting '${key}' is ignored${hint}`)
      continue
    }
    if (typeof value !== 'string' || !allowed.includes(value)) {
      const shown = typeof value === 'string' ? value : JSON.stringify(value)
      warnings.push(
        `${at(key, 'value')}: ${key} '${shown}' is ignored: use ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}${typeof value === 'string' ? didYouMean(value, allowed) : ''}`,
      )
      continue
    }
    ;(out as Record<string, string>)[key] = value
  }
  if (warnings.length > 0) out.warnings = warnings
  return out
}
