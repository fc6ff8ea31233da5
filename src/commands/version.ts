import { SsmdCommand } from '../lib/cli/command.js'

export interface VersionOutput {
  name: string
  version: string
  node: string
  platform: string
  arch: string
}

export default class Version extends SsmdCommand<typeof Version> {
  static override summary = 'Show the version of ssmd, Node.js and the platform.'
  static override description = `Prints the same line as --version. With --json: {"name", "version", "node", "platform", "arch"}.`
  static override examples = [
    { description: 'The version line', command: '<%= config.bin %> version' },
    { description: 'For a bug report or a script', command: '<%= config.bin %> version --json' },
  ]

  async run(): Promise<VersionOutput> {
    this.say(this.config.userAgent)
    return { name: this.config.name, version: this.config.version, node: process.versions.node, platform: this.config.platform, arch: this.config.arch }
  }
}
