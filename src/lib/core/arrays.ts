/**
 * A copy of a list built up by `push`, holding just its items. A list grows its store by half again
 * plus 16 slots whenever it fills, so a list of one item kept for the life of a syntax tree or a
 * model costs about 180 bytes where its copy costs 56: for the many short lists of a large parsed
 * file (annotations, parameters, members) that is most of their memory.
 */
export function compact<T>(items: T[]): T[] {
  return items.slice()
}

/** The typed arrays ssmd grows as stores of numbers (token and line offsets, cache columns). */
type NumberStore = Int32Array | Uint8Array | Uint16Array | Float64Array

/** A store grown to `length` items (at least its own length), of its own type, with its items first. */
export function grown<T extends NumberStore>(store: T, length: number): T {
  const bigger = new (store.constructor as new (length: number) => T)(length)
  bigger.set(store)
  return bigger
}
