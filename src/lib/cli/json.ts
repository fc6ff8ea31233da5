/*
 * ssmd's JSON output style: snake_case for ssmd's own keys (as in the YAML
 * files, whose document data is passed through untouched). Internal types use
 * camelCase; commands convert their own flat result objects with this at the
 * output boundary — never document data.
 */
export const snakeKey = (key: string) => key.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)

/** The same object with its own (top-level) keys in snake_case. */
export function snakeKeys<T extends object>(obj: T): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) out[snakeKey(k)] = v
  return out
}
