import { isAbsolute, relative } from 'node:path'

/** The path to show in `wrote …`: relative to the working directory when inside it, else relative to the root. */
export function displayPath(absPath: string, rootRelative: string): string {
  const rel = relative(process.cwd(), absPath)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return rootRelative
  return rel.split('\\').join('/')
}
