import { SsmdError } from '../core/errors.js'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findGitRoot } from '../git/find.js'
import { writeFileAtomic } from '../io/atomic.js'
import { readBoundedOrThrow } from '../io/read.js'
import { SSMD_FOLDERS } from '../workspace/root.js'

export interface InitResult {
  root: string
  created: string[]
  gitInitialized: boolean
  gitRoot?: string
}

const CONFIG = `# Local ssmd preferences. This folder is never committed.
color: auto
output: text
`

/** Creates whatever of the ssmd layout is missing; running it twice changes nothing. */
export async function initRepository(root: string, options: { git: boolean }): Promise<InitResult> {
  const created: string[] = []
  mkdirSync(root, { recursive: true })
  for (const folder of SSMD_FOLDERS) {
    const dir = join(root, folder)
    if (!existsSync(dir)) {
      mkdirSync(dir)
      created.push(`${folder}/`)
    }
    const keep = join(dir, '.gitkeep')
    if (!existsSync(keep)) {
      writeFileSync(keep, '')
      created.push(`${folder}/.gitkeep`)
    }
  }
  const configDir = join(root, '.ssmd')
  if (!existsSync(configDir)) {
    mkdirSync(configDir)
    created.push('.ssmd/')
  }
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
  let gitRoot = findGitRoot(root)
  let gitInitialized = false
  if (!gitRoot && options.git) {
    const git = await import('isomorphic-git')
    const fs = await import('node:fs')
    await git.default.init({ fs: fs.default, dir: root, defaultBranch: 'main' })
    gitRoot = root
    gitInitialized = true
    created.push('.git/')
  }
  return { root, created, gitInitialized, gitRoot }
}
