/*
 * `ssmd plugins install` takes what npm takes: a package name, a tarball, a
 * folder or a `file:` spec. @oclif/plugin-plugins reads anything with a '/'
 * and no ':' as a GitHub slug (so /abs/x.tgz and ./x.tgz went to github.com),
 * refuses `file:x.tgz` as a package name, and runs npm inside its data folder
 * (so a relative path would point into that folder). Local specs are made
 * absolute `file:` specs here, before it installs them.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { UsageError } from '../core/errors.js'

const TARBALL = /\.(tgz|tar\.gz|tar)$/i

/** The absolute `file:` spec for a local plugin (npm's rules: file:, a path starting with /, ./, ../ or ~/, or a tarball), else undefined. */
export function localInstallSpec(input: string, cwd: string): string | undefined {
  let path: string | undefined
  if (input.startsWith('file:')) path = input.slice('file:'.length).replace(/^\/\/(?=\/)/, '')
  else if (isAbsolute(input) || /^\.{1,2}[\\/]/.test(input) || input === '.' || input === '..' || input.startsWith('~/')) path = input
  else if (!input.includes(':') && !input.startsWith('@') && TARBALL.test(input)) path = input
  if (path === undefined) return undefined
  const abs = path === '~' || path.startsWith('~/') ? resolve(homedir(), path.slice(2)) : isAbsolute(path) ? path : resolve(cwd, path)
  if (!existsSync(abs)) throw new UsageError(`no such file or directory: ${abs} (give a plugin's folder, its npm pack tarball, or a package name)`)
  return `file:${abs}`
}
