import { join, posix } from 'node:path'
import { readBounded } from '../../io/read.js'
import type { SchemaDocument } from '../../workspace/document.js'
import { rootRelative } from '../../workspace/inventory.js'
import { definitionCache } from './definitions.js'
import { MAX_DEFINITION_BYTES } from './files.js'

/** `import "a.proto";` (also `import public` / `import weak`). */
const PROTO_IMPORT = /^\s*import\s+(?:public\s+|weak\s+)?"([^"\n]+)"\s*;/gm
/** `"$ref": "common.json#/$defs/x"`: a reference to another file (not `#…` alone, not a URL). */
const JSON_FILE_REF = /"\$ref"\s*:\s*"(?![a-zA-Z][a-zA-Z0-9+.-]*:)([^"#\n]+)/g

/**
 * Every definition file the schemas of a repository use (root-relative, `/`):
 * the file each version names, the files Cap'n Proto imports and embeds
 * (transitively, as the parser read them), the files protobuf `import`s name
 * (relative to schemas/, as `protoc -I schemas` reads them, or to the
 * importing file's folder) and the files JSON Schema `$ref`s point to.
 */
export async function definitionFilesInUse(ws: { root: string; schemas: SchemaDocument[]; cache?: Parameters<typeof definitionCache>[0]['cache'] }): Promise<Set<string>> {
  const defs = definitionCache(ws)
  const used = new Set<string>()
  const pending: Array<{ path: string; format: string }> = []
  const add = (abs: string | undefined, format: string) => {
    const path = abs === undefined ? undefined : rootRelative(ws.root, abs)
    if (path === undefined || used.has(path)) return
    used.add(path)
    if (format === 'protobuf' || format === 'json_schema') pending.push({ path, format })
  }
  for (const doc of ws.schemas) {
    if (!doc.isObject) continue
    const versions = (doc.data as { versions?: unknown }).versions
    const count = Array.isArray(versions) ? versions.length : 0
    const format = typeof doc.data?.format === 'string' ? doc.data.format : 'capnp'
    for (let i = 0; i < count; i++) {
      const def = await defs.forVersion(doc, i)
      if (!def?.abs) continue
      add(def.abs, format)
      for (const read of def.reads ?? []) add(read, format)
    }
  }
  // Imports the parsers do not follow: read from the text, with the same bounds as a definition.
  for (let next = pending.shift(); next; next = pending.shift()) {
    const got = readBounded(join(ws.root, ...next.path.split('/')), { maxBytes: MAX_DEFINITION_BYTES, display: next.path, root: ws.root })
    if (got.refusal) continue
    const text = got.bytes.toString('utf8')
    const pattern = next.format === 'protobuf' ? PROTO_IMPORT : JSON_FILE_REF
    pattern.lastIndex = 0
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const named = m[1]
      const candidates = next.format === 'protobuf' ? [posix.join('schemas', named), posix.join(posix.dirname(next.path), named)] : [posix.join(posix.dirname(next.path), named)]
      for (const c of candidates) {
        if (c.startsWith('schemas/') && !c.split('/').includes('..')) add(join(ws.root, ...c.split('/')), next.format)
      }
    }
  }
  return used
}
