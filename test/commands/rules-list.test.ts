import { expect } from 'chai'
import { ssmd } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'

interface RuleItem {
  id: string
  plugin: string
  default_severity: string
  severity: string
  description: string
  docs?: string
}

describe('ssmd rules list', () => {
  it('lists every built-in rule with its severities, description and the command that documents it', async () => {
    const dir = exampleRepo()
    const r = await ssmd(['rules', 'list', '--json'], { cwd: dir })
    expect(r.code, r.stderr).to.equal(0)
    const items = JSON.parse(r.stdout) as RuleItem[]
    const builtin = items.filter(i => i.plugin === 'ssmd')
    // 36 rules, and the engine's own findings: plugin/failed, policy/unknown-rule, policy/plugin-pin and policy/rule-config.
    expect(builtin).to.have.length(40)
    expect(builtin.find(i => i.id === 'feed/version-gap')).to.deep.equal({
      id: 'feed/version-gap',
      plugin: 'ssmd',
      default_severity: 'warning',
      severity: 'warning',
      description: 'Every day between the first and the last feed version is covered by a version.',
    })
    // The example's ssmd.yaml turns ref/unused off.
    expect(builtin.find(i => i.id === 'ref/unused')).to.deep.include({ default_severity: 'info', severity: 'off' })
    // Built-in rules declare no URL: their documentation is `ssmd rules show <id>`, offline.
    for (const i of builtin) expect(i, i.id).not.to.have.property('docs')

    const text = await ssmd(['rules', 'list'], { cwd: dir })
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).to.match(/^RULE +DEFAULT +EFFECTIVE +PLUGIN +DESCRIPTION +DOCS$/)
    expect(lines.find(l => l.startsWith('feed/timezone '))).to.match(/ error +error +ssmd +calendar\.timezone is a known IANA time zone\. +ssmd rules show feed\/timezone$/)
    expect(lines).to.have.length(builtin.length + 1)
  })
})
