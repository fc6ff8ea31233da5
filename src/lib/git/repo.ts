import { existsSync, readFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
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
}

export function openRepository(root: string): Repository {
  const abs = resolve(root)
  const workTree = findGitRoot(abs)
  if (workTree === undefined) {
    throw new SsmdError(`not a git repository: ${abs} is not inside one; run 'ssmd init' (it creates one) or 'git init'`, { code: 'no-git' })
  }
  let gitdir: string
  try {
    gitdir = resolveGitDir(workTree)
  } catch (err) {
    throw new SsmdError(`cannot read the git repository at ${workTree}: ${(err as Error).message}`, { code: 'no-git' })
  }
  if (!existsSync(join(gitdir, 'HEAD'))) {
    throw new SsmdError(`${gitdir} is not a git directory (no HEAD); run 'ssmd init' or 'git init'`, { code: 'no-git' })
  }
  let commonDir = gitdir
  const commondirFile = join(gitdir, 'commondir')
  if (existsSync(commondirFile)) commonDir = resolve(gitdir, readFileSync(commondirFile, 'utf8').trim())
  const config = GitConfig.load([...globalConfigFiles(), join(commonDir, 'config'), join(gitdir, 'config.worktree')])
  const prefix = relative(workTree, abs).split(sep).join('/')
  return { workTree, gitdir, commonDir, prefix, root: abs, config }
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
