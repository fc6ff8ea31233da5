// The environment for git (and for ssmd run in-process) in the scripts' own
// scratch repositories: the caller's without git's repository variables.
// Under `git rebase -x` in a linked worktree, git exports GIT_DIR; a
// `git init` or `git commit` run for a scratch folder would then act on the
// caller's repository instead (it re-initialised it as bare and committed the
// scratch files to the branch being rebased).
const REPOSITORY = /^GIT_(DIR|WORK_TREE|INDEX_FILE|COMMON_DIR|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|PREFIX|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM)$/

/** `env` without git's repository variables. */
export function withoutGitRepository(env = process.env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !REPOSITORY.test(key)))
}
