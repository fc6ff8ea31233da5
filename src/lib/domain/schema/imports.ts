/*
 * Imports between definition files: which file of schemas/ each `import`
 * (and Cap'n Proto `embed`) of a definition file names, with its line and
 * column, so that removing a definition another one imports is refused.
 *
 * - Cap'n Proto: as the compiler resolves them (capnp.md): a relative path
 *   against the importing file's folder, `/x.capnp` against schemas/, the
 *   standard files (`/capnp/c++.capnp`) built in and never in schemas/.
 * - Protocol Buffers (`import`, `import public`, `import weak`): protoc
 *   resolves against its import paths; ssmd has none configured, so a path
 *   counts against schemas/ (`protoc -I schemas`) and against the importing
 *   file's folder (`protoc -I .` run there). Either match counts as an import.
 */
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { lex } from '../../capnp/lexer.js'
import { stdFile } from '../../capnp/std.js'
import { tokenize } from '../../protobuf/locate.js'
import { isInside } from '../../io/read.js'
import { readDefinitionBytes } from './files.js'

export interface DefinitionImport {
  /** The importing file, root-relative (`schemas/quote.capnp`). */
  file: string
  line: number
  column: number
  /** The statement as written, for messages: `import "trade.capnp"`. */
  text: string
  /** The files of schemas/ it may name (absolute). */
  targets: string[]
}

/** The imports of one definition file (none when it cannot be read or is in no format with imports). */
export function definitionImports(root: string, abs: string): DefinitionImport[] {
  const ext = extname(abs)
  if (ext !== '.capnp' && ext !== '.proto') return []
  const file = relative(root, abs).split(sep).join('/')
  const read = readDefinitionBytes(root, abs, file)
  if (read.refusal) return []
  const text = read.bytes.toString('utf8')
  const schemas = join(root, 'schemas')
  const inSchemas = (p: string) => (isInside(schemas, p) ? [p] : [])
  const out: DefinitionImport[] = []
  if (ext === '.capnp') {
    const { tokens } = lex(text)
    for (let i = 0; i + 1 < tokens.length; i++) {
      const t = tokens.at(i)
      const next = tokens.at(i + 1)
      if (t.kind !== 'ident' || (t.text !== 'import' && t.text !== 'embed') || next.kind !== 'string' || next.str === undefined) continue
      const path = next.str
      let targets: string[]
      if (path.startsWith('/')) targets = stdFile(path) === undefined ? inSchemas(join(schemas, path)) : []
      else targets = inSchemas(resolve(dirname(abs), path))
      if (targets.length > 0) out.push({ file, line: t.line, column: t.col, text: `${t.text} ${JSON.stringify(path)}`, targets })
    }
    return out
  }
  const tokens = tokenize(text)
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t.string || t.text !== 'import') continue
    let j = i + 1
    const modifier = !tokens[j]?.string && (tokens[j]?.text === 'public' || tokens[j]?.text === 'weak') ? tokens[j++].text : undefined
    const path = tokens[j]
    if (!path?.string) continue
    const targets = [...new Set([...inSchemas(join(schemas, path.text)), ...inSchemas(resolve(dirname(abs), path.text))])]
    if (targets.length > 0) out.push({ file, line: t.line, column: t.column, text: `import ${modifier ? `${modifier} ` : ''}"${path.text}"`, targets })
  }
  return out
}
