/** One structural change between two versions of a schema definition, whatever its format. */
export interface SchemaChange {
  severity: 'breaking' | 'compatible' | 'info'
  /** short machine-readable kind, e.g. `field-added`, `field-type-changed` */
  kind: string
  message: string
  /** e.g. `Trade.price` */
  path: string
  /** path relative to the ssmd root of the file the change is located in */
  file: string
  line: number
  column: number
  note?: string
}
