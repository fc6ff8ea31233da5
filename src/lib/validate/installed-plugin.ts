/*
 * A plugin as ssmd finds it installed. Kept apart from plugins.ts so that the
 * public typings of `ssmd/testing` (pluginAt returns one) need nothing of
 * ssmd's Node-typed internals: a plugin author's tests type-check without
 * @types/node.
 */
export interface InstalledPlugin {
  name: string
  /** The installed package's version (package.json). */
  version: string
  /** The integrity npm recorded when it installed the package; undefined for a linked folder. */
  integrity?: string
  root: string
  hooks: Array<{ target: string; identifier: string }>
}
