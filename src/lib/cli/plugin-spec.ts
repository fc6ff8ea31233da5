/*
 * What `ssmd plugins install` takes: what npm takes — a package name with an
 * optional version, range or tag, a tarball, a folder, a `file:` spec, a git
 * URL — and a GitHub `owner/repo` slug, as oclif's plugins install did. npm
 * runs inside oclif's data folder, so a relative path would point into that
 * folder: local specs are made absolute `file:` specs here. A path is local
 * when it starts with /, ./, ../ or ~/, or names a tarball, so `./x.tgz` never
 * reads as a GitHub slug.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { UsageError } from '../core/errors.js'
import { isPackageName } from '../validate/pins.js'

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

/** What `ssmd plugins install <input>` installs, read as oclif's plugins install read it (local paths made absolute file: specs first). */
export function parsePluginSpec(input: string, cwd: string): { kind: 'registry'; name: string; tag: string } | { kind: 'url'; url: string } {
  // Given after `--`, oclif hands it over; npm would read it as an option of its own (--registry=…).
  if (input.startsWith('-')) throw new UsageError(`'${input}' is not a plugin: it starts with '-', as an npm option does (a tarball or folder of that name: ./${input})`)
  const local = localInstallSpec(input, cwd)
  if (local !== undefined) return { kind: 'url', url: local }
  if (input.startsWith('git+ssh://') || input.endsWith('.git')) return { kind: 'url', url: input }
  if (input.includes('/') && !input.startsWith('@')) return { kind: 'url', url: input.includes(':') ? input : `https://github.com/${input}` }
  const at = input.indexOf('@', 1)
  const name = at === -1 ? input : input.slice(0, at)
  const tag = at === -1 ? 'latest' : input.slice(at + 1)
  if (!isPackageName(name)) {
    throw new UsageError(`'${input}' is not a package name, a tarball, a folder or a URL (npm package names are lower case, e.g. ssmd-plugin-acme or @acme/ssmd-checks@1.2.0)`)
  }
  if (tag === '') throw new UsageError(`'${input}': no version or tag after '@' (e.g. ${name}@latest or ${name}@1.2.0)`)
  return { kind: 'registry', name, tag }
}
