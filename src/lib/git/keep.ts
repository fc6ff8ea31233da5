import { PathPattern } from './wildmatch.js'

/**
 * Matches root-relative paths against ssmd.yaml `keep:` patterns, which read
 * as .gitignore patterns do and go through the same matcher: one without a `/`
 * (other than a trailing one) matches a name at any depth (`README.md`,
 * `*.md`); one with a `/` is anchored at the ssmd root
 * (`schemas/drafts/*.capnp`, a leading `/` is optional); `**` spans folders,
 * `[...]` classes and `\` escapes as in git; a trailing `/` keeps everything
 * in the folders of that name; `!` takes back what an earlier pattern kept,
 * and, as in .gitignore, the last pattern that matches decides.
 */
export function keepMatcher(patterns: readonly string[]): (path: string) => boolean {
  const list = patterns.filter((p): p is string => typeof p === 'string' && p !== '').map(p => new PathPattern(p))
  const decide = (path: string, isDir: boolean): boolean | undefined => {
    for (let i = list.length - 1; i >= 0; i--) if (list[i].matches(path, isDir)) return !list[i].negative
    return undefined
  }
  return path => {
    const parts = path.split('/')
    // A kept folder keeps what is in it, as an ignored folder's content is ignored.
    for (let i = 1; i < parts.length; i++) if (decide(parts.slice(0, i).join('/'), true) === true) return true
    return decide(path, false) === true
  }
}
