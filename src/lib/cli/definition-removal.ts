import { join } from 'node:path'
import { importerList, removeFileLocked, type DefinitionPlan } from '../domain/remove.js'
import { displayPath } from './output.js'

/**
 * The definition-file part of `schema remove` and `schema remove-version`, once the
 * refusals are past: deletes each file the plan removes (under its lock) and says so, names
 * the files kept because something else uses them, and warns about imports of removed files
 * left in files that stay (with --force).
 */
export function removeDefinitionFiles(root: string, plan: DefinitionPlan, say: (line: string) => void, note: (line: string) => void): void {
  for (const d of plan.remove) {
    removeFileLocked(d.abs, d.file)
    say(`removed ${displayPath(d.abs, d.file)}`)
  }
  for (const k of plan.kept) say(`kept ${displayPath(join(root, k.file), k.file)} (also used by ${k.used_by.join(', ')})`)
  if (plan.importers.length > 0) note(`warning: removed definitions are still imported by ${importerList(plan.importers)}; 'ssmd validate' reports them until they change`)
}
