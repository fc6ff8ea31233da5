/** Validation before rendering: the documents an environment is made of, with every installed rule pack. */
import type { PackSource, PolicySeverity } from '../validate/engine.js'
import type { InstalledPlugin } from '../validate/plugins.js'
import { runPipeline, startPlugins } from '../validate/pipeline.js'
import { pluginsDisabled } from '../validate/policy.js'
import type { Finding } from '../validate/types.js'
import type { Workspace } from '../workspace/workspace.js'
import { SsmdError } from '../core/errors.js'

/**
 * Runs the rules over `ws` — a workspace holding only the documents the
 * environments are made of (see `loadInvolved`) — and returns the errors.
 * Every finding of such a run concerns an involved file (or belongs to no
 * file: a plugin that failed, whose findings are then incomplete). The rule
 * settings come from the workspace's ssmd.yaml, as for `ssmd validate`.
 */
export async function involvedErrors(
  ws: Workspace,
  packs: PackSource[],
  options: { policy?: Record<string, PolicySeverity>; installedPlugins: readonly string[]; plugins?: readonly InstalledPlugin[] },
): Promise<Finding[]> {
  const plugins = options.plugins ?? []
  const { findings } = await runPipeline(ws, startPlugins(plugins, ws.root), {
    packs,
    plugins,
    installedPlugins: options.installedPlugins,
    pluginsOff: pluginsDisabled(),
    // Memory: an environment's data is dropped once its own rules ran (rendering reads the file again, one at a time).
    releaseData: true,
  })
  return findings.filter(f => f.severity === 'error')
}

/** The refusal for environments that do not validate: one line, the first error located, the count. */
export function notValidError(what: string, plural: boolean, errors: Finding[]): SsmdError {
  const first = errors[0]
  const where = first.file === '' ? '' : `${first.file}:${first.line}:${first.column}: `
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''
  return new SsmdError(`${what} ${plural ? 'do' : 'does'} not validate: ${where}${first.message} [${first.rule}]${more}; fix it first (ssmd validate)`, { code: 'invalid' })
}
