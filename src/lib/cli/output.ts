import { isAbsolute, join, relative, sep } from 'node:path'

/**
 * A root-relative path as shown to the user, the way git shows paths: relative
 * to `from` (the folder given with -C, else the working directory), with `../`
 * for files outside it. When `from` is not inside the root (e.g. a symlinked
 * path), the path is shown relative to the root.
 */
export function displayPath(root: string, rootRelative: string, from = process.cwd()): string {
  const within = relative(root, from)
  if (within === '..' || within.startsWith(`..${sep}`) || isAbsolute(within)) return rootRelative
  const rel = relative(from, join(root, rootRelative)) || '.'
  return sep === '/' ? rel : rel.split(sep).join('/')
}

/** One change of an update, for --verbose: `  /path: old → new`, `(unset)` and `(removed)` for absent values. */
export function changeText(c: { path: string; from?: unknown; to?: unknown }): string {
  return `  ${c.path}: ${c.from === undefined ? '(unset)' : JSON.stringify(c.from)} → ${c.to === undefined ? '(removed)' : JSON.stringify(c.to)}`
}
