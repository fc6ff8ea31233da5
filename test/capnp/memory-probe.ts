/**
 * Run as a child process by bounded.test.ts: compiles a generated Cap'n Proto file of a family and
 * size, then prints the heap in use (after a full collection) as JSON. Run with a small
 * --max-old-space-size, it fails (exit code other than 0) when compiling needs more heap than that.
 *
 *   node --import tsx --expose-gc --max-old-space-size=<MB> test/capnp/memory-probe.ts <family> <bytes>
 */
import { checkCapnpSource } from '../../src/lib/capnp/index.js'

const ID = '@0xd4c9a3f2b1e08a67;\n'
const TYPES = ['UInt32', 'Text', 'Float64', 'List(Int64)', 'Bool', 'Data', 'Int16', 'List(Text)']

/** Repeats `unit(i)` until the text holds at least `bytes` characters. */
function fill(head: string, bytes: number, unit: (i: number) => string): string {
  const parts = [head]
  let length = head.length
  for (let i = 0; length < bytes; i++) {
    const s = unit(i)
    parts.push(s)
    length += s.length
  }
  return parts.join('')
}

export const FAMILIES: Record<string, (bytes: number) => string> = {
  'structs of many fields': bytes =>
    fill(
      ID,
      bytes,
      i =>
        `# struct ${i}\nstruct S${i} {\n${TYPES.concat(TYPES, TYPES.slice(0, 4))
          .map((t, f) => `  field${f} @${f} :${t};${f % 5 === 0 ? ' # note' : ''}\n`)
          .join('')}}\n`,
    ),
  'enums of many enumerants': bytes => fill(ID, bytes, i => `enum E${i} {\n${Array.from({ length: 30 }, (_, v) => `  value${v} @${v};\n`).join('')}}\n`),
  'defaults and annotations': bytes =>
    fill(
      `${ID}annotation ann(field) :UInt32;\n`,
      bytes,
      i => `struct D${i} {\n${Array.from({ length: 10 }, (_, f) => `  f${f} @${f} :UInt32 = ${f * 7} $ann(${f});\n`).join('')}}\n`,
    ),
  'a long list constant': bytes => `${ID}const big :List(UInt32) = [${'12345, '.repeat(Math.ceil(bytes / 7))}1];\n`,
  'a long string constant': bytes => `${ID}const big :Text = "${'abc\\n'.repeat(Math.ceil(bytes / 5))}";\n`,
}

const isMain = process.argv[1]?.endsWith('memory-probe.ts')
if (isMain) {
  const [family, bytes] = [process.argv[2], Number(process.argv[3])]
  const text = FAMILIES[family](bytes)
  const r = checkCapnpSource(text, 'big.capnp')
  if (r.diagnostics.length > 0) throw new Error(`${family}: ${r.diagnostics[0].message}`)
  ;(globalThis as unknown as { gc: () => void }).gc()
  process.stdout.write(JSON.stringify({ bytes: text.length, heap: process.memoryUsage().heapUsed }))
}
