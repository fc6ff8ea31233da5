/*
 * JSON (--json, or --format json): the rendered document —
 * { name, as_of, source: { commit, dirty, files, changed? }, feed, schemas, schedule?, keys, transport, storage, cache? }
 * (docs/deploy.md describes every field).
 */
import { Args, Flags } from '@oclif/core'
import { SsmdCommand } from '../../lib/cli/command.js'
import { checkDateFlag, todayUtc } from '../../lib/core/dates.js'
import { prepare } from '../../lib/deploy/prepare.js'
import { renderDocumentOf } from '../../lib/deploy/render.js'
import { sourceOf } from '../../lib/deploy/source.js'
import { checkName } from '../../lib/domain/input.js'
import { redactValue } from '../../lib/domain/secrets.js'
import { pluginsOffNotice, policySeverities, requiredPluginsOff, validationSetup } from '../../lib/cli/validation.js'
import { renderDocument } from '../../lib/yaml/render.js'

export default class EnvRender extends SsmdCommand<typeof EnvRender> {
  // Started light only when no user plugin is installed: its validation then takes ssmd's own rules alone (validationSetup).
  static override lightStart = true
  static override summary = 'Print an environment resolved into one self-contained document (keys as references only).'
  static override description =
    'Validates the environment and the feed and schema it names, then prints the environment with the feed version in effect on the date, its schema version (format, definition file, hash), its key references, and the git commit it comes from.'
  static override examples = [
    { description: 'The document a deploy writes for an environment, as YAML', command: '<%= config.bin %> env render kalshi-prod' },
    { description: 'As JSON, with the feed version in effect on a date', command: '<%= config.bin %> env render kalshi-prod --as-of 2024-07-01 --format json' },
  ]

  static override args = {
    name: Args.string({ description: 'Environment name.', required: true }),
  }

  static override flags = {
    'as-of': Flags.string({ summary: 'Resolve the feed version in effect on this date (YYYY-MM-DD; default today, UTC).' }),
    format: Flags.string({ summary: 'Output format.', options: ['yaml', 'json'], default: 'yaml' }),
  }

  async run(): Promise<Record<string, unknown>> {
    const name = checkName('environment', this.args.name)
    const asOf = this.flags['as-of'] === undefined ? todayUtc() : checkDateFlag('as-of', this.flags['as-of'])
    const root = this.root()
    const off = requiredPluginsOff(root)
    if (off) this.notice(pluginsOffNotice(off))
    const [rendering] = await prepare(root, [name], asOf, { ...(await validationSetup(this.config)), policyOf: policySeverities })
    const doc = renderDocumentOf(rendering, asOf, await sourceOf(root, rendering.files))
    if (!this.jsonEnabled() && !this.flags.quiet) {
      // Masked by key as --json is (a random value under `source` or `api_secret`); the output gate masks the rest.
      const shown = redactValue(doc)
      process.stdout.write(this.flags.format === 'json' ? JSON.stringify(shown, null, 2) + '\n' : renderDocument(shown))
    }
    return doc
  }
}
