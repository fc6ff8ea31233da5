#!/usr/bin/env node
import module from 'node:module'
// Free start-up time on Node.js >= 22.1; a no-op elsewhere.
module.enableCompileCache?.()
// Plugins are plain JavaScript packages; oclif's note about transpiling linked ESM plugins does not apply.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'
const { execute } = await import('@oclif/core')
await execute({ dir: import.meta.url })
