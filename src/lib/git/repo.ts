import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { SsmdError } from '../core/errors.js'
import { SSMD_FOLDERS } from '../workspace/root.js'
import { GitConfig, globalConfigFiles } from './config.js'
import { findGitRoot, resolveGitDir } from './find.js'

/** The git repository holding an ssmd root, and where that root sits inside it. */
export interface Repository {
  /** Working-tree root (absolute). */
  workTree: string
  /** Per-worktree git directory: HEAD, index. */
  gitdir: string
  /** Shared git directory: objects, refs (differs from gitdir in linked worktrees). */
  commonDir: string
  /** The ssmd root relative to the working-tree root, `/`-separated; '' when they are the same. */
  prefix: string
  /** The ssmd root (absolute). */
  root: string
  /** Repository config over the user's global config. */
  config: GitConfig
  /** The index file: `GIT_INDEX_FILE` (relative to the top of the working tree, as git reads it), else `<gitdir>/index`. */
  indexFile: string
}

/** Environment variables that move parts of the repository elsewhere and that ssmd does not follow: refused by name. */
const UNFOLLOWED_ENV = ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR']

function realOrResolved(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/**
 * The repository holding `root`, found as git finds it from a working
 * directory: through the real path (git's getcwd() sees no symbolic links),
 * so a root reached through a link inside the repository is its target.
 * `GIT_DIR`, `GIT_WORK_TREE` and `GIT_INDEX_FILE` are honoured as git
 * honours them: with `GIT_DIR` and no `GIT_WORK_TREE`, the working tree is
 * `cwd` (the folder ssmd runs in, as for git). Repositories ssmd cannot write
 * exactly as git would are refused by name.
 */
export function openRepository(root: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Repository {
  const env = options.env ?? process.env
  const cwd = resolve(options.cwd ?? process.cwd())
  for (const name of UNFOLLOWED_ENV) {
    if (env[name])
      throw new SsmdError(
        `${name} is set, and ssmd does not follow it (it reads and writes objects in the repository's own git directory): unset it, or use git add and git commit`,
        {
          code: 'unsupported-repo',
        },
      )
  }
  const abs = realOrResolved(resolve(root))
  const envGitDir = env.GIT_DIR || undefined
  const envWorkTree = env.GIT_WORK_TREE || undefined
  let workTree: string | undefined
  let gitdir: string
  if (envGitDir) {
    gitdir = resolve(cwd, envGitDir)
    try {
      // GIT_DIR may name a `.git` file (gitdir: …), as git accepts.
      if (existsSync(gitdir) && !statSync(gitdir).isDirectory()) gitdir = resolveGitDir(gitdir, true)
    } catch (err) {
      throw new SsmdError(`GIT_DIR=${envGitDir}: ${(err as Error).message}`, { code: 'no-git' })
    }
    if (!existsSync(join(gitdir, 'HEAD'))) throw new SsmdError(`GIT_DIR=${envGitDir} is not a git directory (no ${join(gitdir, 'HEAD')}); fix or unset GIT_DIR`, { code: 'no-git' })
    gitdir = realOrResolved(gitdir)
    workTree = realOrResolved(envWorkTree ? resolve(cwd, envWorkTree) : cwd)
  } else {
    const found = findGitRoot(abs)
    if (found === undefined) {
      throw new SsmdError(`not a git repository: ${abs} is not inside one; run 'ssmd init' (it creates one) or 'git init'`, { code: 'no-git' })
    }
    try {
      gitdir = resolveGitDir(found)
    } catch (err) {
      throw new SsmdError(`cannot read the git repository at ${found}: ${(err as Error).message}`, { code: 'no-git' })
    }
    if (!existsSync(join(gitdir, 'HEAD'))) {
      throw new SsmdError(`${gitdir} is not a git directory (no HEAD); run 'ssmd init' or 'git init'`, { code: 'no-git' })
    }
    workTree = envWorkTree ? realOrResolved(resolve(cwd, envWorkTree)) : found
  }
  let commonDir = gitdir
  const commondirFile = join(gitdir, 'commondir')
  if (existsSync(commondirFile)) commonDir = resolve(gitdir, readFileSync(commondirFile, 'utf8').trim())
  const headText = readFileSync(join(gitdir, 'HEAD'), 'utf8')
  const branch = /^ref:\s*refs\/heads\/(.+?)\s*$/.exec(headText)?.[1]
  const context = { gitdir, branch }
  const local = join(commonDir, 'config')
  let config = GitConfig.load([...globalConfigFiles(), local], context)
  if (config.getBool('extensions.worktreeconfig')) config = GitConfig.load([...globalConfigFiles(), local, join(gitdir, 'config.worktree')], context)
  checkFormat(config, workTree, envWorkTree !== undefined)
  const rel = relative(workTree, abs)
  if (rel.startsWith('..') || isAbsolute(rel)) {
    const from = envWorkTree ? `GIT_WORK_TREE=${envWorkTree}` : 'GIT_DIR is set without GIT_WORK_TREE, so it is the current folder'
    throw new SsmdError(
      `the ssmd root ${abs} is outside the git working tree ${workTree} (${from}); set GIT_WORK_TREE to the top of the working tree holding it, or unset GIT_DIR`,
      {
        code: 'no-git',
      },
    )
  }
  const prefix = rel.split(sep).join('/')
  const indexFile = env.GIT_INDEX_FILE ? resolve(workTree, env.GIT_INDEX_FILE) : join(gitdir, 'index')
  return { workTree, gitdir, commonDir, prefix, root: abs, config, indexFile }
}

const KNOWN_EXTENSIONS = new Set(['noop', 'noop-v1', 'preciousobjects', 'partialclone', 'worktreeconfig'])

function checkFormat(config: GitConfig, workTree: string, workTreeFromEnv: boolean): void {
  const instead = 'use `git add` and `git commit` in this repository instead'
  const format = (config.get('extensions.objectformat') ?? 'sha1').toLowerCase()
  if (format !== 'sha1')
    throw new SsmdError(`the repository at ${workTree} uses ${format} object ids (extensions.objectFormat=${format}); ssmd reads and writes SHA-1 repositories only: ${instead}`, {
      code: 'unsupported-repo',
    })
  const version = Number(config.get('core.repositoryformatversion') ?? 0)
  if (version > 1)
    throw new SsmdError(`the repository at ${workTree} has core.repositoryFormatVersion=${version}, which ssmd does not know: ${instead}`, { code: 'unsupported-repo' })
  if (version === 1) {
    for (const key of config.keys()) {
      const m = /^extensions\.([^.]+)$/.exec(key)
      if (m && !KNOWN_EXTENSIONS.has(m[1]) && m[1] !== 'objectformat')
        throw new SsmdError(`the repository at ${workTree} uses the repository extension '${m[1]}', which ssmd does not support: ${instead}`, { code: 'unsupported-repo' })
    }
  }
  // GIT_WORK_TREE in the environment overrides these settings, as in git.
  if (workTreeFromEnv) return
  if (config.getBool('core.bare'))
    throw new SsmdError(`the repository at ${workTree} is configured as bare (core.bare=true); ssmd needs a working tree: ${instead}`, { code: 'unsupported-repo' })
  if (config.get('core.worktree') !== undefined) throw new SsmdError(`the repository sets core.worktree, which ssmd does not follow: ${instead}`, { code: 'unsupported-repo' })
}

/**
 * The git paths ssmd manages: its three folders, `ssmd.yaml`, and the root's
 * `.gitignore` (which `ssmd init` writes to keep `.ssmd/` out of git).
 */
export function ssmdGitPaths(repo: Repository): string[] {
  return [...SSMD_FOLDERS, 'ssmd.yaml', '.gitignore'].map(p => gitPath(repo, p))
}

/** A root-relative path as a git path (relative to the working-tree root). */
export function gitPath(repo: Repository, rootRelative: string): string {
  return repo.prefix ? `${repo.prefix}/${rootRelative}` : rootRelative
}

/** A git path as a root-relative path. */
export function rootPath(repo: Repository, gitRelative: string): string {
  return repo.prefix ? gitRelative.slice(repo.prefix.length + 1) : gitRelative
}
