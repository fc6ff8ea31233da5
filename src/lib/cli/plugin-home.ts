import type { Config } from '@oclif/core'
import type { PluginHome } from '../plugins/user-plugins.js'

/** Where and how `ssmd plugins` commands install: oclif's data folder, ssmd's name, SSMD_NPM_REGISTRY as npm's --registry. */
export function pluginHome(config: Config, verbose = false): PluginHome & { npmFlags: string[] } {
  return { dataDir: config.dataDir, cliName: config.name, npmFlags: config.npmRegistry ? [`--registry=${config.npmRegistry}`] : [], verbose }
}
