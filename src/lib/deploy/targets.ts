/**
 * Named deploy targets: `targets: {prod: {etcd, prefix, ca, cert, key, user}}`
 * in ssmd.yaml (shared by the team) and .ssmd/config.yaml (personal, never
 * committed; its fields win over the team's, field by field). Passwords are
 * never read from these files: SSMD_ETCD_PASSWORD only.
 */
import { isAbsolute, join } from 'node:path'
import { SsmdError, UsageError } from '../core/errors.js'
import { didYouMean } from '../core/text.js'
import { SSMD_DIR, ssmdDirUsable } from '../io/atomic.js'
import { readBounded } from '../io/read.js'
import { NAME_PATTERN } from '../spec/common.js'
import { SourceLocator } from '../yaml/locate.js'
import { MAX_FILE_BYTES, parseYamlBytes } from '../yaml/read.js'

export const TARGET_FIELDS = ['etcd', 'prefix', 'ca', 'cert', 'key', 'user'] as const
export type Target = Partial<Record<(typeof TARGET_FIELDS)[number], string>>

const TEAM_FILE = 'ssmd.yaml'
const PERSONAL_FILE = '.ssmd/config.yaml'
const NAME = new RegExp(NAME_PATTERN)

/** The `targets` mapping of one file, checked: each problem is one error line with file:line:col. */
function readTargets(root: string, file: string): Map<string, Target> {
  const out = new Map<string, Target>()
  if (file === PERSONAL_FILE && !ssmdDirUsable(root, SSMD_DIR)) return out
  const read = readBounded(join(root, file), { maxBytes: MAX_FILE_BYTES, display: file, root })
  if (read.refusal) {
    if (read.refusal.kind === 'missing') return out
    throw new SsmdError(read.refusal.message, { code: 'invalid' })
  }
  const { data, text, problem } = parseYamlBytes(read.bytes)
  if (problem) throw new SsmdError(`${file}:${problem.line}:${problem.column}: ${problem.message}`, { code: 'invalid' })
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return out
  const targets = (data as Record<string, unknown>).targets
  if (targets === undefined) return out
  let locator: SourceLocator | undefined
  const bad = (path: string[], message: string, at: 'key' | 'value' = 'value'): never => {
    locator ??= new SourceLocator(text ?? '')
    const pos = locator.locate(`/${path.map(p => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`, at)
    throw new SsmdError(`${file}:${pos.line}:${pos.column}: ${message}`, { code: 'invalid' })
  }
  if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) bad(['targets'], `'targets' must map target names to {etcd, prefix, ca, cert, key, user}`)
  for (const [name, value] of Object.entries(targets as Record<string, unknown>)) {
    if (!NAME.test(name)) bad(['targets', name], `target name '${name}' is not valid: use lowercase letters, digits, '-' or '_'`, 'key')
    if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(['targets', name], `target '${name}' must be a mapping of ${TARGET_FIELDS.join(', ')}`)
    const target: Target = {}
    for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
      if (field.startsWith('x-')) continue
      if (!(TARGET_FIELDS as readonly string[]).includes(field)) {
        const hint = /pass(word)?|secret|token/i.test(field)
          ? `; an etcd password is never read from a file: set SSMD_ETCD_PASSWORD`
          : didYouMean(field, TARGET_FIELDS) || `; the fields are ${TARGET_FIELDS.join(', ')}`
        bad(['targets', name, field], `target '${name}': unknown field '${field}'${hint}`, 'key')
      }
      if (typeof v !== 'string' || v === '') bad(['targets', name, field], `target '${name}': ${field} must be a non-empty string`)
      target[field as keyof Target] = v as string
    }
    out.set(name, target)
  }
  return out
}

/**
 * The target `name`: the team's (ssmd.yaml) with the personal fields
 * (.ssmd/config.yaml) over it. Certificate paths are made absolute against
 * the ssmd root. An unknown name is a usage error listing the names defined.
 */
export function resolveTarget(root: string, name: string): Target {
  if (!NAME.test(name)) throw new UsageError(`--target takes a target name: lowercase letters, digits, '-' or '_' (targets in ${TEAM_FILE} or ${PERSONAL_FILE})`)
  const team = readTargets(root, TEAM_FILE)
  const personal = readTargets(root, PERSONAL_FILE)
  if (!team.has(name) && !personal.has(name)) {
    const names = [...new Set([...team.keys(), ...personal.keys()])].sort()
    const known = names.length === 0 ? `no targets are defined; add 'targets: {${name}: {etcd: host:2379}}' to ${TEAM_FILE} or ${PERSONAL_FILE}` : `targets: ${names.join(', ')}`
    throw new UsageError(`--target '${name}' is not defined in ${TEAM_FILE} or ${PERSONAL_FILE}${didYouMean(name, names)} (${known})`)
  }
  const target: Target = { ...team.get(name), ...personal.get(name) }
  for (const f of ['ca', 'cert', 'key'] as const) {
    const p = target[f]
    if (p !== undefined && !isAbsolute(p)) target[f] = join(root, p)
  }
  return target
}
