import { builtinRule, items, str } from './util.js'

export default builtinRule({
  meta: {
    id: 'schema/hash-mismatch',
    uses: ['source', 'definitions'],
    severity: 'error',
    description: 'For every version, the stored hash equals the SHA-256 of its definition file.',
    messages: { mismatch: "hash of {{version}} does not match {{file}}: stored {{stored}}, file has {{actual}}; run 'ssmd schema hash {{schema}}' if the change is intended" },
  },
  async schema(doc, ctx) {
    const cache = ctx.definitions
    const source = ctx.source(doc)
    for (const [v, i] of items(doc.data, 'versions')) {
      const stored = str(v.hash)
      if (!stored || !/^sha256:[0-9a-f]{64}$/.test(stored)) continue
      const def = await cache.forVersion(source, i)
      if (def?.hash && def.hash !== stored) {
        ctx.report({ path: `/versions/${i}/hash`, messageId: 'mismatch', data: { version: String(v.version), file: def.display, stored, actual: def.hash, schema: doc.name } })
      }
    }
  },
})
