// One check API: built-in rules get ssmd's services (source, definitions, contract, repository) only when meta.uses declares them.
import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUILTIN_RULES } from '../../src/hooks/validate/builtin.js'
import { defineChecks } from '../../src/lib/validate/define.js'
import { runRules } from '../../src/lib/validate/engine.js'
import { CAPABILITIES, type Capability, type Finding } from '../../src/lib/validate/types.js'
import { Workspace } from '../../src/lib/workspace/workspace.js'
import { tempDir } from '../helpers/repo.js'

function repo(): Workspace {
  const dir = tempDir()
  mkdirSync(join(dir, 'feeds'))
  writeFileSync(join(dir, 'feeds/f.yaml'), 'name: f\nstatus: active\nunknown_key: 1\n')
  return new Workspace(dir)
}

/** Runs one built-in-style rule whose feed check reads `capability` off its context. */
async function reading(capability: Capability, uses: readonly Capability[], scope?: 'file'): Promise<Finding[]> {
  const rule = {
    meta: { id: 'feed/probe', severity: 'warning' as const, description: 'd', messages: { m: '{{what}}' }, uses, ...(scope ? { scope } : {}) },
    async feed(doc: unknown, ctx: Record<string, unknown> & { report(r: unknown): void }) {
      const value = ctx[capability]
      const got = typeof value === 'function' ? await (value as (d: unknown) => unknown)(doc) : value
      ctx.report({ messageId: 'm', data: { what: got === undefined ? 'nothing' : capability } })
    },
  }
  return (await runRules(repo(), [{ plugin: 'ssmd', result: { plugin: 'ssmd', rules: { 'feed/probe': rule } } }])).findings
}

describe('capabilities of built-in rules (meta.uses)', () => {
  for (const capability of CAPABILITIES) {
    it(`'${capability}' is on the context when declared, and reading it undeclared fails the rule`, async () => {
      const declared = await reading(capability, [capability])
      expect(declared.map(f => `${f.rule} ${f.message}`)).to.deep.equal([`feed/probe ${capability}`])
      const others = CAPABILITIES.filter(c => c !== capability)
      const undeclared = await reading(capability, others)
      expect(undeclared.map(f => f.message)).to.deep.equal([
        `built-in rule 'feed/probe' failed: it uses the '${capability}' capability without declaring it (add '${capability}' to its meta.uses); please report this`,
      ])
    })
  }

  it('gives a rule that reads one file at a time its own document (source, contract), never other files (definitions, repository)', async () => {
    for (const capability of ['source', 'contract'] as const) {
      expect((await reading(capability, [capability], 'file')).map(f => f.message)).to.deep.equal([capability])
    }
    for (const capability of ['definitions', 'repository'] as const) {
      expect((await reading(capability, [capability], 'file')).map(f => f.message)).to.deep.equal([
        `built-in rule 'feed/probe' failed: it is declared to read one file at a time but reached for the '${capability}' capability; please report this`,
      ])
    }
  })

  it("hands the contract's findings over through the capability: the same list schema/contract reports from", async () => {
    const ws = repo()
    const seen: unknown[] = []
    const rule = {
      meta: { id: 'feed/probe', severity: 'warning' as const, description: 'd', messages: {}, uses: ['contract'] as const },
      async feed(doc: unknown, ctx: { contract(d: unknown): unknown }) {
        seen.push(await ctx.contract(doc))
      },
    }
    await runRules(ws, [{ plugin: 'ssmd', result: { plugin: 'ssmd', rules: { 'feed/probe': rule } } }])
    expect(seen).to.have.length(1)
    const reported = await runRules(ws, [{ plugin: 'ssmd', result: { plugin: 'ssmd', rules: { 'schema/contract': BUILTIN_RULES.find(r => r.meta.id === 'schema/contract')! } } }])
    expect((seen[0] as Array<{ path: string }>).map(f => f.path)).to.include('/unknown_key')
    expect((seen[0] as Array<{ path: string }>).map(f => f.path)).to.deep.equal(reported.findings.map(f => f.path))
  })

  it('refuses meta.uses from a plugin, and an unknown capability from anyone', async () => {
    const plugin = { plugin: 'acme', rules: { 'acme/r': { meta: { severity: 'warning', description: 'd', uses: ['repository'] }, feed() {} } } }
    expect(() => defineChecks(plugin)).to.throw(TypeError, "rule 'acme/r' declares meta.uses, which only ssmd's built-in rules may declare")
    const inEngine = await runRules(repo(), [{ plugin: 'acme', result: plugin }])
    expect(inEngine.findings.map(f => f.message)).to.deep.equal([
      "plugin 'acme' failed: rule 'acme/r' declares meta.uses, which only ssmd's built-in rules may declare; a plugin's checks read the documents as data (ctx.workspace, doc.data); its findings are incomplete",
    ])
    const unknown = { plugin: 'ssmd', rules: { 'feed/r': { meta: { severity: 'warning', description: 'd', uses: ['git'] }, feed() {} } } }
    expect(() => defineChecks(unknown)).to.throw(TypeError, "rule 'feed/r' declares meta.uses 'git'; use source, definitions, contract, repository")
  })

  it('lets every built-in rule declare only known capabilities', () => {
    for (const rule of BUILTIN_RULES) for (const c of rule.meta.uses ?? []) expect(CAPABILITIES, rule.meta.id).to.include(c)
  })
})
