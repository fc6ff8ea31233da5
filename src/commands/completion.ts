import { Args } from '@oclif/core'
import { SsmdCommand } from '../lib/cli/command.js'
import { completionScript, SHELLS, type Shell } from '../lib/cli/completion/scripts.js'

export default class Completion extends SsmdCommand<typeof Completion> {
  static override summary = 'Print the shell completion script for bash, zsh, fish or PowerShell.'
  static override description = `Completes command names, flags at any position (including --no-* forms), flag values, the feed, environment and schema names and version ids of the repository in the current folder (or -C), and file paths where a path is expected. Answers come from a small entry point that reads the command list and the repository directly, so completion stays fast.

Install:
  bash        add to ~/.bashrc:   eval "$(ssmd completion bash)"
  zsh         add to ~/.zshrc, after compinit:   eval "$(ssmd completion zsh)"
  fish        ssmd completion fish > ~/.config/fish/completions/ssmd.fish
  PowerShell  add to $PROFILE:   ssmd completion powershell | Out-String | Invoke-Expression`
  static override hiddenAliases = ['autocomplete']
  static override enableJsonFlag = false
  static override examples = [
    { description: 'Print the bash script (add the eval line to ~/.bashrc)', command: 'eval "$(<%= config.bin %> completion bash)"' },
    { description: 'Install for fish', command: '<%= config.bin %> completion fish > ~/.config/fish/completions/ssmd.fish' },
  ]
  static override args = {
    shell: Args.string({ description: 'The shell.', required: true, options: [...SHELLS] }),
  }

  async run(): Promise<void> {
    process.stdout.write(completionScript(this.args.shell as Shell, this.config.bin))
  }
}
