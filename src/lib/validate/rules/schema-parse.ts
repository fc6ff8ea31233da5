import { builtinRule, items, PASSED_ON } from './util.js'

/** Each problem the definition's parser reports, located in the definition file itself. */
export default builtinRule({
  meta: {
    id: 'schema/parse',
    uses: ['source', 'definitions'],
    severity: 'error',
    description: "Each definition file parses in its format; every Cap'n Proto error is one finding with its line:col.",
    messages: { parse: PASSED_ON },
  },
  async schema(doc, ctx) {
    const cache = ctx.definitions
    const source = ctx.source(doc)
    const done = new Set<string>()
    for (const [, i] of items(doc.data, 'versions')) {
      const def = await cache.forVersion(source, i)
      if (!def?.parsed || done.has(def.display)) continue
      done.add(def.display)
      for (const p of def.parsed.problems) ctx.report({ file: p.file, line: p.line, column: p.column, messageId: 'parse', data: { message: p.message } })
    }
  },
})
