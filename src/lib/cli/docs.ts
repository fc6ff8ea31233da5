import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { NotFoundError } from '../core/errors.js'
import { didYouMean } from '../core/text.js'

/**
 * ssmd's documentation as installed with it: the docs/ folder of the package
 * (listed in package.json `files`), two levels above this module both in src/
 * and in dist/. Help texts and messages point at it through `ssmd docs <page>`
 * and `ssmd rules show <id>`, which work offline and match the installed
 * version.
 */
export const DOCS_DIR = fileURLToPath(new URL('../../../docs/', import.meta.url))

export interface DocPage {
  /** The page name `ssmd docs` takes: the file name without `.md`. */
  name: string
  /** The page's first heading. */
  title: string
}

const titleOf = (text: string) => /^# (.+)$/m.exec(text)?.[1].trim() ?? ''

/** Every page of docs/, by name. */
export function docPages(): DocPage[] {
  if (!existsSync(DOCS_DIR)) return []
  return readdirSync(DOCS_DIR)
    .filter(f => f.endsWith('.md'))
    .sort()
    .map(f => ({ name: f.slice(0, -3), title: titleOf(readFileSync(join(DOCS_DIR, f), 'utf8')) }))
}

/** The Markdown text of one page; a name that is no page is not found, with the closest name. */
export function readDocPage(name: string): DocPage & { text: string } {
  const page = docPages().find(p => p.name === name.replace(/\.md$/, ''))
  if (!page) {
    const names = docPages().map(p => p.name)
    throw new NotFoundError(`no documentation page '${name}'${didYouMean(name, names)} (pages: ${names.join(', ')}; ssmd docs)`)
  }
  return { ...page, text: readFileSync(join(DOCS_DIR, `${page.name}.md`), 'utf8') }
}

/** docs/rules.md's lines, read once (SARIF output asks for every rule's section). */
let rulesDoc: string[] | undefined
function readRulesDoc(): string[] {
  const file = join(DOCS_DIR, 'rules.md')
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []
}

/**
 * The section of docs/rules.md that documents a built-in rule (its `### <id>`
 * heading up to the next heading of that level or above), without the
 * heading; undefined for a rule it does not document (plugin rules).
 */
export function ruleSection(id: string): string | undefined {
  const lines = (rulesDoc ??= readRulesDoc())
  const start = lines.findIndex(l => l.trim() === `### ${id}`)
  if (start === -1) return undefined
  let end = start + 1
  let fenced = false
  for (; end < lines.length; end++) {
    if (lines[end].startsWith('```')) fenced = !fenced
    if (!fenced && /^#{1,3} /.test(lines[end])) break
  }
  return lines
    .slice(start + 1, end)
    .join('\n')
    .trim()
}

/** The command that prints a rule's documentation. */
export const ruleDocsCommand = (id: string) => `ssmd rules show ${id}`
