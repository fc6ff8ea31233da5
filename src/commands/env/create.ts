/*
 * JSON (--json): { file: string, name: string, environment: EnvironmentData, warnings: string[] }
 *   `environment` is the document as written; `warnings` e.g. a deprecated schema version.
 */
import { Args } from '@oclif/core'
import { Flags } from '@oclif/core'
import { join } from 'node:path'
import { SsmdCommand } from '../../lib/cli/command.js'
import { envFields, envFlags } from '../../lib/cli/flags.js'
import { checkReferences, envInput, newEnvironment, resolveSections } from '../../lib/domain/env.js'
import { ConflictError } from '../../lib/core/errors.js'
import { createDocument } from '../../lib/workspace/files.js'
import { checkName } from '../../lib/domain/input.js'
import type { EnvironmentData } from '../../lib/spec/types.generated.js'

export default class EnvCreate extends SsmdCommand<typeof EnvCreate> {
  static override summary = 'Create an environment: a feed, a schema version, transport, storage and cache.'
  static override secretFreeInput = true
  static override description = `Writes environments/<name>.yaml after checking that the feed exists and that the schema version exists and is not a draft (a deprecated version is accepted with a warning). Defaults: transport memory, storage local in /var/lib/ssmd/<name>. URLs must not carry credentials; reference secrets with 'ssmd env add-key'.`
  static override examples = [
    {
      description: 'A development environment with the defaults (memory transport, local storage)',
      command: '<%= config.bin %> env create kalshi-dev --feed kalshi --schema trade:v1',
    },
    {
      description: 'Production: NATS over TLS, S3 storage, a Redis cache',
      command:
        '<%= config.bin %> env create kalshi-prod --feed kalshi --schema trade:v1 --transport.type nats --transport.url tls://nats.prod.internal:4222 --storage.type s3 --storage.bucket ssmd-prod --storage.region us-east-1 --cache.type redis --cache.url rediss://cache.internal:6379 --cache.max-size 2GB',
    },
    {
      description: 'A capture day that starts at 04:00 New York time',
      command: '<%= config.bin %> env create night --feed kalshi --schema trade:v1 --schedule.timezone America/New_York --schedule.day-start 04:00 --schedule.day-end 00:00',
    },
  ]
  static override args = {
    name: Args.string({ description: 'Environment name (lowercase letters, digits, - and _).', required: true }),
  }
  static override flags = {
    ...envFlags,
    feed: Flags.string({ summary: envFlags.feed.summary, required: true }),
    schema: Flags.string({ summary: envFlags.schema.summary, required: true }),
  }

  async run(): Promise<{ file: string; name: string; environment: EnvironmentData; warnings: string[] }> {
    const name = checkName('environment', this.args.name)
    const input = envInput(envFields(this.flags))
    const sections = resolveSections(name, undefined, input)
    const ws = this.workspace()
    const existing = ws.find('environment', name)
    if (existing) throw new ConflictError(`environment '${name}' already exists (${existing.file}); change it with 'ssmd env update ${name}'`)
    const warnings = checkReferences(ws, input)
    const environment = newEnvironment(name, input.feed!, input.schema!.ref, sections)
    const file = `environments/${name}.yaml`
    const abs = join(ws.root, file)
    createDocument(abs, file, environment as unknown as Record<string, unknown>)
    for (const w of warnings) this.note(`warning: ${w}`)
    this.say(`wrote ${this.shownPath(file)}`)
    return { file, name, environment, warnings }
  }
}
