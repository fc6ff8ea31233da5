// Every built-in rule declares its meta and is documented in docs/rules.md with
// examples that really fire and really stay silent; the docs name no other rule.
import { expect } from 'chai'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { BUILTIN_RULES, builtinPack } from '../../src/hooks/validate/builtin.js'
import { PLUGIN_FAILED, runRules } from '../../src/lib/validate/engine.js'
import { SEVERITIES } from '../../src/lib/validate/meta.js'
import { ruleSection } from '../../src/lib/cli/docs.js'
import { UNKNOWN_RULE_INFO } from '../../src/lib/validate/policy.js'
import { PLUGIN_PIN_INFO } from '../../src/lib/validate/pins.js'
import { RULE_CONFIG_INFO } from '../../src/lib/validate/rule-config.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { PROJECT_ROOT } from '../helpers/repo.js'
import { EXAMPLE } from './helpers.js'

const DOCS = readFileSync(join(PROJECT_ROOT, 'docs/rules.md'), 'utf8')

interface Section {
  id: string
  body: string
}
const sections: Section[] = DOCS.split(/^### /m)
  .slice(1)
  .map(chunk => {
    const [heading, ...rest] = chunk.split('\n')
    return { id: heading.trim(), body: rest.join('\n').split(/^## /m)[0] }
  })
/** The anchor a Markdown viewer (GitHub's) gives a heading: lower case, punctuation other than - and _ dropped, spaces as -. */
const headingAnchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
const anchors = new Set(
  DOCS.split('\n')
    .filter(l => /^#{1,6} /.test(l))
    .map(l => headingAnchor(l.replace(/^#+ /, ''))),
)

/** The example files of one kind in a section: path (from the first comment line) → content. */
function examples(section: Section, kind: 'fires' | 'passes'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of section.body.matchAll(/^```(\w+) (fires|passes)\n([^]*?)^```$/gm)) {
    if (m[2] !== kind) continue
    const path = /^# (\S+)\n/.exec(m[3])?.[1]
    if (!path) throw new Error(`an example of ${section.id} does not start with '# <file>'`)
    out[path] = m[3]
  }
  return out
}

async function findingsOf(id: string, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'ssmd-docs-example-'))
  try {
    for (const [path, content] of Object.entries({ ...EXAMPLE, ...files })) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), content)
    }
    const { findings } = await runRules(new Workspace(dir), [{ plugin: 'ssmd', result: builtinPack }], { installedPlugins: [] })
    return findings.filter(f => f.rule === id || f.rule === 'plugin/failed')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('built-in rule meta and docs/rules.md', () => {
  it('every rule module declares id, severity, description and message templates, and no docs URL (its docs are docs/rules.md)', () => {
    expect(BUILTIN_RULES.length).to.equal(36)
    for (const { meta } of BUILTIN_RULES) {
      expect(meta.id, JSON.stringify(meta)).to.match(/^[a-z]+\/[a-z-]+$/)
      expect(SEVERITIES, meta.id).to.include(meta.severity)
      expect(meta.description.length, meta.id).to.be.greaterThan(10)
      expect(meta, meta.id).not.to.have.property('docs')
      expect(Object.keys(meta.messages).length, meta.id).to.be.greaterThan(0)
      for (const text of Object.values(meta.messages)) expect(text, meta.id).to.be.a('string').and.not.equal('')
    }
    expect(Object.keys(builtinPack.rules)).to.deep.equal(BUILTIN_RULES.map(r => r.meta.id))
  })

  it('every registered rule has a section, which ssmd rules show prints, with its default severity', () => {
    const documented = new Map(sections.map(s => [s.id, s]))
    for (const { meta } of [
      ...BUILTIN_RULES,
      ...[PLUGIN_FAILED, UNKNOWN_RULE_INFO, PLUGIN_PIN_INFO, RULE_CONFIG_INFO].map(r => ({ meta: { ...r, severity: r.defaultSeverity } })),
    ]) {
      const section = documented.get(meta.id)
      expect(section, `docs/rules.md has no '### ${meta.id}'`).not.to.equal(undefined)
      expect(meta, meta.id).not.to.have.property('docs')
      expect(ruleSection(meta.id), meta.id).to.equal(section!.body.trim())
      expect(section!.body, meta.id).to.match(new RegExp(`^\\*\\*Default severity:\\*\\* ${meta.severity}\\b`, 'm'))
    }
  })

  it('documents no rule that is not registered, and links only to anchors that exist', () => {
    const known = new Set([...BUILTIN_RULES.map(r => r.meta.id), PLUGIN_FAILED.id, UNKNOWN_RULE_INFO.id, PLUGIN_PIN_INFO.id, RULE_CONFIG_INFO.id])
    expect(sections.map(s => s.id).filter(id => !known.has(id))).to.deep.equal([])
    expect(new Set(sections.map(s => s.id)).size).to.equal(sections.length)
    for (const m of DOCS.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, m[0]).to.include(m[1])
  })

  // Engine findings (not rules of the pack) have no fires/passes examples: the end-to-end tests cover them.
  for (const section of sections.filter(s => ![PLUGIN_FAILED.id, UNKNOWN_RULE_INFO.id, PLUGIN_PIN_INFO.id, RULE_CONFIG_INFO.id].includes(s.id))) {
    it(`${section.id}: the example that fires does, the other does not`, async () => {
      const fires = examples(section, 'fires')
      const passes = examples(section, 'passes')
      expect(Object.keys(fires), 'fires example').to.have.length.greaterThan(0)
      expect(Object.keys(passes), 'passes example').to.have.length.greaterThan(0)
      const fired = await findingsOf(section.id, fires)
      expect(
        fired.filter(f => f.rule === section.id),
        'fires',
      ).to.have.length.greaterThan(0)
      expect(fired.filter(f => f.rule === 'plugin/failed')).to.deep.equal([])
      expect(await findingsOf(section.id, passes), 'passes').to.deep.equal([])
    })
  }
})

describe('rule modules', () => {
  it('import shared helpers from rules/util.ts only, never from a sibling rule', () => {
    const dir = join(PROJECT_ROOT, 'src/lib/validate/rules')
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8')
      const siblings = [...text.matchAll(/from '\.\/([^']+)'/g)].map(m => m[1]).filter(m => m !== 'util.js')
      expect(siblings, file).to.deep.equal([])
    }
  })
})
