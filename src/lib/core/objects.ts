/** A plain JSON/YAML mapping: what parsed documents, package.json files and plugin answers hold. */
export type Obj = Record<string, unknown>

/** True for a mapping (an object that is neither null nor an array). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
