import { isValidDate } from '../../core/dates.js'
import type { RuleDefinition } from '../types.js'
import { isObj, items, reportContractShare, shareContract, withContract } from './util.js'

export const documentRules: Record<string, RuleDefinition> = {
  'yaml/syntax': {
    severity: 'error',
    description: 'The file parses as one YAML 1.2 document.',
    document(doc, ctx) {
      if (doc.problem?.rule === 'yaml/syntax') ctx.report({ message: doc.problem.message, line: doc.problem.line, column: doc.problem.column })
    },
  },
  'yaml/unsafe': {
    severity: 'error',
    description: 'No custom tags, alias bombs, files over 1 MiB or non-UTF-8 bytes.',
    document(doc, ctx) {
      if (doc.problem?.rule === 'yaml/unsafe') ctx.report({ message: doc.problem.message, line: doc.problem.line, column: doc.problem.column })
    },
  },
  'schema/contract': {
    severity: 'error',
    description: 'The document satisfies its JSON Schema in schemas-json/ (types, enums, required and unknown keys).',
    document(doc, ctx) {
      if (doc.problem) return
      return reportContractShare(doc, ctx, 'schema/contract')
    },
  },
  'name/matches-file': {
    severity: 'error',
    description: '`name` equals the file name without extension.',
    document(doc, ctx) {
      if (doc.kind === 'policy' || !isObj(doc.data)) return
      const name = doc.data.name
      if (typeof name === 'string' && name !== doc.name) {
        ctx.report({ path: '/name', message: `name '${name}' does not match the file name '${doc.name}'; rename the file or set name: ${doc.name}` })
      }
    },
  },
  'date/valid': {
    severity: 'error',
    description: 'Dates are real calendar dates in YYYY-MM-DD form.',
    document(doc, ctx) {
      if (doc.problem || (doc.kind !== 'feed' && doc.kind !== 'schema')) return
      return withContract(doc, contract => {
        shareContract(contract, ctx, 'date/valid')
        const shapeErrors = new Set(contract.filter(f => f.rule === 'date/valid').map(f => f.path))
        for (const [v, i] of items(doc.data, 'versions')) {
          for (const key of ['effective_from', 'effective_to']) {
            const value = v[key]
            const path = `/versions/${i}/${key}`
            if (typeof value === 'string' && !shapeErrors.has(path) && /^\d{4}-\d{2}-\d{2}$/.test(value) && !isValidDate(value)) {
              ctx.report({ path, message: `'${value}' is not a real calendar date` })
            }
          }
        }
      })
    },
  },
}
