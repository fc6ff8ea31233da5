/*
 * JSON (--json): without a page, [{ name, title }]; with one, { name, title, text }
 *   `text` is the page's Markdown.
 */
import { Args } from '@oclif/core'
import { SsmdCommand } from '../lib/cli/command.js'
import { docPages, readDocPage, type DocPage } from '../lib/cli/docs.js'
import { table } from '../lib/cli/style.js'

export default class Docs extends SsmdCommand<typeof Docs> {
  static override summary = "Print one of ssmd's documentation pages (offline, for the installed version)."
  static override description =
    'Without a page, lists the pages. The pages are the Markdown files of the docs/ folder installed with ssmd, printed as they are (pipe them to a pager or a Markdown viewer). Rules have their own: ssmd rules show <rule>.'
  static override examples = [
    { description: 'The pages there are', command: '<%= config.bin %> docs' },
    { description: 'How ssmd commits, and what it refuses', command: '<%= config.bin %> docs git' },
    { description: 'Writing a validation plugin, in a pager', command: '<%= config.bin %> docs plugins | less' },
  ]
  static override args = {
    page: Args.string({ description: 'Page name (git, deploy, plugins, …; see ssmd docs).' }),
  }

  async run(): Promise<DocPage[] | (DocPage & { text: string })> {
    if (this.args.page === undefined) {
      const pages = docPages()
      this.say(
        table(
          ['PAGE', 'TITLE'],
          pages.map(p => [p.name, p.title]),
        ),
      )
      this.say()
      this.say('Print one with: ssmd docs <page>')
      return pages
    }
    const page = readDocPage(this.args.page)
    this.say(page.text.trimEnd())
    return page
  }
}
