import { isUtf8 } from 'node:buffer'
import { readdirSync } from 'node:fs'

/*
 * File names Node.js cannot list faithfully. It decodes every name as UTF-8,
 * and a name whose bytes are not UTF-8 (`odd\351.yaml`, written by a
 * Latin-1 tool) comes back with U+FFFD in place of those bytes: a name that
 * leads to no file, and that two different files may share. Under its
 * folders ssmd refuses such a name, and a name holding U+FFFD itself (which
 * cannot be told apart from one), instead of skipping or misnaming the file
 * (docs/security.md).
 */

const FFFD = '\uFFFD'
const FFFD_BYTES = Buffer.from(FFFD)

/** Whether a decoded name may stand for other bytes: the cheap test, before its folder is listed as bytes. */
export const mayBeUndecodable = (name: string): boolean => name.includes(FFFD)

/** Whether a name's bytes are not UTF-8, or hold U+FFFD. */
export const undecodable = (bytes: Buffer): boolean => !isUtf8(bytes) || bytes.includes(FFFD_BYTES)

/** The names in folder `dir` (as bytes, with whether each is a folder) that are undecodable, in the order listed; none when it cannot be listed. */
export function undecodableNames(dir: string): Array<{ name: Buffer; isDir: boolean }> {
  try {
    return readdirSync(dir, { encoding: 'buffer', withFileTypes: true })
      .filter(e => undecodable(e.name))
      .map(e => ({ name: e.name, isDir: e.isDirectory() }))
  } catch {
    return []
  }
}
