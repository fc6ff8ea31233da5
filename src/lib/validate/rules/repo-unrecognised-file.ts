import { extname } from 'node:path'
import { FORMAT_BY_EXTENSION } from '../../domain/schema/files.js'
import { definitionFilesInUse } from '../../domain/schema/references.js'
import { quotePath } from '../../git/quote.js'
import { keepMatcher } from '../../git/keep.js'
import type { OtherFile } from '../../workspace/inventory.js'
import { builtinRule } from './util.js'

/** What to say of a file ssmd does not read, by why it does not. */
function whyNot(f: OtherFile): string {
  const name = f.path.slice(f.path.lastIndexOf('/') + 1)
  const folder = f.path.slice(0, f.path.indexOf('/'))
  switch (f.why) {
    case 'hidden':
      return 'a hidden file, which ssmd never reads'
    case 'subfolder':
      return `ssmd reads no folder below ${folder}/`
    case 'case':
      return `ssmd reads only lower-case .yaml and .yml; rename it to ${name.replace(/\.ya?ml$/i, m => m.toLowerCase())} if it is a document`
    default:
      return `ssmd reads only .yaml documents in ${folder}/`
  }
}

/** A definition format's file that may be one a schema uses (anywhere in schemas/). */
const isDefinitionCandidate = (f: OtherFile) => f.path.startsWith('schemas/') && f.why !== 'hidden' && FORMAT_BY_EXTENSION[extname(f.path)] !== undefined

export default builtinRule({
  meta: {
    id: 'repo/unrecognised-file',
    uses: ['repository'],
    severity: 'error',
    description:
      "Every file under feeds/, schemas/ and environments/ that a commit would take is a document, a definition a schema uses, git's own file or kept by ssmd.yaml `keep:`; names never hold control characters and are UTF-8.",
    messages: {
      control: '{{shown}}: the file name holds a control character; ssmd never reads such a file and git shows its name only escaped: rename it (git mv) or delete it',
      encoding: '{{shown}}: the file name is not UTF-8 (or holds U+FFFD); ssmd never reads such a file and cannot commit it as it is: rename it (git mv) or delete it',
      unrecognised: 'not a file ssmd reads ({{why}}); delete it, move it out of {{folder}}/, or keep it with a pattern under `keep:` in ssmd.yaml',
      unusedDefinition:
        'a definition file no schema version names or imports; delete it, name it in a schema (ssmd schema add-version), or keep it with a pattern under `keep:` in ssmd.yaml',
    },
  },
  async repository(_ws, ctx) {
    const ws = ctx.repository
    const others = ws.otherFiles.filter(f => !f.git || f.why === 'control' || f.why === 'encoding')
    if (others.length === 0) return
    const patterns = ws.policy?.data?.keep
    const kept = keepMatcher(Array.isArray(patterns) ? patterns : [])
    let inUse: Set<string> | undefined
    for (const f of others) {
      const at = { file: f.path, line: 1, column: 1 }
      if (f.why === 'control') {
        ctx.report({ ...at, messageId: 'control', data: { shown: quotePath(f.path, false) } })
        continue
      }
      if (f.why === 'encoding') {
        ctx.report({ ...at, messageId: 'encoding', data: { shown: quotePath(f.bytes ?? f.path) } })
        continue
      }
      if (kept(f.path)) continue
      if (isDefinitionCandidate(f)) {
        // Only when there is a candidate: most runs never look at the definitions for this.
        inUse ??= await definitionFilesInUse(ws)
        if (inUse.has(f.path)) continue
        ctx.report({ ...at, messageId: 'unusedDefinition' })
        continue
      }
      ctx.report({ ...at, messageId: 'unrecognised', data: { why: whyNot(f), folder: f.path.slice(0, f.path.indexOf('/')) } })
    }
  },
})
