import { Workspace } from '../workspace/workspace.js'
import type { RuleDefinition } from './checks.js'
import { runRules, type PackSource } from './engine.js'
import { RuleTester } from './tester.js'
import type { Finding } from './types.js'

/**
 * The tester of ssmd's own rules (not part of `ssmd/testing`): a built-in rule
 * object, run in ssmd's process by the engine with its declared capabilities,
 * exactly as `ssmd validate` runs the built-in rules.
 */
export class BuiltinRuleTester extends RuleTester<RuleDefinition> {
  protected override subjectProblem(subject: unknown): string | undefined {
    return subject !== null && typeof subject === 'object' ? undefined : "BuiltinRuleTester tests one of ssmd's rule objects"
  }

  protected override async findings(ruleId: string, subject: unknown, dir: string, installedPlugins: string[]): Promise<{ findings: Finding[]; rules?: string[] }> {
    const source: PackSource = { plugin: 'ssmd', result: { plugin: 'ssmd', rules: { [ruleId]: subject as RuleDefinition } } }
    return { findings: (await runRules(new Workspace(dir), [source], { installedPlugins })).findings, rules: [ruleId] }
  }
}
