import { expect } from 'chai'
import { findConflictMarker } from '../../src/lib/core/conflict-markers.js'
import { parseYamlText } from '../../src/lib/yaml/read.js'

describe('git conflict markers', () => {
  it('finds the first marker of any kind at the start of a line, labelled or not, LF or CRLF', () => {
    expect(findConflictMarker('a: 1\n<<<<<<< HEAD\nb: 2\n')).to.deep.equal({ marker: '<<<<<<<', line: 2, column: 1 })
    expect(findConflictMarker('a: 1\r\n=======\r\nb: 2\r\n')).to.deep.equal({ marker: '=======', line: 2, column: 1 })
    expect(findConflictMarker('a: 1\nb: 2\n>>>>>>> feature/x\n')).to.deep.equal({ marker: '>>>>>>>', line: 3, column: 1 })
    expect(findConflictMarker('|||||||\n')).to.deep.equal({ marker: '|||||||', line: 1, column: 1 })
    expect(findConflictMarker('<<<<<<<')).to.deep.equal({ marker: '<<<<<<<', line: 1, column: 1 })
  })

  it('ignores look-alikes: other lengths, indented, followed by other text, inside a value', () => {
    for (const text of ['a: 1\n========\n', '  <<<<<<< HEAD\n', '<<<<<<<<\n', '=======x\n', '>>>>>>>x\n', 'title: "<<<<<<< not a marker"\n', 'note: |\n  =======\n']) {
      expect(findConflictMarker(text), JSON.stringify(text)).to.equal(undefined)
    }
  })

  it('a YAML file with markers is a yaml/syntax problem even where the rest would parse', () => {
    // js-yaml alone reads this as { a: [1, '======= 2'] }.
    const parsed = parseYamlText('a: [1,\n=======\n 2]\n')
    expect(parsed.data).to.equal(undefined)
    expect(parsed.problem).to.deep.include({ rule: 'yaml/syntax', line: 2, column: 1 })
    expect(parsed.problem!.message).to.match(/^unresolved merge conflict/)
    expect(parseYamlText('note: |\n  =======\n').problem).to.equal(undefined)
  })
})
