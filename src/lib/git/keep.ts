import { wildmatchRegex } from './wildmatch.js'

/**
 * Matches root-relative paths against ssmd.yaml `keep:` patterns, which read
 * as .gitignore patterns do: one without a `/` (other than a trailing one)
 * matches a file's name at any depth (`README.md`, `*.md`); one with a `/` is
 * anchored at the ssmd root (`schemas/drafts/*.capnp`, a leading `/` is
 * optional); `**` spans folders, `[...]` classes and `\` escapes as in git;
 * a trailing `/` keeps everything in the folders of that name.
 */
export function keepMatcher(patterns: readonly string[]): (path: string) => boolean {
  const tests: Array<(path: string) => boolean> = []
  for (const raw of patterns) {
    if (typeof raw !== 'string' || raw === '') continue
    let p = raw
    const folder = p.endsWith('/')
    if (folder) p = p.replace(/\/+$/, '')
    const anchored = p.includes('/')
    p = p.replace(/^\/+/, '')
    if (p === '') continue
    const re = wildmatchRegex(p)
    if (folder) {
      // Any folder on the path (anchored: the path's leading folders) matching the pattern.
      tests.push(path => {
        const parts = path.split('/').slice(0, -1)
        if (anchored) return parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')))
        return parts.some(part => re.test(part))
      })
    } else if (anchored) {
      tests.push(path => re.test(path))
    } else {
      tests.push(path => re.test(path.slice(path.lastIndexOf('/') + 1)))
    }
  }
  return path => tests.some(t => t(path))
}
