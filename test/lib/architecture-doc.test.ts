// docs/architecture.md's document life cycle names the modules and functions that move a
// document between states: this keeps the diagram, the table and the code in step.
import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROJECT_ROOT } from '../helpers/repo.js'

const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'architecture.md'), 'utf8')
const section = doc.slice(doc.indexOf('\n## Document life cycle\n'), doc.indexOf('\n## ', doc.indexOf('\n## Document life cycle\n') + 1))
const diagram = section.slice(section.indexOf('```mermaid'), section.indexOf('```', section.indexOf('```mermaid') + 3))
const rows = section
  .split('\n')
  .filter(l => l.startsWith('| ') && !l.startsWith('| state ') && !l.startsWith('|---'))
  .map(l => l.split(' | ').map(c => c.replace(/^\| |\s\|$/g, '')))
const spans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(m => m[1])

/** A module named in the table: under src/lib/, unless given from the project root. */
const modulePath = (span: string) => join(PROJECT_ROOT, span.startsWith('src/') ? span : join('src', 'lib', span))

describe('docs/architecture.md: the document life cycle', () => {
  it('has a diagram and a table', () => {
    expect(section.length).to.be.greaterThan(0)
    expect(diagram).to.contain('stateDiagram-v2')
    expect(rows.length).to.be.greaterThan(10)
  })

  it('describes in its table every state of the diagram, and no other', () => {
    const states = new Set<string>()
    for (const m of diagram.matchAll(/^\s*(\S+) --> ([^:\s]+)/gm)) for (const s of [m[1], m[2]]) if (s !== '[*]') states.add(s)
    const described = rows.flatMap(r => r[0].split(' / '))
    expect([...described].sort()).to.deep.equal([...states].sort())
  })

  it('names only modules that exist, and in each row only functions those modules hold', () => {
    const problems: string[] = []
    for (const [state, , who] of rows) {
      const cells = spans(who)
      const modules = cells.filter(s => s.endsWith('.ts'))
      if (who !== '—' && modules.length === 0) problems.push(`${state}: no module named`)
      const sources: string[] = []
      for (const m of modules) {
        if (existsSync(modulePath(m))) sources.push(readFileSync(modulePath(m), 'utf8'))
        else problems.push(`${state}: ${m} does not exist`)
      }
      for (const name of cells.filter(s => /^#?[A-Za-z_$][\w$]*(\.[\w$]+)?$/.test(s))) {
        // `Class.method`: both parts must be in one module of the row.
        const parts = name.split('.')
        const found = sources.some(text => parts.every(p => new RegExp(`(^|[^\\w$#])${p.replace(/[$#]/g, '\\$&')}\\b`).test(text)))
        if (!found) problems.push(`${state}: ${name} is in none of ${modules.join(', ')}`)
      }
    }
    expect(problems).to.deep.equal([])
  })
})
