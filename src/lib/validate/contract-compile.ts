import { Ajv2020 } from 'ajv/dist/2020.js'
import standaloneCode from 'ajv/dist/standalone/index.js'
import type { JsonSchema } from '../spec/common.js'

function makeAjv(source: boolean): Ajv2020 {
  // Formats are checked by ssmd's own rules (date/valid, timezones) so their findings carry specific ids.
  return new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateFormats: false, code: { source, esm: false } })
}

/**
 * CommonJS source exporting one validator per schema `$id`, for dist/generated/validators.cjs.
 * @public imported from the freshly compiled tree by scripts/build.js
 */
export function compileContractValidators(schemas: JsonSchema[]): string {
  const ajv = makeAjv(true)
  const exports: Record<string, string> = {}
  for (const s of schemas) {
    ajv.addSchema(s)
    exports[s.$id as string] = s.$id as string
  }
  return standaloneCode.default(ajv, exports)
}

/** Validators compiled in-process: used when running from sources without a build. */
export function compileInProcess(schemas: JsonSchema[]): Record<string, ValidateFunction> {
  const ajv = makeAjv(false)
  const out: Record<string, ValidateFunction> = {}
  for (const s of schemas) out[s.$id as string] = ajv.compile(s) as unknown as ValidateFunction
  return out
}

export interface ContractError {
  instancePath: string
  schemaPath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}
export type ValidateFunction = ((data: unknown) => boolean) & { errors?: ContractError[] | null }
