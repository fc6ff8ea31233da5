/** Validation before rendering: the documents an environment is made of, with every installed rule pack. */
import { compareFindings, runRules, type PackSource, type PolicySeverity } from '../validate/engine.js'
import { PluginSession, pluginFailedFinding, reservedNamespaces, type InstalledPlugin } from '../validate/plugins.js'
import type { Finding } from '../validate/types.js'
import type { Workspace } from '../workspace/workspace.js'
import { SsmdError } from '../core/errors.js'

/**
 * Runs the rules over `ws` — a workspace holding only the documents the
 * environments are made of (see `loadInvolved`) — and returns the errors.
 * Every finding of such a run concerns an involved file (or belongs to no
 * file: a plugin that failed, whose findings are then incomplete).
 */
export async function involvedErrors(
  ws: Workspace,
  packs: PackSource[],
  options: { policy: Record<string, PolicySeverity>; installedPlugins: readonly string[]; plugins?: readonly InstalledPlugin[] },
): Promise<Finding[]> {
  // Third-party plugins run in their own sandboxed processes, as for `ssmd validate`.
  const session = new PluginSession(options.plugins ?? [], { root: ws.root, mode: 'run' })
  await session.send(ws, { off: Object.keys(options.policy).filter(id => options.policy[id] === 'off'), installedPlugins: [...options.installedPlugins] })
  const { findings, rules } = await runRules(ws, packs, options)
  const outcomes = await session.finish({ ws, reserved: reservedNamespaces(rules), policy: options.policy })
  const all = [...findings, ...outcomes.flatMap(o => (o.failure !== undefined ? [...o.findings, pluginFailedFinding(o.run.name, o.failure)] : o.findings))]
  return all.filter(f => f.severity === 'error').sort(compareFindings)
}

/** The refusal for environments that do not validate: one line, the first error located, the count. */
export function notValidError(what: string, plural: boolean, errors: Finding[]): SsmdError {
  const first = errors[0]
  const where = first.file === '' ? '' : `${first.file}:${first.line}:${first.column}: `
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''
  return new SsmdError(`${what} ${plural ? 'do' : 'does'} not validate: ${where}${first.message} [${first.rule}]${more}; fix it first (ssmd validate)`, { code: 'invalid' })
}
