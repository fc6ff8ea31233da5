/**
 * protobufjs checks each field it adds to a message against the message's index of field numbers,
 * and every add throws that index away: the next add builds it again from all the fields so far.
 * Parsing a message of n fields (or oneofs, or nested messages beside fields) therefore costs n²:
 * 8,000 fields took 5 s, 16,000 four times that. This keeps the index across an add: after the
 * original add has checked the new member against it and dropped it, the index comes back with the
 * new field in it, which is exactly what protobufjs would rebuild. Everything else it does is its own.
 */
import protobuf from 'protobufjs'

interface Indexed {
  _fieldsById: Record<number, unknown> | null
  readonly fieldsById: Record<number, unknown>
  fields: Record<string, unknown>
}

let installed = false

/** Installs the kept index on protobufjs's message type (once per process; idempotent). */
export function keepFieldIndex(): void {
  if (installed) return
  installed = true
  const add = protobuf.Type.prototype.add
  protobuf.Type.prototype.add = function (this: protobuf.Type & Indexed, object: protobuf.ReflectionObject): protobuf.Type {
    // the index as it stands before the add (built here at most once after any other change)
    const index = this.fieldsById
    const result = add.call(this, object)
    if (this._fieldsById === null) {
      if (object instanceof protobuf.Field && object.extend === undefined) {
        // added as a field of this message (or skipped as `__proto__`, which protobufjs never stores)
        if (this.fields[object.name] === object) index[object.id] = object
      }
      this._fieldsById = index
    }
    return result
  }
}
