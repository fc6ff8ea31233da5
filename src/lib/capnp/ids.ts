/** Node id derivation, identical to the official compiler (MD5 of parent id + discriminator). */
import { createHash, randomBytes } from 'node:crypto'

const TOP = 1n << 63n

function le(v: bigint, bytes: number): Buffer {
  const b = Buffer.alloc(bytes)
  for (let i = 0; i < bytes; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn)
  return b
}

function finish(digest: Buffer): bigint {
  let r = 0n
  for (let i = 0; i < 8; i++) r = (r << 8n) | BigInt(digest[i])
  return r | TOP
}

/** Id of a named child declaration (struct, enum, interface, const, annotation). */
export function generateChildId(parentId: bigint, name: string): bigint {
  return finish(createHash('md5').update(le(parentId, 8)).update(name, 'utf8').digest())
}

/** Id of a group or named union; `index` is the member's position among its scope's fields. */
export function generateGroupId(parentId: bigint, index: number): bigint {
  return finish(
    createHash('md5')
      .update(le(parentId, 8))
      .update(le(BigInt(index), 2))
      .digest(),
  )
}

/** Id of the implicit `$Params` / `$Results` struct of a method. */
export function generateMethodParamsId(parentId: bigint, ordinal: number, isResults: boolean): bigint {
  return finish(
    createHash('md5')
      .update(le(parentId, 8))
      .update(le(BigInt(ordinal), 2))
      .update(Buffer.from([isResults ? 1 : 0]))
      .digest(),
  )
}

export function generateRandomId(): bigint {
  let r = 0n
  for (const b of randomBytes(8)) r = (r << 8n) | BigInt(b)
  return r | TOP
}

export function hexId(id: bigint): string {
  return '0x' + BigInt.asUintN(64, id).toString(16).padStart(16, '0')
}

export function isValidId(id: bigint): boolean {
  return id >= TOP && id < 1n << 64n
}
