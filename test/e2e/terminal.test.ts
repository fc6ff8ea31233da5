/*
 * Terminal output of the built CLI: multi-line reports, tables that fit the
 * terminal, `ssmd version`, and the environment variables top-level help lists.
 */
import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ssmdProcess } from '../helpers/cli.js'
import { exampleRepo } from '../helpers/repo.js'

const GIT_ENV = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' }

describe('terminal output (built CLI)', () => {
  it("commit prints validation warnings as lines, escaping control characters from the repository's files", () => {
    const repo = exampleRepo({ git: true })
    expect(ssmdProcess(['schema', 'set-status', 'trade:v1', 'deprecated'], { cwd: repo }).code).to.equal(0)
    // A file whose name carries a terminal escape, reported in a warning (its rule is a warning here).
    const hostile = 'kalshi\u001b]0;x\u0007dev'
    writeFileSync(join(repo, 'environments', `${hostile}.yaml`), readFileSync(join(repo, 'environments', 'kalshi-dev.yaml')))
    writeFileSync(join(repo, 'ssmd.yaml'), 'rules:\n  ref/unused: off\n  name/matches-file: warning\n')
    const r = ssmdProcess(['commit', '-m', 'deprecate trade v1'], { cwd: repo, env: GIT_ENV })
    expect(r.code, r.stderr).to.equal(0)
    const lines = r.stderr.split('\n')
    expect(lines).to.include('! environments/kalshi-dev.yaml')
    expect(
      lines.some(l => /^ {2}environments\/kalshi-prod\.yaml:4:9 +warning +schema trade:v1 is deprecated/.test(l)),
      r.stderr,
    ).to.equal(true)
    expect(
      lines.some(l => /^0 errors, 4 warnings in 10 files/.test(l)),
      r.stderr,
    ).to.equal(true)
    expect(r.stderr).not.to.contain('\\u000a')
    expect(r.stderr).to.contain('environments/kalshi\\u001b]0;x\\u0007dev.yaml')
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.to.match(/[\u0007\u001b]/)
    expect(r.stdout).to.match(/^\[main [0-9a-f]+\] deprecate trade v1$/m)
  })
})
