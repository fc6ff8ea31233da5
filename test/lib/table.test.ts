import { expect } from 'chai'
import { outputWidth, table } from '../../src/lib/cli/style.js'

describe('table', () => {
  const headers = ['ID', 'KIND', 'DESCRIPTION', 'DOCS']
  const rows = [
    ['a-long-identifier', 'error', 'A description long enough that it has to be cut in a narrow terminal.', 'https://example.com/docs#a'],
    ['b', 'warning', 'Short.', 'https://example.com/docs#b'],
  ]
  const widest = (text: string) => Math.max(...text.split('\n').map(l => [...l].length))

  it('keeps every column whole without a width', () => {
    const text = table(headers, rows, { flex: [2], optional: [3], width: 1000 })
    expect(text).to.contain('A description long enough that it has to be cut in a narrow terminal.  https://example.com/docs#a')
  })

  it('cuts the flex column with an ellipsis to fit, identifiers whole', () => {
    const text = table(headers, rows, { flex: [2], optional: [3], width: 90 })
    expect(widest(text)).to.be.at.most(90)
    expect(text.split('\n')[1]).to.match(/^a-long-identifier {2}error {4}A description long enough that .*… {2}https:\/\/example\.com\/docs#a$/)
    expect(text.split('\n')[2]).to.match(/^b {18}warning {2}Short\. +https:\/\/example\.com\/docs#b$/)
  })

  it('leaves optional columns out when cutting is not enough', () => {
    const text = table(headers, rows, { flex: [2], optional: [3], width: 50 })
    expect(text.split('\n')[0]).to.equal('ID                 KIND     DESCRIPTION')
    expect(widest(text)).to.be.at.most(50)
    expect(text).not.to.contain('https://')
    expect(text).to.contain('…')
  })

  it('overflows rather than cut a column that is not free text', () => {
    const text = table(['NAME', 'VALUE'], [['a-very-long-identifier-that-stays-whole', 'x']], { width: 20 })
    expect(text).to.contain('a-very-long-identifier-that-stays-whole')
  })

  it('counts colour sequences as invisible and drops colour from a cut cell', () => {
    const green = '\u001b[32mabcdefghijklmnopqrstuvwxyz\u001b[39m'
    const text = table(['ID', 'NOTE'], [['x', green]], { flex: [1], width: 16 })
    expect(text.split('\n')[1]).to.equal('x   abcdefghijk…')
    expect(table(['ID', 'NOTE'], [['x', green]], { flex: [1], width: 40 }).split('\n')[1]).to.equal(`x   ${green}`)
  })

  it('fits COLUMNS when set, else the terminal, else nothing', () => {
    const saved = process.env.COLUMNS
    try {
      process.env.COLUMNS = '72'
      expect(outputWidth({ isTTY: false } as NodeJS.WriteStream)).to.equal(72)
      delete process.env.COLUMNS
      expect(outputWidth({ isTTY: true, columns: 100 } as NodeJS.WriteStream)).to.equal(100)
      expect(outputWidth({ isTTY: false } as NodeJS.WriteStream)).to.equal(undefined)
      process.env.COLUMNS = 'wide'
      expect(outputWidth({ isTTY: false } as NodeJS.WriteStream)).to.equal(undefined)
    } finally {
      if (saved === undefined) delete process.env.COLUMNS
      else process.env.COLUMNS = saved
    }
  })
})
