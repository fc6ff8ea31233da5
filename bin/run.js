#!/usr/bin/env node
import module from 'node:module'
// Free start-up time on Node.js >= 22.1; a no-op elsewhere.
module.enableCompileCache?.()
const { execute } = await import('@oclif/core')
await execute({ dir: import.meta.url })
