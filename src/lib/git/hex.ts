/** Object ids as hex, read from the bytes of trees and the index (thousands per command). */

type SliceBuffer = Buffer & { hexSlice?: (start: number, end: number) => string }

/**
 * `b[start, end)` as hex: Buffer's own slice function where Node.js has it
 * (about twice as fast per call as `toString('hex', …)`, which checks its
 * arguments first), `toString` otherwise.
 */
export const hexSlice: (b: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as SliceBuffer).hexSlice === 'function' ? (b, start, end) => (b as SliceBuffer).hexSlice!(start, end) : (b, start, end) => b.toString('hex', start, end)
