import { SsmdError, UsageError } from '../core/errors.js'
import { existsSync, lstatSync, mkdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { findGitRoot } from '../git/find.js'
import { GitConfig, globalConfigFiles } from '../git/config.js'
import { isValidRefName } from '../git/refname.js'
import { checkWriteTarget, refuseSsmdDirWrite, SSMD_DIR, ssmdSubdir, writeFileAtomic } from '../io/atomic.js'
import { readBoundedOrThrow } from '../io/read.js'
import { SSMD_FOLDERS } from '../workspace/root.js'

export interface InitResult {
  root: string
  created: string[]
  gitInitialized: boolean
  gitRoot?: string
  /** The branch HEAD names in a repository this run created. */
  branch?: string
  /** Set when `branch` is git's built-in default because neither --initial-branch nor init.defaultBranch chose one. */
  defaultedBranch?: boolean
}

/** What `git init` names the first branch when neither -b nor init.defaultBranch says otherwise. */
export const GIT_DEFAULT_BRANCH = 'master'

/**
 * The first branch of a new repository, as `git init` picks it: `requested`
 * (--initial-branch), else init.defaultBranch from the git config git reads
 * (system, XDG, global, GIT_CONFIG_GLOBAL/SYSTEM/NOSYSTEM, GIT_CONFIG_COUNT),
 * else git's default, 'master'. A name git would refuse is refused.
 */
export function initialBranch(requested?: string, env: NodeJS.ProcessEnv = process.env): { branch: string; defaulted: boolean } {
  if (requested !== undefined) return { branch: checkInitialBranch(requested), defaulted: false }
  const configured = GitConfig.load(globalConfigFiles(env), {}, env).get('init.defaultBranch')
  if (configured === undefined) return { branch: GIT_DEFAULT_BRANCH, defaulted: true }
  if (!isValidRefName(`refs/heads/${configured}`)) {
    throw new SsmdError(
      `init.defaultBranch '${configured}' in your git config is not a valid branch name; set a valid one (git config --global init.defaultBranch main) or pass --initial-branch`,
    )
  }
  return { branch: configured, defaulted: false }
}

/** --initial-branch, checked as git checks a branch name. */
export function checkInitialBranch(name: string): string {
  if (!isValidRefName(`refs/heads/${name}`)) throw new UsageError(`--initial-branch '${name}' is not a valid branch name (see 'git check-ref-format --branch')`)
  return name
}

const CONFIG = `# Local ssmd preferences. This folder is never committed.
color: auto
output: text
`

/** True when `path` exists (as a link at least) but is no folder: a file, or a symlink leading nowhere. */
function isDanglingOrFile(path: string): boolean {
  try {
    lstatSync(path)
  } catch {
    return false
  }
  try {
    return !statSync(path).isDirectory()
  } catch {
    return true
  }
}

/** Creates whatever of the ssmd layout is missing; running it twice changes nothing. */
export async function initRepository(root: string, options: { git: boolean; initialBranch?: string }): Promise<InitResult> {
  const created: string[] = []
  // Decided before anything is written: a bad branch name leaves the folder as it was.
  if (options.initialBranch !== undefined) checkInitialBranch(options.initialBranch)
  // With GIT_DIR set, the repository is there (as for git): ssmd init uses it and never creates another.
  const gitDirEnv = process.env.GIT_DIR || undefined
  if (options.git && gitDirEnv && !existsSync(join(resolve(gitDirEnv), 'HEAD')))
    throw new SsmdError(`GIT_DIR=${gitDirEnv} is set but is not a git repository; ssmd init does not create one there: run \`git init\` first, or unset GIT_DIR`, {
      code: 'no-git',
    })
  const first = options.git && !gitDirEnv && !findGitRoot(root) ? initialBranch(options.initialBranch) : undefined
  // Every target is checked before the first write: a symlinked folder leading outside refuses the whole run.
  refuseSsmdDirWrite(root, SSMD_DIR)
  if (existsSync(root)) {
    for (const folder of SSMD_FOLDERS) {
      checkWriteTarget(root, join(root, folder, '.gitkeep'))
      if (isDanglingOrFile(join(root, folder))) {
        throw new SsmdError(`${folder} in ${root} exists but is not a folder; move it away (mv ${join(root, folder)} ${join(root, folder)}.old) and run ssmd init again`)
      }
    }
    checkWriteTarget(root, join(root, '.gitignore'))
  }
  mkdirSync(root, { recursive: true })
  for (const folder of SSMD_FOLDERS) {
    const dir = join(root, folder)
    if (!existsSync(dir)) {
      mkdirSync(dir)
      created.push(`${folder}/`)
    }
    const keep = join(dir, '.gitkeep')
    if (!existsSync(keep)) {
      writeFileAtomic(root, keep, '')
      created.push(`${folder}/.gitkeep`)
    }
  }
  const configDir = join(root, SSMD_DIR)
  const hadConfigDir = existsSync(configDir)
  // A real folder (a symlinked .ssmd is refused), its .gitignore written first.
  ssmdSubdir(root, SSMD_DIR)
  if (!hadConfigDir) created.push('.ssmd/')
  const config = join(configDir, 'config.yaml')
  if (!existsSync(config)) {
    writeFileAtomic(root, config, CONFIG)
    created.push('.ssmd/config.yaml')
  }
  const gitignore = join(root, '.gitignore')
  const before = existsSync(gitignore) ? readBoundedOrThrow(gitignore, { maxBytes: 1024 * 1024, display: '.gitignore', root }, r => new SsmdError(r.message)).toString('utf8') : ''
  const ignored = before.split(/\r?\n/).some(l => /^\/?\.ssmd\/?$/.test(l.trim()))
  if (!ignored) {
    const sep = before === '' || before.endsWith('\n') ? '' : '\n'
    writeFileAtomic(root, gitignore, `${before}${sep}.ssmd/\n`)
    created.push(before === '' ? '.gitignore' : '.gitignore (added .ssmd/)')
  }
  let gitRoot = findGitRoot(root) ?? (gitDirEnv ? resolve(process.env.GIT_WORK_TREE || process.cwd()) : undefined)
  let gitInitialized = false
  if (!gitRoot && first) {
    const git = await import('isomorphic-git')
    const fs = await import('node:fs')
    await git.default.init({ fs: fs.default, dir: root, defaultBranch: first.branch })
    gitRoot = root
    gitInitialized = true
    created.push('.git/')
  }
  return { root, created, gitInitialized, gitRoot, ...(gitInitialized && first ? { branch: first.branch, defaultedBranch: first.defaulted } : {}) }
}
