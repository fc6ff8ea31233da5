import { Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { SsmdCommand } from '../lib/cli/command.js'
import { initRepository } from '../lib/domain/init.js'
import { checkDirFlag } from '../lib/workspace/root.js'

export default class Init extends SsmdCommand<typeof Init> {
  static override summary = 'Create the ssmd folders, local config and a git repository.'
  static override secretFreeInput = true
  static override description =
    "Creates feeds/, schemas/ and environments/ (each with a .gitkeep), .ssmd/config.yaml, adds .ssmd/ to .gitignore and runs `git init` when the folder is not inside a git repository. The first branch is the one `git init` would make: --initial-branch, else git's init.defaultBranch, else 'master' (git's default, with a hint). Safe to run again: it only adds what is missing."
  static override examples = [
    { description: 'Set up the current folder (and git init it when needed)', command: '<%= config.bin %> init' },
    { description: 'Set up another folder, without git', command: '<%= config.bin %> init -C ./market-data --no-git' },
    { description: "Name the first branch 'main' whatever git's init.defaultBranch says", command: '<%= config.bin %> init -b main' },
  ]
  static override flags = {
    git: Flags.boolean({ summary: 'Initialise a git repository when the folder is not inside one.', default: true, allowNo: true }),
    'initial-branch': Flags.string({ char: 'b', summary: "First branch of a new git repository (default: git's init.defaultBranch, else master)." }),
  }

  async run(): Promise<{ root: string; created: string[]; git_initialized: boolean; git_root?: string; git_branch?: string }> {
    const root = this.flags.dir === undefined ? process.cwd() : resolve(this.flags.dir)
    if (this.flags.dir !== undefined) {
      try {
        checkDirFlag(this.flags.dir)
      } catch (error) {
        // -C may name a folder that does not exist yet; only a file in the way is wrong.
        if (!/no such directory/.test((error as Error).message)) throw error
      }
    }
    const result = await initRepository(root, { git: this.flags.git, initialBranch: this.flags['initial-branch'] })
    if (result.defaultedBranch) {
      this.note(
        `hint: using '${result.branch}' as the name of the initial branch (git's default); to choose another for every new repository: git config --global init.defaultBranch <name>`,
      )
    }
    if (result.created.length === 0) this.say(`ssmd repository already initialised in ${root}; nothing to do`)
    else {
      for (const c of result.created) this.say(`created ${c}`)
      this.say(`initialised ssmd repository in ${root}${result.gitInitialized ? ' (new git repository)' : ''}`)
    }
    return {
      root: result.root,
      created: result.created,
      git_initialized: result.gitInitialized,
      git_root: result.gitRoot,
      ...(result.branch === undefined ? {} : { git_branch: result.branch }),
    }
  }
}
