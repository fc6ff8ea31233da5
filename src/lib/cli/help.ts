import { Help } from '@oclif/core'
import { NUMERIC_ENV } from '../core/numbers.js'

/** What the top-level help adds after oclif's topics and commands. */
export const ROOT_HELP_SECTIONS = `GLOBAL FLAGS (any command; before or after the command name)
  -C, --dir <dir>  Work in this ssmd root (default: the nearest folder upwards
                   holding feeds/, schemas/ or environments/)
  --json           Print JSON on stdout (errors too: {"error": {...}})
  -q, --quiet      Print only errors
  -v, --verbose    More detail; a stack trace for unexpected failures
  -h, --help       Show help for a command or topic

EXIT CODES
  0  success
  1  the operation failed (validation errors, not found, conflicts, locks)
  2  wrong usage (unknown command or flag, bad flag value, path matching no file)

ENVIRONMENT
  NO_COLOR, FORCE_COLOR       Turn colour off / on (.ssmd/config.yaml color: sets a default)
  COLUMNS                     Width tables fit (default: the terminal's; none when piped)
  CI                          Set in CI: no progress display
  GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL, GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL, EMAIL
                              Who ssmd commit records (else git config user.name/email)
  HOME, XDG_CONFIG_HOME, GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, GIT_CONFIG_NOSYSTEM,
  GIT_CONFIG_COUNT            Where git's settings, ignore and attributes files are read
                              (as git reads them)
  GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE
                              The repository, work tree and index diff and commit use,
                              as for git (git hooks set them)
  SSMD_ETCD_ENDPOINTS         deploy: the etcd endpoints (instead of --etcd)
  SSMD_ETCD_USER              deploy: the etcd user (instead of --user)
  SSMD_ETCD_PASSWORD          deploy: that user's password (never given as a flag)
  USER, LOGNAME               deploy: who deployed, when the system cannot tell
  SSMD_ETCD_PREFIX, SSMD_ETCD_CACERT, SSMD_ETCD_CERT, SSMD_ETCD_KEY
                              ssmd/runtime (a capture process reading its environment):
                              the prefix and TLS files; it also reads the SSMD_ETCD_*
                              variables above (docs/deploy.md)
  SSMD_NO_PLUGINS             1: validation runs built-in rules only (as --no-plugins)
  SSMD_CACHE_LOCATION         Folder for the validation cache (as --cache-location; default .ssmd/cache)
  SSMD_WORKERS                0: validation reads every file in one thread; 1: a second thread reads
                              feeds and environments whatever the repository's size (default: from
                              2,000 to 60,000 files to read, on two or more cores, without plugins)
  SSMD_LOCK_TIMEOUT_MS        How long an edit waits for another ssmd's file lock (${NUMERIC_ENV.SSMD_LOCK_TIMEOUT_MS.fallback})
  SSMD_PLUGIN_TIMEOUT_MS      Time budget of each validation plugin, exactly
                              (default: ${NUMERIC_ENV.SSMD_PLUGIN_TIMEOUT_MS.fallback} + 1 per document of the repository)
  SSMD_PLUGIN_MEMORY_MB       Memory limit of each validation plugin (${NUMERIC_ENV.SSMD_PLUGIN_MEMORY_MB.fallback})
  SSMD_PROGRESS_AFTER_MS      Show validate's progress after this long on a terminal (1000)
  SSMD_DATA_DIR, XDG_DATA_HOME  Where installed and linked plugins are recorded
  PATH                        plugins install, uninstall, update, link --install: where npm is
                              looked for first (then beside the Node.js running ssmd)
  SSMD_NPM_REGISTRY           plugins install and update: npm's --registry
  SSMD_FULL_START             1: every command starts through oclif's full plugin loading, also the
                              one-file commands that start without it (docs/architecture.md)
  DEBUG                       oclif's debug output (e.g. DEBUG='*')

Shell completion: ssmd completion bash|zsh|fish|powershell (see 'ssmd completion --help').`

/** oclif's help, with global flags, exit codes and environment variables at the top level. */
export default class SsmdHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(ROOT_HELP_SECTIONS)
  }
}
