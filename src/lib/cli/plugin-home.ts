import type { Config } from '@oclif/core'
import type { PluginHome } from '../plugins/user-plugins.js'

/**
 * Where and how `ssmd plugins` commands install: oclif's data folder, ssmd's name, SSMD_NPM_REGISTRY as npm's --registry;
 * `note` says when the command waits for another one working in the data folder.
 */
export function pluginHome(config: Config, verbose = false, note?: (line: string) => void): PluginHome & { npmFlags: string[] } {
  return {
    dataDir: config.dataDir,
    cliName: config.name,
    npmFlags: config.npmRegistry ? [`--registry=${config.npmRegistry}`] : [],
    verbose,
    onWait: note && (() => note(`${config.bin}: waiting for another ssmd plugins command to finish with ${config.dataDir}…`)),
  }
}
