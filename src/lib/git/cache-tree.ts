/**
 * git's cache tree (the index's `TREE` extension): for each folder of the
 * index whose entries git has not changed since it last wrote trees, the id
 * of the tree those entries make. git trusts it to write a commit's trees
 * without reading the entries again; ssmd trusts it the same way to skip
 * reading a folder of HEAD whose tree the index already matches
 * (status.ts). ssmd only reads it: any index it writes after changing an
 * entry goes without it, and git rebuilds it (index-file.ts).
 *
 * Format (git's Documentation/gitformat-index.txt): folders in pre-order,
 * each as its name (relative to its parent; the top is ""), NUL, its number
 * of entries in ASCII (-1 when invalid), a space, its number of subtrees in
 * ASCII, a line feed, and when valid the 20-byte tree id.
 */

/** The tree id of each valid folder of a cache tree, by path (`feeds`, `sub/feeds`; the top is ""). Undefined for data that does not parse. */
export function cacheTreeIds(data: Buffer): Map<string, string> | undefined {
  const ids = new Map<string, string>()
  let at = 0
  /** Reads the folder at `at`, named `path`, and its subtrees; false when the data does not parse. */
  const node = (parent: string | undefined, depth: number): boolean => {
    if (depth > 4096) return false
    const nul = data.indexOf(0, at)
    const lf = nul === -1 ? -1 : data.indexOf(0x0a, nul)
    if (lf === -1) return false
    const name = data.toString('utf8', at, nul)
    const m = /^(-1|\d+) (\d+)$/.exec(data.toString('latin1', nul + 1, lf))
    if (!m) return false
    at = lf + 1
    const path = parent === undefined ? name : parent === '' ? name : `${parent}/${name}`
    if (m[1] !== '-1') {
      if (at + 20 > data.length) return false
      ids.set(path, data.toString('hex', at, at + 20))
      at += 20
    }
    for (let i = Number(m[2]); i > 0; i--) if (!node(path, depth + 1)) return false
    return true
  }
  if (!node(undefined, 0) || at !== data.length) return undefined
  return ids
}
