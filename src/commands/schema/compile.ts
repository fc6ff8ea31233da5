/*
 * JSON (--json, needs -o): { name, version, schema_file, output, bytes, nodes, requested_file }
 */
import { Args, Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { SsmdCommand } from '../../lib/cli/command.js'
import { SsmdError, UsageError } from '../../lib/core/errors.js'
import { writeUserFileAtomic } from '../../lib/io/atomic.js'
import { compileSchemaVersion, parseCompileRef } from '../../lib/domain/schema/compile.js'
import { usableSchema } from '../../lib/domain/schema/lifecycle.js'

export interface SchemaCompileResult {
  name: string
  version: string
  schema_file: string
  output: string
  bytes: number
  nodes: number
  requested_file: string
}

export default class SchemaCompile extends SsmdCommand<typeof SchemaCompile> {
  static override summary = "Compile a version's Cap'n Proto definition to a CodeGeneratorRequest, as capnp compile -o- does."
  static override description =
    "Writes the binary CodeGeneratorRequest (schema.capnp) that `capnp compile -o-` would write for the definition file (its name taken relative to schemas/), so any capnpc-* code generator plugin can run on it without the Cap'n Proto toolchain: `ssmd schema compile trade | capnpc-c++`. The version defaults to the highest one. Without -o the request goes to stdout, which must not be a terminal."
  static override examples = [
    { description: 'Write the CodeGeneratorRequest of trade to a file', command: '<%= config.bin %> schema compile trade -o trade.bin' },
    { description: "Feed one version's request to a capnp plugin", command: '<%= config.bin %> schema compile trade@v2 | capnpc-capnp' },
  ]
  static override args = {
    schema: Args.string({ description: 'Schema name, optionally with a version: trade, trade@v2 or trade:v2.', required: true }),
  }
  static override flags = {
    output: Flags.string({ char: 'o', summary: 'Write the request to this file (replaced atomically) instead of stdout.' }),
  }

  async run(): Promise<SchemaCompileResult> {
    const { name, version } = parseCompileRef(this.args.schema)
    if (this.flags.output === undefined && this.jsonEnabled()) throw new UsageError('--json needs -o FILE: the request itself is binary')
    if (this.flags.output === undefined && process.stdout.isTTY) {
      throw new UsageError('the request is binary; pipe it into a code generator (| capnpc-…) or write it with -o FILE')
    }
    const doc = this.workspace().get('schema', name)
    const schema = usableSchema(doc.file, doc.data, doc.problem)
    const compiled = compileSchemaVersion(this.root(), name, schema, version)
    const result: SchemaCompileResult = {
      name,
      version: compiled.version,
      schema_file: compiled.display,
      output: this.flags.output ?? '-',
      bytes: compiled.request.length,
      nodes: compiled.model.nodes.length,
      requested_file: compiled.requestName,
    }
    if (this.flags.output === undefined) {
      await new Promise<void>((done, fail) => process.stdout.write(compiled.request, err => (err ? fail(new SsmdError(`cannot write the request: ${err.message}`)) : done())))
      return result
    }
    const out = resolve(process.cwd(), this.flags.output)
    try {
      writeUserFileAtomic(out, compiled.request)
    } catch (error) {
      throw new SsmdError(`cannot write ${this.flags.output}: ${(error as Error).message}`)
    }
    this.say(`${name} ${compiled.version} (${compiled.display}) → ${this.flags.output}: ${compiled.request.length} bytes, ${compiled.model.nodes.length} nodes`)
    return result
  }
}
