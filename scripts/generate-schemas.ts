// Writes schemas-json/*.schema.json and src/lib/spec/types.generated.ts from src/lib/spec.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatedFiles } from '../src/lib/spec/generate.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
for (const [rel, text] of Object.entries(generatedFiles())) {
  mkdirSync(dirname(join(root, rel)), { recursive: true })
  writeFileSync(join(root, rel), text)
  console.log(`wrote ${rel}`)
}
