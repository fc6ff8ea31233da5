import { existsSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { UsageError } from '../core/errors.js'
import { closest } from '../core/text.js'
import { SSMD_FOLDERS } from './root.js'

/** Every YAML document and definition file under the ssmd folders (root-relative, '/'), for suggestions. */
function ssmdFiles(root: string): string[] {
  const out: string[] = []
  if (existsSync(join(root, 'ssmd.yaml'))) out.push('ssmd.yaml')
  for (const folder of SSMD_FOLDERS) {
    const walk = (rel: string, depth: number) => {
      let entries: string[]
      try {
        entries = readdirSync(join(root, rel))
      } catch {
        return
      }
      for (const e of entries) {
        if (e.startsWith('.')) continue
        const child = `${rel}/${e}`
        let dir = false
        try {
          dir = statSync(join(root, child)).isDirectory()
        } catch {
          continue
        }
        if (dir) {
          out.push(`${child}/`)
          if (depth < 3) walk(child, depth + 1)
        } else out.push(child)
      }
    }
    if (existsSync(join(root, folder))) {
      out.push(`${folder}/`)
      walk(folder, 0)
    }
  }
  return out
}

/**
 * Checks the paths given to `validate` (relative to `cwd`): each must be the
 * root, an ssmd folder or a file or folder inside one, or ssmd.yaml, and must
 * exist. Otherwise a usage error with the nearest existing ssmd path, as the
 * user would type it. A typo in a CI path must not pass as "0 files, 0 errors".
 */
export function checkReportPaths(root: string, paths: readonly string[], cwd = process.cwd()): void {
  let candidates: string[] | undefined
  for (const p of paths) {
    const abs = resolve(cwd, p)
    const rel = relative(root, abs).split(sep).join('/')
    const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
    if (!inside) throw new UsageError(`validate: ${p} is outside the ssmd root ${root}; pass files or folders under it (or -C <dir>)`)
    const top = rel.split('/')[0]
    const ssmdPlace = rel === '' || rel === 'ssmd.yaml' || (SSMD_FOLDERS as readonly string[]).includes(top)
    if (ssmdPlace && existsSync(abs)) continue
    candidates ??= ssmdFiles(root)
    const suggestion = closest(
      rel,
      candidates.filter(c => !c.endsWith('/') || !rel.includes('.')),
    )
    const shown = suggestion === undefined ? '' : relative(cwd, join(root, suggestion)).split(sep).join('/') + (suggestion.endsWith('/') ? '/' : '')
    const why = existsSync(abs) ? 'is not an ssmd file (feeds/, schemas/, environments/ or ssmd.yaml)' : 'matches no ssmd file'
    throw new UsageError(`validate: ${p} ${why}${shown ? `; did you mean '${shown}'?` : ''} (files and folders are relative to the current folder; ssmd root: ${root})`)
  }
}
