/**
 * What etcd holds for an environment compared with what git renders, field by
 * field, and whether etcd still holds what the last deploy wrote (a hand edit
 * in etcd, another tool, a key that is not ssmd's). `deploy status` reports it
 * per environment; `deploy` names the hand edits it is about to overwrite and
 * prints the diff of a dry run.
 */
import { diffContent, type FieldChange } from './diff.js'
import type { EtcdSession } from './etcd.js'
import { contentKey, envPrefix, isOldLayoutKey, printableKey, type DeployRecord } from './layout.js'
import type { EnvPlan, EnvState } from './plan.js'
import { recordedContent } from './recorded.js'

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    // A value that is not JSON stays its text, so a garbled value shows as changed rather than vanishing.
    return text
  }
}

/**
 * The content object of an environment deployed with the old layout, from its
 * content keys (relative key → JSON text): `transport` → `{transport: …}`,
 * `keys/kalshi` → `{keys: {kalshi: …}}`.
 */
function oldLayoutContent(entries: ReadonlyMap<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [rel, text] of entries) {
    const parts = rel.split('/')
    let node = root
    for (const p of parts.slice(0, -1)) {
      const next = node[p]
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[p] = {}
      node = node[p] as Record<string, unknown>
    }
    node[parts[parts.length - 1]] = parse(text)
  }
  return root
}

/**
 * The content etcd holds for one environment, read for the field diff (only
 * for environments that differ: a fleet's contents are never held at once):
 * its content value, or the old layout's keys put together; undefined when it
 * holds neither.
 */
export async function heldContent(session: EtcdSession, prefix: string, name: string, state: EnvState | undefined): Promise<unknown> {
  if (state?.content) {
    const held = await session.get(contentKey(prefix, name))
    return held === undefined ? undefined : parse(held.value)
  }
  if (!state || state.others.length === 0 || !state.others.every(isOldLayoutKey)) return undefined
  const base = Buffer.from(envPrefix(prefix, name))
  const entries = new Map<string, string>()
  await session.scan(base, (key, value) => {
    const rel = printableKey(key.subarray(base.length))
    if (isOldLayoutKey(rel)) entries.set(rel, value.toString())
  })
  return oldLayoutContent(entries)
}

export interface Comparison {
  name: string
  /** in-sync: etcd holds what git renders, as the last deploy recorded; drift: anything else held; missing: nothing held. */
  state: 'in-sync' | 'drift' | 'missing'
  /** Why etcd differs from the rendering: `old layout (9 keys)`, `content differs`, `2 unexpected keys: …` (see EnvPlan.drift). */
  drift: string[]
  /** Field changes from what etcd holds to what git renders (what a deploy would write). */
  changes: FieldChange[]
  /**
   * etcd no longer holds what its deploy record says was written (a hand edit,
   * another tool, a key that is not ssmd's), or holds content without a record.
   */
  handEdited: boolean
  /**
   * With `handEdited`: the changes that overwrite the hand edit. Exact when git
   * renders what the last deploy wrote (so every difference is the edit), or
   * once `pinHandEdits` rebuilt what that deploy wrote; otherwise every
   * difference is listed, as which of them the edit made cannot be told from a
   * digest.
   */
  handEdits: { exact: boolean; paths: string[] }
  record?: DeployRecord
}

/**
 * Compares git's rendering of one environment (its plan) with what etcd holds:
 * `state` as read, `held` its content (see heldContent; not needed, and not
 * read, when the plan finds the environment unchanged or missing).
 */
export function compareEnvironment(plan: EnvPlan, state: EnvState | undefined, held: unknown): Comparison {
  const base = { name: plan.name, drift: plan.drift, ...(plan.previous ? { record: plan.previous } : {}) }
  if (plan.action === 'create') return { ...base, state: 'missing', changes: [], handEdited: false, handEdits: { exact: true, paths: [] } }
  // The common case at scale, in sync: the same bytes and the record naming them, told without parsing anything.
  if (plan.action === 'unchanged') return { ...base, state: 'in-sync', changes: [], handEdited: false, handEdits: { exact: true, paths: [] } }
  const changes = diffContent(held, plan.newContent())
  const others = state?.others ?? []
  const oldLayout = !state?.content && others.length > 0 && others.every(isOldLayoutKey)
  // The old layout is replaced, not edited; otherwise etcd should hold exactly the content the record names, and nothing else.
  const foreign = oldLayout ? [] : others
  const handEdited = !oldLayout && (plan.previous === undefined || state?.content?.digest !== plan.previous.digest || foreign.length > 0)
  const paths = [...changes.map(c => (c.path === '' ? '(whole content)' : c.path)), ...foreign.map(k => `${k} (unexpected key)`)]
  // A record that does not parse, or names another digest, with the content itself as rendered: the record is what was edited.
  if (handEdited && paths.length === 0) paths.push('deploy record')
  return {
    ...base,
    state: 'drift',
    changes,
    handEdited,
    handEdits: handEdited ? { exact: plan.previous?.digest === plan.digest || changes.length === 0, paths } : { exact: true, paths: [] },
  }
}

const within = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`)

/**
 * When git changed since the last deploy and etcd was edited by hand, rebuilds
 * what that deploy wrote from the record's commit (see recordedContent) and
 * keeps, of the changes a deploy makes, those that overwrite the edit: the
 * list becomes exact. Without the commit (another clone, a dirty deploy) the
 * comparison is left as it is. `held`: the content etcd holds (heldContent).
 */
export async function pinHandEdits(root: string, held: unknown, c: Comparison): Promise<void> {
  if (!c.handEdited || c.handEdits.exact || !c.record) return
  const recorded = await recordedContent(root, c.name, c.record)
  if (recorded === undefined) return
  const edited = diffContent(recorded, held).map(e => e.path)
  const paths = c.changes.map(x => x.path).filter(p => edited.some(e => within(p, e) || within(e, p)))
  c.handEdits = { exact: true, paths }
  // An edit that set what git renders now is not overwritten: nothing to say.
  if (paths.length === 0) c.handEdited = false
}
