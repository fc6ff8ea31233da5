/*
 * JSON (--json): { name, version, schema_file, lang, out, files: string[] }
 */
import { Args, Flags } from '@oclif/core'
import { join, relative, resolve, sep } from 'node:path'
import { SsmdCommand } from '../../lib/cli/command.js'
import { SsmdError, UsageError } from '../../lib/core/errors.js'
import { writeUserFileAtomic } from '../../lib/io/atomic.js'
import { compileSchemaVersion, generateBindings, parseCompileRef, type BindingLanguage } from '../../lib/domain/schema/compile.js'
import { usableSchema } from '../../lib/domain/schema/lifecycle.js'

export interface SchemaGenerateResult {
  name: string
  version: string
  schema_file: string
  lang: BindingLanguage
  out: string
  files: string[]
}

export default class SchemaGenerate extends SsmdCommand<typeof SchemaGenerate> {
  static override summary = "Generate TypeScript or JavaScript bindings for a version's Cap'n Proto definition."
  static override description =
    "Compiles the definition with ssmd (no capnp binary needed) and runs capnp-es's code generator on the request: --lang ts writes .ts sources, js writes .js, dts writes .d.ts declarations, one file per definition file (the files it imports from schemas/ included), named after it. The generated code imports the capnp-es runtime. The version defaults to the highest one."
  static override examples = [
    { description: 'TypeScript bindings for the latest version of trade', command: '<%= config.bin %> schema generate trade --lang ts --out src/generated' },
    { description: 'JavaScript bindings for one version', command: '<%= config.bin %> schema generate trade@v2 --lang js --out dist/schemas' },
  ]
  static override args = {
    schema: Args.string({ description: 'Schema name, optionally with a version: trade, trade@v2 or trade:v2.', required: true }),
  }
  static override flags = {
    lang: Flags.string({ summary: 'Output language.', options: ['ts', 'js', 'dts'], required: true }),
    out: Flags.string({ summary: 'Folder to write the files into (created if missing).', required: true }),
  }

  async run(): Promise<SchemaGenerateResult> {
    const { name, version } = parseCompileRef(this.args.schema)
    const lang = this.flags.lang as BindingLanguage
    const doc = this.workspace().get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    const compiled = compileSchemaVersion(this.root(), name, schema, version, { withImports: true })
    const files = await generateBindings(compiled, lang)
    const outDir = resolve(process.cwd(), this.flags.out)
    // every file first, then write: names come from definition paths, which stay inside schemas/
    const plan: Array<{ abs: string; rel: string; text: string }> = []
    for (const [file, text] of files) {
      const abs = resolve(outDir, file)
      const rel = relative(outDir, abs)
      if (rel.startsWith('..') || rel.split(sep)[0] === '..') throw new UsageError(`generated file '${file}' would land outside ${this.flags.out}`)
      plan.push({ abs, rel: rel.split(sep).join('/'), text })
    }
    if (plan.length === 0) throw new SsmdError(`the code generator produced no ${lang} file for ${compiled.display}`)
    for (const p of plan) {
      try {
        writeUserFileAtomic(p.abs, p.text)
      } catch (error) {
        throw new SsmdError(`cannot write ${join(this.flags.out, p.rel)}: ${(error as Error).message}`)
      }
    }
    for (const p of plan) this.say(`wrote ${join(this.flags.out, p.rel)}`)
    return { name, version: compiled.version, schema_file: compiled.display, lang, out: this.flags.out, files: plan.map(p => p.rel) }
  }
}
