import { expect } from 'chai'
import { formatText } from '../../src/lib/cli/findings-format.js'
import type { Finding } from '../../src/lib/validate/types.js'

const finding = (file: string, severity: Finding['severity']): Finding => ({ rule: 'x/rule', severity, message: 'm', file, line: 1, column: 1, path: '', plugin: 'ssmd' })

describe('text output of findings (cli/findings-format.ts)', () => {
  const files = ['feeds/b.yaml', 'feeds/a.yaml', 'environments/Z.yaml', 'environments/a.yaml', 'schemas/c.yaml']
  const result = {
    root: '/r',
    files,
    findings: [finding('schemas/c.yaml', 'warning'), finding('environments/Z.yaml', 'error'), finding('', 'error')],
    summary: { errors: 2, warnings: 1, infos: 0, files: files.length },
  }

  it('lists the files with findings only, the repository first, then by name as a person sorts them', () => {
    const heads = formatText(result, { color: false })
      .split('\n')
      .filter(l => !l.startsWith(' ') && l !== '')
    expect(heads).to.deep.equal([
      '✗ environments/Z.yaml',
      '! schemas/c.yaml',
      '2 errors, 1 warning in 5 files: <ssmd> (1 error), environments/Z.yaml (1 error), schemas/c.yaml (1 warning)',
    ])
  })

  it('with verbose, the passing files too, in the same order', () => {
    const heads = formatText(result, { color: false, verbose: true })
      .split('\n')
      .filter(l => /^[✓✗!] /.test(l))
    expect(heads).to.deep.equal(['✓ environments/a.yaml', '✗ environments/Z.yaml', '✓ feeds/a.yaml', '✓ feeds/b.yaml', '! schemas/c.yaml'])
  })
})
